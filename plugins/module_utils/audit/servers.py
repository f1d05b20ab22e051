# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server state audit: servers stuck in a task or a status (server_state_audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.compute import (
    STUCK_STATUSES,
    find_stuck_servers,
    stuck_report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    check_scope,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.clock import utcnow

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

# every status the compute API shows (nova/api/openstack/common.py _STATE_MAP, plus UNKNOWN)
SERVER_STATUSES = (
    "ACTIVE",
    "BUILD",
    "DELETED",
    "ERROR",
    "HARD_REBOOT",
    "MIGRATING",
    "PASSWORD",
    "PAUSED",
    "REBOOT",
    "REBUILD",
    "RESCUE",
    "RESIZE",
    "REVERT_RESIZE",
    "SHELVED",
    "SHELVED_OFFLOADED",
    "SHUTOFF",
    "SOFT_DELETED",
    "SUSPENDED",
    "UNKNOWN",
    "VERIFY_RESIZE",
)


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    statuses = [s.upper() for s in params["statuses"]]
    check_scope(
        "statuses",
        statuses,
        SERVER_STATUSES,
        "server status",
        "Give statuses as the compute API shows them (case does not matter), or leave statuses out "
        "for %s." % ", ".join(STUCK_STATUSES),
    )
    stuck = find_stuck_servers(
        collector.servers(),
        utcnow(aware=True),
        older_than=params["older_than"],
        statuses=tuple(statuses),
    )
    for item in stuck[: params["max_actions"]]:
        try:
            item["last_action"] = collector.last_action(item["id"])
        except Exception as exc:
            item["last_action"] = {"error": str(exc)}
    report = stuck_report(stuck, params["older_than"])
    return report, [], [], {"stuck": stuck}
