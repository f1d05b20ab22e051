# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute service audit: stale and down services, their blockers, removal (compute_service_audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.compute import (
    analyse_services,
    service_report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    check_scope,
    report_not_found,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.clock import utcnow

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    versions = collector.service_versions()
    services = collector.services()
    gone = []
    if params["hosts"]:
        gone = check_scope(
            "hosts",
            params["hosts"],
            {s["host"] for s in services},
            "host",
            "Give hosts as Nova names them (openstack compute service list), or leave hosts out to "
            "audit every host. A host whose services an earlier run deleted has none left: drop it "
            "from hosts (with nova_commands the audit finds Nova's deleted rows and says so instead).",
            accept_missing=deleted_service_hosts(collector),
        )
        services = [s for s in services if s["host"] in params["hosts"]]
    # usages are only needed for the compute nodes of down services (the delete candidates)
    down_hosts = {s["host"] for s in services if s["state"] == "down"}
    hypervisors = collector.hypervisors()
    analysis = analyse_services(
        services,
        versions,
        collector.servers(),
        hypervisors,
        collector.provider_usages([h["id"] for h in hypervisors if h["host"] in down_hosts]),
        collector.migrations(),
        utcnow(aware=True),
        stale_after=params["stale_after"],
    )
    report, planned, proposed = service_report(analysis, fix=params["fix"], versions_known=bool(versions))
    report_not_found(
        report,
        "services.scope",
        "hosts",
        gone,
        "host",
        "Nova has only deleted service rows for these hosts (an earlier run, or someone, deleted "
        "their services): nothing is left to audit; drop them from hosts.",
    )
    return (
        report,
        planned,
        proposed,
        {"services": analysis["services"], "minimum_versions": analysis["minimum_versions"]},
    )


def deleted_service_hosts(collector: CloudReader) -> set[str]:
    """``accept_missing`` for ``hosts``: a host that only has deleted rows in the cell databases
    (its services were deleted, e.g. by an earlier fix run) is known to Nova, not a typo.
    Needs nova_commands (SQL); read only when a host is not found among the services."""

    def accept(host):
        if collector.nova is None:
            return False
        if "deleted_hosts" not in cache:
            cache["deleted_hosts"] = set()
            for database in collector.cell_databases:
                rows = collector._sql(database, "SELECT DISTINCT host FROM services WHERE deleted != 0")
                cache["deleted_hosts"].update(r.get("host") for r in rows)
        return host in cache["deleted_hosts"]

    cache = {}
    return accept


def apply(collector: CloudReader, action: dict[str, Any]) -> dict[str, Any] | bool | None:
    if collector.conn.compute.find_service(action["id"], ignore_missing=True) is None:
        return False
    collector.conn.compute.delete_service(action["id"], ignore_missing=True)
    return {"deleted": True}
