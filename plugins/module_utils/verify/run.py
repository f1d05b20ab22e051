# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ``compute_verify`` run: read the cloud, run the check groups asked for, build the result.

The module passes its parameters, the connection (for the smoke boot and the console), the
SDK's exception module, the cloud reader (services, hypervisors, providers, inventories) and
the Nova command runner.  Nothing here changes the cloud except the smoke test's own server.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (
    NovaCommandError,
    NovaCommands,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify import checks, console, placement, smoke

CHECK_GROUPS = ["services", "versions", "cells", "placement", "inventories", "console", "smoke"]


def hypervisor_views(reader: CloudReader) -> list[dict[str, Any]]:
    """Hypervisors as the placement checks take them (``id``, ``name``, ``service_host``)."""
    return [{"id": h["id"], "name": h["name"], "service_host": h["host"]} for h in reader.hypervisors()]


def provider_views(reader: CloudReader) -> list[dict[str, Any]]:
    """Resource providers as the placement checks take them (``id``, ``name``, ``parent_provider_id``)."""
    return [
        {"id": p["uuid"], "name": p["name"], "parent_provider_id": p["parent_provider_uuid"]}
        for p in reader.providers()
    ]


def expected_inventories(params: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{host: {resource class: {field: value}}} from ``expected_profiles`` and ``expected_inventories``."""
    expected: dict[str, dict[str, dict[str, Any]]] = {}
    for host, profile in (params["expected_profiles"] or {}).items():
        try:
            values = placement.expected_from_profile(profile or {})
        except (TypeError, ValueError) as exc:
            raise KollaOpsError("expected_profiles[%s]: %s" % (host, exc)) from None
        expected[host] = values
    for host, rcs in (params["expected_inventories"] or {}).items():
        merged = expected.setdefault(host, {})
        for rc, fields in (rcs or {}).items():
            merged.setdefault(rc, {}).update(fields or {})
    return expected


class Verify:
    """``params``: the module's parameters; ``conn``/``sdk_exceptions``: openstacksdk's connection
    and exception module (smoke boot, console); ``reader``: the cloud reader (placement source
    ``api``); ``commands``: the Nova command runner or None."""

    def __init__(
        self,
        params: dict[str, Any],
        conn: Any,
        sdk_exceptions: Any,
        reader: CloudReader,
        commands: NovaCommands | None,
        check_mode: bool = False,
    ) -> None:
        self.params = params
        self.conn = conn
        self.exc = sdk_exceptions
        self.reader = reader
        self.commands = commands
        self.check_mode = check_mode
        self.checks = set(params["checks"])
        self.down_time = params["service_down_time"]
        self.report = Report("verify")
        self.want_console = "console" in self.checks and params["console_type"] != "none"
        self.console_server = None

    def run(self) -> dict[str, Any]:
        """Every check group asked for; the module's result."""
        if self.want_console and self.params["console_server"]:
            self.console_server = console.find_console_server(
                self.conn, self.exc, self.params["console_server"]
            )
        services = nova_services.analyze(self.reader.services(), down_time=self.down_time)
        compute_hosts = sorted({s["host"] for s in services if s["binary"] == "nova-compute"})
        if "services" in self.checks:
            checks.check_services(self.report, services, self.commands, self.params["binaries"])
            checks.check_forced_down(self.report, services)
            checks.check_heartbeats(self.report, services, self.down_time)
        if "versions" in self.checks:
            self.check_versions()
        if "cells" in self.checks:
            self.check_cells(compute_hosts)
        self.check_placement(compute_hosts)
        self.check_console_and_smoke()
        data = self.report.as_dict()
        return {
            "changed": False,
            "report": data,
            "summary": data["summary"],
            "failed_checks": [r["check"] for r in data["results"] if r["status"] == "fail"],
        }

    def check_versions(self) -> None:
        if self.commands is None:
            checks.check_versions(self.report, None)
            return
        try:
            spread = nova_services.version_spread(self.commands.service_versions(), down_time=self.down_time)
        except NovaCommandError as exc:
            self.report.add(
                "services.versions",
                "fail",
                "cannot read service versions: %s" % exc,
                None,
                "check nova_commands (container engine, database container, password)",
            )
        else:
            checks.check_versions(self.report, spread)

    def check_cells(self, compute_hosts: list[str]) -> None:
        cells = mappings = None
        cells_error = mappings_error = None
        if self.commands is not None:
            try:
                cells = self.commands.list_cells()
            except NovaCommandError as exc:
                cells_error = "cannot list cells: %s" % exc
            try:
                mappings = self.commands.list_hosts()
            except NovaCommandError as exc:
                mappings_error = "cannot list host mappings: %s" % exc
        if cells_error:
            self.report.add(
                "cells.present", "fail", cells_error, None, "check nova_commands and the nova_api container"
            )
        else:
            checks.check_cells(self.report, cells)
        if mappings_error:
            self.report.add(
                "cells.host_mappings",
                "fail",
                mappings_error,
                None,
                "check nova_commands and the nova_conductor container",
            )
        else:
            checks.check_host_mappings(self.report, compute_hosts, mappings, self.commands, cells)

    def check_placement(self, compute_hosts: list[str]) -> None:
        if not self.checks & {"placement", "inventories"}:
            return
        hypervisors = hypervisor_views(self.reader)
        providers = provider_views(self.reader)
        if "placement" in self.checks:
            placement.check_hosts(
                self.report,
                compute_hosts,
                hypervisors,
                providers,
                self.commands,
                self.params["ignore_providers"],
            )
        if "inventories" in self.checks:
            expected = expected_inventories(self.params)
            wanted = set()
            for host in expected:
                provider = placement.resolve_provider(host, providers, hypervisors)
                if provider is not None:
                    wanted.add(provider["id"])
            inventories = self.reader.provider_inventories(sorted(wanted))
            placement.check_inventories(
                self.report,
                expected,
                inventories,
                providers,
                hypervisors,
                self.commands,
                self.params["config_dir"],
            )

    def console_for(self, server: Any) -> dict[str, Any]:
        if not self.want_console:
            return {"skipped": "console check not requested (console_type=none or not in checks)"}
        return console.read_console(
            self.conn,
            self.exc,
            self.params["console_type"],
            self.params["console_timeout"],
            chosen=self.console_server,
            smoke_server=server,
        )

    def check_console_and_smoke(self) -> None:
        if "smoke" in self.checks and self.params["smoke_test"]:
            smoke_result, console_result = smoke.boot(
                self.conn, self.exc, self.params["smoke_test"], self.check_mode, self.console_for
            )
        else:
            smoke_result = {"skipped": "no smoke_test given"}
            console_result = self.console_for(None)
        if "console" in self.checks:
            console.check_console(self.report, console_result)
        if "smoke" in self.checks:
            smoke.check_smoke(self.report, smoke_result)
