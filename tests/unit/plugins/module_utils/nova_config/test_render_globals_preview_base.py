"""Issue 20.1 and 20.2: where the Kolla variables file goes, and which base a preview accepts.

Both failed before the fix: the globals file was written under node_custom_config/globals.d
(kolla-ansible reads CONFIG_DIR/globals.d only, kolla_ansible/ansible.py _get_vars_files),
and a deployed /etc/kolla/<service>/nova.conf was accepted as the preview's base.
"""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import (
    preview_step,
    render,
    render_step,
)


def _params(tmp_path, **kw):
    p = {
        "compute_profiles": {"general": {"cpu_allocation_ratio": 4.0}},
        "hosts": {"c1": {"profile": "general"}},
        "scheduler": {},
        "kolla_globals": {"nova_console": "spice"},
        "node_custom_config": str(tmp_path / "etc-kolla" / "config"),
        "kolla_config_dir": str(tmp_path / "etc-kolla"),
        "release": "34",
        "header": "Ansible managed",
        "mode": "0640",
        "take_over_existing": False,
    }
    p.update(kw)
    return p


def test_globals_d_goes_to_kolla_config_dir(tmp_path):
    result, failed = render_step.run(_params(tmp_path), check_mode=False)
    assert failed is None, failed
    written = tmp_path / "etc-kolla" / "globals.d" / "kolla_ops_nova.yml"
    assert 'nova_console: "spice"' in written.read_text()
    assert not (tmp_path / "etc-kolla" / "config" / "globals.d").exists()
    assert str(written) in [f["path"] for f in result["files"]]
    again, _failed = render_step.run(_params(tmp_path), check_mode=False)
    assert again["changed"] is False


def test_old_globals_d_copy_under_node_custom_config_is_removed(tmp_path):
    old = tmp_path / "etc-kolla" / "config" / "globals.d" / "kolla_ops_nova.yml"
    old.parent.mkdir(parents=True)
    old.write_text('# Ansible managed\n%s\n---\nnova_console: "spice"\n' % render.MARKER)
    result, failed = render_step.run(_params(tmp_path), check_mode=False)
    assert failed is None, failed
    assert not old.exists()
    assert {"path": str(old), "state": "absent"} in result["files"]


def test_operator_globals_d_file_is_never_touched(tmp_path):
    theirs = tmp_path / "etc-kolla" / "globals.d" / "kolla_ops_nova.yml"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("---\nnova_console: novnc\n")
    _result, failed = render_step.run(_params(tmp_path), check_mode=False)
    assert failed and str(theirs) in failed
    assert theirs.read_text() == "---\nnova_console: novnc\n"


def test_preview_refuses_the_deployed_nova_conf(tmp_path):
    node_config_directory = tmp_path / "etc-kolla"
    deployed = node_config_directory / "nova-compute"
    deployed.mkdir(parents=True)
    (deployed / "config.json").write_text("{}")
    (deployed / "nova.conf").write_text("[compute]\ncpu_dedicated_set = 4-15\n")
    params = {
        "node_custom_config": str(tmp_path / "config"),
        "host": "c1",
        "service": "nova-compute",
        "base": str(deployed / "nova.conf"),
        "node_config_directory": str(node_config_directory),
        "variables": {},
        "release": None,
    }
    with pytest.raises(preview_step.DeployedBaseError, match="template output"):
        preview_step.run(params)
    # Kolla's template output: genconfig into another node_config_directory (config.json and all).
    template = tmp_path / "kolla-template" / "kolla-template-compute" / "nova-compute"
    template.mkdir(parents=True)
    (template / "config.json").write_text("{}")
    (template / "nova.conf").write_text("[compute]\ncpu_dedicated_set = 4-15\n")
    params["base"] = str(template / "nova.conf")
    assert preview_step.run(params)["settings"]["compute"]["cpu_dedicated_set"] == "4-15"
