"""playbooks/audit.yml against the sandbox: every audit runs, the merged report is written as
JSON, JUnit XML and text, and check mode with audit_fix=true changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"


def run_playbook(sandbox, tmp_path, *extra):
    extra_vars = {
        "audit_hosts": "localhost",
        "kolla_ops_cloud": "sandbox",
        "kolla_ops_clouds_yaml": str(sandbox.clouds_yaml),
        "kolla_ops_nova_commands": {"mode": "sandbox", "sandbox_command": str(sandbox.cli)},
        "audit_report_dir": str(tmp_path),
        "ansible_connection": "local",
        "ansible_python_interpreter": str(VENV / "bin" / "python"),
    }
    argv = [
        str(VENV / "bin" / "ansible-playbook"),
        "-i",
        "localhost,",
        str(ROOT / "playbooks" / "audit.yml"),
        "-e",
        json.dumps(extra_vars),
        *extra,
    ]
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_STDOUT_CALLBACK="json",
        PATH="%s:%s" % (VENV / "bin", os.environ.get("PATH", "")),
    )
    env.pop("ANSIBLE_CONFIG", None)  # the repo's config enables profile_tasks, which writes to stdout
    res = subprocess.run(argv, check=False, capture_output=True, text=True, env=env, cwd="/tmp", timeout=900)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return json.loads(res.stdout)


def task_results(output):
    return {t["task"]["name"]: t["hosts"]["localhost"] for t in output["plays"][0]["tasks"]}


def test_audit_playbook_writes_merged_report(sandbox, tmp_path):
    output = run_playbook(sandbox, tmp_path)
    tasks = task_results(output)
    assert tasks["Orphaned Placement allocations"]["changed"] is False
    report = json.loads((tmp_path / "audit.json").read_text())
    checks = {r["check"] for r in report["results"]}
    for expected in (
        "audit.allocations.orphaned",
        "audit.services.down",
        "audit.cells.unmapped_hosts",
        "audit.ports.orphaned",
        "audit.images.properties",
        "audit.servers.error",
        "audit.quota.usage_drift",
        "audit.capacity.cloud",
    ):
        assert expected in checks
    suite = ET.parse(tmp_path / "audit.junit.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == len(report["results"])
    assert (tmp_path / "audit.txt").read_text().startswith("audit report")


def test_audit_playbook_check_mode_fix_touches_nothing(sandbox, admin_conn, tmp_path, cleanup):
    consumer = str(uuid.uuid4())
    rp = admin_conn.placement.get("/resource_providers?name=compute2", microversion="1.14").json()
    rp_uuid = rp["resource_providers"][0]["uuid"]
    body = {
        "allocations": {rp_uuid: {"resources": {"VCPU": 1}}},
        "project_id": admin_conn.current_project_id,
        "user_id": admin_conn.current_user_id,
    }
    assert (
        admin_conn.placement.put("/allocations/%s" % consumer, json=body, microversion="1.12").status_code
        == 204
    )
    cleanup.add(admin_conn.placement.delete, "/allocations/%s" % consumer, microversion="1.12")

    output = run_playbook(
        sandbox, tmp_path, "--check", "-e", json.dumps({"audit_fix": True, "audit_checks": ["allocations"]})
    )
    result = task_results(output)["Orphaned Placement allocations"]
    assert result["changed"] is True
    assert consumer in [a["consumer"] for a in result["actions"]]
    allocs = admin_conn.placement.get("/allocations/%s" % consumer, microversion="1.12").json()["allocations"]
    assert rp_uuid in allocs, "check mode deleted an allocation"
