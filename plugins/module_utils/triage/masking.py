# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moved to ``common/masking.py``; re-exported for old callers (SHIM: remove at merge)."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import (  # re-export
    MASK,
    is_secret_name,
    mask,
    mask_deep,
    mask_secret_value,
)

__all__ = [
    "MASK",
    "is_secret_name",
    "mask",
    "mask_deep",
    "mask_secret_value",
]
