"""Reports as Prometheus metrics: parsed with prometheus_client's own parser, values equal the report's.

The capacity input is built by the audit's own ``audit_placement.capacity`` from Placement-shaped
data (two hosts, one aggregate with a zone), as ``capacity_report`` returns it; the playbooks'
metrics on the real sandbox cloud are parsed in tests/integration/test_report_playbooks.py.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.kolla_ops.nova.plugins.module_utils import report_metrics
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import placement as audit_placement
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    Report,
    build_report,
    write_report,
)

METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _parse(text):
    """{name: {frozenset(labels): value}}, with the naming rules and uniqueness asserted."""
    out = {}
    for family in text_string_to_metric_families(text):
        assert METRIC.match(family.name), family.name
        assert family.type == "gauge", family.name
        for sample in family.samples:
            for label in sample.labels:
                assert LABEL.match(label) and not label.startswith("__"), label
            key = frozenset(sample.labels.items())
            assert key not in out.setdefault(sample.name, {}), "duplicate series %s %s" % (sample.name, key)
            out[sample.name][key] = sample.value
    return out


def _verify_report():
    rep = Report("verify")
    rep.add("services.compute", "pass", "3 of 3 nova-compute services up")
    rep.add("cells.host_mappings", "fail", "compute3 is not mapped", fix="nova-manage cell_v2 discover_hosts")
    rep.add("placement.providers", "warn", 'provider "odd\\name"\nwith a newline')
    rep.add("console.proxy", "skip", "no server")
    return rep.as_dict()


def _capacity():
    providers = [
        {"uuid": "u1", "name": "compute1", "parent_provider_uuid": None},
        {"uuid": "u3", "name": "compute3", "parent_provider_uuid": None},
    ]
    inv = {
        "VCPU": {"total": 4, "reserved": 0, "allocation_ratio": 4.0, "max_unit": 4, "min_unit": 1},
        "MEMORY_MB": {
            "total": 8192,
            "reserved": 1024,
            "allocation_ratio": 1.0,
            "max_unit": 8192,
            "min_unit": 1,
        },
        "DISK_GB": {"total": 100, "reserved": 0, "allocation_ratio": 1.0, "max_unit": 100, "min_unit": 1},
    }
    inventories = {"u1": inv, "u3": dict(inv, VCPU=dict(inv["VCPU"], allocation_ratio=8.0))}
    usages = {"u1": {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}, "u3": {}}
    hypervisors = [
        {"name": "compute1", "id": "u1", "host": "compute1"},
        {"name": "compute3", "id": "u3", "host": "compute3"},
    ]
    aggregates = [{"name": "dense", "hosts": ["compute3"], "availability_zone": "dense-az"}]
    flavors = [
        {"name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "extra_specs": {}},
        {"name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20, "extra_specs": {}},
    ]
    return audit_placement.capacity(providers, inventories, usages, hypervisors, aggregates, flavors)


def test_verify_report_metrics_parse_and_equal_the_report():
    report = _verify_report()
    metrics = _parse(report_metrics.render(report_metrics.families(report, "verify")))
    checks = metrics["kolla_ops_nova_verify_check"]
    assert {dict(k)["check"]: dict(k)["status"] for k in checks} == {
        r["check"]: r["status"] for r in report["results"]
    }
    assert set(checks.values()) == {1.0}
    results = {dict(k)["status"]: v for k, v in metrics["kolla_ops_nova_report_results"].items()}
    assert results == {s: float(n) for s, n in report["summary"].items()}
    assert list(metrics["kolla_ops_nova_report_run_success"].values()) == [1.0]
    (ts,) = metrics["kolla_ops_nova_report_last_run_timestamp_seconds"].values()
    assert ts == report_metrics.timestamp_of(report["generated_at"]) and ts > 1.7e9
    every = [dict(k) for series in metrics.values() for k in series]
    assert all(labels["report"] == "verify" for labels in every)


def test_plain_writer_matches_prometheus_client_byte_for_byte():
    """A controller without prometheus_client writes exactly what the library writes."""
    report = _verify_report()
    report["details"] = {"capacity": _capacity()}
    report["results"].append({"check": 'odd "label" \\ ünïcode\n', "status": "pass"})
    fams = report_metrics.families(report, "audit")
    assert report_metrics.render_plain(fams) == report_metrics.render_client(fams)


def test_without_the_library_the_plain_writer_is_used(monkeypatch):
    monkeypatch.setattr(report_metrics, "HAS_PROMETHEUS_CLIENT", False)
    with pytest.raises(ImportError):
        report_metrics.render_client([])
    text = report_metrics.render(report_metrics.families(_verify_report(), "verify"))
    assert "kolla_ops_nova_verify_check" in _parse(text)


def test_capacity_and_headroom_equal_the_capacity_report():
    cap = _capacity()
    report = {
        "name": "audit",
        "generated_at": "2026-12-03T09:00:00Z",
        "results": [],
        "details": {"capacity": cap},
    }
    metrics = _parse(report_metrics.render(report_metrics.families(report, "audit")))
    free = {
        (d["scope"], d["host"], d["aggregate"], d["az"], d["resource_class"]): v
        for d, v in ((dict(k), v) for k, v in metrics["kolla_ops_nova_capacity_free"].items())
    }
    for host in cap["hosts"]:
        az = "dense-az" if host["host"] == "compute3" else "nova"
        for rc, r in host["resources"].items():
            assert free[("host", host["host"], "", az, rc)] == r["free"]
    assert free[("cloud", "", "", "", "VCPU")] == cap["cloud"]["resources"]["VCPU"]["free"] == 14 + 32
    assert free[("aggregate", "", "dense", "", "MEMORY_MB")] == 7168
    assert free[("az", "", "", "nova", "MEMORY_MB")] == 7168 - 2048
    usable = {
        dict(k)["resource_class"]: v
        for k, v in metrics["kolla_ops_nova_capacity_usable"].items()
        if dict(k)["scope"] == "cloud"
    }
    assert usable == {rc: r["capacity"] for rc, r in cap["cloud"]["resources"].items()}
    headroom = {
        (dict(k)["scope"], dict(k)["host"], dict(k)["flavor"]): v
        for k, v in metrics["kolla_ops_nova_flavor_headroom"].items()
    }
    assert headroom[("cloud", "", "m1.small")] == cap["cloud"]["fits"]["m1.small"]
    # memory is what limits m1.small on compute1: (8192 - 1024 reserved - 2048 used) // 2048
    assert headroom[("host", "compute1", "m1.small")] == 2
    assert headroom[("host", "compute1", "m1.tiny")] == cap["hosts"][0]["fits"]["m1.tiny"]


def test_orphaned_allocations_from_the_audit_rows():
    found = {
        "orphaned": [
            {"consumer": "c1", "provider": "compute1", "provider_uuid": "u1", "resources": {"VCPU": 1}},
            {"consumer": "c1", "provider": "compute2", "provider_uuid": "u2", "resources": {"VCPU": 1}},
            {"consumer": "c2", "provider": "compute1", "provider_uuid": "u1", "resources": {"VCPU": 1}},
        ],
        "misplaced": [],
        "migration": [],
        "providers": 3,
    }
    report, _actions = audit_placement.allocation_report(found)[:2]
    merged = build_report([report.as_dict()], "audit")
    metrics = _parse(report_metrics.render(report_metrics.families(merged, "audit")))
    assert list(metrics["kolla_ops_nova_orphaned_allocations"].values()) == [3.0]
    assert list(metrics["kolla_ops_nova_orphaned_allocation_consumers"].values()) == [2.0]
    clean = audit_placement.allocation_report(dict(found, orphaned=[]))[0].as_dict()
    metrics = _parse(report_metrics.render(report_metrics.families(clean, "audit")))
    assert list(metrics["kolla_ops_nova_orphaned_allocations"].values()) == [0.0]


def test_triage_findings_per_category_host_and_repeated_check_names():
    triage = {
        "findings": [
            {
                "rule": "rpc_timeout",
                "category": "messaging",
                "severity": "high",
                "host": "compute1",
                "count": 7,
                "samples": ["x" * 50],
            },
            {
                "rule": "rpc_timeout",
                "category": "messaging",
                "severity": "high",
                "host": "compute2",
                "count": 2,
            },
            {
                "rule": "no_valid_host",
                "category": "scheduling",
                "severity": "medium",
                "host": "controller",
                "count": 1,
            },
        ],
        "unmatched": [{"host": "compute1", "service": "nova-compute", "count": 4}],
    }
    checks = [
        {"check": "triage.rpc_timeout", "status": "fail"},
        {"check": "triage.rpc_timeout", "status": "fail"},
    ]
    report = build_report({"name": "triage", "results": checks}, details={"triage": triage})
    assert "samples" not in json.dumps(report["details"])  # only what the metrics need is kept
    metrics = _parse(report_metrics.render(report_metrics.families(report, "nova-triage-checks")))
    findings = {
        (dict(k)["category"], dict(k)["host"]): v
        for k, v in metrics["kolla_ops_nova_triage_findings"].items()
    }
    assert findings == {
        ("messaging", "compute1"): 1,
        ("messaging", "compute2"): 1,
        ("scheduling", "controller"): 1,
    }
    occ = {dict(k)["host"]: v for k, v in metrics["kolla_ops_nova_triage_occurrences"].items()}
    assert occ == {"compute1": 7, "compute2": 2, "controller": 1}
    # the same check name twice (one rule on two hosts) is one series counting both
    assert list(metrics["kolla_ops_nova_triage_check"].values()) == [2.0]
    assert list(metrics["kolla_ops_nova_triage_unmatched_records"].values()) == [4.0]


def test_drain_outcomes_per_host():
    rows = [
        {
            "check": "drain.compute1.a",
            "status": "pass",
            "evidence": {"source": "compute1", "outcome": "moved"},
        },
        {
            "check": "drain.compute1.b",
            "status": "pass",
            "evidence": {"source": "compute1", "outcome": "moved"},
        },
        {
            "check": "drain.compute1.c",
            "status": "warn",
            "evidence": {"source": "compute1", "outcome": "blocked"},
        },
    ]
    metrics = _parse(
        report_metrics.render(report_metrics.families({"name": "drain", "results": rows}, "drain-compute1"))
    )
    outcomes = {dict(k)["outcome"]: v for k, v in metrics["kolla_ops_nova_host_operation_instances"].items()}
    assert outcomes == {"moved": 2, "blocked": 1}
    assert "kolla_ops_nova_drain_check" in metrics


def test_a_failed_run_replaces_the_green_report(tmp_path):
    """A run that stopped (wrong password) writes a failed report and metrics over the green ones."""
    green = build_report(_verify_report())
    write_report(green, str(tmp_path), "verify")
    prom = report_metrics.write(green, str(tmp_path / "prom"), "verify")
    failed = build_report(
        None,
        "verify",
        run_error="The request you have made requires authentication (password = hunter2)",
        run_error_task="Run the checks",
    )
    write_report(failed, str(tmp_path), "verify")
    report_metrics.write(failed, str(tmp_path / "prom"), "verify")
    data = json.loads((tmp_path / "verify.json").read_text())
    assert [r["check"] for r in data["results"]] == ["run"]
    assert data["summary"]["fail"] == 1 and data["summary"]["pass"] == 0
    assert "Run the checks: The request you have made requires authentication" in data["run_error"]
    assert "hunter2" not in (tmp_path / "verify.txt").read_text() + json.dumps(data)
    metrics = _parse(open(prom, encoding="utf-8").read())
    assert list(metrics["kolla_ops_nova_report_run_success"].values()) == [0.0]
    assert {dict(k)["check"]: dict(k)["status"] for k in metrics["kolla_ops_nova_verify_check"]} == {
        "run": "fail"
    }


def test_atomic_write_never_leaves_a_half_file(tmp_path, monkeypatch):
    directory = tmp_path / "textfile"
    path = report_metrics.write(_verify_report(), str(directory), "verify")
    assert os.path.basename(path) == "kolla_ops_nova-verify.prom"
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    before = open(path, encoding="utf-8").read()
    seen = []

    def broken_replace(src, dst):
        seen.append(src)
        raise OSError("disk full")

    monkeypatch.setattr(report_metrics.os, "replace", broken_replace)
    with pytest.raises(OSError):
        report_metrics.write(build_report(None, "verify", run_error="x"), str(directory), "verify")
    # node_exporter reads *.prom: the temporary file must never match, and is gone after a failure
    assert seen and not seen[0].endswith(".prom")
    assert sorted(p.name for p in directory.iterdir()) == ["kolla_ops_nova-verify.prom"]
    assert open(path, encoding="utf-8").read() == before


@pytest.mark.parametrize(
    ("details", "msg"),
    [
        ({"capcity": {}}, "details may hold capacity and triage, not capcity"),
        ({"capacity": [1]}, "details.capacity must be the capacity_report module's 'capacity' dict"),
    ],
)
def test_bad_details_name_the_problem(details, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        build_report(_verify_report(), details=details)


def test_report_without_results_needs_run_error():
    with pytest.raises(ValueError, match="unless run_error is given"):
        build_report(None, "verify")


def test_kind_of_report_names():
    assert report_metrics.kind_of("maintenance-verify") == "maintenance_verify"
    assert report_metrics.kind_of("upgrade_check") == "upgrade_check"
    assert report_metrics.kind_of("2fa") == "r_2fa"
