# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure audits over Neutron ports and Glance images as Nova uses them."""

from __future__ import annotations

from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


# --------------------------------------------------------------------------------------------
# orphaned ports
# --------------------------------------------------------------------------------------------
def find_orphaned_ports(ports: list[dict[str, Any]], servers: list[dict[str, Any]]) -> dict[str, Any]:
    """Ports with device_owner compute:* whose device_id is not an existing server."""
    server_ids = {s["id"] for s in servers}
    nova_ports = [p for p in ports if (p.get("device_owner") or "").startswith("compute:")]
    orphaned = [
        {
            "id": p["id"],
            "name": p.get("name"),
            "device_owner": p["device_owner"],
            "device_id": p.get("device_id"),
            "project_id": p.get("project_id"),
            "network_id": p.get("network_id"),
            "status": p.get("status"),
            "binding_host_id": p.get("binding_host_id"),
            "ips": [ip.get("ip_address") for ip in p.get("fixed_ips") or []],
        }
        for p in nova_ports
        if p.get("device_id") not in server_ids
    ]
    return {"orphaned": orphaned, "nova_ports": len(nova_ports), "ports": len(ports)}


def port_report(
    found: dict[str, Any], fix: bool = False
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]]]:
    report = Report("audit")
    orphaned = found["orphaned"]
    if orphaned:
        report.add(
            "ports.orphaned",
            "fail",
            "%d of %d Nova port(s) belong to servers that no longer exist: %s"
            % (
                len(orphaned),
                found["nova_ports"],
                ", ".join("%s (server %s)" % (p["id"], p["device_id"]) for p in orphaned[:10]),
            ),
            evidence=orphaned,
            fix="Run the audit with fix: true to delete them (each server is confirmed missing first), "
            "or: openstack port delete <id>.",
        )
    else:
        report.add(
            "ports.orphaned", "pass", "all %d Nova port(s) belong to existing servers" % found["nova_ports"]
        )
    actions = [{"action": "delete_port", "id": p["id"], "device_id": p["device_id"]} for p in orphaned]
    return report, actions if fix else [], actions


# --------------------------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------------------------
RECOMMENDED_PROPERTIES = ("hw_scsi_model", "hw_disk_bus", "os_type", "os_distro")
DEFAULT_FIX_PROPERTIES = {"hw_scsi_model": "virtio-scsi", "hw_disk_bus": "scsi"}


def audit_images(
    images: list[dict[str, Any]],
    images_type: str = "default",
    required: Any = RECOMMENDED_PROPERTIES,
    fix_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """qcow2 images on an RBD backend, and images missing recommended properties.

    fix_properties: property -> value set on images where the property is missing
    (only properties; image data is never touched). Properties whose value depends
    on the guest (os_type, os_distro) are only set when given here.
    """
    fix_properties = DEFAULT_FIX_PROPERTIES if fix_properties is None else fix_properties
    rows = []
    qcow2 = []
    for img in images:
        if img.get("status") not in (None, "active"):
            continue
        props = img.get("properties") or {}
        missing = [k for k in required if props.get(k) in (None, "")]
        wrong = {}
        # virtio-scsi only takes effect together with hw_disk_bus=scsi
        if props.get("hw_scsi_model") == "virtio-scsi" and props.get("hw_disk_bus") not in (None, "", "scsi"):
            wrong["hw_disk_bus"] = props.get("hw_disk_bus")
        if images_type == "rbd" and img.get("disk_format") == "qcow2":
            qcow2.append({"id": img["id"], "name": img.get("name"), "disk_format": "qcow2"})
        if missing or wrong:
            update = {k: v for k, v in fix_properties.items() if props.get(k) in (None, "")}
            rows.append(
                {
                    "id": img["id"],
                    "name": img.get("name"),
                    "visibility": img.get("visibility"),
                    "missing": missing,
                    "inconsistent": wrong,
                    "update": update,
                }
            )
    return {
        "qcow2_on_rbd": qcow2,
        "missing_properties": rows,
        "images": len(images),
        "images_type": images_type,
    }


def image_report(
    found: dict[str, Any], fix: bool = False
) -> tuple[Report, list[dict[str, Any]], list[dict[str, Any]]]:
    report = Report("audit")
    if found["images_type"] != "rbd":
        report.add(
            "images.qcow2_on_rbd", "skip", "Nova's image backend is %s, not rbd" % found["images_type"]
        )
    elif found["qcow2_on_rbd"]:
        report.add(
            "images.qcow2_on_rbd",
            "warn",
            "%d qcow2 image(s) while Nova's images_type is rbd (every boot downloads and converts them): %s"
            % (
                len(found["qcow2_on_rbd"]),
                ", ".join(i["name"] or i["id"] for i in found["qcow2_on_rbd"][:10]),
            ),
            evidence=found["qcow2_on_rbd"],
            fix="Convert and re-upload as raw (qemu-img convert -O raw; "
            "openstack image create --disk-format raw). "
            "The audit never touches image data.",
        )
    else:
        report.add("images.qcow2_on_rbd", "pass", "no qcow2 images on the rbd backend")
    rows = found["missing_properties"]
    if rows:
        counts = {}
        for r in rows:
            for k in r["missing"]:
                counts[k] = counts.get(k, 0) + 1
        report.add(
            "images.properties",
            "warn",
            "%d of %d image(s) lack recommended properties (%s)"
            % (len(rows), found["images"], ", ".join("%s: %d" % kv for kv in sorted(counts.items()))),
            evidence=rows,
            fix="openstack image set --property hw_scsi_model=virtio-scsi --property hw_disk_bus=scsi "
            "--property os_type=linux --property os_distro=<distro> <image>; fix: true sets the properties "
            "given in fix_properties (default hw_scsi_model and hw_disk_bus).",
        )
    else:
        report.add(
            "images.properties", "pass", "all %d image(s) carry the recommended properties" % found["images"]
        )
    actions = [
        {"action": "set_image_properties", "id": r["id"], "name": r["name"], "properties": r["update"]}
        for r in rows
        if r["update"]
    ]
    return report, actions if fix else [], actions
