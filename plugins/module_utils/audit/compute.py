# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure audits over Nova data: stale compute services, cell mapping, stuck servers."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.placement import in_progress_migrations
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_services import version_spread
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.clock import parse_time
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

_SHOWN_INSTANCES = 5  # instance names listed in a blocker before ", ..."


def age_seconds(value: Any, now: datetime.datetime) -> float | None:
    dt = parse_time(value, aware=True)
    return None if dt is None else max(0.0, (now - dt).total_seconds())


# --------------------------------------------------------------------------------------------
# stale compute services
# --------------------------------------------------------------------------------------------
def analyse_services(  # noqa: PLR0912  one verdict list per service row; each branch is one documented problem
    services: list[dict[str, Any]],
    version_rows: list[dict[str, Any]],
    servers: list[dict[str, Any]],
    hypervisors: list[dict[str, Any]],
    usages: dict[str, dict[str, int]],
    migrations: list[dict[str, Any]],
    now: datetime.datetime,
    stale_after: float = 3600,
) -> dict[str, Any]:
    """One row per service with its problems and, for down services, what blocks deleting it.

    version_rows: ``nova.services`` rows with ``version`` (NovaCommands.service_versions);
    empty when unknown (version checks are skipped).
    usages: provider uuid (== compute node uuid) -> {rc: used}.
    """
    instances_by_host = {}
    for s in servers:
        if s.get("host"):
            instances_by_host.setdefault(s["host"], []).append(s["id"])
    nodes_by_host = {}
    for h in hypervisors:
        nodes_by_host.setdefault(h.get("host"), []).append(h)
    migrating_hosts = {}
    for m in in_progress_migrations(migrations):
        for host in (m.get("source_compute"), m.get("dest_compute")):
            if host:
                migrating_hosts.setdefault(host, []).append(m.get("uuid") or m.get("id"))

    # minimum version per binary, as Nova computes it (nova_services.version_spread)
    spread = version_spread(version_rows or [], now=now.replace(tzinfo=None))
    versions = {(r.get("host"), r.get("binary")): r.get("version") for r in version_rows or []}
    newest = max(spread["versions"], default=None)

    rows = []
    for svc in services:
        raw = versions.get((svc["host"], svc["binary"]))
        v = int(raw) if raw not in (None, "") else None
        entry = spread["binaries"].get(svc["binary"]) or {}
        problems = []
        down = svc.get("state") == "down"
        if down:
            problems.append("down")
        if svc.get("status") == "disabled":
            problems.append("disabled")
        if svc.get("forced_down"):
            problems.append("forced_down")
        if v is not None and entry.get("max") is not None and v < entry["max"]:
            problems.append("old_version")
        pins = svc["host"] in {p["host"] for p in entry.get("pinning", [])}
        age = age_seconds(svc.get("updated_at"), now)
        blockers = []
        if svc["binary"] == "nova-compute":
            insts = instances_by_host.get(svc["host"], [])
            if insts:
                blockers.append(
                    "%d instance(s) on host %s (%s%s)"
                    % (
                        len(insts),
                        svc["host"],
                        ", ".join(insts[:_SHOWN_INSTANCES]),
                        ", ..." if len(insts) > _SHOWN_INSTANCES else "",
                    )
                )
            for node in nodes_by_host.get(svc["host"], []):
                used = {rc: n for rc, n in (usages.get(node["id"]) or {}).items() if n}
                if used:
                    blockers.append(
                        "compute node %s (%s) has allocations: %s"
                        % (node["name"], node["id"], ", ".join("%s=%s" % kv for kv in sorted(used.items())))
                    )
            if svc["host"] in migrating_hosts:
                blockers.append(
                    "migration(s) in progress: %s" % ", ".join(str(m) for m in migrating_hosts[svc["host"]])
                )
        if not down:
            blockers.append("service is up (a running service re-registers itself)")
        elif age is not None and age < stale_after:
            blockers.append("down for only %ds (stale_after is %ds)" % (age, stale_after))
        rows.append(
            {
                "id": svc["id"],
                "host": svc["host"],
                "binary": svc["binary"],
                "state": svc.get("state"),
                "status": svc.get("status"),
                "disabled_reason": svc.get("disabled_reason"),
                "updated_at": svc.get("updated_at"),
                "version": v,
                "problems": problems,
                "pins_minimum_version": pins,
                "blockers": blockers,
                "deletable": down and not blockers,
            }
        )
    return {
        "services": rows,
        "newest_version": newest,
        "minimum_versions": {b: e["min"] for b, e in spread["binaries"].items()},
        "version_spread": spread,
    }


