"""Unit tests of compute_host state=recovered: the plan rules (pure) and the run, on a simulated Nova.

``RecoverNova`` answers as the real API does after a host reboot (checked on the sandbox):
server diagnostics of a guest the hypervisor does not run are refused by nova-compute with
HTTP 409 "Cannot 'get_diagnostics' instance ... while it is in power state running" (the
database's state); Nova's power-state sync stops such guests through the stop API with no user;
instance actions come newest first.
"""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    ConflictError,
    parse_time,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.nova import (
    NovaAdapter,
    diagnostics_refused_not_running,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.recover import (
    plan_recover,
    recover_probes,
    uptime_seconds,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.recover import (
    recover as recover_host,
)

from .fakes import FakeNova

NOW = datetime.datetime(2026, 11, 21, 10, 0, 0, tzinfo=datetime.UTC)
UP_5_MIN = " 10:00:00 up 0 days,  0:05,  1 user,  load average: 0.10, 0.20, 0.30"
ADMIN = "535d8415f30c4aad97b1434cd7b08a51"


def at(minutes_ago):
    """A Nova timestamp (naive UTC with a fraction) ``minutes_ago`` before NOW."""
    return (NOW - datetime.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S.000000")


class RecoverNova(FakeNova):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.hypervisor = {}  # server id -> the guest's state on the hypervisor
        self.actions = {}  # server id -> instance actions, newest first
        self.diag_override = {}  # server id -> what server_diagnostics answers instead
        self.uptime = UP_5_MIN

    def vm(self, sid, status="ACTIVE", power=1, guest="running", host="compute1", task=None):
        self.add(sid, host=host, status=status, task=task)
        self.servers[sid]["power_state"] = power
        self.hypervisor[sid] = guest
        self.actions[sid] = [{"action": "create", "user_id": ADMIN, "at": at(600), "request_id": "req-c"}]

    def stopped_by(self, sid, user_id, minutes_ago):
        self.servers[sid].update(status="SHUTOFF", power_state=4)
        self.hypervisor[sid] = "shutdown"
        self.actions[sid].insert(
            0, {"action": "stop", "user_id": user_id, "at": at(minutes_ago), "request_id": "req-s-%s" % sid}
        )

    def rebooted(self, host="compute1"):
        """The host crashed and came back: every guest defined, none running."""
        for sid, srv in self.servers.items():
            if srv["host"] == host:
                self.hypervisor[sid] = "shutdown"

    # -- the adapter's recovery methods ----------------------------------------------------------
    def server_diagnostics(self, sid):
        self._guard("server_diagnostics", sid)
        if sid in self.diag_override:
            return dict(self.diag_override[sid])
        if self.hypervisor.get(sid) != "running":
            msg = "HTTP 409: Cannot 'get_diagnostics' instance %s while it is in power state running" % sid
            return {"state": None, "error": msg, "not_running": True}
        return {"state": "running", "error": None, "not_running": False}

    def last_stop(self, sid):
        self._guard("last_stop", sid)
        for a in self.actions.get(sid, []):
            if a["action"] == "stop":
                return {k: a[k] for k in ("user_id", "at", "request_id")}
        return None

    def host_uptime(self, host):
        self._guard("host_uptime", host)
        return self.uptime

    def reboot_server(self, sid, kind="HARD"):
        self._guard("reboot_server", sid, kind)
        self.servers[sid].update(status="ACTIVE", power_state=1)
        self.hypervisor[sid] = "running"

    def start_server(self, sid):
        super().start_server(sid)  # 409 unless SHUTOFF, as Nova
        self.servers[sid]["power_state"] = 1
        self.hypervisor[sid] = "running"


def recover(nova, tmp_path, **kw):
    kw.setdefault("clock", nova.clock)
    kw.setdefault("sleep", nova.sleep)
    kw.setdefault("now", lambda: NOW)
    return recover_host(nova, "compute1", str(tmp_path / "s.recover.json"), "sandbox", **kw)


def changes(nova):
    return [c for c in nova.calls if c[0] in ("reboot_server", "start_server")]


def rows(res):
    return {r["id"]: r for r in res["plan"]}


# ---------------------------------------------------------------------------------------
# the run, end to end on the simulated Nova
# ---------------------------------------------------------------------------------------
def test_recover_after_unplanned_reboot(tmp_path):
    nova = RecoverNova()
    nova.vm("fine")
    nova.vm("lost", power=4, guest="shutdown")  # Nova's sync saw it off, yet it is ACTIVE
    nova.vm("broken", status="ERROR", power=0, guest="shutdown")
    nova.vm("was_on", status="SHUTOFF", power=4, guest="shutdown")
    nova.vm("was_off", status="SHUTOFF", power=4, guest="shutdown")
    plan = recover(nova, tmp_path, running_before=["was_on"], check_mode=True)
    actions = {p["id"]: p["action"] for p in plan["plan"]}
    assert actions == {
        "fine": "none",
        "lost": "hard_reboot",
        "broken": "hard_reboot",
        "was_on": "start",
        "was_off": "none",
    }
    assert not changes(nova)
    res = recover(nova, tmp_path, running_before=["was_on"])
    assert res["changed"] is True and not res.get("failed"), res.get("msg")
    assert {s["id"]: s["status"] for s in nova.servers.values()} == {
        "fine": "ACTIVE",
        "lost": "ACTIVE",
        "broken": "ACTIVE",
        "was_on": "ACTIVE",
        "was_off": "SHUTOFF",
    }
    assert res["summary"] == {"none": 2, "hard_reboot": 2, "start": 1}
    again = recover(nova, tmp_path)
    assert again["changed"] is False


def test_recover_refused_while_service_down(tmp_path):
    nova = RecoverNova()
    for s in nova.services_:
        if s["host"] == "compute1":
            s["state"] = "down"
    with pytest.raises(ComputeHostError, match="not up"):
        recover(nova, tmp_path)
    assert not nova.calls or all(c[0] == "services" for c in nova.calls)


def test_reboot_before_nova_noticed_hard_reboots_what_ran(tmp_path):
    """Right after the reboot Nova still says ACTIVE/RUNNING: only the hypervisor knows better."""
    nova = RecoverNova()
    nova.vm("a")
    nova.vm("b")
    nova.vm("c")
    nova.stopped_by("c", ADMIN, minutes_ago=30)  # stopped by a user before the crash
    nova.rebooted()
    check = recover(nova, tmp_path, check_mode=True)
    plan = rows(check)
    assert plan["a"]["action"] == plan["b"]["action"] == "hard_reboot"
    assert plan["a"]["hypervisor_state"] == "not running"
    assert "does not run the guest" in plan["a"]["reason"] and "ACTIVE and RUNNING" in plan["a"]["reason"]
    assert "get_diagnostics" in plan["a"]["evidence"]["diagnostics_error"]
    assert plan["c"]["action"] == "none" and plan["c"]["reason"].startswith("stopped by user %s at" % ADMIN)
    assert not changes(nova)
    assert not (tmp_path / "s.recover.json").exists()
    res = recover(nova, tmp_path)
    assert {r["id"]: r.get("outcome") for r in res["instances"]} == {
        "a": "running",
        "b": "running",
        "c": None,
    }
    assert [c[1] for c in changes(nova)] == [("a", "HARD"), ("b", "HARD")]
    assert nova.servers["c"]["status"] == "SHUTOFF"
    statuses = {r["check"]: r["status"] for r in res["report"]["results"]}
    assert statuses == {
        "recover.compute1.vm-a": "pass",
        "recover.compute1.vm-b": "pass",
        "recover.compute1.vm-c": "skip",
    }
    assert recover(nova, tmp_path)["changed"] is False


def test_power_sync_stopped_them_so_they_are_started(tmp_path):
    """Nova's power-state sync ran after the reboot: SHUTOFF with a stop that has no user."""
    nova = RecoverNova()
    for sid in ("a", "b", "c"):
        nova.vm(sid)
    nova.stopped_by("c", ADMIN, minutes_ago=30)
    nova.rebooted()
    nova.stopped_by("a", None, minutes_ago=2)  # host up for 5 minutes
    nova.stopped_by("b", None, minutes_ago=2)
    res = recover(nova, tmp_path, check_mode=True)
    plan = rows(res)
    assert plan["a"]["action"] == plan["b"]["action"] == "start"
    assert plan["a"]["reason"].startswith(
        "stopped by Nova's power-state sync at 2026-11-21T09:58:00Z, not by a user"
    )
    assert plan["a"]["evidence"]["last_stop"]["user_id"] is None
    assert res["host_booted_at"] == "2026-11-21T09:54:00Z"  # now - 5 min uptime - 1 min resolution
    assert plan["c"]["action"] == "none" and "stopped by user" in plan["c"]["reason"]
    assert res["plan_requests"] == {
        "services": 1,
        "server_list": 1,
        "diagnostics": 0,
        "instance_actions": 3,
        "host_uptime": 1,
    }
    done = recover(nova, tmp_path)
    assert {s["id"]: s["status"] for s in nova.servers.values()} == {
        "a": "ACTIVE",
        "b": "ACTIVE",
        "c": "SHUTOFF",
    }
    assert done["summary"] == {"start": 2, "none": 1}
    assert recover(nova, tmp_path)["changed"] is False


def test_guest_off_before_the_reboot_stays_off(tmp_path):
    """A power-sync stop from before the host came up: the guest shut itself down earlier."""
    nova = RecoverNova()
    nova.vm("old")
    nova.stopped_by("old", None, minutes_ago=60 * 24)
    nova.vm("new")
    nova.stopped_by("new", None, minutes_ago=5)  # within the minute uptime cannot resolve
    res = recover(nova, tmp_path, check_mode=True)
    plan = rows(res)
    assert plan["old"]["action"] == "none" and plan["old"]["attention"] is True
    assert "before the host came up" in plan["old"]["reason"] and "running_before" in plan["old"]["reason"]
    assert plan["new"]["action"] == "start"
    # the operator knows better: running_before wins over the evidence
    res = recover(nova, tmp_path, check_mode=True, running_before=["vm-old"])
    assert rows(res)["old"]["action"] == "start" and rows(res)["old"]["reason"] == "listed in running_before"
    assert res["plan_requests"]["instance_actions"] == 1  # only "new" was asked about


def test_running_before_wins_over_a_user_stop_and_unknown_entries_are_reported(tmp_path):
    nova = RecoverNova()
    nova.vm("c")
    nova.stopped_by("c", ADMIN, minutes_ago=30)
    res = recover(nova, tmp_path, running_before=["c", "gone-server"])
    assert rows(res)["c"]["action"] == "start"
    assert res["running_before_unmatched"] == ["gone-server"]
    assert nova.servers["c"]["status"] == "ACTIVE"
    assert not [c for c in nova.calls if c[0] == "last_stop"]


def test_host_boot_time_unknown_still_starts_and_says_so(tmp_path):
    nova = RecoverNova()
    nova.vm("a")
    nova.stopped_by("a", None, minutes_ago=2)
    nova.uptime = None  # a driver without uptime
    row = rows(recover(nova, tmp_path, check_mode=True))["a"]
    assert row["action"] == "start"
    assert "when the host came up is unknown: Nova reports no uptime for the host" in row["reason"]
    nova.uptime = "no idea"
    row = rows(recover(nova, tmp_path, check_mode=True))["a"]
    assert row["evidence"]["host_boot_unknown"] == "uptime 'no idea' not understood"


def test_failing_probes_do_not_fail_the_run(tmp_path):
    nova = RecoverNova()
    nova.vm("nodiag")
    nova.diag_override["nodiag"] = {
        "state": None,
        "error": "HTTP 501: Feature not supported by the driver",
        "not_running": False,
    }
    nova.vm("noact")
    nova.stopped_by("noact", None, minutes_ago=2)

    def broken(sid):
        raise ConflictError("HTTP 409: instance actions unavailable")

    nova.last_stop = broken
    res = recover(nova, tmp_path)
    assert res["changed"] is False and not res.get("failed")
    plan = rows(res)
    assert plan["nodiag"]["action"] == "none" and plan["nodiag"]["attention"] is True
    assert "diagnostics failed (HTTP 501" in plan["nodiag"]["reason"]
    assert "Nova's power state" in plan["nodiag"]["reason"]
    assert plan["noact"]["action"] == "none" and "could not be read" in plan["noact"]["reason"]
    assert {r["status"] for r in res["report"]["results"]} == {"warn"}
    assert not changes(nova)


def test_interrupted_recovery_resumes_a_finished_one_is_not_reused(tmp_path):
    nova = RecoverNova()
    nova.vm("a")
    nova.stopped_by("a", None, minutes_ago=2)
    # an interrupted run: the state file says what it set out to start
    (tmp_path / "s.recover.json").write_text(
        json.dumps(
            {
                "version": 1,
                "operation": "recover",
                "host": "compute1",
                "phase": "recovering",
                "running_before": ["a"],
                "instances": {},
                "runs": [],
            }
        )
    )
    plan = rows(recover(nova, tmp_path, check_mode=True))
    assert plan["a"]["action"] == "start"
    assert plan["a"]["reason"] == "listed in running_before of the interrupted recovery (state file)"
    recover(nova, tmp_path)
    assert json.loads((tmp_path / "s.recover.json").read_text())["phase"] == "recovered"
    # later a user stops it on purpose: the finished recovery's list must not start it again
    nova.stopped_by("a", ADMIN, minutes_ago=1)
    res = recover(nova, tmp_path)
    assert res["changed"] is False and rows(res)["a"]["reason"].startswith("stopped by user")


def test_start_refused_is_reported_per_instance(tmp_path):
    nova = RecoverNova()
    nova.vm("a")
    nova.stopped_by("a", None, minutes_ago=2)
    nova.vm("b")
    nova.stopped_by("b", None, minutes_ago=2)
    real = nova.start_server

    def start(sid):
        if sid == "a":
            raise ConflictError("HTTP 409: Instance a is locked")
        real(sid)

    nova.start_server = start
    res = recover(nova, tmp_path)
    assert res["failed"] is True and "vm-a (HTTP 409: Instance a is locked)" in res["msg"]
    assert rows(res)["b"]["outcome"] == "running"
    assert res["summary"] == {"failed": 1, "start": 1}


# ---------------------------------------------------------------------------------------
# pure pieces
# ---------------------------------------------------------------------------------------
def srv(sid, status="ACTIVE", power=1, task=None, name=None):
    return {"id": sid, "name": name or sid, "status": status, "power_state": power, "task_state": task}


def test_probes_only_where_the_answer_matters():
    servers = [
        srv("run1"),
        srv("run2", power=None),
        srv("nova-knows-off", power=4),
        srv("err", status="ERROR", power=0),
        srv("busy", task="rebooting"),
        srv("off1", status="SHUTOFF", power=4),
        srv("off-busy", status="SHUTOFF", power=4, task="powering-on"),
        srv("listed", status="SHUTOFF", power=4, name="db-1"),
        srv("paused", status="PAUSED", power=3),
    ]
    diagnostics, actions = recover_probes(servers, running_before=["db-1"])
    assert diagnostics == ["run1", "run2"]
    assert actions == ["off1"]


@pytest.mark.parametrize(
    ("diag", "action", "attention", "words"),
    [
        ({"state": "shutdown"}, "hard_reboot", False, "reports the guest shutdown (server diagnostics)"),
        ({"state": "crashed"}, "hard_reboot", False, "reports the guest crashed"),
        ({"state": None, "error": "HTTP 409: ...", "not_running": True}, "hard_reboot", False, "refused"),
        ({"state": "running"}, "none", False, "the hypervisor confirms"),
        ({"state": "paused"}, "none", True, "would discard its memory"),
        ({"state": None, "error": "HTTP 501: not supported", "not_running": False}, "none", True, "HTTP 501"),
        (
            {"state": None, "error": "HTTP 409: Instance x is not ready", "not_running": False},
            "none",
            True,
            "409",
        ),
    ],
)
def test_active_server_judged_by_the_hypervisor(diag, action, attention, words):
    row = plan_recover([srv("a")], diagnostics={"a": diag})[0]
    assert (row["action"], row["attention"]) == (action, attention)
    assert words in row["reason"]


def test_existing_rules_stay():
    plan = plan_recover(
        [
            srv("busy", status="SHUTOFF", power=4, task="powering-on"),
            srv("err", status="ERROR", power=0),
            srv("off-in-nova", power=4),
            srv("shelved", status="SHELVED_OFFLOADED", power=0),
        ]
    )
    got = {r["id"]: (r["action"], r["reason"]) for r in plan}
    assert got["busy"] == ("none", "busy with task_state powering-on")
    assert got["err"][0] == "hard_reboot"
    assert got["off-in-nova"] == ("hard_reboot", "Nova last knew it running, the hypervisor reports SHUTDOWN")
    assert got["shelved"][0] == "none"


def test_shutoff_rules():
    booted = NOW - datetime.timedelta(minutes=6)
    servers = [srv(s, status="SHUTOFF", power=4) for s in ("sync", "user", "early", "none", "err", "unasked")]
    stops = {
        "sync": {"user_id": None, "at": at(2), "request_id": "r1"},
        "user": {"user_id": "u1", "at": at(2), "request_id": "r2"},
        "early": {"user_id": None, "at": at(9), "request_id": "r3"},
        "none": {},
        "err": {"error": "HTTP 500"},
    }
    got = {r["id"]: r for r in plan_recover(servers, stops=stops, booted_at=booted)}
    assert got["sync"]["action"] == "start" and "not by a user" in got["sync"]["reason"]
    assert (
        got["user"]["action"] == "none"
        and got["user"]["reason"] == "stopped by user u1 at 2026-11-21T09:58:00Z"
    )
    assert got["user"]["attention"] is False
    assert got["early"]["action"] == "none" and got["early"]["attention"] is True
    assert got["none"]["action"] == "none" and "no stop action" in got["none"]["reason"]
    assert got["err"]["action"] == "none" and "HTTP 500" in got["err"]["reason"]
    assert (
        got["unasked"]["action"] == "none"
        and got["unasked"]["reason"] == "stopped, and not listed in running_before"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (UP_5_MIN, 300),
        (
            " 10:00:00 up 2 days,  3:04,  1 user,  load average: 0.00, 0.01, 0.05",
            2 * 86400 + 3 * 3600 + 4 * 60,
        ),
        ("10:00:00 up 1 day, 22:01, 0 users, load average: 1.00", 86400 + 22 * 3600 + 60),
        (" 10:00:00 up 17 min,  2 users,  load average: 0.00", 17 * 60),
        ("10:00:00 up 3 days, 5 min, load average: 0.1", 3 * 86400 + 300),
        ("10:00:00 up  0:00,  1 user,  load average: 0.1", 0),
        ("nonsense", None),
        ("", None),
        (None, None),
    ],
)
def test_uptime_seconds(text, seconds):
    assert uptime_seconds(text) == seconds


def test_parse_time():
    assert parse_time("2026-11-21T09:25:46.000000") == datetime.datetime(
        2026, 11, 21, 9, 25, 46, tzinfo=datetime.UTC
    )
    assert parse_time("2026-11-21T09:25:46Z") == parse_time("2026-11-21T09:25:46+00:00")
    assert parse_time("yesterday") is None and parse_time(None) is None


# ---------------------------------------------------------------------------------------
# the adapter's reading of Nova's answers (openstacksdk exceptions, no cloud)
# ---------------------------------------------------------------------------------------
def test_nova_refusal_for_a_guest_not_running_is_recognised():
    msg = "Cannot 'get_diagnostics' instance 3c5f while it is in power state running"
    assert diagnostics_refused_not_running(409, msg)
    assert not diagnostics_refused_not_running(409, "Instance 3c5f is not ready")
    assert not diagnostics_refused_not_running(501, "Feature not supported")


class _Compute:
    def __init__(self, exc=None, state="running"):
        self.exc = exc
        self.state = state

    def get_server_diagnostics(self, sid):
        if self.exc:
            raise self.exc
        return type("Diag", (), {"state": self.state})()


class _Conn:
    def __init__(self, compute):
        self.compute = compute


def _http_error(code, message):
    import requests
    from openstack import exceptions as sdk_exc

    response = requests.Response()
    response.status_code = code
    cls = sdk_exc.ConflictException if code == 409 else sdk_exc.HttpException
    return cls(message="Client Error", response=response, details=message)


def test_adapter_server_diagnostics_never_raises_for_api_errors():
    refused = "Cannot 'get_diagnostics' instance 3c5f while it is in power state running"
    nova = NovaAdapter(_Conn(_Compute(_http_error(409, refused))))
    got = nova.server_diagnostics("3c5f")
    assert got["state"] is None and got["not_running"] is True and "HTTP 409" in got["error"]
    nova = NovaAdapter(_Conn(_Compute(_http_error(501, "Feature not supported"))))
    got = nova.server_diagnostics("3c5f")
    assert got["not_running"] is False and got["error"].startswith("HTTP 501")
    assert NovaAdapter(_Conn(_Compute(state="shutdown"))).server_diagnostics("x")["state"] == "shutdown"
    with pytest.raises(ZeroDivisionError):  # a bug is not an API answer
        NovaAdapter(_Conn(_Compute(ZeroDivisionError()))).server_diagnostics("x")
