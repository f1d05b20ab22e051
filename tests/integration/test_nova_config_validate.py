"""nova_config_validate through ansible-playbook: a bad override tree stops the run before anything is written.

No cloud is needed (the module reads files on the controller), so the sandbox is not used:
the nova_config role's validate step runs over a copied ``node_custom_config`` with an
operator's hand-written files.  One file sets ``[DEFAULT] vcpu_pin_set`` for compute1 while
the shared compute file sets ``[compute] cpu_dedicated_set`` (nova-compute would refuse to
start: LibvirtDriver._check_cpu_set_configuration).  The play must fail at the validate task
naming host, service, both files and lines, the option, the value and the fix, and the render
after it must not write compute2's profile file or the Kolla globals.  The module alone is
also run on a plain directory (no inventory), and on the fixed tree (ok, changed=false).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

ROLE_PLAY = """
- name: Validate and render the Nova overrides
  hosts: deploy
  gather_facts: false
  roles:
    - role: kolla_ops.nova.nova_config
"""

MODULE_PLAY = """
- name: Validate a copied override tree, no inventory of its hosts
  hosts: deploy
  gather_facts: false
  tasks:
    - name: Validate
      kolla_ops.nova.nova_config_validate:
        node_custom_config: "{{ tree }}"
        release: "2026.2"
"""

BAD = {
    # a Queens-era host override, never cleaned up
    "nova/compute1/nova.conf": "[DEFAULT]\n# pinned guests only on 4-15\nvcpu_pin_set = 4-15\n",
    "nova/nova-compute.conf": "[compute]\ncpu_shared_set = 0-3\ncpu_dedicated_set = 4-15\n",
    "nova/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = ComputeFilter,ComputeCapabilitiesFilter,"
    "ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,NUMATopologyFilter\n",
}


def write_tree(base, files):
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def snapshot(base):
    return {str(p.relative_to(base)): p.read_text() for p in sorted(base.rglob("*")) if p.is_file()}


def playbook(tmp_path, play, extra):
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "vars.json").write_text(json.dumps(extra))
    inventory = {
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
                "compute": {"hosts": {"compute1": {}, "compute2": {"nova_config_profile": "dense"}}},
            }
        }
    }
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_FORCE_COLOR="0",
    )
    cmd = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(tmp_path / "inventory.json"),
        str(tmp_path / "play.yml"),
    ]
    cmd += ["-e", "@%s" % (tmp_path / "vars.json")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_bad_file_stops_the_role_before_anything_is_written(tmp_path):
    base = tmp_path / "config"
    write_tree(base, BAD)
    before = snapshot(base)
    rc, out = playbook(
        tmp_path,
        ROLE_PLAY,
        {
            "nova_config_node_custom_config": str(base),
            "nova_config_release": "2026.2",
            "nova_config_compute_profiles": {"dense": {"cpu_allocation_ratio": 8.0}},
        },
    )
    assert rc != 0, out
    assert "Validate the existing override files" in out and "Check all profiles and render" not in out, out
    # host, service, each file and line, option, value, the fix
    assert "nova-compute on compute1" in out, out
    assert "[DEFAULT] vcpu_pin_set = 4-15 (%s/nova/compute1/nova.conf:3)" % base in out, out
    assert "[compute] cpu_dedicated_set = 4-15 (%s/nova/nova-compute.conf:3)" % base in out, out
    assert "refuses to start" in out and "remove vcpu_pin_set from %s/nova/compute1/nova.conf" % base in out
    assert "nothing written" in out
    # nothing written: the tree is byte for byte what it was, compute2's profile file was not rendered
    assert snapshot(base) == before
    assert not (base / "nova" / "compute2").exists()


def test_module_on_a_plain_directory_then_fixed(tmp_path):
    base = tmp_path / "old-cloud" / "config"
    write_tree(base, BAD)
    rc, out = playbook(tmp_path, MODULE_PLAY, {"tree": str(base)})
    assert rc != 0, out
    # hosts inferred from nova/<host>/: compute1 is named without any inventory of the old cloud
    assert "1 error(s)" in out and "nova-compute on compute1: [DEFAULT] vcpu_pin_set = 4-15" in out, out
    (base / "nova" / "compute1" / "nova.conf").write_text(
        "[DEFAULT]\n# pinned guests: see nova-compute.conf\n"
    )
    rc, out = playbook(tmp_path, MODULE_PLAY, {"tree": str(base)})
    assert rc == 0, out
    assert "changed=0" in out and "failed=0" in out, out
