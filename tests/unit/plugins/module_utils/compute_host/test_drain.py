"""Unit tests of the compute_host drain core against a simulated Nova.

``FakeNova`` behaves like the API as the core sees it: migrations queue on the source host
behind ``max_concurrent_live_migrations``, take time on a fake clock, can fail, be aborted or
force-completed; cold migrations stop in VERIFY_RESIZE until confirmed; an outage window
makes every call raise TransientError.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import (
    classify,
    server_group_block,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.drain import drain
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.enable import enable
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import match_host
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    TransientError,
    operation_reason,
    parse_markers,
    utcnow,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.mover import Mover
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import Progress, StateFile

from .fakes import FakeNova, Interrupted, opts


def run_drain(nova, tmp_path, o=None, host="compute1", check_mode=False, **kw):
    return drain(
        nova,
        host,
        o or opts(),
        str(tmp_path / "state.json"),
        "sandbox",
        reason="kernel upgrade",
        user="alice",
        check_mode=check_mode,
        log_path=str(tmp_path / "drain.log"),
        clock=nova.clock,
        sleep=nova.sleep,
        **kw,
    )


# ---------------------------------------------------------------------------------------
def test_match_host_is_exact_and_unknown_lists_known():
    services = [
        {"host": "compute1", "binary": "nova-compute"},
        {"host": "compute10", "binary": "nova-compute"},
        {"host": "ctl", "binary": "nova-scheduler"},
    ]
    assert match_host(services, "compute1")["host"] == "compute1"
    assert match_host(services, "compute10")["host"] == "compute10"
    with pytest.raises(ComputeHostError) as err:
        match_host(services, "compute")
    assert "compute1, compute10" in err.value.msg
    assert err.value.details["known_hosts"] == ["compute1", "compute10"]
    with pytest.raises(ComputeHostError):
        match_host(services, "ctl")


def test_match_host_duplicate_registration():
    services = [
        {"host": "c1", "binary": "nova-compute", "id": 1},
        {"host": "c1", "binary": "nova-compute", "id": 2},
    ]
    with pytest.raises(ComputeHostError, match="duplicate"):
        match_host(services, "c1")


def test_operation_reason_names_operation_time_user():
    text = operation_reason("drain", "kernel", "alice", utcnow().replace(2026, 11, 21, 7, 0))
    assert text == "kolla_ops.nova drain 2026-11-21T07:00Z by alice: kernel"


@pytest.mark.parametrize(
    ("server", "klass"),
    [
        ({"status": "ACTIVE"}, "live"),
        ({"status": "PAUSED"}, "live"),
        ({"status": "SHUTOFF"}, "cold"),
        ({"status": "ERROR"}, "blocked"),
        ({"status": "ACTIVE", "task_state": "rebooting"}, "blocked"),
        ({"status": "SUSPENDED"}, "blocked"),
        ({"status": "BUILD", "task_state": "spawning"}, "pending"),
        ({"status": "MIGRATING", "task_state": "migrating"}, "moving"),
        ({"status": "ACTIVE", "metadata": {"no_migrate": "1"}}, "blocked"),
    ],
)
def test_classify(server, klass):
    assert classify(server, parse_markers(["no_migrate"]))[0] == klass


def test_classify_marker_with_value():
    markers = parse_markers(["pinned=yes"])
    assert classify({"status": "ACTIVE", "metadata": {"pinned": "no"}}, markers)[0] == "live"
    assert classify({"status": "ACTIVE", "metadata": {"pinned": "yes"}}, markers)[0] == "blocked"


def test_server_group_block():
    srv = {"id": "a"}
    anti = [{"id": "g", "name": "g", "policy": "anti-affinity", "members": ["a", "b", "c"]}]
    hosts = {"b": "compute2", "c": "compute3"}
    reason = server_group_block(srv, anti, hosts, ["compute2", "compute3"], "compute1")
    assert reason and "anti-affinity" in reason
    assert server_group_block(srv, anti, hosts, ["compute2", "compute3", "compute4"], "compute1") is None
    aff = [{"id": "g", "name": "g", "policy": "affinity", "members": ["a", "b"]}]
    assert "affinity" in server_group_block(srv, aff, {"b": "compute1"}, ["compute2"], "compute1")
    soft = [{"id": "g", "name": "g", "policy": "soft-anti-affinity", "members": ["a", "b"]}]
    assert server_group_block(srv, soft, {"b": "compute2"}, ["compute2"], "compute1") is None


# ---------------------------------------------------------------------------------------
def test_drain_twelve_servers_window_three(tmp_path):
    nova = FakeNova(nova_concurrency=3)
    for i in range(12):
        nova.add("s%02d" % i)
    res = run_drain(nova, tmp_path)
    assert res["changed"] is True
    assert not res.get("failed"), res.get("msg")
    assert res["summary"] == {"moved": 12}
    assert all(r["destination"] in ("compute2", "compute3") for r in res["instances"])
    assert nova.max_running == 3
    svc = next(s for s in nova.services_ if s["host"] == "compute1")
    assert svc["status"] == "disabled"
    assert svc["disabled_reason"].startswith("kolla_ops.nova drain ")
    assert svc["disabled_reason"].endswith("by alice: kernel upgrade")
    # the service is disabled before anything moves
    names = [c[0] for c in nova.calls]
    assert names.index("disable_service") < names.index("live_migrate")
    # 12 migrations of 10 s, 3 at a time: 40 s plus polling, not 120 s
    assert nova.now < 55
    log = (tmp_path / "drain.log").read_text()
    assert log.count(" started ") == 12 and log.count(" done ") == 12
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["phase"] == "drained"
    assert {r["status"] for r in state["instances"].values()} == {"done"}


def test_drained_host_reports_unchanged(tmp_path):
    nova = FakeNova()
    nova.add("a")
    assert run_drain(nova, tmp_path)["changed"] is True
    calls = len(nova.calls)
    again = run_drain(nova, tmp_path)
    assert again["changed"] is False
    assert again["summary"] == {"moved": 1}
    assert not [c for c in nova.calls[calls:] if c[0] in ("disable_service", "live_migrate")]


def test_check_mode_returns_plan_and_touches_nothing(tmp_path):
    nova = FakeNova()
    nova.add("a")
    nova.add("b", status="SHUTOFF")
    nova.add("c", status="ERROR")
    res = run_drain(nova, tmp_path, check_mode=True)
    assert res["changed"] is True
    plan = {p["id"]: (p["class"], p["action"]) for p in res["plan"]}
    assert plan == {"a": ("live", "live_migrate"), "b": ("cold", "cold_migrate"), "c": ("blocked", "none")}
    assert "disable" in res["service_action"]
    mutating = {"disable_service", "live_migrate", "cold_migrate", "enable_service", "confirm_resize"}
    assert not [c for c in nova.calls if c[0] in mutating]
    assert not (tmp_path / "state.json").exists()


def test_unknown_host_changes_nothing(tmp_path):
    nova = FakeNova()
    with pytest.raises(ComputeHostError, match="compute1, compute2, compute3"):
        run_drain(nova, tmp_path, host="compute9")


def test_per_destination_limit_with_target(tmp_path):
    nova = FakeNova(nova_concurrency=4)
    for i in range(6):
        nova.add("s%d" % i)
    res = run_drain(nova, tmp_path, opts(max_concurrent=4, max_per_destination=2, target_host="compute2"))
    assert res["summary"] == {"moved": 6}
    assert {r["destination"] for r in res["instances"]} == {"compute2"}
    assert nova.max_running == 2


def test_per_destination_limit_scheduler_choice(tmp_path):
    nova = FakeNova(nova_concurrency=4)
    for i in range(6):
        nova.add("s%d" % i)
    seen = []

    def watch(n):
        per = {}
        for m in n.migrations:
            if m["status"] in ("queued", "running"):
                per[m["dest"]] = per.get(m["dest"], 0) + 1
        seen.append(max(per.values(), default=0))

    nova.on_tick = watch
    res = run_drain(nova, tmp_path, opts(max_concurrent=4, max_per_destination=1))
    assert res["summary"] == {"moved": 6}
    assert max(seen) == 1


def test_target_host_must_be_a_candidate(tmp_path):
    nova = FakeNova()
    nova.add("a")
    with pytest.raises(ComputeHostError, match="target_host"):
        run_drain(nova, tmp_path, opts(target_host="compute1"))


def test_failure_policy_continue(tmp_path):
    nova = FakeNova()
    for i in range(5):
        nova.add("s%d" % i, metadata={"fail": "1"} if i == 1 else None)
    res = run_drain(nova, tmp_path, opts(failure_policy="continue"))
    assert res["failed"] is True
    assert res["summary"] == {"moved": 4, "failed": 1}
    bad = next(r for r in res["instances"] if r["id"] == "s1")
    assert "still on compute1" in bad["message"] and "status error" in bad["message"]
    assert [s["id"] for s in res["remaining"]] == ["s1"]


def test_failure_policy_stop_lets_running_finish(tmp_path):
    nova = FakeNova(nova_concurrency=3)
    for i in range(8):
        nova.add("s%d" % i, metadata={"fail": "1"} if i == 0 else None, duration=5 if i == 0 else 10)
    res = run_drain(nova, tmp_path, opts(failure_policy="stop"))
    assert res["failed"] is True
    summary = res["summary"]
    assert summary["failed"] == 1
    # s1 and s2 were running when s0 failed: they finish; the rest is not started
    assert summary["moved"] == 2
    assert summary["skipped"] == 5
    assert not [m for m in nova.migrations if m["status"] in ("queued", "running")]


def test_timeout_abort(tmp_path):
    nova = FakeNova()
    nova.add("slow", duration=500)
    nova.add("fast", duration=5)
    res = run_drain(nova, tmp_path, opts(timeout=30, timeout_action="abort", failure_policy="continue"))
    rows = {r["id"]: r for r in res["instances"]}
    assert rows["fast"]["outcome"] == "moved"
    assert rows["slow"]["outcome"] == "failed"
    assert "aborted" in rows["slow"]["message"]
    assert nova.servers["slow"]["host"] == "compute1"
    assert any(e["event"] == "timeout" for e in res["events"])


def test_timeout_force_complete(tmp_path):
    nova = FakeNova()
    nova.add("slow", duration=500)
    res = run_drain(nova, tmp_path, opts(timeout=30, timeout_action="force_complete"))
    row = res["instances"][0]
    assert row["outcome"] == "moved"
    assert "force-completed" in row["message"]
    assert nova.now < 60


def test_timeout_clock_starts_when_nova_runs_it(tmp_path):
    # Nova runs one at a time: the third waits 20 s in Nova's queue, which is not its fault.
    nova = FakeNova(nova_concurrency=1)
    for i in range(3):
        nova.add("s%d" % i, duration=10)
    res = run_drain(nova, tmp_path, opts(timeout=15, max_concurrent=3))
    assert res["summary"] == {"moved": 3}


def test_shutoff_cold_migrated_and_confirmed(tmp_path):
    nova = FakeNova()
    nova.add("off", status="SHUTOFF")
    res = run_drain(nova, tmp_path)
    row = res["instances"][0]
    assert (row["action"], row["outcome"]) == ("cold_migrate", "moved")
    assert nova.servers["off"]["status"] == "SHUTOFF"
    assert nova.servers["off"]["host"] != "compute1"
    assert nova.migrations[0]["status"] == "confirmed"


def test_blocked_reported_not_moved(tmp_path):
    nova = FakeNova()
    nova.add("err", status="ERROR")
    nova.add("keep", metadata={"no_migrate": "x"})
    nova.add("ok")
    res = run_drain(nova, tmp_path, opts(blocked_metadata=["no_migrate"]))
    assert res["failed"] is True
    assert res["summary"] == {"blocked": 2, "moved": 1}
    assert "err" in res["msg"] or "vm-err" in res["msg"]


def test_anti_affinity_without_room_is_blocked(tmp_path):
    nova = FakeNova()
    nova.add("a")
    nova.add("b", host="compute2")
    nova.add("c", host="compute3")
    nova.groups = [{"id": "g1", "name": "web", "policy": "anti-affinity", "members": ["a", "b", "c"]}]
    res = run_drain(nova, tmp_path)
    row = res["instances"][0]
    assert row["outcome"] == "blocked" and "web" in row["message"]
    assert not [c for c in nova.calls if c[0] == "live_migrate"]


def test_server_landing_mid_drain_is_caught(tmp_path):
    nova = FakeNova()
    for i in range(3):
        nova.add("s%d" % i)
    state = {"done": False}

    def land(n):
        if n.now >= 12 and not state["done"]:
            state["done"] = True
            n.add("late", status="BUILD", task="spawning")
        if n.now >= 16 and n.servers.get("late", {}).get("status") == "BUILD":
            n.servers["late"].update(status="ACTIVE", task_state=None)

    nova.on_tick = land
    res = run_drain(nova, tmp_path)
    assert state["done"]
    assert res["summary"] == {"moved": 4}
    assert nova.servers["late"]["host"] != "compute1"


def test_interrupted_then_rerun_accounts_for_everything(tmp_path):
    nova = FakeNova(nova_concurrency=2)
    for i in range(8):
        nova.add("s%d" % i)
    nova.add("off", status="SHUTOFF")
    nova.interrupt_at = 15
    with pytest.raises(Interrupted):
        run_drain(nova, tmp_path)
    state = json.loads((tmp_path / "state.json").read_text())
    assert {r["status"] for r in state["instances"].values()} >= {"started", "done"}
    res = run_drain(nova, tmp_path)
    assert not res.get("failed"), res.get("msg")
    assert res["summary"] == {"moved": 9}
    assert sorted(r["id"] for r in res["instances"]) == sorted(nova.servers)
    assert all(s["host"] != "compute1" for s in nova.servers.values())
    assert any(e["event"] == "resumed" for e in res["events"])


def test_interrupted_in_verify_resize_is_confirmed_on_rerun(tmp_path):
    nova = FakeNova()
    nova.add("off", status="SHUTOFF", duration=5)
    nova.interrupt_at = 5
    with pytest.raises(Interrupted):
        run_drain(nova, tmp_path)
    assert nova.servers["off"]["status"] == "VERIFY_RESIZE"
    res = run_drain(nova, tmp_path)
    assert res["changed"] is True
    assert res["summary"] == {"moved": 1}
    assert nova.servers["off"]["status"] == "SHUTOFF"


def test_api_outage_mid_drain(tmp_path):
    nova = FakeNova()
    for i in range(5):
        nova.add("s%d" % i)
    nova.down = (12, 40)
    res = run_drain(nova, tmp_path)
    assert res["summary"] == {"moved": 5}
    kinds = [e["event"] for e in res["events"]]
    assert "api_unavailable" in kinds and "api_back" in kinds


def test_api_outage_too_long_saves_and_fails(tmp_path):
    nova = FakeNova()
    nova.add("a", duration=50)
    nova.down = (5, 10_000)
    with pytest.raises(ComputeHostError, match="re-run"):
        run_drain(nova, tmp_path, opts(api_retry_timeout=30))
    nova.down = None
    res = run_drain(nova, tmp_path)
    assert res["summary"] == {"moved": 1}


def test_uncertain_start_is_retried():
    nova = FakeNova()
    nova.add("a")
    real = nova.live_migrate
    state = {"n": 0}

    def flaky(*a):
        state["n"] += 1
        if state["n"] == 1:
            raise TransientError("reset by peer")
        return real(*a)

    nova.live_migrate = flaky
    st = StateFile("/nonexistent/x.json", "c", "compute1", dry_run=True)
    st.start("drain", ())
    mover = Mover(nova, st, opts(), emit=Progress(), clock=nova.clock, sleep=nova.sleep)
    recs = mover.drain("compute1", nova.services())
    assert recs["a"]["outcome"] == "moved" and recs["a"]["attempts"] == 2


def test_enable_and_move_back(tmp_path):
    nova = FakeNova()
    for i in range(3):
        nova.add("s%d" % i)
    run_drain(nova, tmp_path)
    o = opts()
    plan = enable(
        nova, "compute1", o, str(tmp_path / "state.json"), "sandbox", move_back=True, check_mode=True
    )
    assert plan["changed"] is True and len(plan["plan"]["move_back"]) == 3
    assert nova.servers["s0"]["host"] != "compute1"
    res = enable(
        nova,
        "compute1",
        o,
        str(tmp_path / "state.json"),
        "sandbox",
        move_back=True,
        clock=nova.clock,
        sleep=nova.sleep,
    )
    assert res["changed"] is True and not res.get("failed")
    svc = next(s for s in nova.services_ if s["host"] == "compute1")
    assert svc["status"] == "enabled" and svc["disabled_reason"] is None
    assert all(s["host"] == "compute1" for s in nova.servers.values())
    again = enable(
        nova,
        "compute1",
        o,
        str(tmp_path / "state.json"),
        "sandbox",
        move_back=True,
        clock=nova.clock,
        sleep=nova.sleep,
    )
    assert again["changed"] is False
    # a new drain after the restore starts a fresh record
    res = run_drain(nova, tmp_path)
    assert res["summary"] == {"moved": 3}


def test_deleted_during_drain_is_accounted(tmp_path):
    nova = FakeNova()
    nova.add("a", duration=20)
    nova.add("b", duration=20)

    def delete(n):
        if n.now >= 5 and "b" in n.servers:
            del n.servers["b"]

    nova.on_tick = delete
    res = run_drain(nova, tmp_path, opts(max_concurrent=2))
    assert {r["id"]: r["outcome"] for r in res["instances"]} == {"a": "moved", "b": "gone"}


def test_requests_sent_from_worker_threads(tmp_path):
    nova = FakeNova(nova_concurrency=3)
    for i in range(9):
        nova.add("s%d" % i)
    nova.add("off", status="SHUTOFF")
    nova.add("bad", metadata={"fail": "1"})
    res = run_drain(nova, tmp_path, opts(request_workers=3, failure_policy="continue"))
    assert res["summary"] == {"moved": 10, "failed": 1}
    assert all(s["host"] != "compute1" for s in nova.servers.values() if s["id"] != "bad")


def test_retry_after_a_transient_migration_failure(tmp_path):
    nova = FakeNova()
    nova.add("flaky", metadata={"fail_once": "1"})
    nova.add("bad", metadata={"fail": "1"})
    res = run_drain(nova, tmp_path, opts(retries=1, failure_policy="continue"))
    rows = {r["id"]: r for r in res["instances"]}
    assert rows["flaky"]["outcome"] == "moved" and rows["flaky"]["attempts"] == 2
    assert rows["bad"]["outcome"] == "failed" and rows["bad"]["attempts"] == 2
    assert [e["event"] for e in res["events"]].count("retry") == 2


def test_second_concurrent_run_is_refused(tmp_path):
    nova = FakeNova()
    nova.add("a")
    holder = StateFile(str(tmp_path / "state.json"), "sandbox", "compute1")
    holder.lock()
    other = tmp_path / "other"
    other.mkdir()
    import fcntl
    import subprocess
    import sys

    # a lock held by another process (flock is per open file: take it from a child)
    code = (
        "import fcntl,sys,time;f=open(sys.argv[1],'a+');fcntl.flock(f,fcntl.LOCK_EX);"
        "f.write('4242');f.flush();print('ok',flush=True);time.sleep(30)"
    )
    from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import release_lock

    release_lock(str(tmp_path / "state.json"))
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "state.json.lock")], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout.readline().strip() == b"ok"
        with pytest.raises(ComputeHostError, match="in progress"):
            run_drain(nova, tmp_path)
    finally:
        child.kill()
        child.wait()
    assert fcntl  # imported for clarity of what is exercised
    res = run_drain(nova, tmp_path)
    assert res["summary"] == {"moved": 1}
