# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of ``compute_verify`` on services, versions and cells, on plain data.

Each ``check_*`` function takes what the module gathered (lists of dicts, no SDK
objects) and adds named results to a :class:`report.Report`: ``pass``, ``warn``,
``fail`` or ``skip``, each with evidence and, when something is wrong, the fix.
Unit tests drive them without a cloud.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NovaCommands
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

CELL0_UUID = "00000000-0000-0000-0000-000000000000"
_SHORT = {"nova-compute": "compute", "nova-scheduler": "scheduler", "nova-conductor": "conductor"}


# --- how to run nova's commands, for fixes ------------------------------------------------
def command_text(commands: NovaCommands | None, args: list[str], cell: bool = False) -> str:
    """The command line an operator types to run ``nova-manage args``.

    ``commands``: a ``NovaCommands`` or None (then Kolla's docker form is shown).
    """
    if commands is None:
        argv = ["docker", "exec", "nova_conductor" if cell else "nova_api", "nova-manage"] + list(args)
    else:
        argv = commands.argv_nova_manage(args, cell=cell)
    return " ".join(shlex.quote(a) for a in argv)


def discover_hosts_command(commands: NovaCommands | None, cell_uuid: str | None = None) -> str:
    args = ["cell_v2", "discover_hosts", "--by-service"]
    if cell_uuid:
        args += ["--cell_uuid", cell_uuid]
    return command_text(commands, args, cell=True)


def restart_compute_hint(commands: NovaCommands | None, host: str) -> str:
    if commands is not None and commands.mode == "sandbox":
        return "%s start-compute %s" % (commands.sandbox_command, host)
    engine = commands.engine if commands is not None else "docker"
    return "on %s: %s restart nova_compute (then check /var/log/kolla/nova/nova-compute.log)" % (host, engine)


def _service_fix(commands, svc):
    binary = svc.get("binary")
    host = svc.get("host")
    if commands is not None and commands.mode == "sandbox":
        if binary == "nova-compute":
            return "%s start-compute %s" % (commands.sandbox_command, host)
        return "%s start-service %s" % (commands.sandbox_command, binary)
    engine = commands.engine if commands is not None else "docker"
    container = (binary or "").replace("-", "_")
    return "on %s: %s ps -a --filter name=%s; %s restart %s; read /var/log/kolla/nova/%s.log" % (
        host,
        engine,
        container,
        engine,
        container,
        binary,
    )


MAX_LISTED = 10  # items named in a message or a fix; the evidence holds them all


def some(items: Iterable[Any], limit: int = MAX_LISTED, sep: str = ", ") -> str:
    """Join at most ``limit`` items, then say how many more there are."""
    items = list(items)
    text = sep.join(str(i) for i in items[:limit])
    if len(items) > limit:
        text += "%s... and %d more (see evidence)" % (sep, len(items) - limit)
    return text


def _names(services):
    return some("%s@%s" % (s["binary"], s["host"]) for s in services)


# --- services -------------------------------------------------------------------------------
def check_services(
    report: Report,
    services: list[dict[str, Any]],
    commands: NovaCommands | None = None,
    binaries: Iterable[str] = nova_services.MAIN_BINARIES,
) -> None:
    """Every service of each binary up and enabled; disabled ones listed with their reason.

    ``services``: output of :func:`nova_services.analyze`.
    """
    for binary in binaries:
        name = "services.%s" % _SHORT.get(binary, binary)
        rows = [s for s in services if s["binary"] == binary]
        evidence = [nova_services.describe(s) for s in rows]
        if not rows:
            report.add(
                name,
                "fail",
                "no %s service is registered" % binary,
                evidence,
                "deploy %s (kolla-ansible deploy -t nova) and check that it starts and reaches the database"
                % binary,
            )
            continue
        down = [s for s in rows if not s["up"]]
        disabled = [s for s in rows if not s["enabled"]]
        if down:
            fixes = ["%s is down: %s" % (_names([s]), _service_fix(commands, s)) for s in down]
            report.add(
                name,
                "fail",
                "%d of %d %s services down: %s"
                % (len(down), len(rows), binary, some(s["host"] for s in down)),
                evidence,
                some(fixes, sep="\n"),
            )
        elif disabled:
            reasons = some(
                "%s (%s)" % (s["host"], s["disabled_reason"] or "no reason given") for s in disabled
            )
            report.add(
                name,
                "warn",
                "%d of %d %s services up, %d disabled: %s"
                % (len(rows), len(rows), binary, len(disabled), reasons),
                evidence,
                "when the maintenance is over: openstack compute service set --enable HOST %s" % binary,
            )
        else:
            report.add(
                name, "pass", "%d of %d %s services up and enabled" % (len(rows), len(rows), binary), evidence
            )


