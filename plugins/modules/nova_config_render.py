#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_config_render
short_description: Render compute profiles into Kolla-Ansible Nova override files
version_added: 0.1.0
description:
  - Resolves the compute profile of every compute host, checks everything (field types, CPU sets
    against the host's CPUs, huge pages against its memory, cross-field rules, Nova's option schema
    for the chosen release, the operator's own override files), and only when no error is left
    writes the override files in Kolla-Ansible's merge order under O(node_custom_config).
  - Settings every compute host shares go to C(nova/nova-compute.conf), host-specific ones to
    C(nova/<inventory_hostname>/nova-compute.conf), scheduler settings to C(nova/nova-scheduler.conf)
    (and those other services read too, such as C([scheduler] max_attempts), to their own files
    C(nova/nova-conductor.conf), C(nova/nova-super-conductor.conf) and C(nova/nova-api.conf)),
    real Kolla-Ansible variables to C(globals.d/kolla_ops_nova.yml) under O(kolla_config_dir) (Kolla's
    CONFIG_DIR, where kolla-ansible looks for globals.d; a copy this module wrote under
    O(node_custom_config) by an earlier release is removed).
  - A value with a line break or another control character is refused, naming the field. A mapping is
    written as JSON for the options Nova reads as JSON (C([pci] alias), C([pci] device_spec)) and
    checked as Nova checks it, as C(key:value,...) for dict options, and refused for other options.
  - Allocation ratios of 0 (Nova reads 0.0 as unset) or beyond 64 (CPU), 4 (RAM) or 16 (disk) are refused.
  - Files are written atomically and only when their content changes. Files this module wrote before
    and that are no longer needed are removed. Files it did not write are never touched.
  - Run it once (C(run_once)) on the deploy host for all compute hosts; the role
    P(kolla_ops.nova.nova_config#role) does that.
  - The files get the real values; what the module returns (problems, hosts, the diff) has secrets
    masked (C(***)), that is values of options that hold credentials and user:password in URLs.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  compute_profiles:
    description:
      - Named profiles. See the role documentation for the fields of a profile.
    type: dict
    default: {}
  hosts:
    description:
      - Every compute host (inventory_hostname) with its choice of profile and what is known of it.
      - Keys of each entry are C(profile) (name or null for Kolla defaults), C(overrides) (profile fields
        for this host only), C(vcpus) and C(memory_mb) (host facts, optional), C(live_migration_group).
    type: dict
    required: true
  scheduler:
    description:
      - Cloud-wide scheduler settings with keys C(enabled_filters) (full list; default Nova's defaults),
        C(extra_filters), C(weights) (C([filter_scheduler]) options) and C(settings) (section to options).
    type: dict
    default: {}
  kolla_globals:
    description:
      - Extra Kolla-Ansible Nova variables for C(globals.d/kolla_ops_nova.yml); only real Kolla variables
        are accepted.
    type: dict
    default: {}
  node_custom_config:
    description: Kolla-Ansible's C(node_custom_config) directory.
    type: path
    default: /etc/kolla/config
  kolla_config_dir:
    description:
      - Kolla-Ansible's CONFIG_DIR (C(--configdir), holds C(globals.yml)); C(globals.d/kolla_ops_nova.yml)
        is written there, since kolla-ansible passes C(-e @CONFIG_DIR/globals.d/*.yml) to Ansible.
    type: path
    default: /etc/kolla
  kolla_variables:
    description:
      - Kolla-Ansible variables from the inventory that change what must be written (only C(enable_blazar)
        is read; with it on, C(enabled_filters) keeps Kolla's C(BlazarFilter)). C(globals.yml) and
        C(globals.d/*.yml) under O(kolla_config_dir) override them, as they do for kolla-ansible.
    type: dict
    default: {}
  release:
    description: Nova release whose option schema applies (C(31) to C(34), or C(2025.1) to C(2026.2)).
    type: str
    default: "34"
  header:
    description: Comment written at the top of every file (the role passes C(ansible_managed)).
    type: str
    default: Ansible managed
  mode:
    description: File mode of the written files.
    type: raw
    default: "0640"
  take_over_existing:
    description: Overwrite target files that exist but were not written by this module.
    type: bool
    default: false
attributes:
  check_mode:
    description: Runs in check mode and predicts the change without modifying the target.
    support: full
  diff_mode:
    description: Returns details on what changed (or would change in check mode) in diff mode.
    support: full
  idempotent:
    description: Run twice with the same arguments, the second run reports no change.
    support: full
notes:
  - Warnings (RAM overcommit, deprecated options in operator files, ...) do not stop the run; errors do,
    before any file is written.
"""

EXAMPLES = r"""
- name: Render compute profiles
  kolla_ops.nova.nova_config_render:
    compute_profiles:
      pinned:
        cpu_dedicated_set: "4-15"
        cpu_shared_set: "0-3"
        reserved_host_memory_mb: 4096
        hugepages: {size: 2M, count: 4096}
    hosts:
      compute1: {profile: pinned, vcpus: 16, memory_mb: 65536}
      compute2: {profile: null}
    node_custom_config: /etc/kolla/config
  run_once: true
"""

RETURN = r"""
files:
  description: Files that were (or in check mode would be) written or removed.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/etc/kolla/config/nova/compute1/nova-compute.conf", "state": "present"}]
problems:
  description: Every error and warning, each naming host, profile, field and value.
  returned: always
  type: list
  elements: dict
hosts:
  description: Per host, the profile and the INI settings it gets (C(section/option) keys).
  returned: always
  type: dict
host_preparation:
  description: Per host, what the host itself needs (huge pages size and count, nested virtualisation).
  returned: always
  type: dict
kolla_globals:
  description: The variables written to C(globals.d/kolla_ops_nova.yml).
  returned: always
  type: dict
enabled_filters:
  description: The full C([filter_scheduler] enabled_filters) written, or null when not written.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.problems import format_problem
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.render_step import run


def main():
    module = AnsibleModule(
        argument_spec=dict(
            compute_profiles=dict(type="dict", default={}),
            hosts=dict(type="dict", required=True),
            scheduler=dict(type="dict", default={}),
            kolla_globals=dict(type="dict", default={}),
            node_custom_config=dict(type="path", default="/etc/kolla/config"),
            kolla_config_dir=dict(type="path", default="/etc/kolla"),
            kolla_variables=dict(type="dict", default={}),
            release=dict(type="str", default="34"),
            header=dict(type="str", default="Ansible managed"),
            mode=dict(type="raw", default="0640"),
            take_over_existing=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    result, failed = run(module.params, module.check_mode)
    if not module._diff:
        result.pop("diff", None)
    if failed:
        module.fail_json(msg=failed, **result)
    for p in result["problems"]:
        if p["severity"] == "warning":
            module.warn(format_problem(p, severity=False))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
