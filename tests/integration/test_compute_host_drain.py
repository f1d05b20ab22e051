"""compute_host state=drained|enabled against the sandbox cloud, with real faults.

Servers are placed on ``compute3`` (``availability_zone=nova:compute3``) with short fake
migration times (the sandbox driver's ``sandbox_migration_seconds`` metadata); faults come from
the driver (``sandbox_fail_migration``), from slow migrations, from booting onto the host
mid-drain, from killing the playbook, and from restarting nova-api.  Every test re-enables
the host and deletes its servers at teardown.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.drain import drain
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    MoveOptions,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.nova import NovaAdapter

ROOT = Path(__file__).resolve().parents[2]
HOST = "compute3"
FAST = {"sandbox_migration_seconds": "1"}


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _env(sandbox):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "OS_CLIENT_CONFIG_FILE": str(sandbox.clouds_yaml),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        }
    )
    return env


def _playbook_cmd(playbook, *extra):
    return [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "ansible_python_interpreter=%s" % sys.executable,
        *extra,
        str(playbook),
    ]


def run_module(sandbox, tmp_path, params, check=False, name="task", env=None):
    """Run kolla_ops.nova.compute_host once through ansible-playbook; return its result."""
    args = {"cloud": "sandbox", "state_dir": str(tmp_path / "state"), "poll_interval": 1, "settle_time": 2}
    args.update(params)
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{"kolla_ops.nova.compute_host": args}]}]
    path = tmp_path / ("%s.yml" % name)
    path.write_text(json.dumps(play))
    cmd = _playbook_cmd(path, *(["--check"] if check else []))
    res = subprocess.run(
        cmd, check=False, capture_output=True, text=True, env={**_env(sandbox), **(env or {})}, timeout=600
    )
    try:
        # the JSON document starts at the first line that is "{" (profile_tasks may print too)
        text = res.stdout
        start = text.index("{\n") if text.startswith("{") is False else 0
        out, _end = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        raise AssertionError(
            "ansible-playbook output is not JSON:\n%s\n%s" % (res.stdout, res.stderr)
        ) from None
    return out["plays"][0]["tasks"][0]["hosts"]["localhost"]


def descendants(pid):
    """PIDs of the process tree under ``pid`` (the module may run in its own session)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def crash_controller(proc):
    """SIGKILL ansible-playbook and everything it started, as when the controller dies."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)


def crash_after_first_move(sandbox, tmp_path, args, timeout):
    """Run compute_host with ``args`` through ansible-playbook and SIGKILL the controller once
    the progress log shows the first instance moved (``done``): an interrupted run to resume."""
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{"kolla_ops.nova.compute_host": args}]}]
    path = tmp_path / "interrupted.yml"
    path.write_text(json.dumps(play))
    log = Path(args["state_dir"]) / ("sandbox-%s.log" % args["host"])
    proc = subprocess.Popen(
        _playbook_cmd(path),
        env=_env(sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        sandbox.wait_for(
            lambda: log.exists() and log.read_text().count(" done ") >= 1,
            timeout=timeout,
            what="first instance moved",
        )
    finally:
        crash_controller(proc)


def adapter_opts(**kw):
    # retries=1 and request workers as the module uses them: other tests restart computes
    base = {
        "max_concurrent": 3,
        "poll_interval": 1.0,
        "settle_seconds": 2.0,
        "timeout": 120,
        "retries": 1,
        "request_workers": 3,
    }
    base.update(kw)
    return MoveOptions(**base)


def core_drain(admin_conn, tmp_path, opts, host=HOST, **kw):
    return drain(
        NovaAdapter(admin_conn),
        host,
        opts,
        str(tmp_path / "state" / ("sandbox-%s.json" % host)),
        "sandbox",
        reason="integration test",
        user="pytest",
        log_path=str(tmp_path / "drain.log"),
        **kw,
    )


def boot_many(sandbox, admin_conn, boot_server, count, host=HOST, metadata=None, prefix="drain"):
    servers = [
        boot_server(host, name="%s-%02d" % (prefix, i), metadata=dict(metadata or FAST), wait=False)
        for i in range(count)
    ]
    return [sandbox.wait_for_server(admin_conn, s, "ACTIVE", host=host, timeout=180) for s in servers]


def hosts_of(admin_conn, servers):
    return {s.id: admin_conn.compute.get_server(s.id).compute_host for s in servers}


def service(admin_conn, host=HOST):
    return next(admin_conn.compute.services(host=host, binary="nova-compute"))


@pytest.fixture
def drain_host(sandbox, admin_conn, cleanup):
    """compute3, enabled again at teardown whatever the test did."""

    def restore():
        svc = service(admin_conn)
        if svc.status != "enabled":
            admin_conn.compute.enable_service(svc.id, host=svc.host, binary=svc.binary)

    restore()
    cleanup.add(restore)
    # Other tests share the sandbox (audits may remove host mappings): make sure the host is
    # mapped to its cell, as after a deployment, before booting onto it.
    if HOST not in sandbox.nova_manage("cell_v2", "list_hosts").stdout:
        sandbox.nova_manage("cell_v2", "discover_hosts")
    return HOST


# ---------------------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------------------
def test_unknown_host_fails_clearly(sandbox, tmp_path):
    res = run_module(sandbox, tmp_path, {"host": "compute"})
    assert res.get("failed") is True
    assert "unknown compute host 'compute'" in res["msg"]
    assert "compute1" in res["msg"] and "compute3" in res["msg"]


def test_cloud_errors_name_the_file_the_cloud_and_the_user(sandbox, tmp_path):
    """Issue 21 (minor): the error names the clouds.yaml path, the cloud and the user, never the password."""
    res = run_module(sandbox, tmp_path, {"host": HOST, "cloud": "nosuchcloud"}, check=True)
    assert res.get("failed") is True
    assert "cloud 'nosuchcloud' is not defined" in res["msg"], res["msg"]
    assert "%s defines sandbox, sandbox-member" % sandbox.clouds_yaml in res["msg"]

    import yaml

    conf = yaml.safe_load(sandbox.clouds_yaml.read_text())
    conf["clouds"]["sandbox"]["auth"]["password"] = "wrong-pw-71c3"
    bad = tmp_path / "clouds.yaml"
    bad.write_text(yaml.safe_dump(conf))
    res = run_module(sandbox, tmp_path, {"host": HOST}, check=True, env={"OS_CLIENT_CONFIG_FILE": str(bad)})
    assert res.get("failed") is True, res
    msg = res["msg"]
    assert "refused the credentials of cloud 'sandbox' (%s), user 'admin'" % bad in msg, msg
    assert "wrong-pw-71c3" not in json.dumps(res)


def test_check_mode_changes_nothing(sandbox, admin_conn, boot_server, drain_host, tmp_path):
    servers = boot_many(sandbox, admin_conn, boot_server, 2)
    off = servers[1]
    admin_conn.compute.stop_server(off)
    sandbox.wait_for_server(admin_conn, off, "SHUTOFF", host=drain_host)
    res = run_module(sandbox, tmp_path, {"host": drain_host}, check=True)
    assert res["changed"] is True, res
    plan = {p["id"]: p["class"] for p in res["plan"]}
    assert plan == {servers[0].id: "live", off.id: "cold"}
    assert service(admin_conn).status == "enabled"
    assert set(hosts_of(admin_conn, servers).values()) == {drain_host}
    assert not (tmp_path / "state").exists()


def test_drain_ten_and_a_shutoff_with_window_three(sandbox, admin_conn, boot_server, drain_host, tmp_path):
    servers = boot_many(sandbox, admin_conn, boot_server, 10)
    off = boot_many(sandbox, admin_conn, boot_server, 1, prefix="drain-off")[0]
    admin_conn.compute.stop_server(off)
    sandbox.wait_for_server(admin_conn, off, "SHUTOFF", host=drain_host)

    start = time.time()
    res = run_module(sandbox, tmp_path, {"host": drain_host, "max_concurrent": 3, "reason": "it"})
    took = time.time() - start
    assert not res.get("failed"), res.get("msg")
    assert res["changed"] is True
    assert res["summary"] == {"moved": 11}
    rows = {r["id"]: r for r in res["instances"]}
    assert rows[off.id]["action"] == "cold_migrate"
    for s in [*servers, off]:
        now = admin_conn.compute.get_server(s.id)
        assert now.compute_host != drain_host
        assert rows[s.id]["destination"] == now.compute_host
        assert rows[s.id]["duration"] is not None
    assert admin_conn.compute.get_server(off.id).status == "SHUTOFF"  # confirmed, not VERIFY_RESIZE
    svc = service(admin_conn)
    assert svc.status == "disabled"
    assert svc.disabled_reason.startswith("kolla_ops.nova drain ") and svc.disabled_reason.endswith(": it")
    # Nova runs one live migration per source at a time: the window keeps its queue fed
    started = [e for e in res["events"] if e["event"] == "started"]
    assert len(started) == 11
    log = Path(res["log_file"]).read_text()
    assert log.count(" done ") == 11
    print("drain of 11 took %.1f s" % took)

    again = run_module(sandbox, tmp_path, {"host": drain_host}, name="again")
    assert again["changed"] is False
    assert again["summary"] == {"moved": 11}

    back = run_module(sandbox, tmp_path, {"host": drain_host, "state": "enabled"}, name="back")
    assert not back.get("failed"), back.get("msg")
    assert back["changed"] is True
    svc = service(admin_conn)
    assert svc.status == "enabled" and not svc.disabled_reason
    idem = run_module(sandbox, tmp_path, {"host": drain_host, "state": "enabled"}, name="idem")
    assert idem["changed"] is False


@pytest.mark.parametrize("policy", ["stop", "continue"])
def test_failing_migration_under_failure_policy(
    sandbox, admin_conn, boot_server, drain_host, tmp_path, policy
):
    # Nova lists the newest first and the drain starts them in that order: boot the failing one
    # last so that it fails while the others are still to come.
    good = boot_many(sandbox, admin_conn, boot_server, 3, metadata={"sandbox_migration_seconds": "4"})
    bad = boot_many(
        sandbox, admin_conn, boot_server, 1, metadata={**FAST, "sandbox_fail_migration": "1"}, prefix="bad"
    )[0]
    res = core_drain(admin_conn, tmp_path, adapter_opts(max_concurrent=2, failure_policy=policy, retries=0))
    rows = {r["id"]: r for r in res["instances"]}
    assert res["failed"] is True
    assert rows[bad.id]["outcome"] == "failed"
    assert "still on compute3" in rows[bad.id]["message"]
    # Nova records no fault for a driver-side live-migration failure (the sandbox's injection):
    # the migration status is all the API has (test_messages.py covers a fault Nova records)
    assert "status failed" in rows[bad.id]["message"]
    assert admin_conn.compute.get_server(bad.id).compute_host == drain_host
    outcomes = [rows[s.id]["outcome"] for s in good]
    if policy == "continue":
        assert outcomes == ["moved"] * 3
        assert [r["id"] for r in res["remaining"]] == [bad.id]
    else:
        # the failing one started first; the one started beside it may finish, no new one starts
        assert outcomes.count("skipped") >= 1
        assert any(e["event"] == "stopping" for e in res["events"])
        assert set(outcomes) <= {"moved", "skipped"}
        assert not [
            m for m in admin_conn.compute.migrations(source_compute=drain_host) if m.status == "running"
        ]
    # every server is accounted for
    assert set(rows) == {bad.id, *(s.id for s in good)}


@pytest.mark.parametrize("action", ["abort", "force_complete"])
def test_migration_exceeding_timeout(sandbox, admin_conn, boot_server, drain_host, tmp_path, action):
    slow = boot_many(sandbox, admin_conn, boot_server, 1, metadata={"sandbox_migration_seconds": "60"})[0]
    start = time.time()
    res = core_drain(
        admin_conn,
        tmp_path,
        adapter_opts(timeout=4, timeout_action=action, failure_policy="continue", retries=0),
    )
    assert time.time() - start < 45
    row = res["instances"][0]
    srv = admin_conn.compute.get_server(slow.id)
    assert any(e["event"] == "timeout" for e in res["events"])
    if action == "abort":
        assert row["outcome"] == "failed" and "aborted" in row["message"]
        assert srv.compute_host == drain_host and srv.status == "ACTIVE"
    else:
        assert row["outcome"] == "moved" and "force-completed" in row["message"]
        assert srv.compute_host != drain_host and srv.status == "ACTIVE"


def test_server_landing_on_host_during_drain(sandbox, admin_conn, boot_server, drain_host, tmp_path):
    """An instance arrives after the drain started and is moved off too.

    Nova will not schedule a new boot to a disabled host, even a forced one (the
    COMPUTE_STATUS_DISABLED trait), so instances land during a drain through requests scheduled
    before the disable: boots being built and migrations in flight. This test uses a slow live
    migration towards the host, started just before the drain: the server is not on the host
    when the drain first lists it, and is when its migration completes.
    """
    boot_many(sandbox, admin_conn, boot_server, 3, metadata={"sandbox_migration_seconds": "6"})
    incoming = boot_many(
        sandbox, admin_conn, boot_server, 1, host="compute2", metadata={"sandbox_migration_seconds": "12"}
    )[0]
    NovaAdapter(admin_conn).live_migrate(incoming.id, drain_host, "auto")
    sandbox.wait_for(
        lambda: admin_conn.compute.get_server(incoming.id).status == "MIGRATING", timeout=30, what="migrating"
    )
    res = core_drain(admin_conn, tmp_path, adapter_opts(max_concurrent=1, settle_seconds=4))
    assert not res.get("failed"), res.get("msg")
    first = [e for e in res["events"] if e.get("id") == incoming.id]
    assert first, "the incoming server was never seen"
    rows = {r["id"]: r for r in res["instances"]}
    assert rows[incoming.id]["outcome"] == "moved"
    assert rows[incoming.id]["source"] == drain_host
    assert admin_conn.compute.get_server(incoming.id).compute_host != drain_host
    assert res["summary"] == {"moved": 4}
    # it arrived after the drain began: its first event comes after the first moves started
    started = [e["time"] for e in res["events"] if e["event"] == "started"]
    assert first[0]["time"] >= started[0]


def test_interrupted_run_is_resumed(sandbox, admin_conn, boot_server, drain_host, tmp_path):
    servers = boot_many(sandbox, admin_conn, boot_server, 6, metadata={"sandbox_migration_seconds": "2"})
    args = {"cloud": "sandbox", "host": drain_host, "state_dir": str(tmp_path / "state"), "poll_interval": 1}
    crash_after_first_move(sandbox, tmp_path, args, timeout=90)  # the controller dies mid-drain
    state = json.loads((tmp_path / "state" / ("sandbox-%s.json" % drain_host)).read_text())
    assert state["phase"] == "draining"
    statuses = [r["status"] for r in state["instances"].values()]
    assert "done" in statuses and set(statuses) - {"done"}
    res = run_module(sandbox, tmp_path, {"host": drain_host}, name="resume")
    assert not res.get("failed"), res.get("msg")
    assert res["changed"] is True
    assert sorted(r["id"] for r in res["instances"]) == sorted(s.id for s in servers)
    assert {r["outcome"] for r in res["instances"]} == {"moved"}
    assert drain_host not in hosts_of(admin_conn, servers).values()


def test_nova_api_restarted_during_drain(sandbox, admin_conn, boot_server, drain_host, tmp_path):
    servers = boot_many(sandbox, admin_conn, boot_server, 5, metadata={"sandbox_migration_seconds": "3"})
    result = {}

    def run():
        try:
            result["res"] = core_drain(admin_conn, tmp_path, adapter_opts(max_concurrent=2))
        except Exception as exc:
            result["exc"] = exc

    t = threading.Thread(target=run)
    t.start()
    log = tmp_path / "drain.log"
    try:
        sandbox.wait_for(lambda: log.exists() and " started " in log.read_text(), timeout=60, what="a start")
        sandbox.run("stop-service", "nova-api")
        time.sleep(10)  # longer than openstacksdk's own connection retries
    finally:
        sandbox.run("start-service", "nova-api")
    t.join(timeout=240)
    assert "exc" not in result, result.get("exc")
    res = result["res"]
    assert not res.get("failed"), res.get("msg")
    assert res["summary"] == {"moved": 5}
    kinds = [e["event"] for e in res["events"]]
    assert "api_unavailable" in kinds and "api_back" in kinds
    assert drain_host not in hosts_of(admin_conn, servers).values()


def test_blocked_servers_are_reported_not_moved(sandbox, admin_conn, boot_server, drain_host, tmp_path):
    keep = boot_many(
        sandbox, admin_conn, boot_server, 1, metadata={**FAST, "kolla_ops_nova_no_migrate": "db"}
    )[0]
    move = boot_many(sandbox, admin_conn, boot_server, 1)[0]
    res = run_module(sandbox, tmp_path, {"host": drain_host})
    assert res.get("failed") is True
    rows = {r["id"]: r for r in res["instances"]}
    assert rows[keep.id]["outcome"] == "blocked" and "kolla_ops_nova_no_migrate" in rows[keep.id]["message"]
    assert rows[move.id]["outcome"] == "moved"
    assert admin_conn.compute.get_server(keep.id).compute_host == drain_host


def placement_profile(admin_conn, host, cpu_ratio_delta=0.0):
    """A compute profile matching what Placement shows for ``host`` now (CPU ratio shifted by a delta)."""
    rp = next(admin_conn.placement.resource_providers(name=host))
    inv = {i.resource_class: i for i in admin_conn.placement.resource_provider_inventories(rp)}
    return {
        "cpu_allocation_ratio": float(inv["VCPU"].allocation_ratio) + cpu_ratio_delta,
        "reserved_host_memory_mb": int(inv["MEMORY_MB"].reserved),
    }


def maintenance_inventory(sandbox, tmp_path, host, hostvars, restart=True):
    """An inventory with ``host`` in group compute, and the maintenance task file to run on it."""
    inv = sandbox.compute_inventory(
        tmp_path / "hosts.yml",
        {host: hostvars},
        tmp_path / "reports",
        compute_host_state_dir=str(tmp_path / "state"),
        compute_host_poll_interval=1,
        compute_host_settle_time=2,
    )
    if restart:
        task = {
            "name": "Restart nova-compute (stands in for upgrade and reboot)",
            "ansible.builtin.command": "%s restart-compute {{ inventory_hostname }}" % sandbox.cli,
            "delegate_to": "localhost",
            "changed_when": True,
        }
    else:
        task = {"name": "Maintenance that leaves nova-compute running", "ansible.builtin.debug": {"msg": "-"}}
    tasks = tmp_path / "maint.yml"
    tasks.write_text(json.dumps([task]))
    return inv, tasks


def run_playbook(sandbox, inv, name, *extra, check=True):
    env = _env(sandbox)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.default"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv), *extra]
    cmd.append(str(ROOT / "playbooks" / name))
    res = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=600)
    if check:
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    return res


def test_playbooks_drain_rolling_restore(sandbox, admin_conn, boot_server, drain_host, tmp_path):
    servers = boot_many(sandbox, admin_conn, boot_server, 2)
    # a compute profile for the host, as Placement has it: the verify step checks inventories too
    profile = placement_profile(admin_conn, drain_host)
    hostvars = {"nova_config_profile": "maint", "nova_config_compute_profiles": {"maint": profile}}
    inv, tasks = maintenance_inventory(sandbox, tmp_path, drain_host, hostvars)

    def play(name, *extra):
        return run_playbook(sandbox, inv, name, *extra)

    res = play(
        "rolling_maintenance.yml",
        "-e",
        "compute_host_maintenance_tasks=%s" % tasks,
        "-e",
        "compute_host_move_back=true",
    )
    assert service(admin_conn).status == "enabled"
    assert set(hosts_of(admin_conn, servers).values()) == {drain_host}
    # the host was verified after the maintenance: its service and its inventories
    assert "TASK [Verify after the maintenance %s]" % drain_host in res.stdout
    verified = json.loads((tmp_path / "reports" / ("maintenance-verify-%s.json" % drain_host)).read_text())
    assert {r["check"]: r["status"] for r in verified["results"]} == {
        "maintenance.%s.service" % drain_host: "pass",
        "inventories.%s" % drain_host: "pass",
    }
    assert "%s passed its checks after the maintenance" % drain_host in res.stdout

    res = play("drain.yml")
    assert service(admin_conn).status == "disabled"
    assert drain_host not in hosts_of(admin_conn, servers).values()
    assert (tmp_path / "reports" / ("drain-%s.json" % drain_host)).exists()
    # the progress log was named before the drain started, and it is the one written
    log = tmp_path / "state" / ("sandbox-%s.log" % drain_host)
    shown = res.stdout.index("follow the progress with tail -f %s" % log)
    assert shown < res.stdout.index("TASK [Drain %s]" % drain_host)
    assert " drain %s disabled " % drain_host in log.read_text()
    play("restore.yml", "-e", "compute_host_move_back=true")
    assert service(admin_conn).status == "enabled"
    assert set(hosts_of(admin_conn, servers).values()) == {drain_host}


def test_playbook_rolling_stops_when_verify_fails(sandbox, admin_conn, drain_host, tmp_path):
    """The host's inventories do not match its profile after the maintenance: the roll stops there."""
    profile = placement_profile(admin_conn, drain_host, cpu_ratio_delta=1.5)
    hostvars = {"nova_config_profile": "maint", "nova_config_compute_profiles": {"maint": profile}}
    inv, tasks = maintenance_inventory(sandbox, tmp_path, drain_host, hostvars, restart=False)
    res = run_playbook(
        sandbox,
        inv,
        "rolling_maintenance.yml",
        "-e",
        "compute_host_maintenance_tasks=%s" % tasks,
        "-e",
        "compute_host_reason=CHG-7",
        check=False,
    )
    out = " ".join(res.stdout.split())  # the failure message is folded over lines
    assert res.returncode != 0, out[-3000:]
    assert "%s failed its checks after the maintenance" % drain_host in out
    assert "the profile did not land in Placement: VCPU allocation_ratio" in out
    assert "It stays drained and disabled" in out and "restore.yml -l %s" % drain_host in out
    assert "TASK [Enable %s]" % drain_host not in out
    svc = service(admin_conn)
    assert svc.status == "disabled"
    assert svc.disabled_reason.startswith("kolla_ops.nova drain ") and svc.disabled_reason.endswith(": CHG-7")
    assert svc.disabled_reason in out  # the reason, intact, in the failure
    verified = json.loads((tmp_path / "reports" / ("maintenance-verify-%s.json" % drain_host)).read_text())
    status = {r["check"]: r["status"] for r in verified["results"]}
    assert status == {"maintenance.%s.service" % drain_host: "pass", "inventories.%s" % drain_host: "fail"}