def check_forced_down(report: Report, services: list[dict[str, Any]]) -> None:
    forced = [s for s in services if s.get("forced_down")]
    if not forced:
        report.add("services.forced_down", "pass", "no service is forced down", [])
        return
    report.add(
        "services.forced_down",
        "fail",
        "forced down: %s" % _names(forced),
        [nova_services.describe(s) for s in forced],
        "once the host is fenced and its instances evacuated, or it is back: "
        + some("openstack compute service set --up %s %s" % (s["host"], s["binary"]) for s in forced),
    )


def check_heartbeats(
    report: Report,
    services: list[dict[str, Any]],
    down_time: float = nova_services.SERVICE_DOWN_TIME,
    skew: float = 10,
) -> None:
    """Heartbeats older than ``down_time`` (fail) or from the future (clock skew, warn)."""
    stale = [s for s in services if s["heartbeat_age"] is None or s["heartbeat_age"] > down_time]
    future = [s for s in services if s["heartbeat_age"] is not None and s["heartbeat_age"] < -skew]
    evidence = {
        "service_down_time": down_time,
        "stale": [nova_services.describe(s) for s in stale],
        "future": [nova_services.describe(s) for s in future],
    }
    if stale:
        report.add(
            "services.heartbeat",
            "fail",
            "stale heartbeats (older than %ss): %s"
            % (
                down_time,
                some(
                    "%s@%s %s"
                    % (
                        s["binary"],
                        s["host"],
                        "never" if s["heartbeat_age"] is None else "%ds ago" % s["heartbeat_age"],
                    )
                    for s in stale
                ),
            ),
            evidence,
            "a service that stopped reporting is dead or cannot reach the database/RabbitMQ: check "
            "the container and its log on that host; a deleted host's record: "
            "openstack compute service delete ID",
        )
    elif future:
        report.add(
            "services.heartbeat",
            "warn",
            "heartbeats in the future (clock skew): %s" % _names(future),
            evidence,
            "synchronise the clocks (chrony) on the controllers and the named hosts",
        )
    else:
        report.add(
            "services.heartbeat",
            "pass",
            "every heartbeat younger than %ss" % down_time,
            {"service_down_time": down_time},
        )


def check_versions(report: Report, spread: dict[str, Any] | None) -> None:
    """``spread``: :func:`nova_services.version_spread` of the SQL rows; None: skipped."""
    if spread is None:
        report.add(
            "services.versions",
            "skip",
            "service versions need SQL on the nova database (set nova_commands)",
        )
        return
    if not spread["versions"]:
        report.add("services.versions", "skip", "no service row carries a version", spread)
        return
    if not spread["mixed"]:
        report.add("services.versions", "pass", "every service at version %s" % spread["versions"][0], spread)
        return
    pins = []
    dead_pins = []
    for binary, entry in spread["binaries"].items():
        for row in entry["pinning"]:
            pins.append("%s@%s v%s" % (binary, row["host"], row["version"]))
            if not row.get("up") or not row.get("enabled"):
                dead_pins.append("%s@%s" % (binary, row["host"]))
    fix = (
        "finish the upgrade of the hosts that pin the minimum, or delete records of hosts that are "
        "gone (openstack compute service delete ID); nova counts disabled and down rows, only "
        "forced-down rows are ignored"
    )
    message = "mixed service versions %s; minimum pinned by %s" % (
        ", ".join(str(v) for v in spread["versions"]),
        ", ".join(pins) or "rows of one binary only",
    )
    if dead_pins:
        message += "; down or disabled rows pin it: %s" % ", ".join(dead_pins)
    report.add("services.versions", "warn", message, spread, fix)


