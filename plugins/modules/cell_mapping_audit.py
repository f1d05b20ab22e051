#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find compute hosts not mapped to a cell; run discover_hosts on request."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cell_mapping_audit
short_description: Find compute hosts not mapped to any cell and map them on request
version_added: 0.1.0
description:
  - Compares the hosts of Nova's C(nova-compute) services with the host mappings
    (C(nova-manage cell_v2 list_hosts)). A host without a mapping has registered its service
    but the scheduler never places servers on it (Kolla sets
    C([scheduler] discover_hosts_in_cells_interval=-1)).
  - With O(fix=true), runs C(nova-manage cell_v2 discover_hosts --verbose) in the conductor container,
    and again with C(--by-service) when hosts are still unmapped (a host whose mapping was lost keeps
    its compute node flagged as mapped, which plain C(discover_hosts) skips).
  - Needs O(nova_commands); without it the check is skipped.
  - In check mode nothing runs; RV(actions) is the plan.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  fix:
    description: Run C(discover_hosts) when hosts are unmapped.
    type: bool
    default: false
extends_documentation_fragment:
  - kolla_ops.nova.audit
  - ansible.builtin.action_common_attributes
  - openstack.cloud.openstack
  - kolla_ops.nova.nova_commands
attributes:
  check_mode:
    support: full
    details: Returns the C(discover_hosts) run it would make as RV(actions).
  diff_mode:
    support: none
  idempotent:
    description: After a repair, a second run with O(fix=true) finds nothing to do (no change).
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Map new compute hosts to their cell
  kolla_ops.nova.cell_mapping_audit:
    cloud: kolla-admin
    fix: true
    nova_commands:
      mode: kolla
  delegate_to: "{{ groups['control'][0] }}"
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape).
  returned: always
  type: dict
unmapped:
  description: Compute hosts with a service but no host mapping.
  returned: always
  type: list
  elements: str
mapped_without_service:
  description: Host mappings without a nova-compute service.
  returned: always
  type: list
  elements: str
actions:
  description: The C(discover_hosts) run made (or, in check mode, planned), with its output.
  returned: always
  type: list
  elements: dict
proposed_actions:
  description: What a run with O(fix=true) would do.
  returned: always
  type: list
  elements: dict
stats:
  description: API requests made.
  returned: always
  type: dict
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.cells import (
    apply,
    audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import COMMON_SPEC, run_audit


class CellMappingAudit(OpenStackModule):
    argument_spec = dict(COMMON_SPEC)
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit, apply, placement=False)


def main():
    module = CellMappingAudit()
    module()


if __name__ == "__main__":
    main()
