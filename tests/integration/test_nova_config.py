"""nova_config end to end: a profile for one sandbox compute lands in Placement.

The role renders ``cpu_allocation_ratio: 3.0`` and ``reserved_host_memory_mb`` for
compute3 only into the sandbox's node_custom_config (check mode, real run,
idempotent re-run), compute3 is restarted and reads the override in Kolla's merge
order, and Placement shows the new VCPU allocation ratio and MEMORY_MB reserved for
compute3 and nothing changed on compute1.  Teardown puts the previous ratio back
(Nova keeps a ratio it once reported when the option is unset again), then removes
the override and restarts compute3 again, leaving the defaults.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HOST = "compute3"
OTHER = "compute1"
RESERVED_MB = 1536

PLAYBOOK = """
- name: Render Nova compute profiles
  hosts: deploy
  gather_facts: false
  roles:
    - role: kolla_ops.nova.nova_config
"""


def inventories(conn, host):
    rp = next(iter(conn.placement.resource_providers(name=host)), None)
    assert rp is not None, "no resource provider named %s in Placement" % host
    return {i.resource_class: i for i in conn.placement.resource_provider_inventories(rp)}


def snapshot(conn, host):
    inv = inventories(conn, host)
    return {
        "VCPU.allocation_ratio": inv["VCPU"].allocation_ratio,
        "MEMORY_MB.reserved": inv["MEMORY_MB"].reserved,
    }


class Renderer:
    def __init__(self, tmp_path, sandbox):
        self.tmp = tmp_path
        self.sandbox = sandbox
        (tmp_path / "play.yml").write_text(PLAYBOOK)
        (tmp_path / "inventory.yml").write_text(
            json.dumps(
                {
                    "all": {
                        "children": {
                            "deploy": {
                                "hosts": {
                                    "localhost": {
                                        "ansible_connection": "local",
                                        "ansible_python_interpreter": sys.executable,
                                    }
                                }
                            },
                            "compute": {"hosts": {h: {} for h in sandbox.computes}},
                        }
                    }
                }
            )
        )

    def run(self, profile, check=False):
        """Give HOST the profile (None: Kolla defaults); returns (changed count, output)."""
        extra = {
            "nova_config_node_custom_config": str(self.sandbox.node_custom_config),
            "nova_config_compute_profiles": {"it": profile} if profile else {},
            "nova_config_validate_fail_on": "never",
        }
        (self.tmp / "vars.json").write_text(json.dumps(extra))
        hostvars = {HOST: {"nova_config_profile": "it" if profile else None}}
        (self.tmp / "host_vars").mkdir(exist_ok=True)
        (self.tmp / "host_vars" / ("%s.json" % HOST)).write_text(json.dumps(hostvars[HOST]))
        cmd = [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(self.tmp / "inventory.yml"),
            str(self.tmp / "play.yml"),
            "-e",
            "@%s" % (self.tmp / "vars.json"),
        ]
        if check:
            cmd += ["--check", "--diff"]
        env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
            ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
            ANSIBLE_FORCE_COLOR="0",
        )
        # host_vars next to the inventory file are picked up by Ansible
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        m = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", out)
        assert m, out
        return int(m.group(1)), out


@pytest.fixture
def renderer(tmp_path, sandbox):
    return Renderer(tmp_path, sandbox)


def test_profile_for_one_host_reaches_placement(sandbox, admin_conn, renderer, cleanup):
    override = sandbox.override_file("nova/%s/nova-compute.conf" % HOST)
    if override.exists() and "kolla_ops.nova nova_config" not in override.read_text():
        pytest.skip("%s holds another test's override" % override)
    before = snapshot(admin_conn, HOST)
    other_before = snapshot(admin_conn, OTHER)
    profile = {"cpu_allocation_ratio": 3.0, "reserved_host_memory_mb": RESERVED_MB}
    if before["VCPU.allocation_ratio"] == 3.0:
        # make the change visible: start from a different ratio
        profile["cpu_allocation_ratio"] = 3.5

    def restore():
        # Nova keeps the last reported ratio when cpu_allocation_ratio is unset, so
        # report the previous one explicitly first, then remove the override.
        renderer.run({"cpu_allocation_ratio": before["VCPU.allocation_ratio"]})
        sandbox.restart_compute(HOST)
        sandbox.wait_for(
            lambda: snapshot(admin_conn, HOST)["VCPU.allocation_ratio"] == before["VCPU.allocation_ratio"],
            timeout=120,
            what="compute3 VCPU allocation_ratio back to %s" % before["VCPU.allocation_ratio"],
        )
        renderer.run(None)
        assert not override.exists()
        sandbox.restart_compute(HOST)
        sandbox.wait_for(
            lambda: snapshot(admin_conn, HOST) == before,
            timeout=120,
            what="compute3 inventory back to %s" % before,
        )

    cleanup.add(restore)

    # 1. check mode: would change, writes nothing
    changed, out = renderer.run(profile, check=True)
    assert changed == 1, out
    assert "cpu_allocation_ratio = %s" % profile["cpu_allocation_ratio"] in out  # the diff
    assert not override.exists() or "cpu_allocation_ratio = %s" % profile["cpu_allocation_ratio"] not in (
        override.read_text()
    )
    # 2. real run
    changed, out = renderer.run(profile)
    assert changed == 1, out
    text = override.read_text()
    assert text.startswith("#\n# Ansible managed\n#\n")
    assert (
        "cpu_allocation_ratio = %s\nreserved_host_memory_mb = %d\n"
        % (profile["cpu_allocation_ratio"], RESERVED_MB)
        in text
    )
    assert not sandbox.override_file("nova/%s/nova-compute.conf" % OTHER).exists() or (
        "kolla_ops.nova" not in sandbox.override_file("nova/%s/nova-compute.conf" % OTHER).read_text()
    )
    # 3. idempotent: check mode and real run report no change
    assert renderer.run(profile, check=True)[0] == 0
    assert renderer.run(profile)[0] == 0

    sandbox.restart_compute(HOST)
    want = {"VCPU.allocation_ratio": profile["cpu_allocation_ratio"], "MEMORY_MB.reserved": RESERVED_MB}
    got = sandbox.wait_for(
        lambda: snapshot(admin_conn, HOST) == want and want,
        timeout=120,
        what="compute3 inventory %s in Placement" % want,
    )
    assert got == want
    assert snapshot(admin_conn, OTHER) == other_before
