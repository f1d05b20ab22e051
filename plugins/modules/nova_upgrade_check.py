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
import os

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils import upgrade_check as core
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_cli import (
    NOVA_COMMANDS_SPEC,
    NovaCommandError,
    nova_commands_from_params,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import masking

CHECKS = ["kolla", "config", "services", "nova_status", "database", "online_migrations"]
LOCAL_CHECKS = {"kolla", "config"}


def _installed_version(dist):
    try:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415
    except ImportError:
        return None
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


class NovaUpgradeCheck(OpenStackModule):
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

    def _run(self, argv):
        return self.ansible.run_command(argv)

    def run(self):
        p = self.params
        try:
            target = core.target_release(p["target_release"])
            nova = nova_commands_from_params(p.get("nova_commands"), self._run)
        except ValueError as exc:  # UpgradeCheckError is a ValueError
            self.fail_json(msg=str(exc))
        self.target = target
        self.nova = nova
        self.commands = core.Commands(nova)
        self.report = Report("upgrade_check")
        self.result = {
            "changed": False,
            "target": target,
            "current": None,
            "services": [],
            "nova_status": [],
            "upgrade_levels": [],
        }
        checks = set(p["checks"])
        if "kolla" in checks:
            self.check_kolla()
        if "config" in checks:
            self.check_config()
        sql_rows = self.service_rows() if checks & {"services", "database"} else None
        if "services" in checks:
            self.check_services(sql_rows)
        self.result["current"] = core.current_release(
            [int(r["version"]) for r in sql_rows or [] if r.get("version")]
        )
        if "nova_status" in checks:
            self.check_nova_status()
        if "database" in checks:
            self.check_database()
        if "online_migrations" in checks:
            self.check_online_migrations()
        self.result["report"] = self.report.as_dict()
        # Option values and command output can carry credentials (a flagged
        # live_migration_uri = qemu+ssh://user:pw@..., a connection URL in nova-status details).
        self.exit_json(**masking.mask_deep(self.result))

    def _databases(self, cell_kind):
        return [("api", self.params["api_database"])] + [
            (cell_kind, d) for d in self.params["cell_databases"]
        ]

    def check_kolla(self):
        ncc = self.params["node_custom_config"]
        config_dir = self.params.get("kolla_config_dir") or os.path.dirname(ncc.rstrip("/"))
        core.check_kolla(
            self.report,
            self.target,
            installed=self.params.get("kolla_ansible_version") or _installed_version("kolla-ansible"),
            ansible_core=_installed_version("ansible-core"),
            globals_release=core.globals_release(config_dir),
        )

    def check_config(self):
        ncc = self.params["node_custom_config"]
        try:
            files = core.read_overrides(ncc) if os.path.isdir(ncc) else None
        except core.UpgradeCheckError as exc:
            self.fail_json(msg=str(exc))
        core.check_config(self.report, files, self.target, ncc)
        self.result["upgrade_levels"] = core.check_upgrade_levels(self.report, files, self.target, ncc)

    def service_rows(self):
        """nova.services rows of every cell database (None without nova_commands)."""
        if self.nova is None:
            return None
        rows = []
        for database in self.params["cell_databases"]:
            try:
                for row in self.nova.service_versions(database):
                    row["cell_database"] = database
                    rows.append(row)
            except NovaCommandError as exc:
                self.report.add(
                    "services.database_%s" % database,
                    "fail",
                    "cannot read %s.services: %s" % (database, exc),
                    fix="check nova_commands (database container, user, password) and cell_databases",
                )
        return rows

    def check_services(self, sql_rows):
        api_rows = [s.to_dict(computed=False) for s in self.conn.compute.services()]
        services = core.merge_services(sql_rows or [], api_rows)
        counts = {}
        for svc in core.stale_services(services):
            if svc["binary"] == "nova-compute" and svc["host"] not in counts:
                servers = self.conn.compute.servers(
                    details=False, all_projects=True, compute_host=svc["host"]
                )
                counts[svc["host"]] = sum(1 for _server in servers)
        core.check_services(
            self.report, self.target, services, counts, self.commands, versions_known=bool(sql_rows)
        )
        self.result["services"] = [core.service_view(s, counts.get(s["host"])) for s in services]

    def check_nova_status(self):
        cmd = self.commands.nova_status("upgrade", "check")
        if self.nova is None:
            self.report.add(
                "nova_status.run", "skip", "nova_commands not given: nova-status was not run", fix=cmd
            )
            return
        try:
            rc, out, err = self.nova.nova_status(["upgrade", "check"])
        except NovaCommandError as exc:
            self.report.add("nova_status.run", "fail", str(exc), fix=cmd)
            return
        self.result["nova_status"] = core.check_nova_status(self.report, rc, out, err, self.commands)

    def check_database(self):
        if self.nova is None:
            self.report.add(
                "database.schema",
                "skip",
                "nova_commands not given: database revisions not read",
                fix="%s; %s"
                % (self.commands.nova_manage("api_db version"), self.commands.nova_manage("db version")),
            )
            return
        revisions = {}
        for kind, database in self._databases("main"):
            try:
                rows = self.nova.sql(database, "SELECT version_num FROM alembic_version")
            except NovaCommandError as exc:
                self.report.add("database.%s" % database, "fail", "cannot read %s: %s" % (database, exc))
                continue
            revisions[database] = (kind, rows[0]["version_num"] if rows else None)
        core.check_database(self.report, self.target, revisions, self.result["current"], self.commands)

    def check_online_migrations(self):
        counts = None
        if self.nova is not None:
            counts = {}
            for kind, database in self._databases("cell"):
                try:
                    rows = self.nova.sql(database, core.online_migration_sql(kind))
                except NovaCommandError as exc:
                    self.report.add(
                        "online_migrations.%s" % database,
                        "fail",
                        "cannot count pending rows in %s: %s" % (database, exc),
                    )
                    continue
                counts[database] = core.parse_counts(rows)
        core.check_online_migrations(self.report, counts, self.commands)


def main():
    module = NovaUpgradeCheck()
    module()


if __name__ == "__main__":
    main()
