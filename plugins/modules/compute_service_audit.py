#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find stale Nova services (down, disabled, old) and delete unused dead ones on request."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: compute_service_audit
short_description: Find down, disabled and old Nova services and delete unused dead ones on request
version_added: 0.1.0
description:
  - Lists Nova's services (C(GET /os-services)) and reports those that are down, disabled or
    forced down.
  - With O(nova_commands), reads each service's version from the cell databases and names the
    services that are older than the newest and the ones that pin the minimum service version
    (what C(nova-status upgrade check) complains about without naming hosts; Nova computes the
    minimum over every non-deleted, not forced-down row, so a dead compute record pins it).
  - For each down service, names what blocks deleting it (instances on its host, compute nodes
    with allocations in Placement, migrations in progress, or being down for less than
    O(stale_after) seconds).
  - With O(fix=true), deletes (C(DELETE /os-services/{id})) the down services without blockers;
    Nova removes their compute nodes, resource providers and host mappings with them.
  - In check mode nothing is deleted; RV(actions) is the plan.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  fix:
    description: Delete down services that have no blockers.
    type: bool
    default: false
  stale_after:
    description: Seconds a service must have been down (since its last update) before it may be deleted.
    type: int
    default: 3600
  hosts:
    description:
      - Limit the audit and the repair to services on these hosts (names as in
        C(openstack compute service list)).
      - A name that no service has is an error, before anything is deleted, naming the unknown
        hosts and the known ones. With O(nova_commands), a host that has only deleted service rows
        (an earlier run deleted its services) is accepted and reported as C(services.scope) C(warn),
        so that a second run with the same O(hosts) stays a no-op.
    type: list
    elements: str
extends_documentation_fragment:
  - kolla_ops.nova.audit
  - kolla_ops.nova.audit.placement
  - ansible.builtin.action_common_attributes
  - openstack.cloud.openstack
  - kolla_ops.nova.nova_commands
attributes:
  check_mode:
    support: full
    details: Returns the deletions it would make as RV(actions).
  diff_mode:
    support: none
  idempotent:
    description: After a repair, a second run with O(fix=true) finds nothing to do (no change).
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Report stale services and who pins the minimum version
  kolla_ops.nova.compute_service_audit:
    cloud: kolla-admin
    nova_commands:
      mode: kolla
  delegate_to: "{{ groups['control'][0] }}"

- name: Delete decommissioned computes that have been down for a day
  kolla_ops.nova.compute_service_audit:
    cloud: kolla-admin
    stale_after: 86400
    fix: true
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape).
  returned: always
  type: dict
services:
  description: Every service with its problems, version, whether it pins the minimum, and its delete blockers.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "9c1e...", "host": "compute9", "binary": "nova-compute", "state": "down", "version": 66,
            "problems": ["down", "old_version"], "pins_minimum_version": true,
            "blockers": ["2 instance(s) on host compute9 (...)"], "deletable": false}]
minimum_versions:
  description: Minimum service version per binary as Nova computes it (with O(nova_commands)).
  returned: always
  type: dict
actions:
  description: Deletions made (or, in check mode, planned).
  returned: always
  type: list
  elements: dict
proposed_actions:
  description: Every deletion a run with O(fix=true) would make.
  returned: always
  type: list
  elements: dict
stats:
  description: API requests and SQL queries this run made.
  returned: always
  type: dict
scope_error:
  description:
    - When a scope option names something the cloud does not know, the task fails and this says
      which (C(option), C(unknown), C(known) (the first 20), C(known_count)); nothing was changed.
  returned: on that failure
  type: dict
  sample: {"option": "hosts", "unknown": ["cmp-gen1"], "known": ["cmp-gen-1"], "known_count": 1}
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    COMMON_SPEC,
    PLACEMENT_SPEC,
    run_audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.services import (
    apply,
    audit,
)


class ComputeServiceAudit(OpenStackModule):
    argument_spec = dict(
        COMMON_SPEC,
        stale_after={"type": "int", "default": 3600},
        hosts={"type": "list", "elements": "str"},
        **PLACEMENT_SPEC,
    )
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit, apply)


def main():
    module = ComputeServiceAudit()
    module()


if __name__ == "__main__":
    main()