def service_report(
    analysis: dict[str, Any], fix: bool = False, versions_known: bool = True
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]]]:
    report = Report("audit")
    rows = analysis["services"]
    down = [r for r in rows if "down" in r["problems"]]
    disabled = [r for r in rows if "disabled" in r["problems"] and "down" not in r["problems"]]
    if down:
        report.add(
            "services.down",
            "fail",
            "%d service(s) down: %s"
            % (len(down), ", ".join("%s@%s" % (r["binary"], r["host"]) for r in down)),
            evidence=[
                {k: r[k] for k in ("id", "host", "binary", "updated_at", "blockers", "deletable")}
                for r in down
            ],
            fix="Start the service, or remove a decommissioned one with fix: true "
            "(only services without instances, allocations or migrations are deleted).",
        )
    else:
        report.add("services.down", "pass", "all %d service(s) up" % len(rows))
    if disabled:
        report.add(
            "services.disabled",
            "warn",
            "%d service(s) up but disabled: %s"
            % (
                len(disabled),
                ", ".join(
                    "%s@%s (%s)" % (r["binary"], r["host"], r["disabled_reason"] or "no reason")
                    for r in disabled
                ),
            ),
            evidence=[{k: r[k] for k in ("id", "host", "binary", "disabled_reason")} for r in disabled],
            fix="openstack compute service set --enable <host> nova-compute, once the maintenance is over.",
        )
    else:
        report.add("services.disabled", "pass", "no service disabled")
    if not versions_known:
        report.add("services.versions", "skip", "service versions need nova_commands (database access)")
    else:
        old = [r for r in rows if "old_version" in r["problems"]]
        pins = [r for r in rows if r["pins_minimum_version"]]
        if old:
            report.add(
                "services.versions",
                "fail",
                "%d service(s) older than version %s; pinning the minimum: %s"
                % (
                    len(old),
                    analysis["newest_version"],
                    ", ".join("%s@%s v%s" % (r["binary"], r["host"], r["version"]) for r in pins) or "none",
                ),
                evidence={
                    "minimum_versions": analysis["minimum_versions"],
                    "newest_version": analysis["newest_version"],
                    "old": [
                        {
                            k: r[k]
                            for k in ("id", "host", "binary", "version", "state", "pins_minimum_version")
                        }
                        for r in old
                    ],
                },
                fix="Upgrade or restart these services; delete decommissioned ones (fix: true deletes "
                "those that are down and unused). Until then RPC is pinned to the oldest version "
                "(RPCVersionCapError on newer calls).",
            )
        else:
            report.add(
                "services.versions",
                "pass",
                "every service at version %s" % analysis["newest_version"],
                evidence=analysis["minimum_versions"],
            )
    blocked = [r for r in down if not r["deletable"]]
    if blocked:
        report.add(
            "services.delete_blockers",
            "warn",
            "%d down service(s) cannot be deleted safely" % len(blocked),
            evidence=[
                {"service": "%s@%s" % (r["binary"], r["host"]), "id": r["id"], "blockers": r["blockers"]}
                for r in blocked
            ],
            fix="Resolve each blocker (evacuate or delete the instances, finish the migrations) "
            "and run again.",
        )
    actions = [
        {
            "action": "delete_service",
            "id": r["id"],
            "host": r["host"],
            "binary": r["binary"],
            "problems": r["problems"],
        }
        for r in down
        if r["deletable"]
    ]
    return report, actions if fix else [], actions


# --------------------------------------------------------------------------------------------
# cell mapping
# --------------------------------------------------------------------------------------------
def unmapped_hosts(services: list[dict[str, Any]], mapped: list[dict[str, Any]]) -> dict[str, Any]:
    """Compute hosts with a nova-compute service but no host mapping; mappings without a service."""
    compute_hosts = {s["host"] for s in services if s["binary"] == "nova-compute"}
    mapped_hosts = {m["host"] for m in mapped}
    return {
        "unmapped": sorted(compute_hosts - mapped_hosts),
        "mapped_without_service": sorted(mapped_hosts - compute_hosts),
        "compute_hosts": len(compute_hosts),
    }


