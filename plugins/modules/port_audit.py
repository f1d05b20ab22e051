#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find Neutron ports owned by Nova whose server is gone; delete them on request."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: port_audit
short_description: Find Nova-owned Neutron ports whose server no longer exists and delete them on request
version_added: 0.1.0
description:
  - Cross-references every Neutron port whose C(device_owner) starts with C(compute:) against the
    servers of all projects (two paged lists, no per-port request).
  - With O(fix=true), deletes each orphaned port after confirming that its server really does not
    exist (one C(GET /servers/{id}) per orphan).
  - In check mode nothing is deleted; RV(actions) is the plan.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  fix:
    description: Delete orphaned ports.
    type: bool
    default: false
  ports:
    description:
      - Limit the audit and the repair to these port IDs.
      - A value that is not a UUID (a port name, a typo) is an error, before anything is deleted,
        naming it and known port IDs. A UUID that no port has is accepted (an earlier repair
        deleted it, and a second run must stay a no-op) and reported as C(ports.scope) C(warn).
    type: list
    elements: str
extends_documentation_fragment:
  - kolla_ops.nova.audit
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
- name: Delete ports left behind by deleted servers
  kolla_ops.nova.port_audit:
    cloud: kolla-admin
    fix: true
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape).
  returned: always
  type: dict
orphaned:
  description: Orphaned ports.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "4f1e...", "device_owner": "compute:nova", "device_id": "9a0b...", "ips": ["10.0.0.12"]}]
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
  description: API requests made.
  returned: always
  type: dict
scope_error:
  description:
    - When a scope option names something the cloud does not know, the task fails and this says
      which (C(option), C(unknown), C(known) (the first 20), C(known_count)); nothing was changed.
  returned: on that failure
  type: dict
  sample: {"option": "ports", "unknown": ["my-port"], "known": ["5b1f0d2e-..."], "known_count": 1}
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.ports import (
    apply,
    audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    COMMON_SPEC,
    run_audit,
)


class PortAudit(OpenStackModule):
    argument_spec = dict(COMMON_SPEC, ports={"type": "list", "elements": "str"})
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit, apply, placement=False)


def main():
    module = PortAudit()
    module()


if __name__ == "__main__":
    main()
