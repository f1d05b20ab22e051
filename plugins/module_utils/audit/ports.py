# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port audit: orphaned Neutron ports of deleted servers (port_audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.resources import (
    find_orphaned_ports,
    port_report,
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


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    ports = collector.ports()
    missing = []
    if params["ports"]:
        wanted = uuid_scope(params["ports"])
        names = {}
        for p in ports:
            if p.get("name"):
                names.setdefault(p["name"], []).append(p["id"])
        missing = check_scope(
            "ports",
            wanted,
            [p["id"] for p in ports],
            "port",
            "Give port IDs (openstack port list --device-owner compute:nova), or leave ports out to "
            "audit every port.",
            accept_missing=is_uuid,
            hints={n: "the name of port %s: give its ID" % ", ".join(ids) for n, ids in names.items()},
        )
        ports = [p for p in ports if p["id"] in wanted]
    found = find_orphaned_ports(ports, collector.servers())
    report, planned, proposed = port_report(found, fix=params["fix"])
    report_not_found(
        report,
        "ports.scope",
        "ports",
        missing,
        "port",
        "Neutron has no port with these IDs: an earlier repair deleted them (nothing left to do), "
        "or the ID is not the port you meant.",
    )
    return report, planned, proposed, {"orphaned": found["orphaned"]}


def apply(collector: CloudReader, action: dict[str, Any]) -> dict[str, Any] | bool | None:
    if action.get("device_id") and collector.server_exists(action["device_id"]):
        return False
    port = collector.conn.network.find_port(action["id"], ignore_missing=True)
    if port is None or port.device_id != action.get("device_id"):
        return False
    collector.conn.network.delete_port(action["id"], ignore_missing=True)
    return {"deleted": True}
