# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moved to ``audit/placement.py``; re-exported for old callers (SHIM: remove at merge)."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.placement import (  # re-export
    MIGRATION_FINAL_STATUSES,
    NOVA_RESOURCE_CLASSES,
    QUOTA_TO_RC,
    allocation_report,
    capacity,
    capacity_of,
    capacity_report_of,
    compare_quota_usage,
    find_orphaned_allocations,
    fits,
    flavor_request,
    in_progress_migrations,
    quota_report,
)

__all__ = [
    "MIGRATION_FINAL_STATUSES",
    "NOVA_RESOURCE_CLASSES",
    "QUOTA_TO_RC",
    "allocation_report",
    "capacity",
    "capacity_of",
    "capacity_report_of",
    "compare_quota_usage",
    "find_orphaned_allocations",
    "fits",
    "flavor_request",
    "in_progress_migrations",
    "quota_report",
]
