"""site.yml with a cloud that clouds.yaml does not define (issue 21.2): nothing is written or deployed.

The issue's sequence: an earlier run rendered the overrides of inventory/sandbox and left them
pending (here ``site.yml --tags configure``, which renders and records but does not deploy); then
``site.yml -e kolla_ops_cloud=nosuchcloud`` used to rewrite the override files, restart the computes
and clear the pending record (Placement's VCPU ratio changed), then fail at the flavors. Now it stops
at the cloud check, whose message names the cloud and the clouds.yaml path: the override files and
the pending record are byte-for-byte the same, no sandbox service has a new process, Placement's
inventories are unchanged, and the verify report the run would have ended with says it failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _site(*args, timeout=900):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "ANSIBLE_NOCOLOR": "1",
            "PATH": "%s:%s" % (VENV_BIN, env.get("PATH", "")),
        }
    )
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "inventory/sandbox", "site.yml", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _files(directory: Path) -> dict:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _pids(sandbox) -> dict:
    status = json.loads(sandbox.run("status", "--json").stdout)
    return {"%s/%s" % (s["host"], s["service"]): s["pid"] for s in status["services"]}


def _inventories(conn) -> dict:
    out = {}
    for rp in conn.placement.resource_providers():
        for inv in conn.placement.resource_provider_inventories(rp):
            out[(rp.name, inv.resource_class)] = (inv.total, inv.reserved, inv.allocation_ratio)
    return out


def test_unknown_cloud_stops_site_yml_before_anything_is_written(sandbox, baseline, admin_conn, tmp_path):
    config = sandbox.node_custom_config
    pending = sandbox.state_dir / "etc" / "kolla" / "kolla_ops_nova-pending-deploy.json"
    reports = tmp_path / "reports"
    assert not pending.exists(), "a pending deploy record from elsewhere: %s" % pending.read_text()
    before_files = _files(config)
    before_pids = _pids(sandbox)
    try:
        # an earlier run that rendered the overrides and did not deploy them
        rendered = _site("--tags", "configure", "-e", "kolla_ops_reports_dir=%s" % reports)
        assert rendered.returncode == 0, rendered.stdout[-5000:] + rendered.stderr[-2000:]
        assert pending.exists(), rendered.stdout[-3000:]
        files = _files(config)
        assert "nova/compute1/nova-compute.conf" in files, sorted(files)
        record = pending.read_bytes()
        pids = _pids(sandbox)
        inventories = _inventories(admin_conn)
        # the profiles (compute3 dense: VCPU ratio 8.0; compute1 general: 1024 MB reserved) are not live yet
        assert (
            inventories[("compute3", "VCPU")][2] != 8.0 and inventories[("compute1", "MEMORY_MB")][1] != 1024
        )

        proc = _site(
            "-e",
            json.dumps(
                {
                    "kolla_ops_cloud": "nosuchcloud",
                    "kolla_ops_reports_dir": str(reports),
                    "kolla_ops_reports_prometheus_dir": str(tmp_path / "prom"),
                }
            ),
        )
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out[-5000:]
        assert "cloud 'nosuchcloud' is not defined" in out, out[-5000:]
        assert str(sandbox.clouds_yaml) in out, out[-5000:]
        # it stopped at the cloud check: no profile check, render, deploy or flavor task ran
        for later in (
            "Check the compute profiles before anything is written",
            "Render the Kolla overrides",
            "Deploy the overrides",
            "Flavors, host aggregates",
        ):
            assert later not in proc.stdout, later

        assert _files(config) == files, "override files were rewritten"
        assert pending.read_bytes() == record, "the pending deploy record changed"
        assert _pids(sandbox) == pids, "a sandbox service was restarted"
        assert _inventories(admin_conn) == inventories, "Placement's inventories changed"

        # the verify report this run would have ended with says it failed, and why
        report = json.loads((reports / "verify.json").read_text())
        assert report["summary"]["fail"] == 1 and report["summary"]["pass"] == 0, report
        (run,) = report["results"]
        assert run["check"] == "run" and "nosuchcloud" in run["message"], run
        assert str(sandbox.clouds_yaml) in run["message"]
        prom = (tmp_path / "prom" / "kolla_ops_nova-verify.prom").read_text()
        assert 'kolla_ops_nova_report_run_success{report="verify"} 0.0' in prom, prom
    finally:
        # back to the baseline: no override file, no record, no service running with them
        for rel in set(_files(config)) - set(before_files):
            (config / rel).unlink()
        pending.unlink(missing_ok=True)
        now = _pids(sandbox)
        for name in sorted(n for n in now if now[n] != before_pids.get(n)):  # restarted with the overrides
            host, service = name.split("/", 1)
            if service.startswith("nova-compute"):
                sandbox.restart_compute(host)
            elif service.startswith("nova-"):
                sandbox.run("restart-service", service)
