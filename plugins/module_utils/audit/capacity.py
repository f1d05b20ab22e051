# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capacity report: free room per provider, aggregate and flavor (capacity_report)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.placement import (
    capacity,
    capacity_report_of,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    check_scope,
    select_by_name_or_id,
)

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

DEFAULT_RESOURCE_CLASSES = ("VCPU", "PCPU", "MEMORY_MB", "DISK_GB")


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    flavors = collector.flavors()
    flavors = select_by_name_or_id(
        "flavors",
        params["flavors"],
        flavors,
        "flavor",
        "Give flavor names or IDs as Nova lists them (openstack flavor list --all), or leave "
        "flavors out to size with every flavor.",
    )
    extra = [rc for rc in params["resource_classes"] if rc not in DEFAULT_RESOURCE_CLASSES]
    if extra:  # the defaults always exist; anything else is checked against Placement's list
        check_scope(
            "resource_classes",
            params["resource_classes"],
            list(DEFAULT_RESOURCE_CLASSES) + resource_class_names(collector),
            "resource class",
            "Give resource classes as Placement names them (openstack resource class list), "
            "or leave resource_classes out for %s." % ", ".join(DEFAULT_RESOURCE_CLASSES),
        )
    cap = capacity(
        collector.providers(),
        collector.inventories(),
        collector.usages(),
        collector.hypervisors(),
        collector.aggregates(),
        flavors,
        resource_classes=params["resource_classes"],
    )
    return capacity_report_of(cap, warn_percent=params["warn_percent"]), [], [], {"capacity": cap}


def resource_class_names(collector: CloudReader) -> list[str]:
    return collector.resource_classes()
