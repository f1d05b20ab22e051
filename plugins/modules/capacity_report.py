#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capacity per host, aggregate and availability zone, and how many more servers fit."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: capacity_report
short_description: Capacity per host, aggregate and zone, and how many more servers of each flavor fit
version_added: 0.1.0
description:
  - Reads Placement's inventories (total, reserved, allocation ratio, max_unit) and usages of every
    root resource provider, maps providers to hosts (C(os-hypervisors)), hosts to aggregates and
    availability zones (C(os-aggregates); hosts in no zone aggregate count in C(nova)), and the flavors.
  - For each host, aggregate, zone and the whole cloud, reports per resource class the total, the
    reserved amount, the capacity C((total - reserved) * allocation_ratio), the used amount and
    the percentage, and how many more servers of each flavor fit (per provider, respecting
    C(max_unit); C(hw:cpu_policy=dedicated) flavors ask for C(PCPU), C(resources:*) extra specs win).
  - Reports only; nothing is changed.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  warn_percent:
    description: Warn when a host, aggregate or zone uses this share of a resource class or more.
    type: float
    default: 85.0
  resource_classes:
    description:
      - Resource classes to report.
      - A class Placement does not know (C(openstack resource class list)) is an error naming it
        and the known classes.
    type: list
    elements: str
    default: [VCPU, PCPU, MEMORY_MB, DISK_GB]
  flavors:
    description:
      - Flavor names or IDs to size with. Default is every flavor.
      - A value that names no flavor is an error naming the unknown values and the known flavors.
    type: list
    elements: str
  fix:
    description: Accepted for symmetry with the other audits; this report never changes anything.
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
  diff_mode:
    support: none
  idempotent:
    description: Reports only; never changes the cloud.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Capacity for the general-purpose flavors
  kolla_ops.nova.capacity_report:
    cloud: kolla-admin
    flavors: [m1.small, m1.large]
  register: capacity

- name: Show how many m1.large still fit per zone
  ansible.builtin.debug:
    msg: >-
      {{ capacity.capacity.availability_zones
         | items2dict(key_name='availability_zone', value_name='fits') }}
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape).
  returned: always
  type: dict
capacity:
  description:
    - C(cloud), C(hosts), C(aggregates), C(availability_zones), each with C(resources) and C(fits).
    - C(flavors), the resources each flavor asks Placement for.
  returned: always
  type: dict
  sample:
    cloud:
      resources: {VCPU: {total: 96, reserved: 0, capacity: 384, used: 40, free: 344, used_percent: 10.4}}
      fits: {m1.small: 120}
actions:
  description: Always empty.
  returned: always
  type: list
  elements: dict
proposed_actions:
  description: Always empty.
  returned: always
  type: list
  elements: dict
stats:
  description: API requests and SQL queries made.
  returned: always
  type: dict
scope_error:
  description:
    - When a scope option names something the cloud does not know, the task fails and this says
      which (C(option), C(unknown), C(known) (the first 20), C(known_count)); nothing was changed.
  returned: on that failure
  type: dict
  sample: {"option": "flavors", "unknown": ["m1.tiyn"], "known": ["m1.tiny"], "known_count": 1}
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.capacity import (
    DEFAULT_RESOURCE_CLASSES,
    audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    COMMON_SPEC,
    PLACEMENT_SPEC,
    run_audit,
)


class CapacityReport(OpenStackModule):
    argument_spec = dict(
        COMMON_SPEC,
        warn_percent={"type": "float", "default": 85.0},
        resource_classes={
            "type": "list",
            "elements": "str",
            "default": list(DEFAULT_RESOURCE_CLASSES),
        },
        flavors={"type": "list", "elements": "str"},
        **PLACEMENT_SPEC,
    )
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit)


def main():
    module = CapacityReport()
    module()


if __name__ == "__main__":
    main()
