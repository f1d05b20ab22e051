# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image audit: Glance images against the storage backend's needs (image_audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.resources import (
    audit_images,
    image_report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    select_by_name_or_id,
)

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


def audit(
    collector: CloudReader, params: dict[str, Any]
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    images = collector.images()
    images = select_by_name_or_id(
        "images",
        params["images"],
        images,
        "image",
        "Give image names or IDs as Glance lists them (openstack image list), or leave images out "
        "to audit every image.",
    )
    found = audit_images(
        images,
        images_type=params["images_type"],
        required=params["required_properties"],
        fix_properties=params["fix_properties"],
    )
    report, planned, proposed = image_report(found, fix=params["fix"])
    return (
        report,
        planned,
        proposed,
        {"qcow2_on_rbd": found["qcow2_on_rbd"], "missing_properties": found["missing_properties"]},
    )


def apply(collector: CloudReader, action: dict[str, Any]) -> dict[str, Any] | bool | None:
    image = collector.conn.image.get_image(action["id"])
    current = dict(image.properties or {})
    for key in action["properties"]:
        value = getattr(image, key, None)
        if value is not None:
            current[key] = value
    update = {k: v for k, v in action["properties"].items() if current.get(k) in (None, "")}
    if not update:
        return False
    collector.conn.image.update_image(image, **update)
    return {"set": update}
