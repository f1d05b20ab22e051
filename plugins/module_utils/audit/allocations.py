# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placement allocation audit: orphaned and misplaced allocations (placement_allocation_audit)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.placement import (
    allocation_report,
    find_orphaned_allocations,
    in_progress_migrations,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    check_scope,
    is_uuid,
    report_not_found,
    uuid_scope,
)

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

_NOVA_MANAGE_CONSUMER = re.compile(r"consumer UUID ([0-9a-fA-F-]{36})")


def parse_placement_audit(text: str | None) -> list[str]:
    """Consumers named by `nova-manage placement audit --verbose`."""
    return sorted(set(_NOVA_MANAGE_CONSUMER.findall(text or "")))


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    allocations = collector.allocations()
    found = find_orphaned_allocations(
        collector.providers(), allocations, collector.servers(), collector.migrations()
    )
    missing = []
    if params["consumers"]:
        wanted = uuid_scope(params["consumers"])
        known = {c for consumers in allocations.values() for c in consumers}
        known.update(s["id"] for s in collector.servers())
        known.update(m["uuid"] for m in collector.migrations() if m.get("uuid"))
        missing = check_scope(
            "consumers",
            wanted,
            known,
            "consumer",
            "Give consumer UUIDs (a server ID, a migration UUID, or a consumer of "
            "openstack resource provider show --allocations PROVIDER), or leave consumers out to audit "
            "every allocation.",
            accept_missing=is_uuid,
        )
        wanted = set(wanted)
        for key in ("orphaned", "misplaced", "migration"):
            found[key] = [a for a in found[key] if a["consumer"] in wanted]
    report, planned, proposed = allocation_report(found, fix=params["fix"])
    report_not_found(
        report,
        "allocations.scope",
        "consumers",
        missing,
        "consumer",
        "No allocation, server or migration has these UUIDs: an earlier repair removed their "
        "allocations (nothing left to do), or the UUID is not the consumer you meant.",
    )
    extra = {
        "orphaned": found["orphaned"],
        "misplaced": found["misplaced"],
        "migrations": found["migration"],
        "per_provider": found["per_provider"],
    }
    if params["cross_check"]:
        if collector.nova is None:
            report.add("allocations.nova_manage", "skip", "cross_check needs nova_commands")
        else:
            _rc, out, _err = collector.nova.nova_manage(["placement", "audit", "--verbose"], ok_rcs=(0, 3))
            theirs = parse_placement_audit(out)
            ours = sorted({a["consumer"] for a in found["orphaned"] + found["misplaced"]})
            extra["nova_manage_consumers"] = theirs
            if theirs == ours:
                report.add(
                    "allocations.nova_manage",
                    "pass",
                    "nova-manage placement audit agrees (%d consumer(s))" % len(theirs),
                )
            else:
                report.add(
                    "allocations.nova_manage",
                    "warn",
                    "nova-manage placement audit differs: only nova-manage %s, only this audit %s"
                    % (sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))),
                    evidence={"nova_manage": theirs, "audit": ours},
                    fix="Allocations changed between the two reads, or a consumer is a migration in progress "
                    "on another node: run again.",
                )
    return report, planned, proposed, extra


def apply(collector: CloudReader, action: dict[str, Any]) -> dict[str, Any] | bool | None:
    consumer = action["consumer"]
    if collector.server_exists(consumer):
        return False
    collector.invalidate("migrations")
    if any(m.get("uuid") == consumer for m in in_progress_migrations(collector.migrations())):
        return False
    status = collector.delete_allocations(consumer)
    if status is None:  # nothing left to delete
        return False
    return {"status_code": status}
