#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_config_validate
short_description: Validate Nova override files (schema, Nova's cross-field rules per host and service)
version_added: 0.1.0
description:
  - Checks INI files (Kolla-Ansible overrides or a whole nova.conf) against the option schema of a Nova
    release, generated from the real nova package with oslo-config-generator and shipped with the collection.
  - Reports unknown options (with a "did you mean"), options removed in that release or not yet in it,
    deprecated options and names (with the replacement; C(vcpu_pin_set) with the
    C(cpu_dedicated_set)/C(cpu_shared_set) it should become), wrong types, values out of range and values
    not among the choices, each with file, line, section and option.
  - Values that contain Jinja (Kolla renders override files as templates) are not type-checked.
  - On a Kolla C(node_custom_config) tree (O(paths) not given), also merges the files in Kolla-Ansible's order
    for every compute host and every Nova service (nova-compute, nova-conductor, nova-novncproxy, nova-api,
    nova-scheduler; C(global.conf), C(nova.conf), C(nova/<service>.conf), C(nova/<host>/nova.conf),
    C(nova/<host>/<service>.conf), the last one for nova-cell services only) and applies the cross-field rules
    Nova enforces at start-up and in the scheduler, each citing the Nova function it comes from
    (C(vcpu_pin_set) with C(cpu_dedicated_set), C(reserved_host_cpus) with the CPU sets, malformed,
    empty, overlapping or out-of-host CPU sets, huge pages reserved beyond RAM, C(cpu_mode)/C(cpu_models),
    post-copy with auto-converge, native TLS with tunnelling, C(cpu_power_management) without dedicated CPUs,
    pinning without C(NUMATopologyFilter), allocation ratios only in the scheduler's file, files Kolla never
    merges and options in a file the service never reads).
  - A cross-field finding names the host, the service, the file and line of every value involved, and the fix.
  - Without O(hosts), the compute hosts are the directories under C(nova/).
  - Writes nothing; with O(fail_on=error) an error fails the task, so nothing after it is written or deployed.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  paths:
    description:
      - Files, or directories searched recursively for C(*.conf), to check.
      - Default is what Kolla-Ansible merges into Nova's configuration under O(node_custom_config)
        (C(global.conf), C(nova.conf), C(nova/*.conf), C(nova/*/*.conf)).
    type: list
    elements: path
  node_custom_config:
    description: Kolla-Ansible's C(node_custom_config) directory, used when O(paths) is not given.
    type: path
    default: /etc/kolla/config
  release:
    description: Nova release (C(31) to C(34), or C(2025.1) to C(2026.2)).
    type: str
    default: "34"
  hosts:
    description:
      - The compute hosts (inventory names), as a list, or as a mapping of host name to facts
        (C(vcpus), C(memory_mb)) so CPU sets and huge pages are checked against each machine.
      - Default is the directories under C(nova/) in O(node_custom_config).
    type: raw
  flavors:
    description:
      - Flavors the cloud will have (C(name), C(extra_specs)); pinning or huge-page flavors need
        C(NUMATopologyFilter) in the scheduler's C(enabled_filters).
    type: list
    elements: dict
    default: []
  cross_field:
    description: Merge the tree per host and service, apply Nova's cross-field rules (without O(paths) only).
    type: bool
    default: true
  show_effective:
    description:
      - Return RV(effective), the merged config of every host and service, with the file and line of
        each value.
    type: bool
    default: false
  fail_on:
    description: Fail the task when a finding of this severity or worse exists.
    type: str
    choices: [error, warning, never]
    default: error
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    description: Runs in check mode and predicts the change without modifying the target.
    support: full
  diff_mode:
    description: Returns details on what changed (or would change in check mode) in diff mode.
    support: none
  idempotent:
    description: Run twice with the same arguments, the second run reports no change.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Validate the Nova overrides against nova 34 (2026.2)
  kolla_ops.nova.nova_config_validate:
    node_custom_config: /etc/kolla/config
    release: "2026.2"

- name: Validate a copied override tree of a cloud without its inventory (hosts from nova/<host>/)
  kolla_ops.nova.nova_config_validate:
    node_custom_config: /tmp/old-cloud/config

- name: Validate with each compute host's CPU count and memory
  kolla_ops.nova.nova_config_validate:
    node_custom_config: /etc/kolla/config
    hosts:
      compute1: {vcpus: 32, memory_mb: 262144}
      compute2: {vcpus: 16, memory_mb: 65536}

- name: Check one file, report only
  kolla_ops.nova.nova_config_validate:
    paths: [/tmp/nova-compute.conf]
    release: "33"
    fail_on: never
  register: nova_conf_check
"""

RETURN = r"""
findings:
  description: One entry per problem with file, line, section, option, value, severity, code, message, fix.
  returned: always
  type: list
  elements: dict
  sample:
    - file: /etc/kolla/config/nova/nova-compute.conf
      line: 3
      section: DEFAULT
      option: cpu_allocaton_ratio
      severity: error
      code: unknown_option
      message: >-
        nova 34.0.0 has no option [DEFAULT] cpu_allocaton_ratio
        (did you mean [DEFAULT] cpu_allocation_ratio?)
      fix: use [DEFAULT] cpu_allocation_ratio
    - file: /etc/kolla/config/nova/compute1/nova.conf
      line: 2
      section: DEFAULT
      option: vcpu_pin_set
      value: 4-15
      host: compute1
      service: nova-compute
      severity: error
      code: vcpu_pin_set_with_dedicated
      sources:
        - file: /etc/kolla/config/nova/compute1/nova.conf
          line: 2
          section: DEFAULT
          option: vcpu_pin_set
          value: 4-15
        - file: /etc/kolla/config/nova/nova-compute.conf
          line: 2
          section: compute
          option: cpu_dedicated_set
          value: 4-15
      nova_ref: nova.virt.libvirt.driver.LibvirtDriver._check_cpu_set_configuration
      message: >-
        nova-compute on compute1: [DEFAULT] vcpu_pin_set = 4-15 (...) and
        [compute] cpu_dedicated_set = 4-15 (...) are both set: nova-compute refuses to start
      fix: remove vcpu_pin_set from /etc/kolla/config/nova/compute1/nova.conf
summary:
  description: Counts of errors and warnings, and the files checked.
  returned: always
  type: dict
report:
  description: The findings as a check report (name, generated_at, summary, results).
  returned: always
  type: dict
effective:
  description:
    - The config each Nova service reads on each host, merged in Kolla's order (host null - hosts without a
      C(nova/<host>/) directory). Each setting has its value (secrets masked), C(file), C(line) and the
      assignments it C(replaces).
  returned: when O(show_effective=true)
  type: list
  elements: dict
  sample:
    - host: compute1
      service: nova-compute
      sources:
        - {path: /etc/kolla/config/global.conf, present: false}
        - {path: /etc/kolla/config/nova.conf, present: true}
      settings:
        - section: DEFAULT
          option: cpu_allocation_ratio
          value: "1.0"
          file: /etc/kolla/config/nova/compute1/nova-compute.conf
          line: 3
          replaces:
            - {file: /etc/kolla/config/nova.conf, line: 2, value: "4.0"}
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.validate_tree import (
    format_finding,
    run,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path"),
            node_custom_config=dict(type="path", default="/etc/kolla/config"),
            release=dict(type="str", default="34"),
            hosts=dict(type="raw"),
            flavors=dict(type="list", elements="dict", default=[]),
            cross_field=dict(type="bool", default=True),
            show_effective=dict(type="bool", default=False),
            fail_on=dict(type="str", choices=["error", "warning", "never"], default="error"),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module.params)
    except (nova_schema.SchemaError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    s = result["summary"]
    fail_on = module.params["fail_on"]
    bad = s["errors"] if fail_on == "error" else s["errors"] + s["warnings"] if fail_on == "warning" else 0
    if bad:
        module.fail_json(
            msg="%d error(s), %d warning(s) against nova %s (nothing written; fix the files, run again):\n%s"
            % (
                s["errors"],
                s["warnings"],
                s["nova"],
                "\n".join(format_finding(f) for f in result["findings"]),
            ),
            **result,
        )
    for f in result["findings"]:
        if f["severity"] == "warning":
            module.warn(format_finding(f))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
