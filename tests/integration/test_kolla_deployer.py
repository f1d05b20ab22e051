"""The kolla deployer drives the installed kolla-ansible with the expected arguments.

A real Kolla deploy needs container hosts this machine does not have, so the last
step is intercepted: `ansible-playbook`, which kolla-ansible execs after parsing
its own command line (kolla_ansible/ansible.py build_args), is replaced on PATH
by a script that records its argv.  Everything before it is real: our role, the
installed kolla-ansible CLI, its argument parsing and its globals.d handling.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "kolla_deploy.yml"


@pytest.fixture
def kolla_env(tmp_path):
    config = tmp_path / "etc-kolla"
    (config / "globals.d").mkdir(parents=True)
    (config / "globals.yml").write_text("---\nkolla_base_distro: debian\n")
    (config / "passwords.yml").write_text("---\ndatabase_password: x\n")
    (config / "globals.d" / "kolla_ops_nova.yml").write_text("---\nnova_compute_virt_type: kvm\n")
    inventory = tmp_path / "multinode"
    inventory.write_text("[compute]\ncompute1\ncompute2\n")
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    record = tmp_path / "argv.json"
    fail_once = tmp_path / "fail-once"  # present: the shim fails (kolla-ansible's playbook failed), once
    shim = shim_dir / "ansible-playbook"
    shim.write_text(
        "#!%s\nimport json, os, sys\n"
        "if os.path.exists(%r):\n"
        "    os.unlink(%r)\n"
        "    sys.exit('PLAY RECAP: compute2 failed=1 (shim)')\n"
        "json.dump(sys.argv[1:], open(%r, 'w'))\n"
        % (sys.executable, str(fail_once), str(fail_once), str(record))
    )
    shim.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = "%s:%s" % (shim_dir, env.get("PATH", ""))
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    return {
        "config": config,
        "inventory": inventory,
        "record": record,
        "fail_once": fail_once,
        "pending": config / "kolla_ops_nova-pending-deploy.json",
        "env": env,
    }


def _run(kolla_env, **extra):
    extra_vars = {
        "kolla_deploy_method": "kolla",
        "kolla_deploy_kolla_ansible": str(VENV_BIN / "kolla-ansible"),
        "kolla_deploy_kolla_inventory": str(kolla_env["inventory"]),
        "kolla_deploy_config_dir": str(kolla_env["config"]),
        "kolla_deploy_compute_hosts": ["compute1", "compute2"],
    }
    extra_vars.update(extra)
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), str(PLAYBOOK), "-e", json.dumps(extra_vars)],
        env=kolla_env["env"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_reconfigure_with_nova_tags(kolla_env):
    proc = _run(kolla_env, kolla_deploy_changed_files=["nova/compute2/nova-compute.conf"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    argv = json.loads(kolla_env["record"].read_text())
    config = str(kolla_env["config"])

    def value_after(flag):
        return [argv[i + 1] for i, a in enumerate(argv) if a == flag]

    assert value_after("--inventory") == [str(kolla_env["inventory"])]
    assert value_after("--tags") == ["nova"]
    extra = value_after("-e")
    assert "@%s/globals.yml" % config in extra
    assert "@%s/passwords.yml" % config in extra
    # our globals.d file is passed by kolla-ansible itself, after globals.yml
    assert "@%s/globals.d/kolla_ops_nova.yml" % config in extra
    assert extra.index("@%s/globals.d/kolla_ops_nova.yml" % config) > extra.index("@%s/globals.yml" % config)
    assert "kolla_action=reconfigure" in extra
    assert "CONFIG_DIR=%s" % config in extra
    assert argv[-1].endswith("share/kolla-ansible/ansible/site.yml")
    # kolla-ansible ran (and the pending deploy record was written before it, removed after it)
    assert "changed=3" in proc.stdout
    assert not kolla_env["pending"].exists()


def test_deploy_subcommand_and_limit(kolla_env):
    proc = _run(
        kolla_env,
        kolla_deploy_changed_files=["nova/nova-compute.conf"],
        kolla_deploy_kolla_command="deploy",
        kolla_deploy_limit="compute1",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    argv = json.loads(kolla_env["record"].read_text())
    assert "kolla_action=deploy" in argv
    assert argv[argv.index("--limit") + 1] == "compute1"


def test_nothing_changed_runs_nothing(kolla_env):
    proc = _run(kolla_env, kolla_deploy_changed_files=[])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not kolla_env["record"].exists()
    assert "changed=0" in proc.stdout
    assert "nothing changed, nothing to deploy" in proc.stdout


def test_failed_deploy_is_retried_by_the_next_run(kolla_env):
    """kolla-ansible fails once: the change stays pending, the next run (nothing changed) deploys it."""
    changed = "nova/compute2/nova-compute.conf"
    kolla_env["fail_once"].touch()
    first = _run(kolla_env, kolla_deploy_changed_files=[changed])
    assert first.returncode != 0, first.stdout
    assert not kolla_env["record"].exists()
    pending = json.loads(kolla_env["pending"].read_text())
    assert pending["files"] == [changed]
    assert pending["restart"] == {"computes": ["compute2"], "scheduler": False, "api": False}

    # nothing changed in this run, but the pending change is deployed, then forgotten
    second = _run(kolla_env, kolla_deploy_changed_files=[])
    assert second.returncode == 0, second.stdout + second.stderr
    argv = json.loads(kolla_env["record"].read_text())
    assert argv[argv.index("--tags") + 1] == "nova"
    assert "pending from an earlier run that did not deploy: %s" % changed in second.stdout
    assert not kolla_env["pending"].exists()

    kolla_env["record"].unlink()
    third = _run(kolla_env, kolla_deploy_changed_files=[])
    assert third.returncode == 0, third.stdout + third.stderr
    assert "nothing changed, nothing to deploy" in third.stdout
    assert "changed=0" in third.stdout
    assert not kolla_env["record"].exists()


def test_missing_globals_is_a_clear_error(kolla_env):
    (kolla_env["config"] / "globals.yml").unlink()
    proc = _run(kolla_env, kolla_deploy_force=True)
    assert proc.returncode != 0
    assert "globals.yml does not exist" in proc.stdout
    assert not kolla_env["record"].exists()


def test_missing_kolla_ansible_is_a_clear_error(kolla_env, tmp_path):
    proc = _run(kolla_env, kolla_deploy_force=True, kolla_deploy_kolla_ansible=str(tmp_path / "nope"))
    assert proc.returncode != 0
    assert "is not an executable: install kolla-ansible" in proc.stdout


@pytest.mark.skipif(
    shutil.which("kolla-ansible") is None and not (VENV_BIN / "kolla-ansible").exists(),
    reason="needs kolla-ansible",
)
def test_kolla_ansible_is_the_pinned_release():
    out = subprocess.run(
        [str(VENV_BIN / "kolla-ansible"), "--version"], capture_output=True, text=True, check=True
    )
    assert "23." in out.stdout + out.stderr
