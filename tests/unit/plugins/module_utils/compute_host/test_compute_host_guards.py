"""Unit tests of compute_host's guards: forced-down services with a live heartbeat, option ranges.

Against the simulated Nova of test_drain (``FakeNova``); heartbeats are the services'
``updated_at`` as the compute API shows them, measured against an injected ``now``.
"""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.enable import enable
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    MoveOptions,
)

from .fakes import FakeNova, Interrupted, dead, mutations, opts, run_evacuate

NOW = datetime.datetime(2026, 11, 21, 10, 0, 0, tzinfo=datetime.UTC)


def heartbeat(nova, seconds_ago, host="compute1"):
    """The service's last heartbeat, as Nova's API renders ``updated_at`` (naive UTC)."""
    for s in nova.services_:
        if s["host"] == host:
            at = NOW - datetime.timedelta(seconds=seconds_ago)
            s["updated_at"] = at.replace(tzinfo=None).isoformat(timespec="microseconds")


def forced_down_by_someone(nova, host="compute1"):
    """`openstack compute service set --down`: Nova then reports the service down, whatever runs."""
    for s in nova.services_:
        if s["host"] == host:
            s.update(forced_down=True, state="down")


def evacuate_at(nova, tmp_path, now=NOW, **kw):
    return run_evacuate(nova, tmp_path, now=lambda: now, **kw)


# ---------------------------------------------------------------------------------------
# Evacuation of a service someone forced down
# ---------------------------------------------------------------------------------------
def test_forced_down_with_live_heartbeat_is_refused(tmp_path):
    nova = FakeNova()
    nova.add("a")
    forced_down_by_someone(nova)
    heartbeat(nova, 4)
    with pytest.raises(ComputeHostError) as err:
        evacuate_at(nova, tmp_path)
    msg = err.value.msg
    assert "refusing to evacuate compute1" in msg
    assert "forced down" in msg and "4.0 s ago" in msg and "service_down_time=60 s" in msg
    assert "fence the host" in msg and "older than 60 s" in msg and "run again" in msg
    assert err.value.details["heartbeat_age"] == 4.0
    assert not mutations(nova)
    assert not (tmp_path / "state.json").exists()
    assert nova.servers["a"]["host"] == "compute1"


def test_forced_down_refused_in_check_mode_too(tmp_path):
    nova = FakeNova()
    nova.add("a")
    forced_down_by_someone(nova)
    heartbeat(nova, 10)
    with pytest.raises(ComputeHostError, match="forced down"):
        evacuate_at(nova, tmp_path, check_mode=True)


def test_forced_down_heartbeat_in_the_future_is_refused(tmp_path):
    # the host's clock runs ahead: the heartbeat is recent, not stale
    nova = FakeNova()
    nova.add("a")
    forced_down_by_someone(nova)
    heartbeat(nova, -300)
    with pytest.raises(ComputeHostError, match="forced down"):
        evacuate_at(nova, tmp_path)
    assert not mutations(nova)


def test_forced_down_without_heartbeat_time_is_refused(tmp_path):
    nova = FakeNova()
    nova.add("a")
    forced_down_by_someone(nova)
    with pytest.raises(ComputeHostError, match="no heartbeat time") as err:
        evacuate_at(nova, tmp_path)
    assert err.value.details["heartbeat_age"] is None
    assert not mutations(nova)


def test_forced_down_with_stale_heartbeat_is_evacuated(tmp_path):
    nova = FakeNova()
    nova.add("a")
    forced_down_by_someone(nova)
    heartbeat(nova, 61)
    res = evacuate_at(nova, tmp_path)
    assert not res.get("failed"), res.get("msg")
    assert res["summary"] == {"moved": 1}
    # it was already forced down: not forced again, only disabled
    assert [c[0] for c in mutations(nova)][:1] == ["disable_service"]


def test_service_down_time_option_is_used(tmp_path):
    nova = FakeNova()
    nova.add("a")
    forced_down_by_someone(nova)
    heartbeat(nova, 45)
    with pytest.raises(ComputeHostError, match=r"45.0 s ago .*service_down_time=60 s"):
        evacuate_at(nova, tmp_path)
    # a cloud with service_down_time = 30 (the sandbox's): 45 s is stale
    res = evacuate_at(nova, tmp_path, service_down_time=30)
    assert res["summary"] == {"moved": 1}


def test_our_own_force_down_is_resumed_despite_fresh_updated_at(tmp_path):
    # Our force-down and disable refresh updated_at: a resumed run must not refuse its own work.
    nova = FakeNova(nova_concurrency=2)
    for i in range(4):
        nova.add("s%d" % i)
    dead(nova)
    heartbeat(nova, 120)
    nova.interrupt_at = 6
    with pytest.raises(Interrupted):
        evacuate_at(nova, tmp_path)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["service"]["forced_down_by"] == "evacuate" and state["service"]["forced_down_at"]
    heartbeat(nova, 1)  # updated by our own force-down / disable
    res = evacuate_at(nova, tmp_path)
    assert res["summary"] == {"moved": 4}


def test_state_file_of_an_ended_evacuation_does_not_count(tmp_path):
    nova = FakeNova()
    nova.add("a")
    dead(nova)
    heartbeat(nova, 120)
    evacuate_at(nova, tmp_path)
    for m in nova.migrations:
        m["status"] = "completed"
    svc = next(s for s in nova.services_ if s["host"] == "compute1")
    svc["state"] = "up"
    enable(nova, "compute1", opts(), str(tmp_path / "state.json"), "sandbox")
    # later someone forces the (running) host down by hand: our old record is no licence
    nova.add("b")
    forced_down_by_someone(nova)
    heartbeat(nova, 3)
    nova.calls.clear()
    with pytest.raises(ComputeHostError, match="forced down, but not by this module"):
        evacuate_at(nova, tmp_path)
    assert not mutations(nova)


