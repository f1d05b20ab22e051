from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.resources import (
    audit_images,
    find_orphaned_ports,
    image_report,
    port_report,
)


def test_orphaned_ports():
    ports = [
        {"id": "p1", "device_owner": "compute:nova", "device_id": "srv-1"},
        {"id": "p2", "device_owner": "compute:az1", "device_id": "gone"},
        {"id": "p3", "device_owner": "network:dhcp", "device_id": "dhcp-x"},
        {"id": "p4", "device_owner": "", "device_id": ""},
    ]
    found = find_orphaned_ports(ports, [{"id": "srv-1"}])
    assert [p["id"] for p in found["orphaned"]] == ["p2"]
    assert found["nova_ports"] == 2
    report, planned, proposed = port_report(found)
    assert planned == [] and proposed == [{"action": "delete_port", "id": "p2", "device_id": "gone"}]
    assert report.as_dict()["results"][0]["status"] == "fail"
    assert port_report(found, fix=True)[1] == proposed


def test_images_rbd_and_properties():
    images = [
        {"id": "i1", "name": "cirros", "disk_format": "qcow2", "status": "active", "properties": {}},
        {
            "id": "i2",
            "name": "ubuntu",
            "disk_format": "raw",
            "status": "active",
            "properties": {
                "hw_scsi_model": "virtio-scsi",
                "hw_disk_bus": "scsi",
                "os_type": "linux",
                "os_distro": "ubuntu",
            },
        },
        {
            "id": "i3",
            "name": "half",
            "disk_format": "raw",
            "status": "active",
            "properties": {"hw_scsi_model": "virtio-scsi", "hw_disk_bus": "virtio"},
        },
        {"id": "i4", "name": "queued", "disk_format": "qcow2", "status": "queued", "properties": {}},
    ]
    found = audit_images(images, images_type="rbd")
    assert [i["id"] for i in found["qcow2_on_rbd"]] == ["i1"]
    rows = {r["id"]: r for r in found["missing_properties"]}
    assert set(rows) == {"i1", "i3"}
    assert rows["i1"]["update"] == {"hw_scsi_model": "virtio-scsi", "hw_disk_bus": "scsi"}
    assert rows["i3"]["inconsistent"] == {"hw_disk_bus": "virtio"}
    assert rows["i3"]["update"] == {}  # never overwrite a value the operator set
    report, planned, proposed = image_report(found)
    assert planned == [] and [a["id"] for a in proposed] == ["i1"]
    statuses = {r["check"]: r["status"] for r in report.as_dict()["results"]}
    assert statuses == {"images.qcow2_on_rbd": "warn", "images.properties": "warn"}


def test_images_default_backend_skips_qcow2_check():
    found = audit_images(
        [
            {
                "id": "i1",
                "name": "c",
                "disk_format": "qcow2",
                "status": "active",
                "properties": {
                    "hw_scsi_model": "virtio-scsi",
                    "hw_disk_bus": "scsi",
                    "os_type": "linux",
                    "os_distro": "cirros",
                },
            }
        ]
    )
    report, _planned, proposed = image_report(found, fix=True)
    statuses = {r["check"]: r["status"] for r in report.as_dict()["results"]}
    assert statuses == {"images.qcow2_on_rbd": "skip", "images.properties": "pass"}
    assert proposed == []
