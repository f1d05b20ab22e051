"""nova_upgrade_check run as Ansible runs it (a module process), on local files only."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run_module(name, args, tmp_path):
    """Run plugins/modules/<name>.py as a module process with ``args``; returns its JSON result."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansible_collections.kolla_ops.nova.plugins.modules.%s" % name,
            str(args_file),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=str(tmp_path),
        timeout=120,
    )
    assert proc.stdout.strip(), proc.stderr
    return proc.stdout, json.loads(proc.stdout)


def test_upgrade_check_result_has_no_credentials(tmp_path):
    ncc = tmp_path / "config"
    (ncc / "nova" / "compute2").mkdir(parents=True)
    # live_migration_uri is deprecated: the report quotes its value
    (ncc / "nova" / "nova-compute.conf").write_text(
        "[libvirt]\nlive_migration_uri = qemu+ssh://nova:pw1@%s/system\n"
    )
    (ncc / "nova" / "compute2" / "nova-compute.conf").write_text(
        "[libvirt]\nlive_migration_uri = qemu+ssh://:pw2@%s/system\n[upgrade_levels]\ncompute = 6.4\n"
    )
    out, result = run_module(
        "nova_upgrade_check",
        {
            "target_release": "2026.2",
            "checks": ["kolla", "config"],
            "node_custom_config": str(ncc),
            "kolla_ansible_version": "23.0.0",
            "nova_commands": {"mode": "kolla", "database_password": "S3cret"},
        },
        tmp_path,
    )
    assert not result.get("failed"), result
    for secret in ("pw1", "pw2", "S3cret"):
        assert secret not in out
    values = {
        r["evidence"]["value"] for r in result["report"]["results"] if r["check"] == "config.deprecated"
    }
    assert values == {"qemu+ssh://nova:***@%s/system", "qemu+ssh://:***@%s/system"}
    assert result["upgrade_levels"][0]["value"] == "6.4"
