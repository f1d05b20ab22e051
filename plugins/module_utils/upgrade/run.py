# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One upgrade-check run: read what each check needs, hand it to the check, build the result.

The module (``nova_upgrade_check``) passes its parameters, the Nova command runner and a
function that returns the cloud reader (called only by the checks that need the cloud, so
``checks: [kolla, config]`` runs without a clouds.yaml).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (
    NovaCommandError,
    NovaCommands,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.releases import current_release
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import (
    config,
    database,
    files,
    kolla,
    services,
    status,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.commands import Commands
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.target import target_release

CHECKS = ["kolla", "config", "services", "nova_status", "database", "online_migrations"]
LOCAL_CHECKS = {"kolla", "config"}


def installed_version(dist: str) -> str | None:
    """The installed version of Python distribution ``dist``, or None."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


class UpgradeCheck:
    """``params``: the module's parameters; ``nova``: the Nova command runner or None;
    ``reader``: returns the cloud reader (called only when a check needs the cloud)."""

    def __init__(
        self, params: dict[str, Any], nova: NovaCommands | None, reader: Callable[[], CloudReader]
    ) -> None:
        self.params = params
        self.target = target_release(params["target_release"])
        self.nova = nova
        self.reader = reader
        self.commands = Commands(nova)
        self.report = Report("upgrade_check")
        self.result: dict[str, Any] = {
            "changed": False,
            "target": self.target,
            "current": None,
            "services": [],
            "nova_status": [],
            "upgrade_levels": [],
        }

    def run(self) -> dict[str, Any]:
        """Every check of ``params["checks"]``; the module's result (not yet masked)."""
        checks = set(self.params["checks"])
        if "kolla" in checks:
            self.check_kolla()
        if "config" in checks:
            self.check_config()
        sql_rows = self.service_rows() if checks & {"services", "database"} else None
        if "services" in checks:
            self.check_services(sql_rows)
        self.result["current"] = current_release(
            [int(r["version"]) for r in sql_rows or [] if r.get("version")]
        )
        if "nova_status" in checks:
            self.check_nova_status()
        if "database" in checks:
            self.check_database()
        if "online_migrations" in checks:
            self.check_online_migrations()
        self.result["report"] = self.report.as_dict()
        return self.result

    def _databases(self, cell_kind: str) -> list[tuple[str, str]]:
        return [("api", self.params["api_database"])] + [
            (cell_kind, d) for d in self.params["cell_databases"]
        ]

    def check_kolla(self) -> None:
        ncc = self.params["node_custom_config"]
        config_dir = self.params.get("kolla_config_dir") or os.path.dirname(ncc.rstrip("/"))
        kolla.check_kolla(
            self.report,
            self.target,
            installed=self.params.get("kolla_ansible_version") or installed_version("kolla-ansible"),
            ansible_core=installed_version("ansible-core"),
            globals_release=files.globals_release(config_dir),
        )

    def check_config(self) -> None:
        ncc = self.params["node_custom_config"]
        found = files.read_overrides(ncc) if os.path.isdir(ncc) else None
        config.check_config(self.report, found, self.target, ncc)
        self.result["upgrade_levels"] = config.check_upgrade_levels(self.report, found, self.target, ncc)

    def service_rows(self) -> list[dict[str, Any]] | None:
        """nova.services rows of every cell database (None without nova_commands)."""
        if self.nova is None:
            return None
        rows = []
        for name in self.params["cell_databases"]:
            try:
                for row in self.nova.service_versions(name):
                    row["cell_database"] = name
                    rows.append(row)
            except NovaCommandError as exc:
                self.report.add(
                    "services.database_%s" % name,
                    "fail",
                    "cannot read %s.services: %s" % (name, exc),
                    fix="check nova_commands (database container, user, password) and cell_databases",
                )
        return rows

    def check_services(self, sql_rows: list[dict[str, Any]] | None) -> None:
        reader = self.reader()
        merged = services.merge_services(sql_rows or [], reader.services())
        counts: dict[str, int] = {}
        for svc in services.stale_services(merged):
            if svc["binary"] == "nova-compute" and svc["host"] not in counts:
                counts[svc["host"]] = reader.count_servers(svc["host"])
        services.check_services(
            self.report, self.target, merged, counts, self.commands, versions_known=bool(sql_rows)
        )
        self.result["services"] = [services.service_view(s, counts.get(s["host"])) for s in merged]

    def check_nova_status(self) -> None:
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
        self.result["nova_status"] = status.check_nova_status(self.report, rc, out, err, self.commands)

    def check_database(self) -> None:
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
        for kind, name in self._databases("main"):
            try:
                rows = self.nova.sql(name, "SELECT version_num FROM alembic_version")
            except NovaCommandError as exc:
                self.report.add("database.%s" % name, "fail", "cannot read %s: %s" % (name, exc))
                continue
            revisions[name] = (kind, rows[0]["version_num"] if rows else None)
        database.check_database(self.report, self.target, revisions, self.result["current"], self.commands)

    def check_online_migrations(self) -> None:
        counts = None
        if self.nova is not None:
            counts = {}
            for kind, name in self._databases("cell"):
                try:
                    rows = self.nova.sql(name, database.online_migration_sql(kind))
                except NovaCommandError as exc:
                    self.report.add(
                        "online_migrations.%s" % name,
                        "fail",
                        "cannot count pending rows in %s: %s" % (name, exc),
                    )
                    continue
                counts[name] = database.parse_counts(rows)
        database.check_online_migrations(self.report, counts, self.commands)
