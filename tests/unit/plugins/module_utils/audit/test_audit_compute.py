from __future__ import annotations

import datetime

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.compute import (
    analyse_services,
    cell_report,
    find_stuck_servers,
    service_report,
    stuck_report,
    unmapped_hosts,
)

NOW = datetime.datetime(2026, 11, 21, 12, 0, 0, tzinfo=datetime.UTC)
OLD = "2026-11-21T09:00:00.000000"
RECENT = "2026-11-21T11:59:50Z"


def _svc(host, state="up", status="enabled", binary="nova-compute", updated=RECENT, sid=None):
    return {
        "id": sid or host,
        "host": host,
        "binary": binary,
        "state": state,
        "status": status,
        "updated_at": updated,
        "disabled_reason": None,
        "forced_down": False,
    }


def _row(host, version, binary="nova-compute"):
    return {
        "host": host,
        "binary": binary,
        "version": str(version),
        "disabled": "0",
        "forced_down": "0",
        "last_seen_up": "2026-11-21 11:59:55",
    }


def test_down_unused_service_is_deletable_only_with_fix():
    services = [_svc("c1"), _svc("dead", state="down", updated=OLD)]
    a = analyse_services(services, [], [], [], {}, [], NOW, stale_after=3600)
    rows = {r["host"]: r for r in a["services"]}
    assert rows["dead"]["deletable"] and rows["dead"]["blockers"] == []
    assert not rows["c1"]["deletable"]
    report, planned, proposed = service_report(a, fix=False, versions_known=False)
    assert planned == [] and [p["host"] for p in proposed] == ["dead"]
    _r, planned, _p = service_report(a, fix=True, versions_known=False)
    assert [p["id"] for p in planned] == ["dead"]
    statuses = {r["check"]: r["status"] for r in report.as_dict()["results"]}
    assert statuses["services.down"] == "fail" and statuses["services.versions"] == "skip"


def test_blockers_are_named():
    services = [_svc("dead", state="down", updated=OLD)]
    servers = [{"id": "srv-1", "host": "dead"}]
    hyps = [{"id": "rp-1", "name": "dead.node", "host": "dead"}]
    migs = [{"uuid": "m1", "status": "running", "source_compute": "dead", "dest_compute": "c2"}]
    a = analyse_services(services, [], servers, hyps, {"rp-1": {"VCPU": 2, "DISK_GB": 0}}, migs, NOW)
    row = a["services"][0]
    assert not row["deletable"]
    text = " | ".join(row["blockers"])
    assert "1 instance(s) on host dead (srv-1)" in text
    assert "compute node dead.node (rp-1) has allocations: VCPU=2" in text
    assert "migration(s) in progress: m1" in text
    _r, planned, proposed = service_report(a, fix=True)
    assert planned == [] and proposed == []


def test_recently_down_is_not_deletable():
    a = analyse_services([_svc("c9", state="down", updated=RECENT)], [], [], [], {}, [], NOW, stale_after=600)
    assert not a["services"][0]["deletable"]
    assert "down for only" in a["services"][0]["blockers"][0]


def test_old_version_pins_minimum():
    services = [_svc("c1"), _svc("c2"), _svc("old", state="down", updated=OLD)]
    rows = [_row("c1", 74), _row("c2", 74), _row("old", 66)]
    a = analyse_services(services, rows, [], [], {}, [], NOW)
    by = {r["host"]: r for r in a["services"]}
    assert by["old"]["pins_minimum_version"] and "old_version" in by["old"]["problems"]
    assert not by["c1"]["pins_minimum_version"]
    assert a["minimum_versions"] == {"nova-compute": 66}
    report, _p, _pp = service_report(a)
    result = {r["check"]: r for r in report.as_dict()["results"]}["services.versions"]
    assert result["status"] == "fail" and "nova-compute@old v66" in result["message"]


def test_unmapped_hosts_and_discover_plan():
    services = [_svc("c1"), _svc("c2"), _svc("ctl", binary="nova-scheduler")]
    found = unmapped_hosts(services, [{"host": "c1"}, {"host": "gone"}])
    assert found["unmapped"] == ["c2"] and found["mapped_without_service"] == ["gone"]
    _r, planned, proposed = cell_report(found)
    assert planned == [] and proposed == [{"action": "discover_hosts", "hosts": ["c2"]}]
    _r, planned, _p = cell_report(unmapped_hosts(services[:1], [{"host": "c1"}]), fix=True)
    assert planned == []


def test_stuck_servers():
    servers = [
        {
            "id": "a",
            "name": "err",
            "status": "ERROR",
            "task_state": None,
            "updated_at": RECENT,
            "fault": {"message": "No valid host was found.", "code": 500},
        },
        {"id": "b", "name": "old-build", "status": "BUILD", "task_state": "spawning", "updated_at": OLD},
        {"id": "c", "name": "new-build", "status": "BUILD", "task_state": "spawning", "updated_at": RECENT},
        {"id": "d", "name": "ok", "status": "ACTIVE", "task_state": None, "updated_at": OLD},
        {
            "id": "e",
            "name": "stuck-task",
            "status": "ACTIVE",
            "task_state": "image_uploading",
            "updated_at": OLD,
        },
    ]
    stuck = find_stuck_servers(servers, NOW, older_than=3600)
    assert {s["id"] for s in stuck} == {"a", "b", "e"}
    err = next(s for s in stuck if s["id"] == "a")
    assert err["fault"] == "No valid host was found."
    statuses = {r["check"]: r["status"] for r in stuck_report(stuck, 3600).as_dict()["results"]}
    assert statuses["servers.error"] == "fail"
    assert statuses["servers.build"] == "warn"
    assert statuses["servers.task_state"] == "warn"
    assert statuses["servers.migrating"] == "pass"
