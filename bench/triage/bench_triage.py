#!/usr/bin/env python3
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the triage engine against `grep -E` with the same signatures.

    python3 bench/triage/bench_triage.py                 # 1 GiB under /tmp -> bench/triage/results-noisy.json
    python3 bench/triage/bench_triage.py --mix typical   # -> bench/triage/results-typical.json
    python3 bench/triage/bench_triage.py --size-mb 256 --keep

1. Generates Kolla-format Nova logs (4 hosts: <host>/nova/nova-{api,conductor,scheduler,compute}.log)
   under --data-dir (default /tmp/kolla-triage-bench), mostly DEBUG/INFO like a real cloud, with
   WARNING/ERROR records, tracebacks and lines every rule's signatures match.
2. Runs, pinned to one CPU (taskset -c 0), with a warm page cache:
   - grep -E -c -f <all rule signatures>  (LC_ALL=C and the UTF-8 locale),
   - the engine (scripts/kolla-nova-triage --json --follow 0) on the same directory, with the
     hyperscan accelerator when it is installed and again without it (KOLLA_OPS_TRIAGE_ACCEL=off),
   each under /usr/bin/time for the peak RSS.
3. Repeats the engine on a quarter of the data to show memory stays flat as input grows.
The data is deleted afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "scripts", "kolla-nova-triage")
HOSTS = ("ctl1", "compute1", "compute2", "compute3")
SERVICES = ("nova-api", "nova-conductor", "nova-scheduler", "nova-compute")

DEBUG = [
    'nova.compute.resource_tracker [None {req} - - - - - -] Lock "compute_resources" acquired by '
    '"nova.compute.resource_tracker.ResourceTracker._update_available_resource" :: waited 0.000s inner '
    "/var/lib/kolla/venv/lib/python3.12/site-packages/oslo_concurrency/lockutils.py:405",
    "oslo_service.periodic_task [None {req} - - - - - -] Running periodic task "
    "ComputeManager._poll_rebooting_instances run_periodic_tasks "
    "/var/lib/kolla/venv/lib/python3.12/site-packages/oslo_service/periodic_task.py:210",
    "nova.scheduler.host_manager [None {req} admin admin - - default default] Update host state from compute "
    "node: ComputeNode(cpu_allocation_ratio=4.0,cpu_info='{{}}',free_disk_gb=180,free_ram_mb=15360,"
    "host='compute1',vcpus=16,vcpus_used=3) _locked_update",
    "oslo_messaging._drivers.amqpdriver [-] received message msg_id: {hex} reply to reply_{hex} "
    "__call__ /var/lib/kolla/venv/lib/python3.12/site-packages/oslo_messaging/_drivers/amqpdriver.py:313",
    "nova.virt.libvirt.driver [None {req} admin admin - - default default] [instance: {uuid}] "
    'End _get_guest_xml xml=<domain type="kvm"> _get_guest_xml',
]
INFO = [
    'nova.osapi_compute.wsgi.server [None {req} admin admin - - default default] 10.0.0.10 "GET '
    '/v2.1/servers/detail HTTP/1.1" status: 200 len: 1876 time: 0.1234567',
    "nova.compute.manager [None {req} admin admin - - default default] [instance: {uuid}] Took 3.21 seconds "
    "to build instance.",
    "nova.compute.manager [-] [instance: {uuid}] VM Started (Lifecycle Event)",
    "nova.scheduler.manager [None {req} admin admin - - default default] Starting to schedule for instances: "
    "['{uuid}']",
]
WARNING = [
    "nova.compute.manager [None {req} - - - - - -] While synchronizing instance power states, found 3 "
    "instances in the database and 2 instances on the hypervisor.",
    "oslo_policy.policy [None {req} admin admin - - default default] JSON formatted policy_file support "
    "is deprecated since Victoria release.",
    "nova.compute.resource_tracker [None {req} - - - - - -] Instance {uuid} has allocations against this "
    "compute host but is not found in the database.",
]
ERROR_MATCHED = [
    "oslo.messaging._drivers.impl_rabbit [-] [{uuid}] AMQP server on 10.0.0.10:5672 is unreachable: "
    "[Errno 111] ECONNREFUSED. Trying again in 1 seconds.: ConnectionRefusedError: [Errno 111] ECONNREFUSED",
    "nova.conductor.manager [None {req} admin admin - - default default] Failed to schedule instances: "
    "nova.exception_Remote.NoValidHost_Remote: No valid host was found. "
    "There are not enough hosts available.",
    "nova.compute.manager [None {req} admin admin - - default default] [instance: {uuid}] Instance failed "
    "to spawn: OSError: [Errno 28] No space left on device",
    "nova.virt.libvirt.driver [None {req} admin admin - - default default] [instance: {uuid}] Live "
    "Migration failure: operation failed: Failed to connect to remote libvirt URI qemu+tcp://compute2/system",
]
ERROR_UNMATCHED = [
    "nova.compute.manager [None {req} admin admin - - default default] [instance: {uuid}] Unexpected error "
    "while doing something unusual: ValueError: invalid literal for int() with base 10: 'abc'",
]
TRACE = [
    "Traceback (most recent call last):",
    '  File "/var/lib/kolla/venv/lib/python3.12/site-packages/nova/compute/manager.py", line 2615, in '
    "_build_resources",
    "    yield resources",
    '  File "/var/lib/kolla/venv/lib/python3.12/site-packages/nova/compute/manager.py", line 2389, in '
    "_build_and_run_instance",
]


