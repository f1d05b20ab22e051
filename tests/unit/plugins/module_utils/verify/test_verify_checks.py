"""The checks of compute_verify, on plain data."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services as ns
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NovaCommands
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify import checks as vc
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify import console as vcon
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify import placement as vp
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify import smoke as vs

NOW = datetime.datetime(2026, 11, 21, 6, 30, 0)
CELL1 = "5b1c0e7e-3a55-4a5e-9f2f-6f3c0d0b9d11"


def api_row(host, binary="nova-compute", state="up", status="enabled", reason=None, forced=False, age=5):
    return {
        "id": "id-%s-%s" % (binary, host),
        "host": host,
        "binary": binary,
        "state": state,
        "status": status,
        "disabled_reason": reason,
        "is_forced_down": forced,
        "updated_at": (NOW - datetime.timedelta(seconds=age)).isoformat(),
    }


def healthy_rows():
    return [api_row("ctl", "nova-scheduler"), api_row("ctl", "nova-conductor")] + [
        api_row("compute%d" % i) for i in (1, 2, 3)
    ]


def run(fn, *args, **kwargs):
    report = Report("verify")
    fn(report, *args, **kwargs)
    return report.results


def one(results, check):
    found = [r for r in results if r["check"] == check]
    assert len(found) == 1, results
    return found[0]


SANDBOX = NovaCommands(lambda argv: (0, "", ""), mode="sandbox", sandbox_command="/repo/sandbox/sandbox")
KOLLA = NovaCommands(lambda argv: (0, "", ""), mode="kolla", container_engine="podman")


# --- services ------------------------------------------------------------------------------
def test_services_all_pass():
    services = ns.analyze(healthy_rows(), now=NOW)
    results = run(vc.check_services, services)
    assert [r["status"] for r in results] == ["pass", "pass", "pass"]
    assert one(results, "services.compute")["message"] == "3 of 3 nova-compute services up and enabled"


def test_service_down_names_host_and_fix():
    rows = healthy_rows()
    rows[3] = api_row("compute2", state="down", age=400)
    results = run(vc.check_services, ns.analyze(rows, now=NOW), SANDBOX)
    r = one(results, "services.compute")
    assert r["status"] == "fail"
    assert "compute2" in r["message"]
    assert "/repo/sandbox/sandbox start-compute compute2" in r["fix"]


def test_service_down_kolla_fix_names_engine_and_container():
    rows = healthy_rows()
    rows[1] = api_row("ctl", "nova-conductor", state="down", age=400)
    r = one(run(vc.check_services, ns.analyze(rows, now=NOW), KOLLA), "services.conductor")
    assert r["status"] == "fail"
    assert "podman restart nova_conductor" in r["fix"]


def test_disabled_service_warns_with_reason():
    rows = healthy_rows()
    rows[2] = api_row("compute1", status="disabled", reason="RAM replacement")
    r = one(run(vc.check_services, ns.analyze(rows, now=NOW)), "services.compute")
    assert r["status"] == "warn"
    assert "compute1 (RAM replacement)" in r["message"]
    assert r["evidence"][0]["disabled_reason"] == "RAM replacement"


def test_missing_binary_fails():
    rows = [api_row("compute1")]
    r = one(run(vc.check_services, ns.analyze(rows, now=NOW)), "services.scheduler")
    assert r["status"] == "fail" and "no nova-scheduler" in r["message"]


def test_forced_down():
    rows = healthy_rows() + [api_row("compute4", forced=True, state="down")]
    r = one(run(vc.check_forced_down, ns.analyze(rows, now=NOW)), "services.forced_down")
    assert r["status"] == "fail"
    assert "openstack compute service set --up compute4 nova-compute" in r["fix"]
    assert (
        one(run(vc.check_forced_down, ns.analyze(healthy_rows(), now=NOW)), "services.forced_down")["status"]
        == "pass"
    )


def test_heartbeats():
    rows = healthy_rows()
    assert one(run(vc.check_heartbeats, ns.analyze(rows, now=NOW)), "services.heartbeat")["status"] == "pass"
    rows[4] = api_row("compute3", age=125)
    r = one(run(vc.check_heartbeats, ns.analyze(rows, now=NOW)), "services.heartbeat")
    assert r["status"] == "fail" and "compute3 125s ago" in r["message"]
    rows[4] = api_row("compute3", age=-45)
    r = one(run(vc.check_heartbeats, ns.analyze(rows, now=NOW)), "services.heartbeat")
    assert r["status"] == "warn" and "clock skew" in r["message"]


def _sql(host, version, disabled="0", forced="0", age=5, binary="nova-compute"):
    return {
        "host": host,
        "binary": binary,
        "version": str(version),
        "disabled": disabled,
        "forced_down": forced,
        "last_seen_up": (NOW - datetime.timedelta(seconds=age)).strftime("%Y-%m-%d %H:%M:%S"),
    }


def test_versions():
    assert one(run(vc.check_versions, None), "services.versions")["status"] == "skip"
    same = ns.version_spread([_sql("c1", 66), _sql("c2", 66)], now=NOW)
    r = one(run(vc.check_versions, same), "services.versions")
    assert r["status"] == "pass" and "66" in r["message"]
    mixed = ns.version_spread([_sql("c1", 70), _sql("c2", 66, age=900)], now=NOW)
    r = one(run(vc.check_versions, mixed), "services.versions")
    assert r["status"] == "warn"
    assert "nova-compute@c2 v66" in r["message"]
    assert "down or disabled rows pin it: nova-compute@c2" in r["message"]


# --- cells -----------------------------------------------------------------------------------
CELLS = [
    {"Name": "cell0", "UUID": vc.CELL0_UUID, "Disabled": "False"},
    {"Name": "cell1", "UUID": CELL1, "Disabled": "False"},
]


def test_cells():
    r = one(run(vc.check_cells, CELLS), "cells.present")
    assert r["status"] == "pass" and "cell1" in r["message"]
    r = one(run(vc.check_cells, CELLS[:1]), "cells.present")
    assert r["status"] == "fail" and "a cell for computes" in r["message"]
    r = one(run(vc.check_cells, CELLS[1:]), "cells.present")
    assert r["status"] == "fail" and "cell0" in r["message"]
    assert one(run(vc.check_cells, None), "cells.present")["status"] == "skip"
    disabled = [CELLS[0], dict(CELLS[1], Disabled="True")]
    assert one(run(vc.check_cells, disabled), "cells.present")["status"] == "fail"


def test_cells_evidence_has_no_urls():
    cells = [dict(c, **{"Transport URL": "rabbit://nova:secret@h//"}) for c in CELLS]
    r = one(run(vc.check_cells, cells), "cells.present")
    assert "secret" not in repr(r["evidence"])


MAPPINGS = [{"Cell Name": "cell1", "Cell UUID": CELL1, "Hostname": h} for h in ("compute1", "compute2")]


def test_unmapped_host_fails_with_discover_command():
    r = one(
        run(vc.check_host_mappings, ["compute1", "compute2", "compute3"], MAPPINGS, KOLLA, CELLS),
        "cells.host_mappings",
    )
    assert r["status"] == "fail" and "compute3" in r["message"]
    assert (
        r["fix"]
        == "podman exec nova_conductor nova-manage cell_v2 discover_hosts --by-service --cell_uuid %s" % CELL1
    )
    r = one(run(vc.check_host_mappings, ["compute3"], [], None), "cells.host_mappings")
    assert r["fix"] == "docker exec nova_conductor nova-manage cell_v2 discover_hosts --by-service"
    r = one(run(vc.check_host_mappings, ["compute3"], [], SANDBOX), "cells.host_mappings")
    assert r["fix"].startswith("/repo/sandbox/sandbox nova-manage cell_v2 discover_hosts")


def test_host_mappings_pass_and_stale_mapping_warns():
    r = one(run(vc.check_host_mappings, ["compute1", "compute2"], MAPPINGS), "cells.host_mappings")
    assert r["status"] == "pass"
    r = one(run(vc.check_host_mappings, ["compute1"], MAPPINGS), "cells.host_mappings")
    assert r["status"] == "warn" and "compute2" in r["message"]
    assert one(run(vc.check_host_mappings, ["compute1"], None), "cells.host_mappings")["status"] == "skip"


# --- hypervisors / providers -------------------------------------------------------------------
HYPS = [{"id": "u%d" % i, "name": "compute%d" % i, "service_host": "compute%d" % i} for i in (1, 2, 3)]
RPS = [{"id": "u%d" % i, "name": "compute%d" % i, "parent_provider_id": None} for i in (1, 2, 3)]
HOSTS = ["compute1", "compute2", "compute3"]


def test_hosts_one_to_one():
    results = run(vp.check_hosts, HOSTS, HYPS, RPS)
    assert one(results, "hypervisors.services")["status"] == "pass"
    assert one(results, "placement.providers")["status"] == "pass"


def test_provider_without_hypervisor_fails_unless_ignored():
    rps = RPS + [{"id": "g", "name": "ghost", "parent_provider_id": None}]
    r = one(run(vp.check_hosts, HOSTS, HYPS, rps), "placement.providers")
    assert r["status"] == "fail" and "provider ghost (g) has no hypervisor" in r["message"]
    assert "openstack resource provider delete g" in r["fix"]
    r = one(run(vp.check_hosts, HOSTS, HYPS, rps, ignore_providers=["ghost"]), "placement.providers")
    assert r["status"] == "pass"


def test_hypervisor_without_provider_and_service_without_hypervisor():
    results = run(vp.check_hosts, HOSTS + ["compute4"], HYPS, RPS[:2], SANDBOX)
    r = one(results, "placement.providers")
    assert r["status"] == "fail" and "hypervisor compute3 (u3) has no resource provider" in r["message"]
    r = one(results, "hypervisors.services")
    assert r["status"] == "fail" and "compute4" in r["message"]
    assert "start-compute compute4" in r["fix"]


# --- inventories ---------------------------------------------------------------------------------
def inv(vcpu_ratio=16.0, ram_ratio=1.5, disk_ratio=1.0, reserved_mem=512, reserved_disk=0, reserved_cpu=0):
    return {
        "VCPU": {"total": 8, "reserved": reserved_cpu, "allocation_ratio": vcpu_ratio, "min_unit": 1},
        "MEMORY_MB": {"total": 16384, "reserved": reserved_mem, "allocation_ratio": ram_ratio},
        "DISK_GB": {"total": 100, "reserved": reserved_disk, "allocation_ratio": disk_ratio},
    }


def test_expected_from_profile():
    exp = vp.expected_from_profile(
        {
            "cpu_allocation_ratio": "3.0",
            "ram_allocation_ratio": 1.0,
            "reserved_host_memory_mb": 2048,
            "reserved_host_disk_mb": 1025,
            "reserved_host_cpus": 2,
            "disk_allocation_ratio": 0.0,
            "cpu_dedicated_set": "4-7",
        }
    )
    assert exp == {
        "VCPU": {"allocation_ratio": 3.0, "reserved": 2},
        "MEMORY_MB": {"allocation_ratio": 1.0, "reserved": 2048},
        "DISK_GB": {"reserved": 2},
    }
    assert vp.expected_from_profile({}) == {}
    assert vp.expected_from_profile(None) == {}


def test_inventories_match_and_mismatch():
    expected = {
        "compute1": {"VCPU": {"allocation_ratio": 16.0}},
        "compute2": {"VCPU": {"allocation_ratio": 3.0}},
    }
    inventories = {"u1": inv(), "u2": inv()}
    results = run(vp.check_inventories, expected, inventories, RPS, HYPS)
    assert one(results, "inventories.compute1")["status"] == "pass"
    r = one(results, "inventories.compute2")
    assert r["status"] == "fail"
    assert "VCPU allocation_ratio is 16.0, expected 3.0" in r["message"]
    assert "[DEFAULT] cpu_allocation_ratio" in r["fix"]
    assert "/etc/kolla/config/nova/compute2/nova-compute.conf" in r["fix"]
    assert r["evidence"]["placement"]["VCPU"]["allocation_ratio"] == 16.0


def test_inventories_skip_and_missing_provider():
    assert one(run(vp.check_inventories, {}, {}, RPS, HYPS), "inventories")["status"] == "skip"
    r = one(
        run(vp.check_inventories, {"nohost": {"VCPU": {"reserved": 0}}}, {}, RPS, HYPS), "inventories.nohost"
    )
    assert r["status"] == "fail"
    r = one(run(vp.check_inventories, {"compute1": {}}, {}, RPS, HYPS), "inventories.compute1")
    assert r["status"] == "skip"


def test_resolve_provider_by_service_host_and_short_name():
    rps = [{"id": "u1", "name": "compute1.example.org", "parent_provider_id": None}]
    hyps = [{"id": "u1", "name": "compute1.example.org", "service_host": "c1"}]
    assert vp.resolve_provider("c1", rps, hyps)["id"] == "u1"
    assert vp.resolve_provider("compute1", rps, [])["id"] == "u1"
    assert vp.resolve_provider("compute9", rps, hyps) is None


# --- console -------------------------------------------------------------------------------------
CONSOLE_OK = {
    "server": {"id": "s", "name": "vm"},
    "type": "novnc",
    "url": "http://ctl:6080/vnc_lite.html?path=%3Ftoken%3Dabc",
    "probe": {"status": 200, "error": None, "novnc": True},
}


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (CONSOLE_OK, "pass"),
        (
            dict(CONSOLE_OK, probe={"status": None, "error": "URLError: [Errno 111] Connection refused"}),
            "fail",
        ),
        (dict(CONSOLE_OK, probe={"status": 404, "error": None}), "fail"),
        (dict(CONSOLE_OK, probe={"status": 200, "error": None, "novnc": False}), "warn"),
        (dict(CONSOLE_OK, error="HTTP 409 Conflict"), "fail"),
        ({"skipped": "no server"}, "skip"),
        (None, "skip"),
    ],
)
def test_console(result, status):
    r = one(run(vcon.check_console, result), "console.proxy")
    assert r["status"] == status
    if status == "fail" and "probe" in (result or {}) and not result.get("error"):
        assert "[vnc] novncproxy_base_url" in r["fix"]


# --- smoke ------------------------------------------------------------------------------------------
def test_smoke():
    assert one(run(vs.check_smoke, {"skipped": "check mode"}), "smoke.boot")["status"] == "skip"
    ok = {"server_id": "s", "status": "ACTIVE", "seconds": 4.2, "deleted": True}
    r = one(run(vs.check_smoke, ok), "smoke.boot")
    assert r["status"] == "pass" and "4.2" in r["message"]
    r = one(run(vs.check_smoke, dict(ok, status="ERROR", error="boom", timeout=60)), "smoke.boot")
    assert r["status"] == "fail" and "within 60s" in r["message"]
    r = one(run(vs.check_smoke, dict(ok, deleted=False, delete_error="409")), "smoke.boot")
    assert r["status"] == "warn" and "openstack server delete s" == r["fix"]


def test_mask_console_url():
    url = "http://ctl:6080/vnc_lite.html?path=%3Ftoken%3D6b52c558-80f7&x=1"
    assert vcon.mask_console_url(url) == "http://ctl:6080/vnc_lite.html?path=%3Ftoken%3D***&x=1"
    assert vcon.mask_console_url("ws://ctl:6083/?token=abc") == "ws://ctl:6083/?token=***"
    assert vcon.mask_console_url(None) is None


def test_messages_stay_short_on_large_clouds():
    hyps = [{"id": "n%d" % i, "name": "scale1-node%04d" % i, "service_host": "scale1"} for i in range(500)]
    results = run(vp.check_hosts, ["scale1"], hyps, [], SANDBOX)
    r = one(results, "placement.providers")
    assert r["status"] == "fail"
    assert "... and 490 more (see evidence)" in r["message"]
    assert len(r["message"]) < 1500
    # one fix per compute host, not per node, naming the service host to restart
    assert r["fix"].count("start-compute") == 1 and "start-compute scale1" in r["fix"]
    assert len(r["evidence"]["hypervisors_without_provider"]) == 500


def test_some():
    assert vc.some(["a", "b"]) == "a, b"
    assert vc.some(range(12), limit=2) == "0, 1, ... and 10 more (see evidence)"


def test_serial_console_any_http_answer_passes():
    result = dict(
        CONSOLE_OK, type="serial", url="ws://ctl:6083/?token=***", probe={"status": 405, "error": None}
    )
    assert one(run(vcon.check_console, result), "console.proxy")["status"] == "pass"
