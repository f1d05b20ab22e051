# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota usage audit: Nova's usage against Placement's (quota_usage_audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.placement import (
    compare_quota_usage,
    quota_report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    check_scope,
)

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    owners = {s["project_id"] for s in collector.servers() if s.get("project_id")}
    if params["projects"]:
        keystone = [(p.id, p.name) for p in collector.conn.identity.projects()]
        by_name = {}
        for pid, name in keystone:
            by_name.setdefault(name, []).append(pid)
        check_scope(
            "projects",
            params["projects"],
            {pid for pid, _name in keystone} | owners,
            "project ID",
            "Give project IDs (openstack project list), or leave projects out to audit every project "
            "that owns a server.",
            hints={n: "the name of project %s: give its ID" % ", ".join(ids) for n, ids in by_name.items()},
        )
    projects = params["projects"] or sorted(owners)
    nova = {pid: collector.quota_usage(pid) for pid in projects}
    placement = collector.project_usages(projects)
    rows = compare_quota_usage(nova, placement)
    return quota_report(rows), [], [], {"projects": rows}