# --- cells ----------------------------------------------------------------------------------
def check_cells(report: Report, cells: list[dict[str, Any]] | None, error: str | None = None) -> None:
    """``cells``: rows of ``nova-manage cell_v2 list_cells --verbose``."""
    if cells is None:
        report.add(
            "cells.present",
            "skip",
            error or "cells need nova-manage (set nova_commands)",
        )
        return
    evidence = [{"name": c.get("Name"), "uuid": c.get("UUID"), "disabled": c.get("Disabled")} for c in cells]
    has_cell0 = any(c.get("UUID") == CELL0_UUID or c.get("Name") == "cell0" for c in cells)
    others = [c for c in cells if c.get("UUID") != CELL0_UUID and c.get("Name") != "cell0"]
    disabled = [c for c in others if str(c.get("Disabled", "False")).lower() == "true"]
    if not has_cell0 or not others:
        missing = []
        if not has_cell0:
            missing.append("cell0")
        if not others:
            missing.append("a cell for computes")
        report.add(
            "cells.present",
            "fail",
            "missing: %s" % " and ".join(missing),
            evidence,
            "kolla-ansible deploy -t nova creates them (nova-manage cell_v2 map_cell0; "
            "nova-manage cell_v2 create_cell --name cell1)",
        )
    elif len(disabled) == len(others):
        report.add(
            "cells.present",
            "fail",
            "every cell is disabled: nothing can be scheduled",
            evidence,
            "nova-manage cell_v2 update_cell --cell_uuid UUID --enable",
        )
    elif disabled:
        report.add(
            "cells.present",
            "warn",
            "cell0 and %d cells, disabled: %s" % (len(others), ", ".join(c.get("Name") for c in disabled)),
            evidence,
            "nova-manage cell_v2 update_cell --cell_uuid UUID --enable",
        )
    else:
        report.add(
            "cells.present",
            "pass",
            "cell0 and %d cell(s): %s" % (len(others), ", ".join(c.get("Name") for c in others)),
            evidence,
        )


def check_host_mappings(
    report: Report,
    compute_hosts: list[str],
    host_mappings: list[dict[str, Any]] | None,
    commands: NovaCommands | None = None,
    cells: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> None:
    """Compute hosts without a host mapping (``discover_hosts`` was not run).

    ``compute_hosts``: hosts of nova-compute services; ``host_mappings``: rows of
    ``nova-manage cell_v2 list_hosts`` (``Cell Name``, ``Cell UUID``, ``Hostname``).
    """
    if host_mappings is None:
        report.add(
            "cells.host_mappings", "skip", error or "host mappings need nova-manage (set nova_commands)"
        )
        return
    mapped = {r.get("Hostname"): r.get("Cell Name") for r in host_mappings}
    unmapped = sorted(h for h in set(compute_hosts) if h not in mapped)
    stale = sorted(h for h in mapped if h not in set(compute_hosts))
    evidence = {"mapped": mapped, "unmapped": unmapped, "mappings_without_service": stale}
    if unmapped:
        cell_uuid = None
        if cells:
            others = [
                c.get("UUID") for c in cells if c.get("UUID") != CELL0_UUID and c.get("Name") != "cell0"
            ]
            if len(others) == 1:
                cell_uuid = others[0]
        report.add(
            "cells.host_mappings",
            "fail",
            "compute hosts not mapped to a cell (cannot be scheduled to): %s" % some(unmapped),
            evidence,
            discover_hosts_command(commands, cell_uuid),
        )
    elif stale:
        report.add(
            "cells.host_mappings",
            "warn",
            "host mappings without a nova-compute service: %s" % some(stale),
            evidence,
            "if those hosts are gone: %s"
            % command_text(
                commands, ["cell_v2", "delete_host", "--cell_uuid", "UUID", "--host", "HOST"], cell=True
            ),
        )
    else:
        report.add(
            "cells.host_mappings",
            "pass",
            "all %d compute hosts mapped to a cell" % len(set(compute_hosts)),
            evidence,
        )
