# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure audits over Placement data: orphaned allocations, quota drift, capacity.

Inputs are the plain dicts ``AuditCollector`` returns; outputs are a ``Report``
plus, where a repair exists, a list of planned actions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import reader
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

NOVA_RESOURCE_CLASSES = frozenset(reader.NOVA_RESOURCE_CLASSES)  # the classes Nova allocates
# nova/db/main/api.py migration_get_in_progress_by_host_and_node: everything else is in progress.
MIGRATION_FINAL_STATUSES = frozenset(
    ("confirmed", "reverted", "error", "failed", "completed", "cancelled", "done")
)


def in_progress_migrations(migrations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in migrations if (m.get("status") or "").lower() not in MIGRATION_FINAL_STATUSES]


# --------------------------------------------------------------------------------------------
# orphaned allocations
# --------------------------------------------------------------------------------------------
def find_orphaned_allocations(
    providers: list[dict[str, Any]],
    allocations: dict[str, dict[str, dict[str, int]]],
    servers: list[dict[str, Any]],
    migrations: list[dict[str, Any]],
) -> dict[str, Any]:
    """Classify every Nova allocation against the servers and in-progress migrations.

    Returns a dict with:
    - ``orphaned``: consumer is neither an existing server nor an in-progress migration
      (safe to delete: the consumer is gone everywhere);
    - ``misplaced``: the server exists but lives on another node and no migration in
      progress explains it (nova-manage placement audit counts these too; never deleted
      here because DELETE /allocations/{consumer} would drop the server's real allocation);
    - ``migration``: held by an in-progress migration (never touched);
    - per provider counts.
    """
    by_uuid = {p["uuid"]: p for p in providers}
    server_by_id = {s["id"]: s for s in servers}
    active = in_progress_migrations(migrations)
    mig_by_uuid = {m["uuid"]: m for m in active if m.get("uuid")}
    # nodes a migrating server may legitimately hold allocations on
    migrating_nodes = {}
    for m in active:
        nodes = migrating_nodes.setdefault(m.get("instance_uuid"), set())
        nodes.update(n for n in (m.get("source_node"), m.get("dest_node")) if n)

    orphaned, misplaced, held_by_migration, ignored = [], [], [], 0
    per_provider = {}
    for rp_uuid, consumers in sorted(allocations.items()):
        provider = by_uuid.get(rp_uuid, {"uuid": rp_uuid, "name": None, "root_provider_uuid": rp_uuid})
        root = by_uuid.get(provider.get("root_provider_uuid") or rp_uuid, provider)
        node = root.get("name")
        counts = per_provider.setdefault(
            rp_uuid,
            {
                "provider": provider.get("name"),
                "uuid": rp_uuid,
                "consumers": 0,
                "orphaned": 0,
                "misplaced": 0,
                "migrations": 0,
            },
        )
        for consumer, resources in sorted(consumers.items()):
            counts["consumers"] += 1
            if not any(rc in NOVA_RESOURCE_CLASSES for rc in resources):
                ignored += 1
                continue
            item = {
                "consumer": consumer,
                "provider": provider.get("name"),
                "provider_uuid": rp_uuid,
                "resources": dict(resources),
            }
            if consumer in mig_by_uuid:
                m = mig_by_uuid[consumer]
                item.update(migration_status=m.get("status"), instance_uuid=m.get("instance_uuid"))
                held_by_migration.append(item)
                counts["migrations"] += 1
                continue
            server = server_by_id.get(consumer)
            if server is None:
                orphaned.append(item)
                counts["orphaned"] += 1
                continue
            if (
                node
                and server.get("node")
                and server["node"] != node
                and node not in migrating_nodes.get(consumer, ())
            ):
                item.update(server_node=server["node"], server_status=server.get("status"))
                misplaced.append(item)
                counts["misplaced"] += 1
    return {
        "orphaned": orphaned,
        "misplaced": misplaced,
        "migration": held_by_migration,
        "ignored_non_nova": ignored,
        "per_provider": [
            c for c in per_provider.values() if c["orphaned"] or c["misplaced"] or c["migrations"]
        ],
        "providers": len(allocations),
    }


