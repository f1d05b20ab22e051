"""compute_host state=recovered against the sandbox, after a real "unplanned reboot" of a host.

``sandbox reboot-compute HOST`` kills the host's nova-compute, leaves every guest of its driver
defined but powered off (as libvirt's domains after a host reboot) and starts the compute
again. What Nova then shows depends on its power-state sync, which runs at most
``periodic_fuzzy_delay`` (60 s by default, random) after nova-compute starts and then every
``sync_power_state_interval`` seconds (600). The two cases an operator meets are made
deterministic with a per-host override file:

a. ``sync_power_state_interval = -1`` (the sync has not run yet): Nova still says
   ACTIVE/RUNNING, only the hypervisor knows the guests are off. nova-compute refuses their
   server diagnostics with 409 because its driver does not report them running: the plan
   hard-reboots them; a server a user stopped before the crash stays off. Module: check mode,
   run, re-run.
b. ``sync_power_state_interval = 5`` and ``periodic_fuzzy_delay = 0``: the sync runs right
   after the start and stops the guests itself ("Instance shutdown by itself. Calling the stop
   API"), an instance action ``stop`` without a user: the plan starts them. Through
   playbooks/recover.yml: check mode, run, report.

The override file is removed and the compute restarted without it at teardown; servers are
deleted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_compute_host_drain import _env, run_module

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.requests import RequestCounter
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.nova import NovaAdapter
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.recover import recover

ROOT = Path(__file__).resolve().parents[2]
HOST = "compute2"
OVERRIDE = "nova/%s/nova-compute.conf" % HOST
NOT_YET_SYNCED = "[DEFAULT]\nsync_power_state_interval = -1\n"
SYNC_AT_ONCE = "[DEFAULT]\nsync_power_state_interval = 5\nperiodic_fuzzy_delay = 0\n"


@pytest.fixture
def rebootable_host(sandbox, cleanup):
    path = sandbox.override_file(OVERRIDE)
    if path.exists():
        pytest.fail("%s exists before the test: another test did not clean up" % path, pytrace=False)
    made_dir = not path.parent.exists()

    def restore():
        if path.exists():
            path.unlink()
        if made_dir and path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()
        # run without the override again; its servers are deleted by now, so a kill is as good
        # as a graceful stop and saves the seconds nova-compute takes to shut down
        sandbox.run("kill-compute", HOST)
        sandbox.run("start-compute", HOST)

    cleanup.add(restore)
    return path


def diagnostics_state(conn, server):
    return conn.compute.get_server_diagnostics(server.id).state


def plan_of(result):
    return {row["name"]: row for row in result["plan"]}


def test_recover_after_unplanned_reboot(sandbox, admin_conn, boot_server, rebootable_host, tmp_path):
    t0 = time.time()
    rebootable_host.parent.mkdir(parents=True, exist_ok=True)
    rebootable_host.write_text(NOT_YET_SYNCED)
    booting = [boot_server(HOST, name="recover-%s-%s" % (n, tmp_path.name[-6:]), wait=False) for n in "abc"]
    a, b, c = (sandbox.wait_for_server(admin_conn, s, "ACTIVE", host=HOST) for s in booting)
    admin_conn.compute.stop_server(c)  # a user stops C before the crash
    sandbox.wait_for_server(admin_conn, c, "SHUTOFF")
    names = {a.id: "a", b.id: "b", c.id: "c"}

    # --- a. right after the reboot: Nova still believes A and B run --------------------------
    out = sandbox.run("reboot-compute", HOST).stdout
    assert "3 guest(s) defined but not running (2 of them were running)" in out
    for s in (a, b):
        now = admin_conn.compute.get_server(s.id)
        assert (now.status, now.power_state) == ("ACTIVE", 1), "Nova already noticed: %s" % now.status

    # the plan through the core, to count what it costs on the wire
    list(admin_conn.compute.services())  # token and version discovery out of the count
    counter = RequestCounter(admin_conn.session)
    state_dir = tmp_path / "state"
    plan = recover(
        NovaAdapter(admin_conn),
        HOST,
        str(state_dir / ("sandbox-%s.recover.json" % HOST)),
        "sandbox",
        check_mode=True,
    )
    # services + servers + one diagnostics per ACTIVE server + one action list per SHUTOFF one
    assert counter.total == 1 + 1 + 2 + 1, counter.as_dict()
    assert plan["plan_requests"] == {
        "services": 1,
        "server_list": 1,
        "diagnostics": 2,
        "instance_actions": 1,
        "host_uptime": 0,
    }

    check = run_module(sandbox, tmp_path, {"host": HOST, "state": "recovered"}, check=True, name="a-check")
    assert check["changed"] is True
    rows = {names[r["id"]]: r for r in check["plan"] if r["id"] in names}
    for n in "ab":
        assert rows[n]["action"] == "hard_reboot", rows[n]
        assert rows[n]["hypervisor_state"] == "not running"
        assert "get_diagnostics" in rows[n]["evidence"]["diagnostics_error"]
        assert "ACTIVE and RUNNING" in rows[n]["reason"]
    assert rows["c"]["action"] == "none"
    assert rows["c"]["reason"].startswith("stopped by user %s at " % admin_conn.current_user_id)
    assert admin_conn.compute.get_server(a.id).status == "ACTIVE"  # nothing changed
    assert not (state_dir / ("sandbox-%s.recover.json" % HOST)).exists()

    run = run_module(sandbox, tmp_path, {"host": HOST, "state": "recovered"}, name="a-run")
    assert run["changed"] is True and not run.get("failed"), run.get("msg")
    assert run["summary"] == {"hard_reboot": 2, "none": 1}
    for s in (a, b):
        now = sandbox.wait_for_server(admin_conn, s, "ACTIVE")
        assert now.power_state == 1
        assert diagnostics_state(admin_conn, s) == "running"
    assert admin_conn.compute.get_server(c.id).status == "SHUTOFF"
    again = run_module(sandbox, tmp_path, {"host": HOST, "state": "recovered"}, name="a-again")
    assert again["changed"] is False, again["plan"]
    assert {names[r["id"]]: r["action"] for r in again["plan"] if r["id"] in names} == dict.fromkeys(
        "abc", "none"
    )
    t_a = time.time() - t0

    # --- b. Nova's power-state sync ran after the reboot and stopped A and B itself -----------
    rebootable_host.write_text(SYNC_AT_ONCE)
    sandbox.run("reboot-compute", HOST)
    for s in (a, b):
        sandbox.wait_for_server(admin_conn, s, "SHUTOFF", timeout=30)
        stop = next(x for x in admin_conn.compute.server_actions(s.id) if x.action == "stop")
        assert stop.user_id is None  # "Instance shutdown by itself. Calling the stop API"
    inventory = sandbox.compute_inventory(
        tmp_path / "hosts.yml",
        {HOST: {}},
        tmp_path / "reports",
        compute_host_state_dir=str(state_dir),
        compute_host_poll_interval=1,
    )

    def playbook(*extra):
        env = _env(sandbox)  # JSON callback: the task results are read back
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), *extra]
        res = subprocess.run(
            [*cmd, str(ROOT / "playbooks" / "recover.yml")],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
        # the JSON document first; profile_tasks prints its timings after it
        doc, _end = json.JSONDecoder().raw_decode(res.stdout[res.stdout.index("{") :])
        tasks = [t for play in doc["plays"] for t in play["tasks"]]  # the host-pattern check play first
        return next(t for t in tasks if t["task"]["name"].startswith("Recover "))["hosts"][HOST]

    check = playbook("--check")
    rows = {names[r["id"]]: r for r in check["plan"] if r["id"] in names}
    for n in "ab":
        assert rows[n]["action"] == "start", rows[n]
        assert rows[n]["reason"].startswith("stopped by Nova's power-state sync at "), rows[n]["reason"]
        assert "not by a user, since the host came up" in rows[n]["reason"]
        assert rows[n]["evidence"]["last_stop"]["user_id"] is None
    assert rows["c"]["action"] == "none" and rows["c"]["reason"].startswith("stopped by user ")
    assert check["host_booted_at"]
    assert check["plan_requests"]["instance_actions"] == 3 and check["plan_requests"]["diagnostics"] == 0
    assert admin_conn.compute.get_server(a.id).status == "SHUTOFF"  # check mode changed nothing

    run = playbook()
    assert run["changed"] is True and run["summary"] == {"start": 2, "none": 1}
    for s in (a, b):
        sandbox.wait_for_server(admin_conn, s, "ACTIVE")
        assert diagnostics_state(admin_conn, s) == "running"
    assert admin_conn.compute.get_server(c.id).status == "SHUTOFF"
    report = json.loads((tmp_path / "reports" / ("recover-%s.json" % HOST)).read_text())
    statuses = {r["evidence"]["id"]: r["status"] for r in report["results"]}
    assert {names[k]: v for k, v in statuses.items() if k in names} == {"a": "pass", "b": "pass", "c": "skip"}
    print("\nrecover: scenario a %.1f s, scenario b %.1f s" % (t_a, time.time() - t0 - t_a))
