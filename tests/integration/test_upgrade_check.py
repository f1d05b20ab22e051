# ruff: noqa: S608 - SQL built from test constants for fault injection in the sandbox
"""nova_upgrade_check and playbooks/upgrade_check.yml against the sandbox cloud.

Faults are injected for seconds and always undone (finally / cleanup):

* an override with an option nova 34 removed, a deprecated one and ``[upgrade_levels]``
  pins, in ``nova/nova-metadata.conf`` (Kolla reads it for nova-metadata; the sandbox
  runs no nova-metadata, so no running service reads it);
* a real compute row made old (``UPDATE services SET version = 72``: still accepted by
  the running nova 34, so a concurrent restart is not refused);
* a fake, disabled ``nova-compute`` row for host ``ghost1`` at version 70 (too old for
  2026.2, no instances), deleted afterwards;
* a real compute disabled with a reason while one of our servers runs on it (a stale
  compute with instances), enabled again afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MODULE = "kolla_ops.nova.nova_upgrade_check"

PLAY = """
- name: run nova_upgrade_check
  hosts: localhost
  gather_facts: false
  tasks:
    - name: check
      {module}: {args}
      register: result
    - name: save
      ansible.builtin.copy:
        content: "{{{{ result | to_json }}}}"
        dest: {out}
      check_mode: false
"""


def ansible_env():
    env = dict(os.environ)
    env["PATH"] = "%s:%s" % (VENV_BIN, env.get("PATH", ""))
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    return env


def run_module(tmp_path, args, check=False):
    out = tmp_path / ("result-%s.json" % uuid.uuid4().hex[:6])
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(module=MODULE, args=json.dumps(args), out=out))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                        }
                    }
                }
            }
        )
    )
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(play)] + (
        ["--check"] if check else []
    )
    res = subprocess.run(
        cmd, check=False, capture_output=True, text=True, cwd=ROOT, env=ansible_env(), timeout=300
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    return json.loads(out.read_text())


def by_check(result, check):
    return [r for r in result["report"]["results"] if r["check"] == check]


def nova_commands(sandbox):
    return {"mode": "sandbox", "sandbox_command": str(sandbox.cli)}


def mysql(sandbox, query, db="nova"):
    """Run SQL in the sandbox (queries are built from test constants only)."""
    return sandbox.run("mysql", "--batch", "--raw", db, "-e", query).stdout


# -- override files (no cloud needed) ------------------------------------------------------

OVERRIDE = """\
[libvirt]
num_memory_encrypted_guests = 2
live_migration_tunnelled = false