def allocation_report(
    found: dict[str, Any], fix: bool = False
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]]]:
    """Report + planned actions (one DELETE /allocations/{consumer} per orphaned consumer)."""
    report = Report("audit")
    orphans = found["orphaned"]
    consumers = sorted({o["consumer"] for o in orphans})
    by_provider = {}
    for o in orphans:
        by_provider.setdefault(o["provider"] or o["provider_uuid"], []).append(o["consumer"])
    if orphans:
        report.add(
            "allocations.orphaned",
            "fail",
            "%d orphaned allocation(s) of %d consumer(s) on %d resource provider(s): %s"
            % (
                len(orphans),
                len(consumers),
                len(by_provider),
                ", ".join("%s (%d)" % (k, len(v)) for k, v in sorted(by_provider.items())),
            ),
            evidence={"by_provider": by_provider, "allocations": orphans},
            fix="Run the audit with fix: true to DELETE /allocations/{consumer} for each orphaned consumer "
            "(or: nova-manage placement audit --delete).",
        )
    else:
        report.add(
            "allocations.orphaned",
            "pass",
            "no orphaned allocations on %d resource provider(s)" % found["providers"],
        )
    if found["misplaced"]:
        report.add(
            "allocations.misplaced",
            "warn",
            "%d allocation(s) of existing servers on a node they do not run on, with no migration in progress"
            % len(found["misplaced"]),
            evidence=found["misplaced"],
            fix="Check each server's migrations; `nova-manage placement heal_allocations --instance <uuid>` "
            "or remove the stale provider from the consumer's allocations with PUT /allocations/{consumer}. "
            "Never repaired automatically.",
        )
    else:
        report.add("allocations.misplaced", "pass", "every server's allocations are on the node it runs on")
    report.add(
        "allocations.migrations",
        "pass",
        "%d allocation(s) held by in-progress migrations (left alone)" % len(found["migration"]),
        evidence=found["migration"] or None,
    )
    actions = [
        {
            "action": "delete_allocations",
            "consumer": c,
            "providers": sorted({o["provider"] or o["provider_uuid"] for o in orphans if o["consumer"] == c}),
        }
        for c in consumers
    ]
    return report, actions if fix else [], actions


# --------------------------------------------------------------------------------------------
# quota against usage
# --------------------------------------------------------------------------------------------
QUOTA_TO_RC = {"cores": ("VCPU", "PCPU"), "ram": ("MEMORY_MB",)}


def compare_quota_usage(
    nova: dict[str, Any], placement: dict[str, Any], over_quota_threshold: float = 1.0
) -> list[dict[str, Any]]:
    """nova: project -> {limits, in_use}; placement: project -> {rc: used}.

    Returns rows per project with drift (Nova's cores/ram against Placement's
    VCPU+PCPU/MEMORY_MB) and over-quota resources (in_use > limit * threshold,
    -1 meaning unlimited).
    """
    rows = []
    for pid in sorted(set(nova) | set(placement)):
        n = nova.get(pid) or {"limits": {}, "in_use": {}}
        p = placement.get(pid) or {}
        drift = {}
        for quota, rcs in QUOTA_TO_RC.items():
            nova_used = int(n["in_use"].get(quota) or 0)
            placement_used = sum(int(p.get(rc) or 0) for rc in rcs)
            if nova_used != placement_used:
                drift[quota] = {
                    "nova": nova_used,
                    "placement": placement_used,
                    "difference": placement_used - nova_used,
                }
        over = {}
        for quota, limit in (n.get("limits") or {}).items():
            if limit is None or int(limit) < 0:
                continue
            used = int(n["in_use"].get(quota) or 0)
            if used > int(limit) * over_quota_threshold:
                over[quota] = {"limit": int(limit), "in_use": used}
        rows.append(
            {
                "project_id": pid,
                "nova_in_use": dict(n.get("in_use") or {}),
                "limits": dict(n.get("limits") or {}),
                "placement": {k: v for k, v in p.items() if not k.startswith("_")},
                "drift": drift,
                "over_quota": over,
            }
        )
    return rows


def _by_project(rows: list[dict], key: str, item: Callable[[str, dict], str]) -> str:
    """``<project> <item>, <item>; <project> ...``: each row's ``key`` mapping, sorted, as ``item(k, v)``."""
    return "; ".join(
        "%s %s" % (r["project_id"], ", ".join(item(k, v) for k, v in sorted(r[key].items()))) for r in rows
    )


