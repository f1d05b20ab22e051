"""Upgrade readiness: database."""

from __future__ import annotations

import json

from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    Report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import database as upgrade_database
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import status as upgrade_status
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import target as upgrade_target

from .fakes import (
    NOVA_STATUS,
    T34,
    assert_masked,
)


def test_parse_nova_status():
    checks = upgrade_status.parse_nova_status(NOVA_STATUS)
    assert [(c["check"], c["result"]) for c in checks] == [
        ("Cells v2", "Success"),
        ("Older than N-1 computes", "Failure"),
        ("hw_machine_type unset", "Warning"),
    ]
    assert checks[0]["details"] is None
    assert checks[1]["details"].endswith("in your system is 70 and the oldest supported service level is 72.")
    assert "https://docs.openstack.org/nova/latest/admin/hw-machine-type.html" in checks[2]["details"]


def test_check_nova_status():
    report = Report("upgrade_check")
    upgrade_status.check_nova_status(report, 2, NOVA_STATUS)
    assert [(r["check"], r["status"]) for r in report.results] == [
        ("nova_status.cells_v2", "pass"),
        ("nova_status.older_than_n_1_computes", "fail"),
        ("nova_status.hw_machine_type_unset", "warn"),
    ]
    report = Report("upgrade_check")
    upgrade_status.check_nova_status(report, 255, "", "Traceback ...")
    assert report.results[0]["check"] == "nova_status.run" and report.results[0]["status"] == "fail"


def test_database_revisions():
    current = upgrade_target.target_release("2026.1")
    report = Report("upgrade_check")
    upgrade_database.check_database(
        report,
        T34,
        {
            "nova_api": ("api", "cdeec0c85668"),
            "nova": ("main", "d60bddf7a903"),
            "nova_cell0": ("main", "ab450ba04102"),
            "nova_cell2": ("main", "deadbeef0000"),
        },
        current,
    )
    by = {r["check"]: r for r in report.results}
    assert by["database.nova_api"]["status"] == "pass"
    assert by["database.nova"]["status"] == "fail"
    assert by["database.nova"]["fix"] == "docker exec nova_api nova-manage db sync"
    assert "behind 2903cd72dc14" in by["database.nova"]["message"]
    assert by["database.nova_cell0"]["status"] == "warn"
    assert by["database.nova_cell2"]["status"] == "warn"
    assert "2026.2 migrates it to ab450ba04102" in by["database.nova_cell0"]["message"]


def test_online_migrations():
    report = Report("upgrade_check")
    upgrade_database.check_online_migrations(report, None)
    assert report.results[0]["status"] == "skip"
    assert report.results[0]["fix"].splitlines() == [
        "docker exec nova_api nova-manage db online_data_migrations",
        "docker exec nova_conductor nova-manage db online_data_migrations   # on a conductor host of each cell",
    ]
    report = Report("upgrade_check")
    upgrade_database.check_online_migrations(
        report, {"nova": {"populate_dev_uuids": 0}, "nova_api": {"populate_user_id": 0}}
    )
    assert report.results[0]["status"] == "skip" and "no dry run" in report.results[0]["message"]
    report = Report("upgrade_check")
    upgrade_database.check_online_migrations(report, {"nova": {"populate_dev_uuids": 3, "populate_uuids": 0}})
    assert report.results[0]["status"] == "warn"
    assert "nova: populate_dev_uuids 3 row(s)" in report.results[0]["message"]


def test_online_migration_sql():
    text = upgrade_database.online_migration_sql("cell")
    assert text.startswith("SELECT (SELECT COUNT(*) FROM pci_devices")
    assert "AS populate_instance_compute_id" in text
    assert upgrade_database.parse_counts([{"populate_user_id": "2", "populate_queued_for_delete": "0"}]) == {
        "populate_user_id": 2,
        "populate_queued_for_delete": 0,
    }
    assert upgrade_database.parse_counts([]) == {}


def test_nova_status_details_are_masked():
    text = NOVA_STATUS.replace("Details: None  ", "Details: mysql+pymysql://nova:S3cret@db/nova").replace(
        "Result: Success", "Result: Failure"
    )
    report = Report("upgrade_check")
    upgrade_status.check_nova_status(report, 1, text)
    assert_masked(json.dumps(report.as_dict()), "mysql+pymysql://nova:***@db/nova")
