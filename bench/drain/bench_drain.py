#!/usr/bin/env python3
"""Drain benchmark on the sandbox cloud: three ways to empty one compute host.

(a) one live migration at a time, waiting for each (what most runbooks do);
(b) every request at once, then waiting (what ``nova host-evacuate-live`` does);
(c) kolla_ops.nova's drain core (the compute_host module's engine): a window of requests,
    re-listing, verification by Nova's own state.

All three use the same API call for a live migration (compute API microversion 2.68, as
``nova host-evacuate-live`` with a current client) and the same polling interval, on the same
servers (moved back to the source, unmeasured, between runs), so the difference is the strategy.
Nova-side concurrency is Nova's own ``max_concurrent_live_migrations`` on the source (default 1;
``--nova-concurrency N`` writes a Kolla override for the source host and restarts it, and
removes it afterwards).

    .venv/bin/python bench/drain/bench_drain.py --servers 40 --seconds 2 --source compute2

Writes ``bench/drain/results-<timestamp>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".build" / "pytest"))
sys.path.insert(0, str(ROOT / ".collections"))
_LINK = ROOT / ".build" / "pytest" / "ansible_collections" / "kolla_ops" / "nova"
if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(ROOT, target_is_directory=True)

import openstack  # noqa: E402

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.drain import drain  # noqa: E402
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import MoveOptions  # noqa: E402
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.nova import NovaAdapter  # noqa: E402
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.preflight import (  # noqa: E402
    PreflightOptions,
)

SANDBOX = ROOT / "sandbox" / "sandbox"


def log(msg):
    sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def service(conn, host):
    return next(conn.compute.services(host=host, binary="nova-compute"))


def set_enabled(conn, host, enabled):
    svc = service(conn, host)
    if enabled and svc.status != "enabled":
        conn.compute.enable_service(svc.id, host=host, binary="nova-compute")
    if not enabled and svc.status != "disabled":
        conn.compute.disable_service(svc.id, host=host, binary="nova-compute", disabled_reason="bench")


def snapshot(conn, ids):
    """One detailed listing (as a client would poll), not a GET per server."""
    wanted = set(ids)
    out = dict.fromkeys(ids, (None, "GONE", None))
    for s in conn.compute.servers(details=True, all_projects=True, name="^bench-drain-"):
        if s.id in wanted:
            out[s.id] = (s.compute_host, s.status, s.task_state)
    return out


def wait_all(conn, ids, done, interval, timeout=1800):
    deadline = time.time() + timeout
    while time.time() < deadline:
        snap = snapshot(conn, ids)
        if all(done(v) for v in snap.values()):
            return snap
        time.sleep(interval)
    raise SystemExit("timed out waiting: %s" % snapshot(conn, ids))


def boot(conn, source, count, seconds):
    existing = [s.id for s in conn.compute.servers(all_projects=True, name="^bench-drain-")]
    if len(existing) == count:
        log("reusing %d existing bench servers" % count)
        return existing
    for sid in existing:
        conn.compute.delete_server(sid, force=True)
    img = conn.image.find_image("cirros-fake", ignore_missing=False)
    flv = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    ids = []
    for i in range(count):
        s = conn.compute.create_server(
            name="bench-drain-%02d" % i,
            image_id=img.id,
            flavor_id=flv.id,
            networks="none",
            availability_zone="nova:%s" % source,
            metadata={"sandbox_migration_seconds": str(seconds)},
        )
        ids.append(s.id)
    wait_all(conn, ids, lambda v: v[1] == "ACTIVE" and v[0] == source and not v[2], 2)
    return ids


def move_home(conn, nova, ids, source, seconds):
    """Put every bench server on ``source`` (unmeasured); replace the ones that cannot move.

    On the shared sandbox other tests restart computes and RabbitMQ; a server caught by such a
    restart can end in ERROR or without a guest. Those are deleted and booted again, so each
    run starts with the same number of healthy servers on the source.
    """
    set_enabled(conn, source, True)
    snap = snapshot(conn, ids)
    for sid, v in snap.items():
        if v[0] != source:
            try:
                nova.live_migrate(sid, source, "auto")
            except Exception as exc:
                log("cannot move %s home: %s" % (sid, exc))
    wait_all(conn, ids, settled, 2)
    snap = snapshot(conn, ids)
    broken = [sid for sid, v in snap.items() if v[0] != source or v[1] != "ACTIVE"]
    if broken:
        log("replacing %d server(s) that could not come home" % len(broken))
        for sid in broken:
            conn.compute.delete_server(sid, force=True)
            ids.remove(sid)
        img = conn.image.find_image("cirros-fake", ignore_missing=False)
        flv = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
        fresh = []
        for i in range(len(broken)):
            s = conn.compute.create_server(
                name="bench-drain-r%d-%d" % (int(time.time()), i),
                image_id=img.id,
                flavor_id=flv.id,
                networks="none",
                availability_zone="nova:%s" % source,
                metadata={"sandbox_migration_seconds": str(seconds)},
            )
            fresh.append(s.id)
        wait_all(conn, fresh, lambda v: v[1] == "ACTIVE" and v[0] == source and not v[2], 2)
        ids.extend(fresh)


def moved(source):
    return lambda v: v[0] not in (None, source) and v[1] == "ACTIVE" and not v[2]


def settled(v):
    return v[1] in ("ACTIVE", "ERROR", "GONE") and not v[2]


def strategy_serial(conn, nova, ids, source, interval, target):
    for sid in ids:
        nova.live_migrate(sid, target, "auto")
        wait_all(conn, [sid], settled, interval)


def strategy_all_at_once(conn, nova, ids, source, interval, target):
    for sid in ids:
        nova.live_migrate(sid, target, "auto")
    wait_all(conn, ids, settled, interval)


def strategy_module(conn, nova, ids, source, interval, window, state_dir, target):
    path = Path(state_dir) / ("bench-%s-%d.json" % (source, time.time()))
    opts = MoveOptions(
        max_concurrent=window,
        request_workers=window,
        poll_interval=interval,
        settle_seconds=interval,
        retries=0,
        failure_policy="continue",
        target_host=target,
    )
    # the module's default: the pre-flight plans every instance before the drain starts
    res = drain(
        nova, source, opts, str(path), "sandbox", reason="bench", user="bench", preflight=PreflightOptions()
    )
    return res


def applied_concurrency(host):
    """max_concurrent_live_migrations the host's running nova-compute read (default 1)."""
    paths = json.loads(
        subprocess.run([str(SANDBOX), "paths"], capture_output=True, text=True, check=True).stdout
    )
    value = 1
    applied = Path(paths["state_dir"]) / "etc" / "nova" / "applied" / host
    for conf in sorted(applied.glob("*.conf")):
        for line in conf.read_text().splitlines():
            key, _, val = line.partition("=")
            if key.strip() == "max_concurrent_live_migrations":
                value = int(val.strip())
    return value


