#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrade readiness of Nova on a Kolla-Ansible cloud, as a report; changes nothing."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_upgrade_check
short_description: Report what blocks moving Nova on a Kolla-Ansible cloud to a target release
version_added: 0.1.0
description:
  - Reads, and never changes, everything that decides whether Nova can move to O(target_release)
    (2025.1 to 2026.2), and returns it as a report (the collection's check report shape) for
    M(kolla_ops.nova.check_report) to write as JSON, JUnit XML and text.
  - C(kolla) - the Kolla-Ansible release that deploys the target and whether the installed one
    (or O(kolla_ansible_version)) matches; the installed ansible-core against that release's range;
    C(openstack_release) pinned in C(globals.yml) or C(globals.d/*.yml).
  - C(config) - every option in the Nova override files under O(node_custom_config) (Kolla's layout)
    that the target removed (fail) or deprecates (warn, with the replacement), from the Nova option
    schema shipped with the collection; every C([upgrade_levels]) setting and whether it has to be
    removed after the upgrade.
  - C(services) - every Nova service with its service version (SQL on C(nova.services) through
    O(nova_commands); the API does not expose versions), the rows that pin the minimum version,
    nova-compute services older than the oldest version the target starts with (Nova's
    C(TooOldComputeService), fail), nova-compute services more than one release behind the target that
    a SLURP target (2025.1, 2026.1) still accepts but the next release refuses (warn), disabled or down
    rows that should be deleted first and how many instances (all projects) each still has, and whether
    the current release may move to the target.
  - C(nova_status) - the result table of C(nova-status upgrade check), one result per check.
  - C(database) - the alembic revision of the API and cell databases against the running release's
    heads (a skipped C(nova-manage db sync)).
  - C(online_migrations) - pending online data migrations, by read-only SQL that repeats the filters of
    C(nova-manage db online_data_migrations); that command has no dry run, so when nothing is found the
    result is C(skip) with the command to confirm.
  - Fixes are exact commands in the form of O(nova_commands.mode) (for Kolla,
    C(docker exec nova_api nova-manage ...), C(openstack compute service delete <id>)).
  - Reports C(changed=false) always.
  - Secrets are masked (C(***)) in everything returned, and so in the reports M(kolla_ops.nova.check_report)
    writes, that is values of options that hold credentials and user:password in URLs (a flagged
    C(live_migration_uri = qemu+ssh://nova:***@%s/system)).
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  target_release:
    description:
      - The release to upgrade to, as an OpenStack series (V(2025.1), V(2025.2), V(2026.1), V(2026.2)), a nova
        major (V(31) .. V(34)) or a code name (V(epoxy) .. V(hibiscus)).
    type: str
    required: true
  checks:
    description:
      - The groups of checks to run. V(kolla) and V(config) read files on the host the task runs on (the
        Kolla-Ansible deploy host); the others need O(nova_commands) and the cloud.
      - With only V(kolla) and V(config), no connection to the cloud is made.
    type: list
    elements: str
    choices: [kolla, config, services, nova_status, database, online_migrations]
    default: [kolla, config, services, nova_status, database, online_migrations]
  node_custom_config:
    description:
      - Kolla-Ansible's C(node_custom_config), the directory with C(global.conf), C(nova.conf),
        C(nova/<service>.conf) and C(nova/<host>/*.conf).
    type: path
    default: /etc/kolla/config
  kolla_config_dir:
    description:
      - Directory with C(globals.yml) and C(globals.d/). Defaults to the parent of O(node_custom_config).
    type: path
  kolla_ansible_version:
    description:
      - The Kolla-Ansible version to compare with the target. Defaults to the one installed in the
        Python that runs the module (C(importlib.metadata)).
    type: str
  api_database:
    description: Name of Nova's API database.
    type: str
    default: nova_api
  cell_databases:
    description: Names of Nova's cell databases (Kolla's single cell and cell0 by default).
    type: list
    elements: str
    default: [nova, nova_cell0]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - openstack.cloud.openstack
  - kolla_ops.nova.nova_commands
attributes:
  check_mode:
    support: full
    details: Every check is read-only, so check mode runs them all.
  diff_mode:
    support: none
  idempotent:
    description: Whether a second run with the same arguments changes nothing.
    support: full
    details: It never changes anything.
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Is this cloud ready for 2026.2?
  kolla_ops.nova.nova_upgrade_check:
    cloud: kolla-admin
    target_release: "2026.2"
    nova_commands:
      mode: kolla
      database_password: "{{ database_password }}"
  delegate_to: "{{ groups['control'][0] }}"
  register: upgrade

- name: Write the report
  kolla_ops.nova.check_report:
    report: "{{ upgrade.report }}"
    dest: /var/tmp/kolla_ops_reports
  delegate_to: localhost

- name: Only the override files and the Kolla-Ansible release (no cloud needed)
  kolla_ops.nova.nova_upgrade_check:
    target_release: "2026.1"
    checks: [kolla, config]
    node_custom_config: /etc/kolla/config
"""

RETURN = r"""
report:
  description: The report (name C(upgrade_check)); each result has check, status, message, evidence, fix.
  returned: always
  type: dict
  sample: {"name": "upgrade_check", "summary": {"pass": 9, "warn": 2, "fail": 1, "skip": 1},
           "results": [{"check": "config.removed", "status": "fail",
                        "message": "nova/nova-compute.conf:3: [libvirt] num_memory_encrypted_guests ...",
                        "evidence": {}, "fix": "delete ..."}]}
target:
  description: The target release (series, codename, nova and kolla-ansible majors, service version data).
  returned: always
  type: dict
  sample: {"series": "2026.2", "codename": "Hibiscus", "nova": "34", "kolla_ansible": "23",
           "service_version": 74, "oldest_supported": "Gazpacho"}
current:
  description: The release the services run now (from the newest service version), when known.
  returned: always
  type: dict
services:
  description: Every service row with version, release, up, enabled and, for stale computes, instances.
  returned: always
  type: list
  elements: dict
nova_status:
  description: The parsed C(nova-status upgrade check) table.
  returned: always
  type: list
  elements: dict
  sample: [{"check": "Cells v2", "result": "Success", "details": null}]
upgrade_levels:
  description:
    - The C([upgrade_levels]) settings found in the overrides (file, line, option, value) and
      whether each has to be removed after the upgrade (C(remove_after_upgrade)).
  returned: always
  type: list
  elements: dict
"""

import importlib

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NOVA_COMMANDS_SPEC
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.module import KollaOpsModule
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.run import (
    CHECKS,
    LOCAL_CHECKS,
    UpgradeCheck,
)


class NovaUpgradeCheck(KollaOpsModule):
    argument_spec = {
        "target_release": {"type": "str", "required": True},
        "checks": {"type": "list", "elements": "str", "choices": CHECKS, "default": list(CHECKS)},
        "node_custom_config": {"type": "path", "default": "/etc/kolla/config"},
        "kolla_config_dir": {"type": "path"},
        "kolla_ansible_version": {"type": "str"},
        "api_database": {"type": "str", "default": "nova_api"},
        "cell_databases": {"type": "list", "elements": "str", "default": ["nova", "nova_cell0"]},
        "nova_commands": NOVA_COMMANDS_SPEC,
    }
    module_kwargs = {"supports_check_mode": True}

    def openstack_cloud_from_module(self):
        # kolla and config read local files only: no cloud (and no clouds.yaml) needed.
        if set(self.params.get("checks") or []) <= LOCAL_CHECKS:
            try:
                return importlib.import_module("openstack"), None
            except ImportError:
                pass
        return super().openstack_cloud_from_module()

    def execute(self):
        check = UpgradeCheck(self.params, self.nova_commands(), self.reader)
        # Option values and command output can carry credentials (a flagged
        # live_migration_uri = qemu+ssh://user:pw@..., a connection URL in nova-status details).
        self.exit_masked(**check.run())


def main():
    module = NovaUpgradeCheck()
    module()


if __name__ == "__main__":
    main()