def _uuid(rnd):
    h = "%032x" % rnd.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


MIXES = {
    # share of lines per level (tracebacks come on top: half the ERROR records carry 4 lines)
    "noisy": {"DEBUG": 66, "INFO": 28, "WARNING": 3.5, "ERROR_MATCHED": 1.6, "ERROR_UNMATCHED": 0.9},
    "typical": {"DEBUG": 70, "INFO": 28.7, "WARNING": 1.0, "ERROR_MATCHED": 0.2, "ERROR_UNMATCHED": 0.1},
}


def generate(data_dir, size_bytes, seed=42, mix="noisy"):
    """Write Kolla-format logs until `size_bytes` are written; returns (bytes, lines, files)."""
    rnd = random.Random(seed)  # noqa: S311 - test data, not secrets
    files = []
    for host in HOSTS:
        os.makedirs(os.path.join(data_dir, host, "nova"), exist_ok=True)
        for svc in SERVICES:
            files.append(open(os.path.join(data_dir, host, "nova", svc + ".log"), "w", encoding="utf-8"))
    per_file = size_bytes // len(files)
    total = lines = 0
    base = time.mktime((2026, 11, 20, 0, 0, 0, 0, 0, -1))
    w = MIXES[mix]
    pools = [
        ("DEBUG", DEBUG, w["DEBUG"]),
        ("INFO", INFO, w["INFO"]),
        ("WARNING", WARNING, w["WARNING"]),
        ("ERROR", ERROR_MATCHED, w["ERROR_MATCHED"]),
        ("ERROR", ERROR_UNMATCHED, w["ERROR_UNMATCHED"]),
    ]
    weights = [p[2] for p in pools]
    try:
        for fh in files:
            written, ms = 0, 0
            pid = rnd.randint(7, 40)
            buf = []
            while written < per_file:
                level, pool, _ = rnd.choices(pools, weights)[0]
                ms += rnd.randint(1, 40)
                t = base + ms / 1000.0
                ts = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + ".%03d" % (ms % 1000)
                msg = rnd.choice(pool).format(
                    req="req-" + _uuid(rnd), uuid=_uuid(rnd), hex="%032x" % rnd.getrandbits(128)
                )
                line = "%s %d %s %s\n" % (ts, pid, level, msg)
                buf.append(line)
                written += len(line)
                if level == "ERROR" and rnd.random() < 0.5:
                    logger = msg.split(" ", 1)[0]
                    for tb in TRACE:
                        tl = "%s %d ERROR %s %s\n" % (ts, pid, logger, tb)
                        buf.append(tl)
                        written += len(tl)
                if len(buf) > 5000:
                    fh.write("".join(buf))
                    lines += len(buf)
                    buf = []
            fh.write("".join(buf))
            lines += len(buf)
            total += written
    finally:
        for fh in files:
            fh.close()
    return total, lines, len(files)


def signatures_file(path, python):
    out = subprocess.run(
        [python, CLI, "--list-signatures"], capture_output=True, text=True, check=True
    ).stdout
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(out)
    return len(out.splitlines())


def timed(cmd, env=None):
    """Run under taskset -c 0 and /usr/bin/time.

    Returns a dict: wall seconds, cpu seconds (user + system: the fair measure on a shared
    machine, where wall time depends on what else runs), peak RSS, stdout, exit code.
    """
    full = ["/usr/bin/time", "-f", "%e %U %S %M", "taskset", "-c", "0", *cmd]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    _e, user, system, rss = proc.stderr.strip().splitlines()[-1].split()
    return {
        "wall": wall,
        "cpu": float(user) + float(system),
        "rss_kb": int(rss),
        "stdout": proc.stdout,
        "rc": proc.returncode,
        "load": load,
    }


