# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moved to ``cloud/reader.py`` and ``cloud/requests.py``; re-exported here until the callers are
rewritten (SHIM: remove at merge)."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import (  # re-export
    NOVA_RESOURCE_CLASSES,
    PLACEMENT_MICROVERSION,
    PLACEMENT_SOURCES,
    PLACEMENT_USAGES_MICROVERSION,
    AuditCollector,
    AuditError,
    CloudReader,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.requests import (  # re-export
    RequestCounter,
)

__all__ = [
    "NOVA_RESOURCE_CLASSES",
    "PLACEMENT_MICROVERSION",
    "PLACEMENT_SOURCES",
    "PLACEMENT_USAGES_MICROVERSION",
    "AuditCollector",
    "AuditError",
    "CloudReader",
    "RequestCounter",
]