def quota_report(rows: list[dict[str, Any]]) -> Report:
    report = Report("audit")
    drift = [r for r in rows if r["drift"]]
    over = [r for r in rows if r["over_quota"]]
    if drift:
        report.add(
            "quota.usage_drift",
            "warn",
            "%d of %d project(s) where Nova's usage differs from Placement's: %s"
            % (
                len(drift),
                len(rows),
                _by_project(
                    drift, "drift", lambda k, v: "%s nova=%s placement=%s" % (k, v["nova"], v["placement"])
                ),
            ),
            evidence=drift,
            fix="Look for orphaned or misplaced allocations (placement_allocation_audit) and servers in "
            "ERROR/BUILD; `nova-manage placement heal_allocations` recreates missing ones.",
        )
    else:
        report.add(
            "quota.usage_drift", "pass", "Nova's and Placement's usage agree for %d project(s)" % len(rows)
        )
    if over:
        report.add(
            "quota.over_quota",
            "warn",
            "%d project(s) use more than their quota: %s"
            % (
                len(over),
                _by_project(over, "over_quota", lambda k, v: "%s %s/%s" % (k, v["in_use"], v["limit"])),
            ),
            evidence=over,
            fix="Raise the quota (openstack quota set) or have the project free resources; "
            "new servers of these projects are refused.",
        )
    else:
        report.add("quota.over_quota", "pass", "no project over its quota")
    return report


# --------------------------------------------------------------------------------------------
# capacity
# --------------------------------------------------------------------------------------------
def capacity_of(inventory: dict[str, Any]) -> int:
    """Usable capacity of one resource class: (total - reserved) * ratio."""
    total = inventory.get("total", 0)
    reserved = inventory.get("reserved", 0)
    ratio = inventory.get("allocation_ratio", 1.0)
    return math.floor((total - reserved) * ratio)


def flavor_request(flavor: dict[str, Any]) -> dict[str, int]:
    """Resource classes a flavor asks Placement for (a simplification of Nova's request spec)."""
    specs = flavor.get("extra_specs") or {}
    req = {}
    # resources:* overrides in extra specs win
    overrides = {k.split(":", 1)[1]: v for k, v in specs.items() if k.startswith("resources") and ":" in k}
    dedicated = specs.get("hw:cpu_policy") == "dedicated"
    req["PCPU" if dedicated else "VCPU"] = int(flavor.get("vcpus") or 0)
    req["MEMORY_MB"] = int(flavor.get("ram") or 0)
    disk = (
        int(flavor.get("disk") or 0)
        + int(flavor.get("ephemeral") or 0)
        + math.ceil((flavor.get("swap") or 0) / 1024.0)
    )
    req["DISK_GB"] = disk
    for rc, amount in overrides.items():
        try:
            req[rc] = int(amount)
        except (TypeError, ValueError):
            continue
    return {rc: n for rc, n in req.items() if n > 0}


