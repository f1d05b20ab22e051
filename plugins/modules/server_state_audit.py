#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find servers stuck in ERROR, BUILD, MIGRATING, RESIZE, VERIFY_RESIZE or a task state."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: server_state_audit
short_description: Find servers in a failed or stuck state, with fault, last action and host
version_added: 0.1.0
description:
  - Lists the servers of all projects (paged) and reports those in C(ERROR) (whatever their age)
    and those in C(BUILD), C(MIGRATING), C(RESIZE), C(VERIFY_RESIZE), C(REBUILD), C(REBOOT),
    C(HARD_REBOOT) or with a task state whose last update is older than O(older_than) seconds.
  - Each finding carries the fault message, the host and node, and the last instance action
    (one extra request per stuck server, at most O(max_actions)).
  - Reports only; the module never deletes, resets or changes a server.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  older_than:
    description: Seconds since the last update after which a transitional state counts as stuck.
    type: int
    default: 3600
  statuses:
    description:
      - Server statuses to report (case does not matter).
      - A status the compute API never shows is an error naming it and the known statuses.
    type: list
    elements: str
    default: [ERROR, BUILD, MIGRATING, RESIZE, VERIFY_RESIZE, REBUILD, REBOOT, HARD_REBOOT]
  max_actions:
    description: Fetch the last action of at most this many stuck servers (0 to skip).
    type: int
    default: 50
  fix:
    description: Accepted for symmetry with the other audits; this audit never repairs anything.
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
  diff_mode:
    support: none
  idempotent:
    description: Reports only; never changes the cloud.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Servers stuck for more than two hours
  kolla_ops.nova.server_state_audit:
    cloud: kolla-admin
    older_than: 7200
  register: stuck
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape).
  returned: always
  type: dict
stuck:
  description: Stuck servers with fault, host, age and last action.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "2c1d...", "name": "web-3", "status": "ERROR", "host": null, "age_seconds": 5400,
            "fault": "No valid host was found.", "last_action": {"action": "create", "message": "Error"}}]
actions:
  description: Always empty (the audit changes nothing).
  returned: always
  type: list
  elements: dict
proposed_actions:
  description: Always empty.
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
  sample: {"option": "statuses", "unknown": ["BUILDING"], "known": ["BUILD"], "known_count": 1}
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.compute import (
    STUCK_STATUSES,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    COMMON_SPEC,
    run_audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.servers import (
    audit,
)


class ServerStateAudit(OpenStackModule):
    argument_spec = dict(
        COMMON_SPEC,
        older_than={"type": "int", "default": 3600},
        statuses={"type": "list", "elements": "str", "default": list(STUCK_STATUSES)},
        max_actions={"type": "int", "default": 50},
    )
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit, placement=False)


def main():
    module = ServerStateAudit()
    module()


if __name__ == "__main__":
    main()
