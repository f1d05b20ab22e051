#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check flavor definitions and extra specs the way Nova would, before any API call."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: flavor_check
short_description: Check flavor definitions and extra specs the way Nova would, before any API call
version_added: 0.1.0
description:
  - Checks a list of flavor definitions (the options of M(openstack.cloud.compute_flavor) plus
    C(projects) for private flavors) without talking to the cloud.
  - Extra specs are checked against Nova's own validator table (from
    C(nova/api/validation/extra_specs), Nova 2026.2), as Nova does from compute API microversion 2.86 --
    for example C(hw:cpu_policy) must be V(dedicated), V(shared) or V(mixed), C(hw:mem_page_size)
    V(large), V(small), V(any) or a size, C(hw:numa_nodes) an integer of at least 1, and an unknown key in
    a namespace Nova knows (C(hw:), C(quota:), C(trait:) ...) is refused with a "did you mean".
  - Also checks names, sizes, duplicates, C(hw:numa_nodes) against vCPUs, and that project access is only
    given to private flavors.
  - Fails with every problem of every flavor in one message, so a play stops before creating any flavor.
author:
  - kolla_ops.nova developers (@kolla-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    description: Running it twice with the same input gives the same result.
    support: full
  platform:
    platforms: posix
options:
  flavors:
    description:
      - Flavor definitions, each with C(name), C(vcpus), C(ram) (MiB), C(disk) (GiB), optional C(ephemeral),
        C(swap), C(is_public), C(extra_specs) and C(projects) (project names or IDs given access to a private
        flavor).
    type: list
    elements: dict
    required: true
  known_projects:
    description:
      - When given, every project named in a flavor's C(projects) must be in this list.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Check flavors before creating them
  kolla_ops.nova.flavor_check:
    flavors:
      - name: pinned.large
        vcpus: 8
        ram: 16384
        disk: 40
        extra_specs:
          hw:cpu_policy: dedicated
          hw:mem_page_size: large
          hw:numa_nodes: 1
          aggregate_instance_extra_specs:pinned: "true"
"""

RETURN = r"""
checked:
  description: Names of the flavors checked.
  returned: always
  type: list
  elements: str
deprecated:
  description: Per flavor, extra specs Nova marks as deprecated (accepted, but to be replaced).
  returned: always
  type: dict
problems:
  description: Per flavor, the problems found (only on failure).
  returned: failure
  type: dict
  sample: {"pinned.large": ["extra spec hw:cpu_policy='dedicate' is not one of: dedicated, shared, mixed"]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.flavor_specs import (
    NOVA_VERSION,
    check_flavors,
    deprecated_specs,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "flavors": {"type": "list", "elements": "dict", "required": True},
            "known_projects": {"type": "list", "elements": "str"},
        },
        supports_check_mode=True,
    )
    flavors = module.params["flavors"]
    problems = check_flavors(flavors, module.params["known_projects"])
    names = [f.get("name") for f in flavors if isinstance(f, dict)]
    deprecated = {
        f["name"]: deprecated_specs(f.get("extra_specs") or {})
        for f in flavors
        if isinstance(f, dict) and f.get("name") and deprecated_specs(f.get("extra_specs") or {})
    }
    for name, keys in deprecated.items():
        module.warn("flavor %s uses extra specs Nova deprecates: %s" % (name, ", ".join(keys)))
    if problems:
        lines = ["flavor %s: %s" % (name, "; ".join(msgs)) for name, msgs in sorted(problems.items())]
        module.fail_json(
            msg="%d flavor(s) would be refused by Nova %s: %s"
            % (len(problems), NOVA_VERSION, " | ".join(lines)),
            problems=problems,
            checked=names,
            deprecated=deprecated,
        )
    module.exit_json(changed=False, checked=names, deprecated=deprecated)


if __name__ == "__main__":
    main()
