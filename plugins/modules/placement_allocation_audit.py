#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find (and on request delete) orphaned Placement allocations."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: placement_allocation_audit
short_description: Find orphaned Placement allocations and delete them on request
version_added: 0.1.0
description:
  - Reads every resource provider's allocations and classifies each consumer that holds Nova
    resource classes (C(VCPU), C(PCPU), C(MEMORY_MB), C(DISK_GB), C(VGPU), bandwidth) the way
    C(nova-manage placement audit) does.
  - C(orphaned) allocations belong to a consumer that is neither an existing server nor a
    migration in progress; they are reported per resource provider and, with O(fix=true),
    deleted (C(DELETE /allocations/{consumer})), after confirming once more that the server
    does not exist and no migration holds the consumer.
  - Allocations held by a migration in progress (the source node's allocation during a move)
    are never touched.
  - C(misplaced) allocations belong to an existing server but sit on a node it does not run on
    without a migration to explain it; they are reported, never repaired.
  - With O(cross_check=true) and O(nova_commands), runs C(nova-manage placement audit --verbose)
    and reports whether it names the same consumers.
  - In check mode nothing is deleted; RV(actions) is the plan and the task reports a change when there is one.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  fix:
    description: Delete orphaned allocations.
    type: bool
    default: false
  consumers:
    description:
      - Limit the audit and the repair to these consumer UUIDs (for example to repair one known case).
      - A value that is not a UUID is an error, before anything is changed, naming it and known
        consumers. A UUID that no allocation, server or migration has is accepted (an earlier
        repair removes the allocations it names, and a second run must stay a no-op) and
        reported as C(allocations.scope) C(warn).
    type: list
    elements: str
  cross_check:
    description: Compare with C(nova-manage placement audit --verbose) (needs O(nova_commands)).
    type: bool
    default: false
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
- name: Report orphaned allocations
  kolla_ops.nova.placement_allocation_audit:
    cloud: kolla-admin
  register: allocations

- name: Delete them, cross-checking with nova-manage
  kolla_ops.nova.placement_allocation_audit:
    cloud: kolla-admin
    fix: true
    cross_check: true
    nova_commands:
      mode: kolla
      container_engine: podman
  delegate_to: "{{ groups['control'][0] }}"
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape); write it with M(kolla_ops.nova.check_report).
  returned: always
  type: dict
orphaned:
  description: Orphaned allocations, one item per consumer and provider.
  returned: always
  type: list
  elements: dict
  sample:
    - {"consumer": "0b1c...", "provider": "compute1", "provider_uuid": "5e1f...", "resources": {"VCPU": 1}}
misplaced:
  description: Allocations of existing servers on a node they do not run on.
  returned: always
  type: list
  elements: dict
migrations:
  description: Allocations held by migrations in progress (left alone).
  returned: always
  type: list
  elements: dict
per_provider:
  description: Counts per resource provider that has findings.
  returned: always
  type: list
  elements: dict
nova_manage_consumers:
  description: Consumers named by C(nova-manage placement audit) (with O(cross_check)).
  returned: when cross_check
  type: list
  elements: str
actions:
  description: Deletions made (or, in check mode, planned).
  returned: always
  type: list
  elements: dict
  sample: [{"action": "delete_allocations", "consumer": "0b1c...", "providers": ["compute1"]}]
proposed_actions:
  description: Every deletion a run with O(fix=true) would make.
  returned: always
  type: list
  elements: dict
stats:
  description: API requests and SQL queries this run made, and where Placement data came from.
  returned: always
  type: dict
  sample: {"api_requests": 9, "sql_queries": 0, "placement_source": "api", "page_size": 1000}
scope_error:
  description:
    - When a scope option names something the cloud does not know, the task fails and this says
      which (C(option), C(unknown), C(known) (the first 20), C(known_count)); nothing was changed.
  returned: on that failure
  type: dict
  sample: {"option": "consumers", "unknown": ["9c1e"], "known": ["9c1e4c2a-..."], "known_count": 1}
"""


from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.allocations import (
    apply,
    audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    COMMON_SPEC,
    PLACEMENT_SPEC,
    run_audit,
)


class PlacementAllocationAudit(OpenStackModule):
    argument_spec = dict(
        COMMON_SPEC,
        cross_check={"type": "bool", "default": False},
        consumers={"type": "list", "elements": "str"},
        **PLACEMENT_SPEC,
    )
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit, apply)


def main():
    module = PlacementAllocationAudit()
    module()


if __name__ == "__main__":
    main()
