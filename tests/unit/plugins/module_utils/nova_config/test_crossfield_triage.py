"""The triage CLI's --config-files runs nova_config_validate's cross-field rules too."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.crossfield_cloud import tree_root
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.configcheck import check_config_files
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import load_default_rules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 5))
CLI = os.path.join(ROOT, "scripts", "kolla-nova-triage")


def _tree(tmp_path):
    base = tmp_path / "config"
    (base / "nova" / "compute3").mkdir(parents=True)
    # issue 17's first example: vcpu_pin_set left in a host file, cpu_dedicated_set added for all computes
    (base / "nova" / "compute3" / "nova.conf").write_text("[DEFAULT]\nvcpu_pin_set = 4-15\n")
    (base / "nova" / "nova-compute.conf").write_text("[compute]\ncpu_dedicated_set = 4-15\n")
    return base


def test_tree_root():
    assert tree_root("/etc/kolla/config/nova/compute3/nova-compute.conf") == "/etc/kolla/config"
    assert tree_root("/etc/kolla/config/nova/nova-scheduler.conf") == "/etc/kolla/config"
    assert tree_root("/etc/kolla/nova-compute/nova.conf") is None


def test_cross_field_problem_becomes_a_triage_finding(tmp_path):
    base = _tree(tmp_path)
    findings, _described, errors = check_config_files(
        [str(base / "nova" / "*" / "*.conf")], "d", load_default_rules()
    )
    assert errors == []
    (inv,) = [f for f in findings if f["rule"] == "config-invalid-value"]
    assert (inv["host"], inv["service"]) == ("compute3", "nova-compute")
    assert "nova-compute refuses to start" in inv["samples"][0]
    assert str(base / "nova" / "nova-compute.conf") + ":2" in inv["samples"][0]


def test_cli_config_files(tmp_path):
    base = _tree(tmp_path)
    proc = subprocess.run(
        [sys.executable, CLI, "--json", "--config-files", str(base / "nova" / "nova-compute.conf")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    report = json.loads(proc.stdout)
    text = json.dumps(report)
    assert "vcpu_pin_set" in text and "cpu_dedicated_set" in text and "refuses to start" in text, text
