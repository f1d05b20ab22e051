"""Command line of the sandbox (see sandbox/README.md)."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
import time

from . import cloud, db, install, services
from . import settings as st
from .proc import SandboxError

USAGE = """sandbox COMMAND [ARGS]

lifecycle:
  up [--computes N] [--scale-nodes N]   install what is missing, start everything, wait until ready
  down [--kill]                         stop every service (state kept)
  status [--json]                       per service up/down; exit 1 when something is down
  reset                                 stop and wipe the state (packages and venv kept)
  paths                                 JSON: state dir, clouds.yaml, node_custom_config, logs, venv
  env                                   shell exports for the openstack CLI / openstacksdk

test controls:
  stop-compute HOST | kill-compute HOST | start-compute HOST | restart-compute HOST
  reboot-compute HOST                   an unplanned host reboot: SIGKILL its nova-compute, mark
                                        its guests powered off, start it and wait until ready
  stop-service SVC | start-service SVC | restart-service SVC | kill-service SVC
  restart-scheduler
    SVC: mariadb rabbitmq keystone placement glance neutron nova-api nova-conductor
         nova-scheduler nova-novncproxy, or a compute host (compute1, ...)

passthroughs (stdout and exit code are the real command's):
  nova-manage ARGS...   nova-status ARGS...   mysql ARGS...   openstack ARGS...
"""


@contextlib.contextmanager
def locked(s: st.Settings):
    s.state.mkdir(parents=True, exist_ok=True)
    with open(s.state / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("[sandbox] another sandbox command is running; waiting for it", flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _exec(argv: list[str], env: dict) -> None:
    sys.stdout.flush()
    os.execve(argv[0], argv, env)  # noqa: S606 - a passthrough replaces this process


def _need_venv(s: st.Settings) -> None:
    if not install.venv_ready(s):
        raise SandboxError(f"the sandbox venv {s.venv} is not built yet: run `sandbox up` first")


def _compute(s: st.Settings, name: str) -> services.Service:
    svc = services.find(s, name)
    if svc.kind != "compute":
        raise SandboxError(f"{name} is not a compute host; compute hosts: {', '.join(s.compute_hosts)}")
    return svc


def _start_and_wait(s: st.Settings, svc: services.Service) -> None:
    t0 = time.time()
    services.start(s, svc)
    services.wait_ready(s, [svc])
    if svc.name in ("mariadb", "rabbitmq", "nova-conductor"):
        # every Nova service heartbeats through these: wait until all running ones report
        # again (after a RabbitMQ restart a pending RPC call first times out, up to 60 s)
        others = [
            x
            for x in services.all_services(s)
            if x.kind in ("nova", "compute") and x.name != "nova-novncproxy" and services.is_running(s, x)
        ]
        services.wait_ready(s, others, since=time.time())
        print(f"[sandbox] {svc.label} ready; {len(others)} Nova services heartbeat again", flush=True)
    if svc.kind == "compute" and cloud._unmapped_hosts(s):
        cloud._run_logged(
            s,
            "nova-manage cell_v2 discover_hosts",
            cloud.nova_manage_argv(s, "cell_v2", "discover_hosts"),
            s.log_dir(st.CONTROLLER, "nova") / "nova-manage-discover.log",
        )
    print(f"[sandbox] {svc.label} ready in {time.time() - t0:.1f} s", flush=True)


GUESTS_FILE = "sandbox_instances.json"  # written by runtime/virt/sandbox_fake.py
POWER_SHUTDOWN = 4  # nova.compute.power_state.SHUTDOWN


def _power_off_guests(s: st.Settings, host: str) -> tuple[int, int]:
    """Mark every guest of HOST powered off in its driver's state, as a host reboot leaves them.

    libvirt's domains survive a host reboot defined but not running; the sandbox driver
    reads this file when its nova-compute starts. Only call it while that process is dead
    (it rewrites the file from memory on every change). Returns (guests, newly off).
    """
    path = s.state / "nova" / host / GUESTS_FILE
    try:
        guests = json.loads(path.read_text())
    except FileNotFoundError:
        return 0, 0
    except ValueError as exc:
        raise SandboxError(f"{path}: not the driver's JSON ({exc}); remove it or `sandbox reset`") from exc
    now = time.time()
    changed = 0
    for guest in guests.values():
        if guest.get("state") != POWER_SHUTDOWN:
            guest.update(state=POWER_SHUTDOWN, since=now)
            changed += 1
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(guests))
    os.replace(tmp, path)
    return len(guests), changed


def _reboot_compute(s: st.Settings, svc: services.Service) -> None:
    _stop(s, svc, hard=True)
    total, changed = _power_off_guests(s, svc.name)
    print(
        f"[sandbox] {svc.label}: host rebooted: {total} guest(s) defined but not running "
        f"({changed} of them were running)",
        flush=True,
    )
    _start_and_wait(s, svc)


def _stop(s: st.Settings, svc: services.Service, hard: bool) -> None:
    was = services.stop(s, svc, hard=hard)
    verb = "killed" if hard else "stopped"
    print(f"[sandbox] {svc.label} {verb}" if was else f"[sandbox] {svc.label} was not running", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    try:
        return _dispatch(cmd, rest)
    except SandboxError as exc:
        print(f"[sandbox] ERROR: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(cmd: str, rest: list[str]) -> int:
    # passthroughs first: their arguments are not ours to parse
    if cmd in ("nova-manage", "nova-status", "mysql", "openstack"):
        s = st.load()
        if cmd == "mysql":
            _exec(["/usr/bin/mysql", *db.mysql_argv(s)[1:], *rest], dict(os.environ))
        _need_venv(s)
        if cmd == "nova-manage":
            _exec(cloud.nova_manage_argv(s, *rest), install.venv_env(s))
        if cmd == "nova-status":
            _exec(cloud.nova_status_argv(s, *rest), install.venv_env(s))
        env = install.venv_env(
            s, {"OS_CLIENT_CONFIG_FILE": s.clouds_yaml, "OS_CLOUD": os.environ.get("OS_CLOUD", "sandbox")}
        )
        _exec([str(s.venv_bin / "openstack"), *rest], env)

    p = argparse.ArgumentParser(prog=f"sandbox {cmd}")
    if cmd == "up":
        p.add_argument("--computes", type=int)
        p.add_argument("--scale-nodes", type=int)
        a = p.parse_args(rest)
        s = st.load(computes=a.computes, scale_nodes=a.scale_nodes)
        with locked(s):
            cloud.up(s)
        return 0
    if cmd == "down":
        p.add_argument("--kill", action="store_true", help="SIGKILL instead of a graceful stop")
        a = p.parse_args(rest)
        s = st.load()
        with locked(s):
            cloud.down(s, hard=a.kill)
        return 0
    if cmd == "reset":
        p.parse_args(rest)
        s = st.load()
        with locked(s):
            cloud.reset(s)
        return 0
    if cmd == "status":
        p.add_argument("--json", action="store_true")
        a = p.parse_args(rest)
        s = st.load()
        ok, rows = cloud.status(s)
        if a.json:
            print(json.dumps({"ok": ok, "services": rows}, indent=1))
        else:
            print(f"{'SERVICE':24} {'STATE':9} {'PID':>7}  DETAIL")
            for r in rows:
                detail = r["detail"] if r["state"] == "up" else f"{r['detail']}  log: {r['log']}"
                print(f"{r['service']:24} {r['state']:9} {r['pid'] or '-':>7}  {detail.strip()}")
            down_ = [r["service"] for r in rows if r["state"] != "up"]
            print("all services up" if ok else f"DOWN: {', '.join(down_)}")
        return 0 if ok else 1
    if cmd == "paths":
        p.parse_args(rest)
        print(json.dumps(st.load().to_json(), indent=1))
        return 0
    if cmd == "env":
        p.parse_args(rest)
        s = st.load()
        print(f"export OS_CLIENT_CONFIG_FILE={s.clouds_yaml}\nexport OS_CLOUD=sandbox")
        return 0

    controls = {
        "stop-compute",
        "kill-compute",
        "start-compute",
        "restart-compute",
        "reboot-compute",
        "stop-service",
        "start-service",
        "restart-service",
        "kill-service",
        "restart-scheduler",
    }
    if cmd in controls:
        if cmd == "restart-scheduler":
            p.parse_args(rest)
            name = "nova-scheduler"
        else:
            p.add_argument("name")
            name = p.parse_args(rest).name
        s = st.load()
        _need_venv(s)
        svc = _compute(s, name) if cmd.endswith("-compute") else services.find(s, name)
        with locked(s):
            if cmd == "reboot-compute":
                _reboot_compute(s, svc)
                return 0
            if cmd.startswith(("stop-", "kill-", "restart-")):
                _stop(s, svc, hard=cmd.startswith("kill-"))
            if cmd.startswith(("start-", "restart-")):
                _start_and_wait(s, svc)
        return 0
    print(f"sandbox: unknown command {cmd!r}\n\n{USAGE}", file=sys.stderr)
    return 2