def test_state_file_of_another_service_record_does_not_count(tmp_path):
    nova = FakeNova()
    nova.add("a")
    nova.add("b")
    nova.servers["b"]["metadata"]["kolla_ops_nova_no_migrate"] = "1"
    dead(nova)
    heartbeat(nova, 120)
    evacuate_at(nova, tmp_path)  # "b" stays: the evacuation stays open
    # the host is re-registered (new service id) and forced down by hand while it runs
    svc = next(s for s in nova.services_ if s["host"] == "compute1")
    svc["id"] = "svc-compute1-new"
    heartbeat(nova, 2)
    with pytest.raises(ComputeHostError, match="forced down, but not by this module"):
        evacuate_at(nova, tmp_path)


# ---------------------------------------------------------------------------------------
# Option ranges
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "option", "accepted"),
    [
        ({"timeout": 0}, "migration_timeout=0", "greater than 0 seconds"),
        ({"timeout": -5}, "migration_timeout=-5", "greater than 0 seconds"),
        ({"max_concurrent": 0}, "max_concurrent=0", "at least 1"),
        ({"max_concurrent": -1}, "max_concurrent=-1", "at least 1"),
        ({"max_per_destination": -1}, "max_per_destination=-1", "0 (no limit) or more"),
        ({"poll_interval": 0}, "poll_interval=0", "greater than 0 seconds"),
        ({"poll_interval": -0.5}, "poll_interval=-0.5", "greater than 0 seconds"),
        ({"poll_interval": float("nan")}, "poll_interval=nan", "greater than 0 seconds"),
        ({"settle_seconds": -1}, "settle_time=-1", "0 seconds or more"),
        ({"pending_timeout": 0}, "pending_timeout=0", "greater than 0 seconds"),
        ({"api_retry_timeout": -1}, "api_retry_timeout=-1", "0 seconds or more"),
        ({"retries": -1}, "retries=-1", "0 or more"),
    ],
)
def test_move_options_out_of_range(kwargs, option, accepted):
    with pytest.raises(ComputeHostError) as err:
        MoveOptions(**kwargs)
    msg = err.value.msg
    assert msg.startswith(option + " is out of range")
    assert "must be " + accepted in msg and "nothing was changed" in msg
    assert err.value.details["option"] == option.split("=")[0]


def test_move_options_limits_accepted():
    o = MoveOptions(max_concurrent=1, max_per_destination=0, timeout=1, poll_interval=0.1, settle_seconds=0)
    assert (o.max_concurrent, o.max_per_destination, o.timeout) == (1, 0, 1)
    assert MoveOptions(max_per_destination=None).max_per_destination == 0


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"max_down_share": 1.5}, "max_down_share=1.5 is out of range: it must be between 0 and 1"),
        ({"max_down_share": -0.1}, "max_down_share=-0.1 is out of range: it must be between 0 and 1"),
        ({"max_down_hosts": -1}, "max_down_hosts=-1 is out of range: it must be 0 or more"),
        ({"service_down_time": 0}, "service_down_time=0 is out of range: it must be greater than 0"),
    ],
)
def test_evacuate_limits_out_of_range_change_nothing(tmp_path, kwargs, text):
    nova = FakeNova()
    nova.add("a")
    dead(nova)
    with pytest.raises(ComputeHostError) as err:
        evacuate_at(nova, tmp_path, **kwargs)
    assert err.value.msg.startswith(text)
    assert nova.calls == []  # refused before Nova was even asked
    assert not (tmp_path / "state.json").exists()


class _NoCloud:
    """A connection that fails the test if the module touches the cloud at all."""

    def __getattr__(self, name):
        raise AssertionError("the module used the cloud (conn.%s) before refusing its options" % name)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ({"migration_timeout": 0}, "migration_timeout=0 is out of range: it must be greater than 0 seconds"),
        ({"max_concurrent": 0}, "max_concurrent=0 is out of range: it must be at least 1"),
        ({"max_per_destination": -2}, "max_per_destination=-2 is out of range"),
        ({"poll_interval": 0}, "poll_interval=0.0 is out of range: it must be greater than 0 seconds"),
        (
            {"state": "evacuated", "fenced": True, "max_down_share": 2},
            "max_down_share=2.0 is out of range: it must be between 0 and 1",
        ),
    ],
)
def test_module_refuses_bad_options_before_touching_the_cloud(tmp_path, monkeypatch, capsys, args, text):
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.kolla_ops.nova.plugins.modules import compute_host

    monkeypatch.setattr(
        compute_host.ComputeHostModule,
        "openstack_cloud_from_module",
        lambda self: (pytest.importorskip("openstack"), _NoCloud()),
    )
    monkeypatch.setattr(compute_host.ComputeHostModule, "_cloud_name", lambda self: "test")
    params = {"host": "compute1", "state_dir": str(tmp_path / "state"), **args}
    with patch_module_args(params), pytest.raises(SystemExit) as exc:
        compute_host.main()
    assert exc.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] is True
    assert out["msg"].startswith(text), out["msg"]
    assert not (tmp_path / "state").exists()