def fits(inventory: dict[str, dict[str, Any]], usage: dict[str, int], request: dict[str, int]) -> int:
    """How many more of ``request`` fit on one provider (respecting max_unit)."""
    best = None
    for rc, amount in request.items():
        inv = inventory.get(rc)
        if inv is None:
            return 0
        if amount > inv.get("max_unit", amount) or amount < inv.get("min_unit", 1):
            return 0
        capacity = capacity_of(inv)
        free = capacity - usage.get(rc, 0)
        n = max(0, free // amount)
        best = n if best is None else min(best, n)
    return best or 0


def capacity(
    providers: list[dict[str, Any]],
    inventories: dict[str, dict[str, dict[str, Any]]],
    usages: dict[str, dict[str, int]],
    hypervisors: list[dict[str, Any]],
    aggregates: list[dict[str, Any]],
    flavors: list[dict[str, Any]],
    resource_classes: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Per host, aggregate and availability zone: used/capacity per resource class and fits per flavor."""
    wanted = set(resource_classes or ("VCPU", "PCPU", "MEMORY_MB", "DISK_GB"))
    node_host = {h["name"]: h.get("host") for h in hypervisors}
    node_host.update({h["id"]: h.get("host") for h in hypervisors})
    requests = {f["name"]: flavor_request(f) for f in flavors}

    hosts = {}
    for p in providers:
        if p.get("parent_provider_uuid"):
            continue  # nested providers (GPUs, bandwidth) are not sized per host here
        inv = inventories.get(p["uuid"]) or {}
        if not inv:
            continue
        host = node_host.get(p["uuid"]) or node_host.get(p["name"]) or p["name"]
        used = usages.get(p["uuid"]) or {}
        entry = hosts.setdefault(host, {"host": host, "nodes": 0, "resources": {}, "fits": {}})
        entry["nodes"] += 1
        for rc, i in inv.items():
            if rc not in wanted:
                continue
            cap = capacity_of(i)
            r = entry["resources"].setdefault(
                rc,
                {
                    "total": 0,
                    "reserved": 0,
                    "capacity": 0,
                    "used": 0,
                    "allocation_ratio": i.get("allocation_ratio"),
                },
            )
            r["total"] += i.get("total", 0)
            r["reserved"] += i.get("reserved", 0)
            r["capacity"] += cap
            r["used"] += used.get(rc, 0)
            if r["allocation_ratio"] != i.get("allocation_ratio"):
                r["allocation_ratio"] = "mixed"
        for name, req in requests.items():
            entry["fits"][name] = entry["fits"].get(name, 0) + fits(inv, used, req)

    def rollup(name, kind, members):
        out = {kind: name, "hosts": sorted(members), "resources": {}, "fits": {}}
        for h in members:
            e = hosts.get(h)
            if not e:
                continue
            for rc, r in e["resources"].items():
                agg = out["resources"].setdefault(rc, {"total": 0, "reserved": 0, "capacity": 0, "used": 0})
                for k in ("total", "reserved", "capacity", "used"):
                    agg[k] += r[k]
            for f, n in e["fits"].items():
                out["fits"][f] = out["fits"].get(f, 0) + n
        return out

    aggs = [rollup(a["name"], "aggregate", [h for h in a["hosts"] if h in hosts]) for a in aggregates]
    zones = {}
    for a in aggregates:
        if a.get("availability_zone"):
            zones.setdefault(a["availability_zone"], set()).update(h for h in a["hosts"] if h in hosts)
    zoned = set().union(*zones.values()) if zones else set()
    rest = set(hosts) - zoned
    if rest:
        zones.setdefault("nova", set()).update(rest)  # [DEFAULT] default_availability_zone
    azs = [rollup(z, "availability_zone", members) for z, members in sorted(zones.items())]
    total = rollup("all", "cloud", list(hosts))
    for block in [total] + aggs + azs + list(hosts.values()):
        for r in block["resources"].values():
            r["free"] = r["capacity"] - r["used"]
            r["used_percent"] = round(100.0 * r["used"] / r["capacity"], 1) if r["capacity"] else None
    return {
        "cloud": total,
        "hosts": [hosts[h] for h in sorted(hosts)],
        "aggregates": aggs,
        "availability_zones": azs,
        "flavors": requests,
    }


def capacity_report_of(cap: dict[str, Any], warn_percent: float = 85.0) -> Report:
    report = Report("audit")
    total = cap["cloud"]
    summary = ", ".join(
        "%s %s/%s (%s%%)" % (rc, r["used"], r["capacity"], r["used_percent"])
        for rc, r in sorted(total["resources"].items())
    )
    report.add(
        "capacity.cloud",
        "pass",
        "%d host(s): %s" % (len(cap["hosts"]), summary or "no inventory"),
        evidence={"resources": total["resources"], "fits": total["fits"]},
    )
    hot = []
    for h in cap["hosts"]:
        for rc, r in h["resources"].items():
            if r["used_percent"] is not None and r["used_percent"] >= warn_percent:
                hot.append({"host": h["host"], "resource_class": rc, "used_percent": r["used_percent"]})
    for block in cap["availability_zones"] + cap["aggregates"]:
        kind = "availability_zone" if "availability_zone" in block else "aggregate"
        for rc, r in block["resources"].items():
            if r["used_percent"] is not None and r["used_percent"] >= warn_percent:
                hot.append({kind: block[kind], "resource_class": rc, "used_percent": r["used_percent"]})
    if hot:
        report.add(
            "capacity.utilisation",
            "warn",
            "%d host/aggregate/zone resource(s) at or above %.0f%% used" % (len(hot), warn_percent),
            evidence=hot,
            fix="Add hosts, raise allocation ratios in the compute profile, or move load.",
        )
    else:
        report.add("capacity.utilisation", "pass", "nothing at or above %.0f%% used" % warn_percent)
    none_fit = sorted(f for f, n in total["fits"].items() if n == 0)
    if none_fit:
        report.add(
            "capacity.flavors",
            "warn",
            "no room for another server of flavor(s): %s" % ", ".join(none_fit),
            evidence=total["fits"],
        )
    else:
        report.add("capacity.flavors", "pass", "every flavor fits at least once", evidence=total["fits"])
    return report