def test_core_unknown_host_raises(admin_conn, tmp_path):
    with pytest.raises(ComputeHostError, match="Known hosts: compute1, compute2, compute3"):
        core_drain(admin_conn, tmp_path, adapter_opts(), host="compute30")


@pytest.mark.parametrize("playbook", ["drain.yml", "evacuate.yml", "recover.yml", "restore.yml"])
def test_playbook_refuses_a_whole_group_without_limit(sandbox, admin_conn, tmp_path, playbook):
    """`-e host=cmp1` (a typo for `-l cmp1`) must not drain, evacuate or enable every compute host."""
    inv = tmp_path / "hosts.ini"
    inv.write_text("[compute]\ncompute1 ansible_connection=local\ncompute2 ansible_connection=local\n")
    before = {s.host: s.status for s in admin_conn.compute.services(binary="nova-compute")}
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv), "-e", "host=compute1"]
    env = _env(sandbox)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.default"
    res = subprocess.run(
        [*cmd, str(ROOT / "playbooks" / playbook)], check=False, capture_output=True, text=True, env=env
    )
    assert res.returncode != 0
    assert "would act on all 2 hosts of group 'compute' (compute1, compute2)" in res.stdout
    assert "-l compute1" in res.stdout and "Nothing was changed" in res.stdout
    assert {s.host: s.status for s in admin_conn.compute.services(binary="nova-compute")} == before