def override_path(source):
    paths = json.loads(
        subprocess.run([str(SANDBOX), "paths"], capture_output=True, text=True, check=True).stdout
    )
    return Path(paths["node_custom_config"]) / "nova" / source / "nova-compute.conf"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=2.0, help="fixed duration of each live migration")
    ap.add_argument("--source", default="compute1")
    ap.add_argument("--target", default=None, help="destination for every strategy (default: scheduler)")
    ap.add_argument("--window", type=int, default=3, help="max_concurrent of the module")
    ap.add_argument("--interval", type=float, default=1.0, help="polling interval of every strategy")
    ap.add_argument("--nova-concurrency", type=int, default=1, help="max_concurrent_live_migrations")
    ap.add_argument("--only", default="abc")
    ap.add_argument(
        "--pingpong",
        action="store_true",
        help="with --target: each run drains whichever of source/target holds the servers (no move back)",
    )
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(ROOT / ".sandbox" / "clouds.yaml"))
    conn = openstack.connect(cloud="sandbox")
    nova = NovaAdapter(conn)
    # Nova-side concurrency, the same on every host a strategy drains (with --pingpong the
    # source and target swap): an override per host, each compute restarted to read it, and the
    # value each process really runs with recorded from the sandbox's applied config copies.
    bench_hosts = [args.source] + ([args.target] if args.target else [])
    overrides = []
    for host in bench_hosts:
        path = override_path(host)
        if path.exists():
            raise SystemExit("%s exists; not overwriting someone's override (remove it first)" % path)
    if args.nova_concurrency != 1:
        for host in bench_hosts:
            path = override_path(host)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("[DEFAULT]\nmax_concurrent_live_migrations = %d\n" % args.nova_concurrency)
            overrides.append((host, path))
    for host in bench_hosts:
        subprocess.run([str(SANDBOX), "restart-compute", host], check=True)
    effective = {host: applied_concurrency(host) for host in bench_hosts}
    if set(effective.values()) != {args.nova_concurrency}:
        raise SystemExit("Nova-side concurrency differs from --nova-concurrency: %s" % effective)
    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "servers": args.servers,
        "migration_seconds": args.seconds,
        "source": args.source,
        "target": args.target or "scheduler",
        "window": args.window,
        "interval": args.interval,
        "nova_max_concurrent_live_migrations": effective,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_before": os.getloadavg(),
        "runs": {},
    }
    ids = []
    if args.target:
        set_enabled(conn, args.target, True)
    try:
        log("booting %d servers on %s" % (args.servers, args.source))
        ids = boot(conn, args.source, args.servers, args.seconds)
        plans = {
            "a_serial_wait_each": lambda: strategy_serial(
                conn, nova, ids, args.source, args.interval, args.target
            ),
            "b_all_at_once": lambda: strategy_all_at_once(
                conn, nova, ids, args.source, args.interval, args.target
            ),
            "c_kolla_ops_drain": lambda: strategy_module(
                conn,
                nova,
                ids,
                args.source,
                args.interval,
                args.window,
                str(Path.home() / ".ansible" / "kolla_ops_nova" / "bench"),
                args.target,
            ),
        }
        for key, fn in plans.items():
            if key[0] not in args.only:
                continue
            if args.pingpong and args.target:
                # drain the host the servers are on towards the other one: no unmeasured move back
                snap = snapshot(conn, ids)
                on_target = sum(1 for v in snap.values() if v[0] == args.target)
                if on_target > len(ids) // 2:
                    args.source, args.target = args.target, args.source
            if args.target:
                set_enabled(conn, args.target, True)
            move_home(conn, nova, ids, args.source, args.seconds)
            # Disabling the source is the same first step for all three (the module re-checks it
            # and finds it done); it is not part of the measured time.
            set_enabled(conn, args.source, False)
            log("run %s" % key)
            start = time.monotonic()
            out = fn()
            took = time.monotonic() - start
            snap = snapshot(conn, ids)
            ok = sum(1 for v in snap.values() if moved(args.source)(v))
            run = {
                "source": args.source,
                "target": args.target or "scheduler",
                "seconds": round(took, 1),
                "moved": ok,
                "unaccounted": len(ids) - ok,
                "per_instance": round(took / len(ids), 2),
                "load_average": os.getloadavg(),
            }
            if isinstance(out, dict):
                run["module_summary"] = out.get("summary")
                pre = out.get("preflight") or {}
                run["preflight"] = {k: pre.get(k) for k in ("ok", "seconds", "requests")}
            results["runs"][key] = run
            log("%s: %.1f s, %d moved, %d unaccounted" % (key, took, ok, len(ids) - ok))
    finally:
        set_enabled(conn, args.source, True)
        if args.target:
            set_enabled(conn, args.target, True)
        for sid in ids:
            try:
                conn.compute.delete_server(sid, force=True)
            except openstack.exceptions.SDKException:
                pass
        for host, path in overrides:
            path.unlink()
            subprocess.run([str(SANDBOX), "restart-compute", host], check=False)
    runs = results["runs"]
    if "b_all_at_once" in runs and "c_kolla_ops_drain" in runs:
        results["c_over_b"] = round(
            runs["c_kolla_ops_drain"]["seconds"] / runs["b_all_at_once"]["seconds"], 2
        )
    if "a_serial_wait_each" in runs and "c_kolla_ops_drain" in runs:
        results["a_over_c"] = round(
            runs["a_serial_wait_each"]["seconds"] / runs["c_kolla_ops_drain"]["seconds"], 2
        )
    out = Path(
        args.out
        or (ROOT / "bench" / "drain" / ("results-%s.json" % time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))
    )
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
