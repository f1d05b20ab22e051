"""The playbooks' reports on the sandbox: their Prometheus metrics, and what a failed run leaves behind.

* verify.yml and audit.yml run for real with ``-e kolla_ops_reports_prometheus_dir=<tmp>``; the
  ``.prom`` files they wrote are parsed with prometheus_client's own parser and every value is
  compared with the JSON report written by the same run (and, for capacity, with Placement itself).
* verify.yml and audit.yml with a wrong password (issue 21.4): a green report from a first run is
  replaced by one that says the run failed (JSON, JUnit XML, text and the metrics file), the play
  exits non-zero, and no file carries the password.
"""

from __future__ import annotations

import calendar
import json
import os
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WRONG_PASSWORD = "not-the-sandbox-password-" + uuid.uuid4().hex[:8]


def _inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.json"
    path.write_text(
        json.dumps(
            {
                "all": {
                    "children": {
                        "deployment": {"hosts": {"localhost": {}}},
                        "compute": {"hosts": {h: {} for h in ("compute1", "compute2", "compute3")}},
                    },
                    "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                }
            }
        )
    )
    return path


def _playbook(sandbox, tmp_path: Path, playbook: str, clouds_yaml: Path | None = None, **extra):
    """Run playbooks/<playbook> against the sandbox; reports go to <tmp>/reports, metrics to <tmp>/prom."""
    extra_vars = {
        "kolla_ops_cloud": "sandbox",
        "kolla_ops_clouds_yaml": str(clouds_yaml or sandbox.clouds_yaml),
        "kolla_ops_nova_commands": {"mode": "sandbox", "sandbox_command": str(sandbox.cli)},
        "kolla_ops_service_down_time": 30,
        "kolla_ops_reports_dir": str(tmp_path / "reports"),
        "kolla_ops_reports_prometheus_dir": str(tmp_path / "prom"),
        **extra,
    }
    env = dict(os.environ)
    env.update(
        {
            "PATH": "%s:%s" % (VENV_BIN, env.get("PATH", "")),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "ANSIBLE_NOCOLOR": "1",
        }
    )
    env.pop("OS_CLIENT_CONFIG_FILE", None)  # the playbook must use kolla_ops_clouds_yaml
    return subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(_inventory(tmp_path)),
            str(ROOT / "playbooks" / playbook),
            "-e",
            json.dumps(extra_vars),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _metrics(path: Path) -> dict:
    """{name: {frozenset(labels): value}} with prometheus_client's parser; series are unique."""
    out = {}
    for family in text_string_to_metric_families(path.read_text()):
        assert family.type == "gauge", family.name
        for sample in family.samples:
            key = frozenset(sample.labels.items())
            assert key not in out.setdefault(sample.name, {}), (sample.name, key)
            out[sample.name][key] = sample.value
    return out


def _by(series: dict, *labels: str) -> dict:
    """{(label values...): value} of one metric."""
    return {tuple(dict(k)[name] for name in labels): v for k, v in series.items()}


def _epoch(iso: str) -> float:
    return float(calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")))


def _bad_clouds_yaml(sandbox, tmp_path: Path) -> Path:
    clouds = yaml.safe_load(sandbox.clouds_yaml.read_text())
    clouds["clouds"]["sandbox"]["auth"]["password"] = WRONG_PASSWORD
    path = tmp_path / "wrong-password-clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    return path


def _assert_common(metrics: dict, report: dict, basename: str) -> None:
    assert {dict(k)["report"] for series in metrics.values() for k in series} == {basename}
    assert list(metrics["kolla_ops_nova_report_last_run_timestamp_seconds"].values()) == [
        _epoch(report["generated_at"])
    ]
    assert _by(metrics["kolla_ops_nova_report_results"], "status") == {
        (s,): float(n) for s, n in report["summary"].items()
    }


# -- metrics of green runs ---------------------------------------------------------------------
def test_verify_playbook_metrics_equal_its_json_report(sandbox, tmp_path):
    proc = _playbook(
        sandbox, tmp_path, "verify.yml", verify_checks=["services", "versions", "cells", "placement"]
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "verify.json").read_text())
    prom = tmp_path / "prom" / "kolla_ops_nova-verify.prom"
    assert oct(prom.stat().st_mode & 0o777) == "0o644"  # node_exporter runs as another user
    assert sorted(p.name for p in prom.parent.iterdir()) == [prom.name]  # no temporary file left
    metrics = _metrics(prom)
    _assert_common(metrics, report, "verify")
    assert _by(metrics["kolla_ops_nova_verify_check"], "check", "status") == {
        (r["check"], r["status"]): 1.0 for r in report["results"]
    }
    assert {"services.compute", "cells.host_mappings", "placement.providers"} <= {
        r["check"] for r in report["results"]
    }
    assert list(metrics["kolla_ops_nova_report_run_success"].values()) == [1.0]


def test_audit_playbook_metrics_equal_its_json_report_and_placement(sandbox, admin_conn, tmp_path, cleanup):
    # one orphaned allocation (a consumer that is no server), so the gauge is not just 0
    consumer = str(uuid.uuid4())
    rp = admin_conn.placement.get("/resource_providers?name=compute2", microversion="1.14").json()
    rp_uuid = rp["resource_providers"][0]["uuid"]
    body = {
        "allocations": {rp_uuid: {"resources": {"VCPU": 1, "MEMORY_MB": 64}}},
        "project_id": admin_conn.current_project_id,
        "user_id": admin_conn.current_user_id,
    }
    put = admin_conn.placement.put("/allocations/%s" % consumer, json=body, microversion="1.12")
    assert put.status_code == 204, put.text
    cleanup.add(admin_conn.placement.delete, "/allocations/%s" % consumer, microversion="1.12")

    proc = _playbook(sandbox, tmp_path, "audit.yml", audit_checks=["allocations", "capacity"])
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "audit.json").read_text())
    metrics = _metrics(tmp_path / "prom" / "kolla_ops_nova-audit.prom")
    _assert_common(metrics, report, "audit")
    assert _by(metrics["kolla_ops_nova_audit_check"], "check", "status") == {
        (r["check"], r["status"]): 1.0 for r in report["results"]
    }

    orphaned = next(r for r in report["results"] if r["check"] == "audit.allocations.orphaned")
    assert orphaned["status"] == "fail"
    rows = orphaned["evidence"]["allocations"]
    assert consumer in {a["consumer"] for a in rows}
    assert list(metrics["kolla_ops_nova_orphaned_allocations"].values()) == [float(len(rows))]
    assert list(metrics["kolla_ops_nova_orphaned_allocation_consumers"].values()) == [
        float(len({a["consumer"] for a in rows}))
    ]

    cap = report["details"]["capacity"]
    labels = ("scope", "host", "aggregate", "az", "resource_class")
    free = _by(metrics["kolla_ops_nova_capacity_free"], *labels)
    used = _by(metrics["kolla_ops_nova_capacity_used"], *labels)
    usable = _by(metrics["kolla_ops_nova_capacity_usable"], *labels)
    host_az = {h: z["availability_zone"] for z in cap["availability_zones"] for h in z["hosts"]}
    assert {h["host"] for h in cap["hosts"]} >= {"compute1", "compute2", "compute3"}
    for host in cap["hosts"]:
        for rc, values in host["resources"].items():
            key = ("host", host["host"], "", host_az.get(host["host"], ""), rc)
            assert free[key] == values["free"], key
            assert used[key] == values["used"], key
            assert usable[key] == values["capacity"], key
    for rc, values in cap["cloud"]["resources"].items():
        assert free[("cloud", "", "", "", rc)] == values["free"]
    for zone in cap["availability_zones"]:
        for rc, values in zone["resources"].items():
            assert free[("az", "", "", zone["availability_zone"], rc)] == values["free"]
    headroom = _by(metrics["kolla_ops_nova_flavor_headroom"], "scope", "host", "flavor")
    assert cap["cloud"]["fits"], cap["cloud"]
    for flavor, n in cap["cloud"]["fits"].items():
        assert headroom[("cloud", "", flavor)] == n
    for host in cap["hosts"]:
        for flavor, n in host["fits"].items():
            assert headroom[("host", host["host"], flavor)] == n

    # and the numbers are Placement's: compute2's VCPU as Placement reports it now
    inv = admin_conn.placement.get("/resource_providers/%s/inventories" % rp_uuid).json()["inventories"]
    usages = admin_conn.placement.get("/resource_providers/%s/usages" % rp_uuid).json()["usages"]
    key = ("host", "compute2", "", host_az.get("compute2", ""), "VCPU")
    vcpu = inv["VCPU"]
    assert usable[key] == (vcpu["total"] - vcpu["reserved"]) * vcpu["allocation_ratio"]
    assert used[key] == usages["VCPU"] >= 1  # our orphaned allocation is counted
    assert free[key] == usable[key] - used[key]


