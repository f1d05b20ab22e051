# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova service records, read the way Nova reads them.

Plain data in, plain data out; shared by the verify, audit and upgrade modules.

* ``normalize_service`` accepts a row from the compute API (openstacksdk's
  ``Service.to_dict()``: ``state``, ``status``, ``is_forced_down``, ``updated_at``)
  or from SQL on ``nova.services`` (``disabled``, ``forced_down``, ``last_seen_up``,
  ``version``) and returns one shape.
* Up or down follows Nova's DB service-group driver
  (``nova/servicegroup/drivers/db.py``): the last heartbeat is ``last_seen_up``
  (else ``created_at``); a service is up when ``abs(now - heartbeat) <=
  service_down_time`` (default 60 s).  The API adds: a forced-down service is down.
* The minimum service version is what ``service_get_minimum_version``
  (``nova/db/main/api.py``) computes per binary: the lowest ``version`` over rows
  with ``deleted = 0`` and ``forced_down = false``.  Disabled and down (not
  forced-down) rows still count, so a dead compute record pins the minimum.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.clock import parse_time, utcnow

SERVICE_DOWN_TIME = 60  # nova.conf [DEFAULT] service_down_time
REPORT_INTERVAL = 10  # nova.conf [DEFAULT] report_interval
MAIN_BINARIES = ("nova-compute", "nova-scheduler", "nova-conductor")

_TRUE = ("1", "true", "yes", "on", "enabled")


def _bool(value):
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return bool(value)
    return str(value).strip().lower() in _TRUE


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def normalize_service(row: dict[str, Any]) -> dict[str, Any]:
    """One shape for API and SQL service rows."""
    if "status" in row or "state" in row or "is_forced_down" in row:  # compute API
        enabled = row.get("status", "enabled") != "disabled"
        forced_down = _bool(row.get("is_forced_down", row.get("forced_down")))
        api_state = row.get("state")
    else:  # SQL row
        enabled = not _bool(row.get("disabled"))
        forced_down = _bool(row.get("forced_down"))
        api_state = None
    heartbeat = parse_time(row.get("last_seen_up")) or parse_time(row.get("updated_at"))
    if heartbeat is None:
        heartbeat = parse_time(row.get("created_at"))
    return {
        "id": row.get("id"),
        "uuid": row.get("uuid") or (row.get("id") if isinstance(row.get("id"), str) else None),
        "host": row.get("host"),
        "binary": row.get("binary") or row.get("name"),
        "zone": row.get("availability_zone") or row.get("zone"),
        "enabled": enabled,
        "disabled_reason": row.get("disabled_reason") or None,
        "forced_down": forced_down,
        "api_state": api_state,
        "heartbeat": heartbeat,
        "version": _int_or_none(row.get("version")),
    }


def heartbeat_age(service: dict[str, Any], now: datetime.datetime | None = None) -> float | None:
    """Seconds since the last heartbeat (negative: the heartbeat is in the future), or None."""
    if service.get("heartbeat") is None:
        return None
    now = now or utcnow()
    return round((now - service["heartbeat"]).total_seconds(), 1)


def is_up(
    service: dict[str, Any], now: datetime.datetime | None = None, down_time: float = SERVICE_DOWN_TIME
) -> bool:
    """Nova's verdict: forced down is down; otherwise the API's state when we have it,
    else the heartbeat age against ``down_time``."""
    if service.get("forced_down"):
        return False
    if service.get("api_state") in ("up", "down"):
        return service["api_state"] == "up"
    age = heartbeat_age(service, now)
    return age is not None and abs(age) <= down_time


