# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cell mapping audit: compute hosts without a host mapping (cell_mapping_audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.compute import cell_report, unmapped_hosts
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    mapped = collector.mapped_hosts()
    if mapped is None:
        report = Report("audit")
        report.add("cells.unmapped_hosts", "skip", "host mappings need nova_commands (nova-manage)")
        return report, [], [], {"unmapped": [], "mapped_without_service": []}
    found = unmapped_hosts(collector.services(), mapped)
    report, planned, proposed = cell_report(found, fix=params["fix"])
    return (
        report,
        planned,
        proposed,
        {"unmapped": found["unmapped"], "mapped_without_service": found["mapped_without_service"]},
    )


def apply(collector: CloudReader, action: dict[str, Any]) -> dict[str, Any] | bool | None:
    """discover_hosts maps compute nodes not yet flagged as mapped; a host whose mapping was
    lost (its compute node still flagged) only comes back with --by-service."""
    output = []
    still = action["hosts"]
    for extra in ([], ["--by-service"]):
        _rc, out, _err = collector.nova.nova_manage(
            ["cell_v2", "discover_hosts", "--verbose"] + extra, cell=True
        )
        output.extend(out.strip().splitlines()[-20:])
        collector.invalidate("mapped_hosts")
        still = unmapped_hosts(collector.services(), collector.mapped_hosts())["unmapped"]
        if not still:
            break
    return {"output": output, "still_unmapped": still}
