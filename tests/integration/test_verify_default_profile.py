"""playbooks/verify.yml checks hosts that rely on nova_config_default_profile, as nova_config renders them.

A compute host without nova_config_profile follows nova_config_default_profile (with its
nova_config_profile_overrides); verify.yml used to look up nova_config_profile only and skipped
such hosts. One run of the inventories check against the sandbox's Placement:

* compute1 relies on the default profile, which matches what Placement shows: pass;
* compute2 relies on the default profile with an override ratio that never landed: fail;
* compute3 sets nova_config_profile to null (Kolla's defaults): nothing expected, not checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _inventory(conn, host):
    rp = next(iter(conn.placement.resource_providers(name=host)))
    return {inv.resource_class: inv for inv in conn.placement.resource_provider_inventories(rp)}


def test_default_profile_and_overrides_are_verified(sandbox, admin_conn, tmp_path):
    inv = _inventory(admin_conn, "compute1")
    actual = inv["VCPU"].allocation_ratio
    wrong = 5.0 if actual == 3.0 else 3.0
    inventory = {
        "all": {
            "children": {
                "deployment": {"hosts": {"localhost": {}}},
                "compute": {
                    "hosts": {
                        "compute1": {},
                        "compute2": {"nova_config_profile_overrides": {"cpu_allocation_ratio": wrong}},
                        "compute3": {"nova_config_profile": None},
                    }
                },
            },
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "kolla_ops_cloud": "sandbox",
                "nova_config_default_profile": "as_deployed",
                "nova_config_compute_profiles": {
                    "as_deployed": {
                        "cpu_allocation_ratio": actual,
                        "reserved_host_memory_mb": inv["MEMORY_MB"].reserved,
                    }
                },
            },
        }
    }
    inv_file = tmp_path / "inventory.yml"
    inv_file.write_text(json.dumps(inventory))
    env = dict(os.environ)
    env.update(
        {
            "PATH": "%s:%s" % (VENV_BIN, env.get("PATH", "")),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "OS_CLIENT_CONFIG_FILE": str(sandbox.clouds_yaml),
        }
    )
    proc = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(inv_file),
            str(ROOT / "playbooks" / "verify.yml"),
            "-e",
            json.dumps(
                {
                    "kolla_ops_clouds_yaml": str(sandbox.clouds_yaml),
                    "verify_report_dir": str(tmp_path / "reports"),
                    "verify_checks": ["inventories"],
                    "verify_report_only": True,
                }
            ),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "verify.json").read_text())
    results = {r["check"]: r for r in report["results"]}
    assert results["inventories.compute1"]["status"] == "pass", results["inventories.compute1"]
    compute2 = results["inventories.compute2"]
    assert compute2["status"] == "fail", compute2
    assert "VCPU allocation_ratio is %s, expected %s" % (actual, wrong) in compute2["message"]
    assert "inventories.compute3" not in results  # null profile: Kolla's defaults, nothing expected
