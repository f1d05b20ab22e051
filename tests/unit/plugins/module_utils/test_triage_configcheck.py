"""Config-side triage (options Nova ignores silently) and the command-line entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.configcheck import (
    check_config_files,
    host_service_of,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import load_default_rules
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.run import triage_inputs

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
)
CLI = os.path.join(ROOT, "scripts", "kolla-nova-triage")
RULES = load_default_rules()


def test_host_and_service_from_kolla_config_paths():
    assert host_service_of("/etc/kolla/config/nova/compute3/nova-compute.conf", "d") == (
        "compute3",
        "nova-compute",
    )
    assert host_service_of("/etc/kolla/config/nova/nova-scheduler.conf", "d") == ("d", "nova-scheduler")
    assert host_service_of("/etc/kolla/config/nova.conf", "d") == ("d", "nova")
    assert host_service_of("/etc/kolla/nova-compute/nova.conf", "d") == ("d", "nova-compute")


def _override(tmp_path):
    d = tmp_path / "config" / "nova" / "compute3"
    d.mkdir(parents=True)
    f = d / "nova-compute.conf"
    f.write_text(
        "[DEFAULT]\ncpu_allocation_ration = 4.0\nvcpu_pin_set = 4-7\n"
        "transport_url = rabbit://openstack:Secret9@10.0.0.1:5672//\n[libvirt]\ncpu_mode = host-passthru\n"
    )
    return f


def test_unknown_invalid_and_deprecated_options_become_findings(tmp_path):
    f = _override(tmp_path)
    findings, described, errors = check_config_files(
        [str(tmp_path / "config" / "nova" / "*" / "*.conf")], "d", RULES
    )
    assert errors == []
    by_rule = {x["rule"]: x for x in findings}
    assert set(by_rule) >= {"config-unknown-option", "config-invalid-value", "config-deprecated-option"}
    unknown = by_rule["config-unknown-option"]
    assert (unknown["host"], unknown["service"], unknown["category"]) == (
        "compute3",
        "nova-compute",
        "config_invalid",
    )
    assert unknown["source"] == "config" and unknown["files"] == [str(f)]
    assert (
        "cpu_allocation_ration" in unknown["samples"][0] and "cpu_allocation_ratio" in unknown["samples"][0]
    )
    assert "Secret9" not in json.dumps(findings)
    assert described["config-unknown-option"]["fix"]


def test_triage_inputs_merges_config_findings_with_log_findings(tmp_path):
    _override(tmp_path)
    logs = tmp_path / "logs" / "compute3" / "nova"
    logs.mkdir(parents=True)
    (logs / "nova-compute.log").write_text(
        "2026-11-21 06:00:00.000 7 ERROR nova.compute.manager [-] OSError: [Errno 28] No space left on device\n"
    )
    res = triage_inputs(
        [str(tmp_path / "logs")], config_files=[str(tmp_path / "config" / "nova" / "*" / "*.conf")]
    )
    rules = [f["rule"] for f in res["findings"]]
    assert "disk-full" in rules and "config-unknown-option" in rules
    assert rules.index("disk-full") < rules.index("config-unknown-option")  # high before medium
    assert "config-unknown-option" in res["rules"]


def _cli(*args):
    return subprocess.run(
        [sys.executable, CLI, *args], capture_output=True, text=True, check=False, timeout=120
    )


def test_cli_json_exit_codes_and_list_rules(tmp_path):
    logs = tmp_path / "ctl1" / "nova"
    logs.mkdir(parents=True)
    (logs / "nova-conductor.log").write_text(
        "2026-11-21 06:00:00.000 7 ERROR nova.conductor.manager [req-11111111-2222-3333-4444-555555555555 a b - - -]"
        " Failed to schedule instances: nova.exception_Remote.NoValidHost_Remote: No valid host was found.\n"
    )
    res = _cli("--json", str(tmp_path))
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    (f,) = report["findings"]
    assert (f["rule"], f["host"], f["service"], f["count"]) == (
        "scheduler-novalidhost",
        "ctl1",
        "nova-conductor",
        1,
    )
    for key in ("category", "first_seen", "last_seen", "samples", "config_options", "fix"):
        assert f[key]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _cli(str(empty)).returncode == 0
    listed = _cli("--list-rules")
    assert listed.returncode == 0 and listed.stdout.strip().endswith("%d rules" % len(RULES))
    assert len(_cli("--list-signatures").stdout.splitlines()) == sum(len(r.signatures) for r in RULES)
    assert _cli("--since", "yesterday", str(tmp_path)).returncode == 2
