"""Unit tests of compute_host state=evacuated and the enable guard, against the simulated Nova."""

from __future__ import annotations

import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import (
    make_evacuate_classifier,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.enable import enable
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import down_hosts_guard
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import ComputeHostError
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.report import fail_remaining

from .fakes import FakeNova, Interrupted, dead, mutations, opts, run_evacuate


def test_refused_while_service_is_up(tmp_path):
    nova = FakeNova()
    nova.add("a")
    with pytest.raises(ComputeHostError, match="service is up"):
        run_evacuate(nova, tmp_path)
    assert not mutations(nova)


def test_refused_without_fencing_confirmation(tmp_path):
    nova = FakeNova()
    nova.add("a")
    dead(nova)
    with pytest.raises(ComputeHostError, match="fenced=true"):
        run_evacuate(nova, tmp_path, fenced=False)
    assert not mutations(nova)
    assert not (tmp_path / "state.json").exists()


def test_refused_when_too_many_hosts_down(tmp_path):
    nova = FakeNova()
    nova.add("a")
    dead(nova, "compute1")
    dead(nova, "compute2")
    with pytest.raises(ComputeHostError, match="2 of 3 compute services are down"):
        run_evacuate(nova, tmp_path, max_down_hosts=1)
    assert not mutations(nova)


def test_down_hosts_guard_share():
    services = [{"binary": "nova-compute", "host": "c%d" % i, "state": "up"} for i in range(10)]
    services[0]["state"] = "down"
    assert down_hosts_guard(services, 5, 0.1) == ["c0"]
    services[1]["state"] = "down"
    with pytest.raises(ComputeHostError):
        down_hosts_guard(services, 5, 0.1)


def test_local_disk_needs_explicit_option():
    cls = make_evacuate_classifier(shared_storage=False, allow_local_disk_loss=False)
    klass, _action, reason = cls({"status": "ACTIVE", "image_id": "img"})
    assert klass == "blocked" and "data is lost" in reason
    assert cls({"status": "ACTIVE", "image_id": None})[0] == "evacuate"  # boot from volume
    assert make_evacuate_classifier(True, False)({"status": "ACTIVE", "image_id": "img"})[0] == "evacuate"
    assert make_evacuate_classifier(False, True)({"status": "ACTIVE", "image_id": "img"})[0] == "evacuate"
    assert cls({"status": "ACTIVE", "task_state": "rebuilding"})[0] == "moving"


def test_evacuate_restores_power_state(tmp_path):
    nova = FakeNova()
    for i in range(5):
        nova.add("run%d" % i)
    nova.add("off", status="SHUTOFF")
    for s in nova.servers.values():
        s["image_id"] = "img"
    dead(nova)
    res = run_evacuate(nova, tmp_path)
    assert not res.get("failed"), res.get("msg")
    assert res["summary"] == {"moved": 6}
    assert len(res["local_disk_warnings"]) == 6
    svc = next(s for s in nova.services_ if s["host"] == "compute1")
    assert svc["forced_down"] is True and svc["status"] == "disabled"
    assert svc["disabled_reason"].startswith("kolla_ops.nova evacuate ")
    assert {s["id"]: s["status"] for s in nova.servers.values()} == {
        **{"run%d" % i: "ACTIVE" for i in range(5)},
        "off": "SHUTOFF",
    }
    assert all(s["host"] != "compute1" for s in nova.servers.values())
    names = [c[0] for c in nova.calls]
    assert names.index("force_down") < names.index("evacuate")
    again = run_evacuate(nova, tmp_path)
    assert again["changed"] is False


def test_local_disk_blocked_without_option(tmp_path):
    nova = FakeNova()
    nova.add("img")
    nova.servers["img"]["image_id"] = "cirros"
    nova.add("vol")
    nova.servers["vol"]["image_id"] = None
    dead(nova)
    res = run_evacuate(nova, tmp_path, allow_local_disk_loss=False)
    rows = {r["id"]: r for r in res["instances"]}
    assert rows["img"]["outcome"] == "blocked" and rows["vol"]["outcome"] == "moved"
    assert res["failed"] is True


def test_check_mode_plan_only(tmp_path):
    nova = FakeNova()
    nova.add("a")
    dead(nova)
    res = run_evacuate(nova, tmp_path, check_mode=True)
    assert res["changed"] is True
    assert res["plan"][0]["class"] == "evacuate"
    assert "force down" in res["service_action"]
    assert not mutations(nova)


def test_interrupted_evacuation_resumes(tmp_path):
    nova = FakeNova(nova_concurrency=2)
    for i in range(6):
        nova.add("s%d" % i)
    dead(nova)
    nova.interrupt_at = 12
    with pytest.raises(Interrupted):
        run_evacuate(nova, tmp_path)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["operation"] == "evacuate" and state["phase"] == "evacuating"
    res = run_evacuate(nova, tmp_path)
    assert res["summary"] == {"moved": 6}
    assert all(s["status"] == "ACTIVE" and s["host"] != "compute1" for s in nova.servers.values())


def test_enable_refused_while_evacuations_unfinished(tmp_path):
    nova = FakeNova()
    nova.add("a")
    dead(nova)
    run_evacuate(nova, tmp_path)
    # the host comes back but nova-compute has not cleaned up yet: migration still "done"
    nova.allocations = {"compute1": [{"consumer": "a", "resources": {"VCPU": 1}}]}
    with pytest.raises(ComputeHostError, match="not finished") as err:
        enable(nova, "compute1", opts(), str(tmp_path / "state.json"), "sandbox")
    assert err.value.details["stale_allocations"][0]["consumer"] == "a"
    svc = next(s for s in nova.services_ if s["host"] == "compute1")
    assert svc["status"] == "disabled"
    # nova-compute starts, removes the evacuated guest, completes the migration
    for m in nova.migrations:
        m["status"] = "completed"
    svc["state"] = "up"
    res = enable(nova, "compute1", opts(), str(tmp_path / "state.json"), "sandbox")
    assert res["changed"] is True
    assert res["stale_allocations"][0]["now_on"] != "compute1"
    assert svc["status"] == "enabled" and svc["forced_down"] is False


@pytest.mark.parametrize("done", ["drained", "evacuated"])
def test_remaining_instances_fail_the_run_naming_them(done):
    result = {}
    rows = [
        {"name": "db-1", "outcome": "blocked", "message": "in ERROR"},
        {"name": "web-1", "outcome": "moved"},
    ]
    fail_remaining(result, rows, [{"id": "u1", "name": "db-1"}], "cmp1", "/s/x.json", done)
    assert result["failed"] is True
    assert result["msg"].startswith("host cmp1 is not %s: 1 instance(s) remain (db-1: in ERROR)" % done)
    assert result["msg"].endswith("re-run to resume (state file /s/x.json)")
    # nothing blocked (still moving when the time ran out): the remaining ones are named
    result = {}
    fail_remaining(result, [], [{"id": "u2", "name": None}], "cmp1", "/s/x.json", done)
    assert "1 instance(s) remain (u2)" in result["msg"]
