#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare Nova's quota usage with Placement's usages, per project."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: quota_usage_audit
short_description: Compare each project's Nova quota usage with Placement's usages
version_added: 0.1.0
description:
  - For each project that owns servers (or each of O(projects)), reads Nova's limits and usage
    (C(GET /os-quota-sets/{project}/detail)) and Placement's usages (C(GET /usages?project_id=),
    or the allocation rows with O(placement_source=database)), and reports the projects where
    Nova's C(cores) differ from Placement's C(VCPU)+C(PCPU) or C(ram) from C(MEMORY_MB), and the
    projects that use more than their quota (after a quota was lowered).
  - Reports only; nothing is changed.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  projects:
    description:
      - Project IDs to check. Default is every project that owns a server.
      - An ID that is neither a Keystone project nor the project of a server is an error naming it
        (a project name is pointed to its ID) and the known project IDs; Nova would otherwise answer
        with default limits and zero usage, which looks like a pass.
    type: list
    elements: str
  fix:
    description: Accepted for symmetry with the other audits; this audit never repairs anything.
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
- name: Quota drift of every project with servers
  kolla_ops.nova.quota_usage_audit:
    cloud: kolla-admin
  register: quota
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape).
  returned: always
  type: dict
projects:
  description: Per project, Nova's limits and usage, Placement's usage, the drift and what is over quota.
  returned: always
  type: list
  elements: dict
  sample: [{"project_id": "8a1f...", "nova_in_use": {"instances": 2, "cores": 2, "ram": 1024},
            "limits": {"instances": 10, "cores": 1, "ram": 51200},
            "placement": {"VCPU": 2, "MEMORY_MB": 1024},
            "drift": {}, "over_quota": {"cores": {"limit": 1, "in_use": 2}}}]
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
  sample: {"option": "projects", "unknown": ["demo"], "known": ["8a1f..."], "known_count": 1}
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.quota import (
    audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    COMMON_SPEC,
    PLACEMENT_SPEC,
    run_audit,
)


class QuotaUsageAudit(OpenStackModule):
    argument_spec = dict(COMMON_SPEC, projects={"type": "list", "elements": "str"}, **PLACEMENT_SPEC)
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit)


def main():
    module = QuotaUsageAudit()
    module()


if __name__ == "__main__":
    main()