# -- a failed run replaces the green report (issue 21.4) ---------------------------------------
@pytest.mark.parametrize(
    ("playbook", "name", "extra"),
    [
        ("verify.yml", "verify", {"verify_checks": ["services", "placement"]}),
        ("audit.yml", "audit", {"audit_checks": ["allocations", "capacity"]}),
    ],
)
def test_wrong_password_replaces_the_green_report(sandbox, tmp_path, playbook, name, extra):
    green = _playbook(sandbox, tmp_path, playbook, **extra)
    assert green.returncode == 0, green.stdout[-5000:] + green.stderr[-2000:]
    reports = tmp_path / "reports"
    prom = tmp_path / "prom" / ("kolla_ops_nova-%s.prom" % name)
    first = json.loads((reports / (name + ".json")).read_text())
    assert first["summary"]["pass"] > 0 and not any(r["check"] == "run" for r in first["results"])
    assert list(_metrics(prom)["kolla_ops_nova_report_run_success"].values()) == [1.0]

    bad_clouds = _bad_clouds_yaml(sandbox, tmp_path)
    time.sleep(1.1)  # generated_at has one-second resolution: the new report must be visibly newer
    failed = _playbook(sandbox, tmp_path, playbook, clouds_yaml=bad_clouds, **extra)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0, out[-5000:]
    assert "refused the credentials" in out and str(bad_clouds) in out, out[-5000:]
    assert WRONG_PASSWORD not in out

    report = json.loads((reports / (name + ".json")).read_text())
    assert report["generated_at"] > first["generated_at"]
    assert report["summary"] == {"fail": 1, "warn": 0, "pass": 0, "skip": 0}, report
    (run,) = report["results"]
    assert run["check"] == "run" and run["status"] == "fail"
    assert "Check the cloud and its credentials" in run["message"]
    for expected in ("refused the credentials", "'sandbox'", "'admin'", str(bad_clouds)):
        assert expected in run["message"], (expected, run["message"])
    text = (reports / (name + ".txt")).read_text()
    assert text.splitlines()[0].endswith("1 fail, 0 warn, 0 pass, 0 skip"), text
    assert "PASS" not in text and "FAIL  run" in text
    suite = ET.parse(reports / (name + ".junit.xml")).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    assert suite.find("testcase/failure") is not None

    metrics = _metrics(prom)
    assert list(metrics["kolla_ops_nova_report_run_success"].values()) == [0.0]
    assert _by(metrics["kolla_ops_nova_report_results"], "status") == {
        ("fail",): 1.0,
        ("warn",): 0.0,
        ("pass",): 0.0,
        ("skip",): 0.0,
    }
    assert _by(metrics["kolla_ops_nova_%s_check" % name], "check", "status") == {("run", "fail"): 1.0}
    assert list(metrics["kolla_ops_nova_report_last_run_timestamp_seconds"].values()) == [
        _epoch(report["generated_at"])
    ]
    for written in [*reports.iterdir(), prom]:
        assert WRONG_PASSWORD not in written.read_text(), written