def analyze(
    rows: Iterable[dict[str, Any]],
    now: datetime.datetime | None = None,
    down_time: float = SERVICE_DOWN_TIME,
    binaries: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Normalized services with ``up``, ``heartbeat_age`` and ``stale`` added.

    ``stale``: the heartbeat is older than ``down_time`` by our clock (whatever the
    API says).  ``binaries`` limits the result to those binaries.
    """
    now = now or utcnow()
    out = []
    for row in rows:
        svc = normalize_service(row) if "enabled" not in row else dict(row)
        if binaries and svc["binary"] not in binaries:
            continue
        age = heartbeat_age(svc, now)
        svc["heartbeat_age"] = age
        svc["up"] = is_up(svc, now, down_time)
        svc["stale"] = age is None or abs(age) > down_time
        out.append(svc)
    return out


def describe(svc: dict[str, Any]) -> dict[str, Any]:
    """Short JSON-friendly view of an analyzed service (datetimes as ISO strings)."""
    out = {
        "host": svc.get("host"),
        "binary": svc.get("binary"),
        "up": svc.get("up"),
        "enabled": svc.get("enabled"),
    }
    if not svc.get("enabled"):
        out["disabled_reason"] = svc.get("disabled_reason")
    if svc.get("forced_down"):
        out["forced_down"] = True
    if svc.get("heartbeat") is not None:
        out["last_heartbeat"] = svc["heartbeat"].strftime("%Y-%m-%dT%H:%M:%SZ")
    if svc.get("heartbeat_age") is not None:
        out["heartbeat_age_s"] = svc["heartbeat_age"]
    if svc.get("version") is not None:
        out["version"] = svc["version"]
    return out


def split_by_state(services: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """{'down': [...], 'forced_down': [...], 'disabled': [...], 'stale': [...], 'ok': [...]}"""
    groups = {"down": [], "forced_down": [], "disabled": [], "stale": [], "ok": []}
    for svc in services:
        if svc.get("forced_down"):
            groups["forced_down"].append(svc)
        if not svc.get("up"):
            groups["down"].append(svc)
        if not svc.get("enabled"):
            groups["disabled"].append(svc)
        if svc.get("stale"):
            groups["stale"].append(svc)
        if svc.get("up") and svc.get("enabled") and not svc.get("forced_down"):
            groups["ok"].append(svc)
    return groups


def version_spread(
    rows: Iterable[dict[str, Any]], now: datetime.datetime | None = None, down_time: float = SERVICE_DOWN_TIME
) -> dict[str, Any]:
    """Per binary: the minimum version as Nova computes it, the rows that pin it.

    Returns ``{"mixed": bool, "versions": [sorted distinct], "binaries": {binary:
    {"min": v, "max": v, "by_version": {v: ["host", ...]}, "pinning": [describe(svc), ...],
    "ignored_forced_down": [...]}}}``.  Rows without a version are ignored.
    """
    services = analyze(rows, now=now, down_time=down_time)
    binaries = {}
    all_versions = set()
    for svc in services:
        if svc["version"] is None:
            continue
        entry = binaries.setdefault(
            svc["binary"],
            {"min": None, "max": None, "by_version": {}, "pinning": [], "ignored_forced_down": []},
        )
        all_versions.add(svc["version"])
        entry["by_version"].setdefault(svc["version"], []).append(svc["host"])
        if svc["forced_down"]:
            entry["ignored_forced_down"].append(describe(svc))
            continue
        entry["_rows"] = entry.get("_rows", []) + [svc]
    for entry in binaries.values():
        rows_counted = entry.pop("_rows", [])
        versions = [s["version"] for s in rows_counted]
        if versions:
            entry["min"] = min(versions)
            entry["max"] = max(versions)
            if entry["min"] != entry["max"]:
                entry["pinning"] = [describe(s) for s in rows_counted if s["version"] == entry["min"]]
        entry["by_version"] = {str(k): sorted(v) for k, v in sorted(entry["by_version"].items())}
    return {
        "mixed": len(all_versions) > 1,
        "versions": sorted(all_versions),
        "binaries": dict(sorted(binaries.items())),
    }


def short_name(name: str | None) -> str:
    return (name or "").split(".")[0]


def compare_hosts(
    compute_hosts: Iterable[str], hypervisors: list[dict[str, Any]], providers: list[dict[str, Any]]
) -> dict[str, Any]:
    """Hosts of nova-compute services vs hypervisors (compute nodes) vs resource providers.

    ``compute_hosts``: service host names.  ``hypervisors``: dicts with ``id``,
    ``name`` (hypervisor_hostname) and ``service_host``.  ``providers``: dicts with
    ``id``, ``name`` and ``parent_provider_id`` (roots only are compared).

    Returns dicts of lists: services without a hypervisor, hypervisors whose service
    is not a known nova-compute, hypervisors without a provider (by UUID),
    providers without a hypervisor, and providers whose name differs from their
    hypervisor's.
    """
    compute_hosts = set(compute_hosts)
    by_uuid = {p["id"]: p for p in providers}
    hyp_uuids = {h["id"] for h in hypervisors}
    hyp_service_hosts = {h.get("service_host") for h in hypervisors}
    roots = [p for p in providers if not p.get("parent_provider_id") or p["parent_provider_id"] == p["id"]]
    return {
        "services_without_hypervisor": sorted(h for h in compute_hosts if h not in hyp_service_hosts),
        "hypervisors_without_service": sorted(
            h["name"] for h in hypervisors if h.get("service_host") and h["service_host"] not in compute_hosts
        ),
        "hypervisors_without_provider": sorted(
            (
                {"name": h["name"], "id": h["id"], "service_host": h.get("service_host")}
                for h in hypervisors
                if h["id"] not in by_uuid
            ),
            key=lambda x: x["name"] or "",
        ),
        "providers_without_hypervisor": sorted(
            ({"name": p["name"], "id": p["id"]} for p in roots if p["id"] not in hyp_uuids),
            key=lambda x: x["name"] or "",
        ),
        "name_mismatches": sorted(
            (
                {"id": h["id"], "hypervisor": h["name"], "provider": by_uuid[h["id"]]["name"]}
                for h in hypervisors
                if h["id"] in by_uuid and by_uuid[h["id"]]["name"] != h["name"]
            ),
            key=lambda x: x["hypervisor"] or "",
        ),
    }
