#!/usr/bin/env python3
"""Benchmark kolla_ops.nova.compute_verify: wall time and API requests, small and at scale.

    # the sandbox as it is (3 computes)
    .venv/bin/python bench/verify/bench.py
    # scale mode on a second sandbox beside the shared one (own state, ports +20000)
    KOLLA_OPS_SANDBOX_DIR=/tmp/sbx-audit KOLLA_OPS_SANDBOX_PORT_OFFSET=20000 KOLLA_OPS_SANDBOX_COMPUTES=1 \
        sandbox/sandbox up --scale-nodes 500
    KOLLA_OPS_SANDBOX_DIR=/tmp/sbx-audit .venv/bin/python bench/verify/bench.py --label scale

Runs the module through `ansible localhost -m` (as an operator would) with the checks that
scale with the cloud (services, versions, cells, placement; inventories for one host), three
times, and writes results/<UTC stamp>-<label>.json with the module's own request count
(a hook on the keystoneauth session), its elapsed time and the process wall time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def sandbox_paths():
    cli = str(ROOT / "sandbox" / "sandbox")
    out = subprocess.run([cli, "paths"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run_once(paths, checks):
    args = {
        "cloud": "sandbox",
        "checks": checks,
        "nova_commands": {"mode": "sandbox", "sandbox_command": str(ROOT / "sandbox" / "sandbox")},
        "service_down_time": 30,
        "expected_inventories": {"compute1": {"VCPU": {"reserved": 0}}},
    }
    env = dict(os.environ)
    env.update(
        OS_CLIENT_CONFIG_FILE=paths["clouds_yaml"],
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )
    start = time.monotonic()
    module = "kolla_ops.nova.compute_verify"
    proc = subprocess.run(
        [str(VENV_BIN / "ansible"), "localhost", "-m", module, "-a", json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    wall = time.monotonic() - start
    # "localhost | SUCCESS => {...}" (or FAILED): the module's result after the arrow.
    if "=>" not in proc.stdout:
        raise SystemExit("compute_verify did not run: %s%s" % (proc.stdout[-2000:], proc.stderr[-2000:]))
    result = json.loads(proc.stdout.split("=>", 1)[1])
    return {
        "wall_s": round(wall, 2),
        "module_elapsed_s": result.get("elapsed"),
        "api_requests": result.get("api_requests"),
        "summary": result.get("summary"),
        "failed_checks": result.get("failed_checks"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="small")
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    paths = sandbox_paths()
    checks = ["services", "versions", "cells", "placement"]
    from openstack import connect  # noqa: PLC0415  (the controller venv has openstacksdk)

    os.environ["OS_CLIENT_CONFIG_FILE"] = paths["clouds_yaml"]
    conn = connect(cloud="sandbox")
    providers = len(list(conn.placement.resource_providers()))
    hypervisors = len(list(conn.compute.hypervisors()))
    runs = [run_once(paths, checks) for _ in range(opts.runs)]
    record = {
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "label": opts.label,
        "resource_providers": providers,
        "hypervisors": hypervisors,
        "checks": checks,
        "command": "KOLLA_OPS_SANDBOX_DIR=%s .venv/bin/python bench/verify/bench.py --label %s"
        % (paths["state_dir"], opts.label),
        "runs": runs,
    }
    out = ROOT / "bench" / "verify" / "results"
    out.mkdir(exist_ok=True)
    path = out / ("%s-%s.json" % (record["when"].replace(":", "").replace("-", ""), opts.label))
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
