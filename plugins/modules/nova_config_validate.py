#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_config_validate
short_description: Validate Nova INI override files against Nova's option schema
version_added: 0.1.0
description:
  - Checks INI files (Kolla-Ansible overrides or a whole nova.conf) against the option schema of a Nova
    release, generated from the real nova package with oslo-config-generator and shipped with the collection.
  - Reports unknown options (with a "did you mean"), options removed in that release or not yet in it,
    deprecated options and names (with the replacement; C(vcpu_pin_set) with the
    C(cpu_dedicated_set)/C(cpu_shared_set) it should become), wrong types, values out of range and values
    not among the choices, each with file, line, section and option.
  - Values that contain Jinja (Kolla renders override files as templates) are not type-checked.
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
  fail_on:
    description: Fail the task when a finding of this severity or worse exists.
    type: str
    choices: [error, warning, never]
    default: error
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
"""

EXAMPLES = r"""
- name: Validate the Nova overrides against nova 34 (2026.2)
  kolla_ops.nova.nova_config_validate:
    node_custom_config: /etc/kolla/config
    release: "2026.2"

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
summary:
  description: Counts of errors and warnings, and the files checked.
  returned: always
  type: dict
report:
  description: The findings as a check report (name, generated_at, summary, results).
  returned: always
  type: dict
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.validate_step import run


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path"),
            node_custom_config=dict(type="path", default="/etc/kolla/config"),
            release=dict(type="str", default="34"),
            fail_on=dict(type="str", choices=["error", "warning", "never"], default="error"),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module.params)
    except nova_schema.SchemaError as exc:
        module.fail_json(msg=str(exc))
    s = result["summary"]
    fail_on = module.params["fail_on"]
    bad = s["errors"] if fail_on == "error" else s["errors"] + s["warnings"] if fail_on == "warning" else 0
    if bad:
        module.fail_json(
            msg="%d error(s), %d warning(s) against nova %s:\n%s"
            % (
                s["errors"],
                s["warnings"],
                s["nova"],
                "\n".join(nova_schema.format_finding(f) for f in result["findings"]),
            ),
            **result,
        )
    for f in result["findings"]:
        if f["severity"] == "warning":
            module.warn(nova_schema.format_finding(f))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