def _figures(run, size):
    return {
        "cpu_seconds": round(run["cpu"], 2),
        "mb_per_cpu_s": round(size / max(run["cpu"], 1e-6) / 1e6, 1),
        "wall_seconds": round(run["wall"], 2),
        "mb_per_wall_s": round(size / run["wall"] / 1e6, 1),
        "max_rss_mb": round(run["rss_kb"] / 1024, 1),
        "loadavg_1m_before": round(run["load"], 2),
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--data-dir", default="/tmp/kolla-triage-bench")  # noqa: S108 - documented scratch dir
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    ap.add_argument("--reuse", action="store_true", help="reuse data kept by an earlier --keep run")
    ap.add_argument("--mix", choices=sorted(MIXES), default="noisy", help="share of WARNING/ERROR lines")
    ap.add_argument("--output", help="result file (default: bench/triage/results-<mix>.json)")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args(argv)
    args.output = args.output or os.path.join(ROOT, "bench", "triage", "results-%s.json" % args.mix)

    marker = os.path.join(args.data_dir, "generated.json")
    if args.reuse and os.path.exists(marker):
        with open(marker, encoding="utf-8") as fh:
            size, nlines, nfiles, gen_s, mix = json.load(fh)
        if mix != args.mix:
            sys.exit("%s holds the %r mix, not %r: drop --reuse" % (args.data_dir, mix, args.mix))
    else:
        shutil.rmtree(args.data_dir, ignore_errors=True)
        t0 = time.perf_counter()
        size, nlines, nfiles = generate(args.data_dir, args.size_mb * 1024 * 1024, mix=args.mix)
        gen_s = time.perf_counter() - t0
        with open(marker, "w", encoding="utf-8") as fh:
            json.dump([size, nlines, nfiles, gen_s, args.mix], fh)
    sig_path = os.path.join(args.data_dir, "signatures.txt")
    nsig = signatures_file(sig_path, args.python)
    files = sorted(
        os.path.join(dp, f) for dp, _, fs in os.walk(args.data_dir) for f in fs if f.endswith(".log")
    )
    quarter = [f for f in files if "/ctl1/" in f]
    subprocess.run(["cat", *files], stdout=subprocess.DEVNULL, check=True)  # warm the page cache

    results = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        "data": {
            "bytes": size,
            "lines": nlines,
            "files": nfiles,
            "signatures": nsig,
            "generate_s": round(gen_s, 1),
            "mix": {"name": args.mix, "percent_of_lines": MIXES[args.mix]},
        },
        "runs": {},
    }
    base_env = dict(os.environ)
    for name, locale in (("grep_E_LC_ALL_C", "C"), ("grep_E_utf8", "C.UTF-8")):
        env = dict(base_env, LC_ALL=locale)
        run = timed(["grep", "-E", "-c", "-f", sig_path, *files], env=env)
        results["runs"][name] = dict(
            _figures(run, size), matching_lines=sum(int(x.rsplit(":", 1)[1]) for x in run["stdout"].split())
        )
    accel = (
        subprocess.run([args.python, "-c", "import hyperscan"], capture_output=True, check=False).returncode
        == 0
    )
    results["accelerator"] = "hyperscan" if accel else None
    # the default path (hyperscan when installed), then the pure-Python one
    paths = [("engine_full", {})]
    if accel:
        paths.append(("engine_full_python", {"KOLLA_OPS_TRIAGE_ACCEL": "off"}))
    for name, extra in paths:
        run = timed([args.python, CLI, "--json", "--follow", "0", args.data_dir], env=dict(base_env, **extra))
        rep = json.loads(run["stdout"])
        results["runs"][name] = dict(
            _figures(run, size),
            findings=len(rep["findings"]),
            matched_records=sum(f["count"] for f in rep["findings"]),
            unmatched_records=rep["summary"]["unmatched_records"],
            exit=run["rc"],
        )
    qsize = sum(os.path.getsize(f) for f in quarter)
    run = timed([args.python, CLI, "--json", "--follow", "0", os.path.join(args.data_dir, "ctl1")])
    results["runs"]["engine_quarter"] = dict(_figures(run, qsize), bytes=qsize)
    r = results["runs"]
    e = r["engine_full"]["mb_per_cpu_s"]
    results["ratio_engine_to_grep_utf8_cpu"] = round(e / r["grep_E_utf8"]["mb_per_cpu_s"], 2)
    results["ratio_engine_to_grep_C_cpu"] = round(e / r["grep_E_LC_ALL_C"]["mb_per_cpu_s"], 2)
    if "engine_full_python" in r:
        e = r["engine_full_python"]["mb_per_cpu_s"]
        results["ratio_engine_python_to_grep_C_cpu"] = round(e / r["grep_E_LC_ALL_C"]["mb_per_cpu_s"], 2)
        results["ratio_engine_python_to_grep_utf8_cpu"] = round(e / r["grep_E_utf8"]["mb_per_cpu_s"], 2)
    results["memory_growth_quarter_to_full_mb"] = round(
        r["engine_full"]["max_rss_mb"] - r["engine_quarter"]["max_rss_mb"], 1
    )
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=2)
        fh.write("\n")
    print(json.dumps(results, indent=2))
    if not args.keep:
        shutil.rmtree(args.data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
