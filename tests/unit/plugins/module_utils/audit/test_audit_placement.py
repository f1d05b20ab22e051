from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.placement import (
    allocation_report,
    capacity,
    capacity_report_of,
    compare_quota_usage,
    find_orphaned_allocations,
    fits,
    flavor_request,
    quota_report,
)

RP1 = "11111111-1111-1111-1111-111111111111"
RP2 = "22222222-2222-2222-2222-222222222222"
PROVIDERS = [
    {"uuid": RP1, "name": "compute1", "root_provider_uuid": RP1, "parent_provider_uuid": None},
    {"uuid": RP2, "name": "compute2", "root_provider_uuid": RP2, "parent_provider_uuid": None},
]
RES = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}


def _servers(*items):
    return [{"id": i, "node": n, "status": "ACTIVE"} for i, n in items]


def test_orphan_found_and_planned_only_with_fix():
    allocations = {RP1: {"srv-1": RES, "gone-1": RES}, RP2: {}}
    found = find_orphaned_allocations(PROVIDERS, allocations, _servers(("srv-1", "compute1")), [])
    assert [o["consumer"] for o in found["orphaned"]] == ["gone-1"]
    assert found["orphaned"][0]["provider"] == "compute1"
    assert found["per_provider"] == [
        {"provider": "compute1", "uuid": RP1, "consumers": 2, "orphaned": 1, "misplaced": 0, "migrations": 0}
    ]
    report, planned, proposed = allocation_report(found, fix=False)
    assert planned == []
    assert proposed == [{"action": "delete_allocations", "consumer": "gone-1", "providers": ["compute1"]}]
    assert report.as_dict()["results"][0]["status"] == "fail"
    _r, planned, _p = allocation_report(found, fix=True)
    assert planned == proposed


def test_in_progress_migration_consumer_is_never_orphaned():
    mig = {
        "uuid": "mig-1",
        "status": "running",
        "instance_uuid": "srv-1",
        "source_node": "compute1",
        "dest_node": "compute2",
    }
    allocations = {RP1: {"mig-1": RES}, RP2: {"srv-1": RES}}
    found = find_orphaned_allocations(PROVIDERS, allocations, _servers(("srv-1", "compute2")), [mig])
    assert found["orphaned"] == []
    assert [m["consumer"] for m in found["migration"]] == ["mig-1"]
    _r, _planned, proposed = allocation_report(found, fix=True)
    assert proposed == []


def test_finished_migration_consumer_is_orphaned():
    mig = {"uuid": "mig-1", "status": "completed", "instance_uuid": "srv-1"}
    found = find_orphaned_allocations(PROVIDERS, {RP1: {"mig-1": RES}}, [], [mig])
    assert [o["consumer"] for o in found["orphaned"]] == ["mig-1"]


def test_migrating_server_on_both_nodes_is_not_misplaced():
    mig = {
        "uuid": "m",
        "status": "migrating",
        "instance_uuid": "srv-1",
        "source_node": "compute1",
        "dest_node": "compute2",
    }
    allocations = {RP1: {"srv-1": RES}, RP2: {"srv-1": RES}}
    found = find_orphaned_allocations(PROVIDERS, allocations, _servers(("srv-1", "compute1")), [mig])
    assert found["misplaced"] == []


def test_misplaced_reported_not_repaired():
    allocations = {RP1: {"srv-1": RES}, RP2: {"srv-1": RES}}
    found = find_orphaned_allocations(PROVIDERS, allocations, _servers(("srv-1", "compute1")), [])
    assert [m["provider"] for m in found["misplaced"]] == ["compute2"]
    report, _planned, proposed = allocation_report(found, fix=True)
    assert proposed == []
    statuses = {r["check"]: r["status"] for r in report.as_dict()["results"]}
    assert statuses["allocations.misplaced"] == "warn"
    assert statuses["allocations.orphaned"] == "pass"


def test_non_nova_consumers_are_ignored():
    found = find_orphaned_allocations(PROVIDERS, {RP1: {"x": {"CUSTOM_FOO": 1}}}, [], [])
    assert found["orphaned"] == []
    assert found["ignored_non_nova"] == 1