def cell_report(
    found: dict[str, Any], fix: bool = False
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]]]:
    report = Report("audit")
    if found["unmapped"]:
        report.add(
            "cells.unmapped_hosts",
            "fail",
            "%d compute host(s) not mapped to any cell (the scheduler cannot use them): %s"
            % (len(found["unmapped"]), ", ".join(found["unmapped"])),
            evidence=found["unmapped"],
            fix="nova-manage cell_v2 discover_hosts --verbose (in nova_conductor), "
            "or run the audit with fix: true.",
        )
    else:
        report.add(
            "cells.unmapped_hosts", "pass", "all %d compute host(s) mapped to a cell" % found["compute_hosts"]
        )
    if found["mapped_without_service"]:
        report.add(
            "cells.stale_mappings",
            "warn",
            "%d host mapping(s) without a nova-compute service: %s"
            % (len(found["mapped_without_service"]), ", ".join(found["mapped_without_service"])),
            evidence=found["mapped_without_service"],
            fix="Harmless, but a decommissioned host's mapping goes with `openstack compute service delete`.",
        )
    actions = [{"action": "discover_hosts", "hosts": found["unmapped"]}] if found["unmapped"] else []
    return report, actions if fix else [], actions


# --------------------------------------------------------------------------------------------
# stuck servers
# --------------------------------------------------------------------------------------------
STUCK_STATUSES = (
    "ERROR",
    "BUILD",
    "MIGRATING",
    "RESIZE",
    "VERIFY_RESIZE",
    "REBUILD",
    "REBOOT",
    "HARD_REBOOT",
)


def find_stuck_servers(
    servers: list[dict[str, Any]],
    now: datetime.datetime,
    older_than: float = 3600,
    statuses: Iterable[str] = STUCK_STATUSES,
) -> list[dict[str, Any]]:
    """Servers in a failed or transitional state, or with a task state, for longer than ``older_than``.

    ERROR is reported whatever its age (it does not resolve by waiting); the others
    only once ``updated_at`` is older than ``older_than`` seconds.
    """
    out = []
    for s in servers:
        status = (s.get("status") or "").upper()
        task = s.get("task_state")
        if status not in statuses and not task:
            continue
        age = age_seconds(s.get("updated_at"), now)
        if status != "ERROR" and (age is None or age < older_than):
            continue
        fault = s.get("fault") or {}
        out.append(
            {
                "id": s["id"],
                "name": s.get("name"),
                "status": status,
                "task_state": task,
                "vm_state": s.get("vm_state"),
                "host": s.get("host"),
                "node": s.get("node"),
                "project_id": s.get("project_id"),
                "updated_at": s.get("updated_at"),
                "age_seconds": None if age is None else int(age),
                "fault": fault.get("message"),
                "fault_code": fault.get("code"),
            }
        )
    return sorted(out, key=lambda r: (r["status"], -(r["age_seconds"] or 0)))


_NEXT_STEP = {
    "ERROR": "read the fault and the action's events (openstack server event show); rebuild, "
    "reset-state --active after fixing the cause, or delete the server",
    "BUILD": "check nova-conductor/scheduler logs for the request id; delete and recreate if it never lands",
    "MIGRATING": "openstack server migration list --server <id>; abort or force-complete the live migration",
    "RESIZE": "check the source and destination compute logs; reset-state then resize-revert",
    "VERIFY_RESIZE": "confirm or revert the resize (openstack server resize confirm|revert)",
}


def stuck_report(stuck: list[dict[str, Any]], older_than: float) -> Report:
    report = Report("audit")
    by_status = {}
    named = ("ERROR", "BUILD", "MIGRATING", "RESIZE", "VERIFY_RESIZE")
    for s in stuck:
        key = s["status"] if s["status"] in named or not s["task_state"] else "task_state"
        by_status.setdefault(key, []).append(s)
    for status in named + ("task_state",):
        items = by_status.pop(status, [])
        check = "servers.%s" % status.lower()
        if items:
            report.add(
                check,
                "fail" if status == "ERROR" else "warn",
                "%d server(s) %s%s: %s"
                % (
                    len(items),
                    "in " + status if status != "task_state" else "with a task state",
                    "" if status == "ERROR" else " for more than %ds" % older_than,
                    ", ".join("%s (%s)" % (s["name"] or s["id"], s["host"] or "no host") for s in items[:10]),
                ),
                evidence=items,
                fix=_NEXT_STEP.get(status, "look at the server's last action and the host's nova-compute log")
                + ". Never deleted by the audit.",
            )
        else:
            report.add(
                check,
                "pass",
                "no server %s" % ("in " + status if status != "task_state" else "stuck in a task state"),
            )
    for status, items in sorted(by_status.items()):
        report.add(
            "servers.%s" % status.lower(),
            "warn",
            "%d server(s) in %s for more than %ds" % (len(items), status, older_than),
            evidence=items,
            fix="look at the server's last action and the host's nova-compute log. "
            "Never deleted by the audit.",
        )
    return report
