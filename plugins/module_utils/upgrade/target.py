# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target release an operator names, and the error for bad upgrade-check input."""

from __future__ import annotations

from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.releases import RELEASES, SERIES_ORDER


class UpgradeCheckError(KollaOpsError, ValueError):
    """Bad input: an unknown release, an unreadable file."""


def target_release(value: Any) -> dict[str, Any]:
    """``2026.2``, ``34``, ``34.0.1``, ``nova-34``, ``hibiscus``, ``kolla-ansible 23`` -> release dict."""
    text = str(value or "").strip()
    low = text.lower()
    if text in RELEASES:
        return dict(RELEASES[text])
    for rel in RELEASES.values():
        if low == rel["codename"].lower():
            return dict(rel)
    if low.startswith(("kolla-ansible", "kolla")):
        major = low.split()[-1].removeprefix("kolla-ansible").lstrip("-= ").split(".")[0]
        for rel in RELEASES.values():
            if rel["kolla_ansible"] == major:
                return dict(rel)
    try:
        major = nova_schema.release_major(text)
    except nova_schema.SchemaError:
        major = None
    for rel in RELEASES.values():
        if rel["nova"] == major:
            return dict(rel)
    raise UpgradeCheckError(
        "unknown target release %r: use one of %s (or nova %s)"
        % (value, ", ".join(SERIES_ORDER), ", ".join(r["nova"] for r in RELEASES.values()))
    )