def test_quota_drift_and_over_quota():
    nova = {
        "p1": {
            "limits": {"instances": 10, "cores": 1, "ram": -1},
            "in_use": {"instances": 2, "cores": 2, "ram": 1024},
        },
        "p2": {
            "limits": {"instances": 10, "cores": 20, "ram": 51200},
            "in_use": {"instances": 1, "cores": 1, "ram": 512},
        },
    }
    placement = {"p1": {"VCPU": 2, "MEMORY_MB": 1024}, "p2": {"VCPU": 2, "MEMORY_MB": 512}}
    rows = {r["project_id"]: r for r in compare_quota_usage(nova, placement)}
    assert rows["p1"]["drift"] == {}
    assert rows["p1"]["over_quota"] == {"cores": {"limit": 1, "in_use": 2}}
    assert rows["p2"]["drift"] == {"cores": {"nova": 1, "placement": 2, "difference": 1}}
    statuses = {r["check"]: r["status"] for r in quota_report(list(rows.values())).as_dict()["results"]}
    assert statuses == {"quota.usage_drift": "warn", "quota.over_quota": "warn"}


def test_pcpu_counts_as_cores():
    rows = compare_quota_usage({"p": {"limits": {}, "in_use": {"cores": 4}}}, {"p": {"PCPU": 4}})
    assert rows[0]["drift"] == {}


def test_flavor_request():
    assert flavor_request({"vcpus": 2, "ram": 2048, "disk": 20, "ephemeral": 5, "swap": 1024}) == {
        "VCPU": 2,
        "MEMORY_MB": 2048,
        "DISK_GB": 26,
    }
    pinned = flavor_request({"vcpus": 4, "ram": 1, "disk": 0, "extra_specs": {"hw:cpu_policy": "dedicated"}})
    assert pinned == {"PCPU": 4, "MEMORY_MB": 1}
    assert flavor_request({"vcpus": 1, "ram": 1, "disk": 10, "extra_specs": {"resources:DISK_GB": "0"}}) == {
        "VCPU": 1,
        "MEMORY_MB": 1,
    }


def test_fits_respects_ratio_reserved_and_max_unit():
    inv = {
        "VCPU": {"total": 8, "reserved": 0, "allocation_ratio": 4.0, "max_unit": 8, "min_unit": 1},
        "MEMORY_MB": {
            "total": 16384,
            "reserved": 512,
            "allocation_ratio": 1.0,
            "max_unit": 16384,
            "min_unit": 1,
        },
    }
    assert fits(inv, {"VCPU": 30}, {"VCPU": 1, "MEMORY_MB": 1}) == 2
    assert fits(inv, {}, {"VCPU": 2, "MEMORY_MB": 4096}) == 3  # (16384-512)//4096
    assert fits(inv, {}, {"VCPU": 16}) == 0  # above max_unit
    assert fits(inv, {}, {"PCPU": 1}) == 0  # no inventory


def test_capacity_rollups():
    inv = {"VCPU": {"total": 4, "reserved": 0, "allocation_ratio": 2.0, "max_unit": 4, "min_unit": 1}}
    cap = capacity(
        PROVIDERS,
        {RP1: inv, RP2: inv},
        {RP1: {"VCPU": 6}, RP2: {}},
        [{"id": RP1, "name": "compute1", "host": "c1"}, {"id": RP2, "name": "compute2", "host": "c2"}],
        [{"name": "fast", "hosts": ["c1"], "availability_zone": "az1", "metadata": {}}],
        [{"name": "m1.small", "vcpus": 2, "ram": 0, "disk": 0}],
    )
    hosts = {h["host"]: h for h in cap["hosts"]}
    assert hosts["c1"]["resources"]["VCPU"]["capacity"] == 8
    assert hosts["c1"]["resources"]["VCPU"]["used_percent"] == 75.0
    assert hosts["c1"]["fits"] == {"m1.small": 1}
    assert cap["cloud"]["fits"] == {"m1.small": 5}
    zones = {z["availability_zone"]: z for z in cap["availability_zones"]}
    assert zones["az1"]["hosts"] == ["c1"] and zones["nova"]["hosts"] == ["c2"]
    assert cap["aggregates"][0]["resources"]["VCPU"]["used"] == 6
    report = capacity_report_of(cap, warn_percent=70)
    statuses = {r["check"]: r["status"] for r in report.as_dict()["results"]}
    assert statuses["capacity.utilisation"] == "warn"
