"""Issue 20.1: the globals.d file the collection writes is on kolla-ansible's own command line.

The real ``kolla-ansible genconfig`` CLI of the pinned kolla-ansible 23.0.0 (.venv) builds the
ansible-playbook command (kolla_ansible/ansible.py build_args: ``-e @CONFIG_DIR/globals.yml``,
``passwords.yml``, then ``-e @`` for each CONFIG_DIR/globals.d/*.yml|yaml|json in name order).
The ansible-playbook it starts is a stand-in (tests/integration/kolla_genconfig/bin/ansible-playbook,
with /bin/true as the "real" one) that records the argv and runs nothing: what is under test is
which files kolla-ansible passes, not a deployment (tests/integration/test_kolla_genconfig.py runs
the real playbooks). Before the fix the file went to node_custom_config/globals.d and this list
had no kolla_ops_nova.yml (seen failing against the old render).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import render_step

ROOT = Path(__file__).resolve().parents[5]
STANDIN = ROOT / "tests" / "integration" / "kolla_genconfig" / "bin"
KOLLA_ANSIBLE = Path(sys.executable).parent / "kolla-ansible"


def _kolla_argv(tmp_path, config_dir):
    record = tmp_path / "argv.json"
    inventory = tmp_path / "inventory"
    inventory.write_text("[control]\nlocalhost ansible_connection=local\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        PATH="%s:%s:%s" % (STANDIN, KOLLA_ANSIBLE.parent, env.get("PATH", "")),
        KOLLA_OPS_ARGV_RECORD=str(record),
        KOLLA_OPS_REAL_ANSIBLE_PLAYBOOK=shutil.which("true") or "/bin/true",
    )
    proc = subprocess.run(
        [str(KOLLA_ANSIBLE), "genconfig", "-i", str(inventory), "--configdir", str(config_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    argv = json.loads(record.read_text())
    return [argv[i + 1] for i, a in enumerate(argv) if a == "-e" and argv[i + 1].startswith("@")]


@pytest.mark.skipif(not KOLLA_ANSIBLE.is_file(), reason="kolla-ansible is not installed in this venv")
def test_kolla_ansible_passes_the_rendered_globals_d_file(tmp_path):
    config_dir = tmp_path / "etc-kolla"
    (config_dir / "globals.d").mkdir(parents=True)
    (config_dir / "globals.yml").write_text("---\nkolla_base_distro: debian\n")
    (config_dir / "passwords.yml").write_text("---\n")
    (config_dir / "globals.d" / "10-operator.yml").write_text("---\nenable_cinder: false\n")
    params = {
        "compute_profiles": {"general": {"cpu_allocation_ratio": 4.0}},
        "hosts": {"c1": {"profile": "general"}},
        "scheduler": {},
        "kolla_globals": {"nova_console": "spice"},
        "node_custom_config": str(config_dir / "config"),
        "kolla_config_dir": str(config_dir),
        "release": "34",
        "header": "Ansible managed",
        "mode": "0640",
        "take_over_existing": False,
    }
    _result, failed = render_step.run(params, check_mode=False)
    assert failed is None, failed
    files = _kolla_argv(tmp_path, config_dir)
    assert files == [
        "@%s/globals.yml" % config_dir,
        "@%s/passwords.yml" % config_dir,
        "@%s/globals.d/10-operator.yml" % config_dir,
        "@%s/globals.d/kolla_ops_nova.yml" % config_dir,
    ]
    assert 'nova_console: "spice"' in (config_dir / "globals.d" / "kolla_ops_nova.yml").read_text()