[upgrade_levels]
compute = auto
scheduler = 6.0
"""


def test_override_removed_deprecated_and_upgrade_levels(sandbox, tmp_path):
    path = sandbox.override_file("nova/nova-metadata.conf")
    assert not path.exists(), "%s exists already: another test owns it" % path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.write_text(OVERRIDE)
        result = run_module(
            tmp_path,
            {
                "target_release": "2026.2",
                "checks": ["kolla", "config"],
                "node_custom_config": str(sandbox.node_custom_config),
                "kolla_ansible_version": "22.1.0",
            },
            check=True,
        )
    finally:
        path.unlink(missing_ok=True)
    assert result["changed"] is False
    removed = by_check(result, "config.removed")
    assert [(r["status"], r["evidence"]["option"], r["evidence"]["line"]) for r in removed] == [
        ("fail", "num_memory_encrypted_guests", 2)
    ]
    assert removed[0]["fix"] == (
        "delete 'num_memory_encrypted_guests' from [libvirt] in %s line 2 before the upgrade" % path
    )
    deprecated = by_check(result, "config.deprecated")
    assert [(r["status"], r["evidence"]["option"]) for r in deprecated] == [
        ("warn", "live_migration_tunnelled")
    ]
    pins = {p["option"]: p for p in result["upgrade_levels"]}
    assert pins["compute"]["value"] == "auto" and pins["compute"]["remove_after_upgrade"] is False
    assert pins["scheduler"]["value"] == "6.0" and pins["scheduler"]["remove_after_upgrade"] is True
    assert by_check(result, "upgrade_levels.compute")[0]["status"] == "pass"
    assert by_check(result, "upgrade_levels.scheduler")[0]["status"] == "warn"
    kolla = by_check(result, "kolla_ansible.release")[0]
    assert kolla["status"] == "warn" and "kolla-ansible>=23.0.0,<24" in kolla["fix"]


# -- services --------------------------------------------------------------------------------


def _enabled_compute(admin_conn, sandbox):
    for svc in admin_conn.compute.services(binary="nova-compute"):
        if svc.host in sandbox.computes and svc.status == "enabled" and svc.state == "up":
            return svc
    pytest.skip("no enabled compute to borrow")


def test_old_row_pins_the_minimum(sandbox, tmp_path):
    host = sandbox.computes[0]
    where = "host = '%s' AND `binary` = 'nova-compute' AND deleted = 0" % host
    before = mysql(sandbox, "SELECT version FROM services WHERE %s" % where).split()[1]
    try:
        mysql(sandbox, "UPDATE services SET version = 72 WHERE %s" % where)
        result = run_module(
            tmp_path,
            {
                "cloud": "sandbox",
                "target_release": "2026.2",
                "checks": ["services"],
                "nova_commands": nova_commands(sandbox),
            },
        )
    finally:
        # a restart of the compute in between writes its real version: only undo our value
        mysql(sandbox, "UPDATE services SET version = %s WHERE %s AND version = 72" % (int(before), where))
    assert result["changed"] is False
    pin = by_check(result, "services.minimum_version")
    assert pin and pin[0]["status"] == "warn"
    assert any(p["host"] == host for p in pin[0]["evidence"]["pinning"])
    assert "capped at 6.5" in pin[0]["message"]
    assert by_check(result, "services.too_old")[0]["status"] == "pass"
    row = next(s for s in result["services"] if s["host"] == host and s["binary"] == "nova-compute")
    assert row["version"] == 72 and row["release"] == "2026.1 (Gazpacho)"


def test_stale_computes_with_and_without_instances(sandbox, admin_conn, boot_server, tmp_path):
    svc = _enabled_compute(admin_conn, sandbox)
    server = boot_server(svc.host)
    ghost_uuid = str(uuid.uuid4())
    reason = "kolla_ops upgrade_check test %s" % ghost_uuid[:8]
    try:
        mysql(
            sandbox,
            "INSERT INTO services (created_at, updated_at, host, `binary`, topic, report_count, disabled, "
            "deleted, disabled_reason, version, forced_down, uuid, last_seen_up) VALUES (NOW(), NOW(), "
            "'ghost1', 'nova-compute', 'compute', 0, 1, 0, 'decommissioned', 70, 0, '%s', "
            "NOW() - INTERVAL 2 DAY)" % ghost_uuid,
        )
        admin_conn.compute.disable_service(svc, svc.host, svc.binary, disabled_reason=reason)
        result = run_module(
            tmp_path,
            {
                "cloud": "sandbox",
                "target_release": "2026.2",
                "checks": ["services"],
                "nova_commands": nova_commands(sandbox),
            },
        )
    finally:
        current = next(admin_conn.compute.services(host=svc.host, binary=svc.binary))
        if current.status == "disabled" and current.disabled_reason == reason:
            admin_conn.compute.enable_service(svc, svc.host, svc.binary)
        mysql(sandbox, "DELETE FROM services WHERE uuid = '%s'" % ghost_uuid)
    assert result["changed"] is False
    stale = {r["evidence"]["host"]: r for r in by_check(result, "services.stale")}
    ghost = stale["ghost1"]
    assert ghost["status"] == "warn" and ghost["evidence"]["instances"] == 0
    assert "has no instances" in ghost["message"]
    assert ghost["fix"] == "%s openstack compute service delete %s" % (sandbox.cli, ghost_uuid)
    busy = stale[svc.host]
    assert busy["evidence"]["instances"] >= 1 and reason in busy["message"]
    assert "still has" in busy["message"] and "server migrate --live-migration" in busy["fix"]
    assert busy["fix"].endswith("openstack compute service delete %s" % svc.id)
    too_old = by_check(result, "services.too_old")
    assert [(r["status"], r["evidence"]["host"]) for r in too_old] == [("fail", "ghost1")]
    assert "TooOldComputeService" in too_old[0]["message"]
    assert too_old[0]["fix"] == ghost["fix"]
    pin = by_check(result, "services.minimum_version")[0]
    assert pin["status"] == "warn" and "pinned by ghost1" in pin["message"]
    assert server.id  # the server stayed ours; the boot_server fixture deletes it


# -- the playbook ------------------------------------------------------------------------------


def test_playbook_writes_the_report(sandbox, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "children": {"deployment": {"hosts": {"localhost": {}}}},
                    "vars": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": sys.executable,
                        "kolla_ops_cloud": "sandbox",
                        "kolla_ops_clouds_yaml": str(sandbox.clouds_yaml),
                        "kolla_ops_nova_commands": nova_commands(sandbox),
                        "nova_config_node_custom_config": str(sandbox.node_custom_config),
                    },
                }
            }
        )
    )
    reports = tmp_path / "reports"
    res = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(inventory),
            str(ROOT / "playbooks" / "upgrade_check.yml"),
            "--check",
            "-e",
            "upgrade_check_target_release=2026.2",
            "-e",
            "upgrade_check_report_dir=%s" % reports,
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ansible_env(),
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "changed=0" in res.stdout
    report = json.loads((reports / "upgrade_check.json").read_text())
    checks = {r["check"] for r in report["results"]}
    for expected in (
        "kolla_ansible.release",
        "config.removed",
        "upgrade_levels.overrides",
        "release.path",
        "services.versions",
        "services.too_old",
        "nova_status.cells_v2",
        "database.nova_api",
        "online_migrations.pending",
    ):
        assert expected in checks
    assert (reports / "upgrade_check.junit.xml").read_text().startswith("<?xml")
    assert "upgrade_check report" in (reports / "upgrade_check.txt").read_text()
    pending = next(r for r in report["results"] if r["check"] == "online_migrations.pending")
    assert pending["fix"] == "%s nova-manage db online_data_migrations" % sandbox.cli
