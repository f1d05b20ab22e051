#!/usr/bin/env python3
"""Benchmark playbooks/audit.yml against the sandbox, small and in scale mode.

    .venv/bin/python bench/audit/bench.py --scale-nodes 500 --allocations 1000

1. runs the full audit (every check, fix: false) on the sandbox as it is, once with
   Placement read through the API and once through the database (nova_commands);
2. brings up the sandbox's scale compute (``sandbox up --scale-nodes N``: one nova-compute
   reporting N nodes, i.e. N resource providers), disables it at once so nobody's servers
   land there, and writes ``--allocations`` allocations for random consumers on its nodes
   (orphans: the audit must find them all);
3. runs the full audit again, both ways;
4. removes what it created (its allocations; the scale compute, its service, nodes and
   providers only when this run brought it up) unless ``--keep``. A scale compute that is
   already up with enough nodes (someone else's) is used as it is and left running.

Requests are counted inside each module (a hook on the keystoneauth session, see
plugins/module_utils/cloud/reader.py) and returned as ``stats``; this script sums them per
task from the JSON callback. Results go to bench/audit/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
CLI = ROOT / "sandbox" / "sandbox"
RESULTS = Path(__file__).resolve().parent / "results"
REPORTS = Path(tempfile.gettempdir()) / "kolla-ops-audit-bench"  # full reports (1000 findings): not kept
SCALE_HOST = "scale1"


def sandbox(*args, check=True):
    res = subprocess.run([str(CLI), *args], capture_output=True, text=True, check=False, timeout=3600)
    if check and res.returncode != 0:
        raise SystemExit(
            "sandbox %s failed: %s %s" % (" ".join(args), res.stdout[-2000:], res.stderr[-2000:])
        )
    return res


def connect():
    import openstack  # noqa: PLC0415 - only the venv has it; --help works without

    paths = json.loads(sandbox("paths").stdout)
    os.environ["OS_CLIENT_CONFIG_FILE"] = paths["clouds_yaml"]
    return openstack.connect(cloud="sandbox"), paths


def run_audit(paths, source, label):
    extra = {
        "audit_hosts": "localhost",
        "kolla_ops_cloud": "sandbox",
        "kolla_ops_clouds_yaml": paths["clouds_yaml"],
        "kolla_ops_nova_commands": {"mode": "sandbox", "sandbox_command": str(CLI)},
        "audit_placement_source": source,
        "audit_report_dir": str(REPORTS / label),
        "ansible_connection": "local",
        "ansible_python_interpreter": str(VENV / "bin" / "python"),
    }
    argv = [
        str(VENV / "bin" / "ansible-playbook"),
        "-i",
        "localhost,",
        str(ROOT / "playbooks" / "audit.yml"),
        "-e",
        json.dumps(extra),
    ]
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_STDOUT_CALLBACK="json",
        PATH="%s:%s" % (VENV / "bin", os.environ.get("PATH", "")),
    )
    env.pop("ANSIBLE_CONFIG", None)
    t0 = time.monotonic()
    res = subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(), check=False, timeout=3600
    )
    wall = time.monotonic() - t0
    if res.returncode != 0:
        raise SystemExit(
            "audit playbook failed (%s): %s %s" % (label, res.stdout[-3000:], res.stderr[-3000:])
        )
    out = json.loads(res.stdout)
    tasks = []
    for t in out["plays"][0]["tasks"]:
        r = t["hosts"].get("localhost", {})
        stats = r.get("stats")
        if not stats:
            continue
        d = t["task"]["duration"]
        start = datetime.datetime.fromisoformat(d["start"].replace("Z", "+00:00"))
        end = datetime.datetime.fromisoformat(d["end"].replace("Z", "+00:00"))
        tasks.append(
            {
                "task": t["task"]["name"],
                "seconds": round((end - start).total_seconds(), 2),
                "api_requests": stats["api_requests"],
                "by_service": stats["api_requests_by_service"],
                "sql_queries": stats["sql_queries"],
            }
        )
    report = json.loads((REPORTS / label / "audit.json").read_text())
    return {
        "label": label,
        "placement_source": source,
        "wall_seconds": round(wall, 1),
        "api_requests": sum(t["api_requests"] for t in tasks),
        "sql_queries": sum(t["sql_queries"] for t in tasks),
        "tasks": tasks,
        "summary": report["summary"],
        "findings": {r["check"]: r["message"] for r in report["results"] if r["status"] in ("fail", "warn")},
    }


def cloud_size(conn):
    providers = conn.placement.get("/resource_providers", microversion="1.14").json()["resource_providers"]
    servers = sum(1 for _ in conn.compute.servers(all_projects=True, limit=1000))
    return {"resource_providers": len(providers), "servers": servers}


def scale_up(conn, nodes):
    t0 = time.monotonic()
    sandbox("up", "--scale-nodes", str(nodes))
    svc = next(s for s in conn.compute.services(binary="nova-compute") if s.host == SCALE_HOST)
    conn.compute.disable_service(
        svc, SCALE_HOST, "nova-compute", disabled_reason="audit bench: keep servers off"
    )
    deadline = time.time() + 1800
    while time.time() < deadline:
        names = [
            p["name"]
            for p in conn.placement.get("/resource_providers", microversion="1.14").json()[
                "resource_providers"
            ]
        ]
        if sum(1 for n in names if n.startswith(SCALE_HOST + "-")) >= nodes:
            break
        time.sleep(5)
    return round(time.monotonic() - t0, 1)


def scale_providers(conn):
    return [
        p["uuid"]
        for p in conn.placement.get("/resource_providers", microversion="1.14").json()["resource_providers"]
        if p["name"].startswith(SCALE_HOST + "-")
    ]


def make_allocations(conn, count, consumers_file):
    rps = scale_providers(conn)
    consumers = []
    for i in range(count):
        consumer = str(uuid.uuid4())
        body = {
            "allocations": {rps[i % len(rps)]: {"resources": {"VCPU": 1, "MEMORY_MB": 128, "DISK_GB": 1}}},
            "project_id": conn.current_project_id,
            "user_id": conn.current_user_id,
        }
        resp = conn.placement.put("/allocations/%s" % consumer, json=body, microversion="1.12")
        if resp.status_code != 204:
            raise SystemExit("PUT /allocations/%s: %s %s" % (consumer, resp.status_code, resp.text))
        consumers.append(consumer)
        if i % 100 == 0:
            consumers_file.write_text(json.dumps(consumers))
    consumers_file.write_text(json.dumps(consumers))
    return consumers


def teardown(conn, consumers_file, scale=True):
    if consumers_file.exists():
        for consumer in json.loads(consumers_file.read_text()):
            conn.placement.delete("/allocations/%s" % consumer, microversion="1.12")
        consumers_file.unlink()
    if not scale:
        return
    sandbox("up", "--scale-nodes", "0")
    for svc in conn.compute.services(binary="nova-compute"):
        if svc.host == SCALE_HOST:
            conn.compute.delete_service(svc, ignore_missing=True)
    # Nova removes the providers of the deleted service's compute nodes; make sure.
    for rp in scale_providers(conn):
        conn.placement.delete("/resource_providers/%s" % rp, microversion="1.14")


def table(rows):
    lines = [
        "| run | providers | servers | Placement via | wall s | API requests | SQL queries "
        "| per task (requests) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per = ", ".join("%s %d" % (t["task"].split()[-1], t["api_requests"]) for t in r["tasks"])
        lines.append(
            "| %s | %d | %d | %s | %.1f | %d | %d | %s |"
            % (
                r["label"],
                r["size"]["resource_providers"],
                r["size"]["servers"],
                r["placement_source"],
                r["wall_seconds"],
                r["api_requests"],
                r["sql_queries"],
                per,
            )
        )
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale-nodes", type=int, default=500)
    p.add_argument("--allocations", type=int, default=1000)
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--sources", default="api,database", help="Placement sources to run, comma-separated")
    p.add_argument("--keep", action="store_true", help="leave the scale compute and allocations in place")
    p.add_argument("--teardown-only", action="store_true")
    a = p.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    consumers_file = RESULTS / ".bench-consumers.json"
    conn, paths = connect()
    if a.teardown_only:
        teardown(conn, consumers_file, scale=not a.keep)
        return 0
    rows = []
    if not a.skip_baseline:
        size = cloud_size(conn)
        for source in a.sources.split(","):
            row = run_audit(paths, source, "small-%s" % source)
            row["size"] = size
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("label", "wall_seconds", "api_requests", "sql_queries")}))
    setup = {}
    ours = False  # did this run bring the scale compute up (then it also takes it down)?
    try:
        if a.scale_nodes:
            present = len(scale_providers(conn))
            if present >= a.scale_nodes:
                setup["scale_compute"] = "already up with %d nodes: used as is, left running" % present
            else:
                ours = True
                setup["scale_up_seconds"] = scale_up(conn, a.scale_nodes)
            t0 = time.monotonic()
            make_allocations(conn, a.allocations, consumers_file)
            setup["allocations_seconds"] = round(time.monotonic() - t0, 1)
            size = cloud_size(conn)
            for source in a.sources.split(","):
                row = run_audit(paths, source, "scale%d-%s" % (a.scale_nodes, source))
                row["size"] = size
                rows.append(row)
                print(
                    json.dumps({k: row[k] for k in ("label", "wall_seconds", "api_requests", "sql_queries")})
                )
    finally:
        if a.scale_nodes and not a.keep:
            teardown(conn, consumers_file, scale=ours)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "generated_at": stamp,
        "command": " ".join([sys.executable, *sys.argv]),
        "scale_nodes": a.scale_nodes,
        "allocations": a.allocations,
        "setup": setup,
        "runs": rows,
    }
    (RESULTS / ("%s.json" % stamp)).write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / ("%s.md" % stamp)).write_text(table(rows) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
