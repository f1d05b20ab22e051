"""Aggregation across hosts, ranking, symptom marking, text and check-report forms, assertions."""

from __future__ import annotations

import socket

from ansible_collections.kolla_ops.nova.plugins.module_utils.report import validate_report
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import assertions
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.aggregate import (
    build_report,
    render_text,
    to_check_report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import Rule

REQ = "req-11111111-2222-3333-4444-555555555555"


def finding(rule, host, count, severity="high", priority=50, req=(), category="novalidhost_scheduling"):
    return {
        "rule": rule,
        "title": rule,
        "category": category,
        "severity": severity,
        "priority": priority,
        "host": host,
        "service": "nova-conductor",
        "count": count,
        "first_seen": "2026-11-21 06:00:00.000",
        "last_seen": "2026-11-21 06:10:00.000",
        "samples": ["rabbit://u:Pw9@h//"],
        "request_ids": list(req),
        "files": [],
    }


def host_result(host, findings, unmatched=()):
    return {
        "host": host,
        "findings": findings,
        "rules": {
            f["rule"]: {"explanation": "why", "config_options": ["[a] b"], "fix": "do"} for f in findings
        },
        "unmatched": list(unmatched),
        "timeline": [],
        "stats": {"files": 2, "bytes": 1000},
        "errors": [],
    }


def test_report_ranks_root_cause_first_and_marks_symptoms():
    results = {
        "ctl1": host_result(
            "ctl1",
            [
                finding("scheduler-novalidhost", "ctl1", 9, priority=10, req=[REQ]),
                finding("disk-full", "ctl1", 1, severity="critical", priority=80, category="disk_full"),
            ],
        ),
        "compute1": host_result(
            "compute1",
            [finding("quota-exceeded", "compute1", 20, severity="medium", priority=70, req=[REQ])],
            unmatched=[
                {
                    "host": "compute1",
                    "service": "nova-compute",
                    "count": 4,
                    "first_seen": "a",
                    "last_seen": "b",
                    "samples": ["s"],
                    "top_messages": [],
                }
            ],
        ),
    }
    rep = build_report(results)
    # priority first (quota 70 is the cause of the NoValidHost 10 on the same request, whatever
    # the counts), severity and count only break ties
    assert [f["rule"] for f in rep["findings"]] == ["disk-full", "quota-exceeded", "scheduler-novalidhost"]
    assert rep["findings"][2]["symptom_of"] == ["quota-exceeded"]
    assert rep["findings"][2]["fix"] == "do"
    assert rep["summary"]["unmatched_records"] == 4
    assert rep["hosts"] == ["compute1", "ctl1"]
    assert "Pw9" not in repr(rep)
    text = render_text(rep)
    assert text.index("disk-full") < text.index("scheduler-novalidhost")
    assert "likely a symptom of: quota-exceeded" in text
    assert "Unmatched ERROR/CRITICAL" in text
    check = validate_report(to_check_report(rep))
    assert [r["status"] for r in check["results"]] == ["fail", "warn", "fail", "warn"]


def test_failed_hosts_become_errors_and_empty_report_passes():
    rep = build_report([{"host": "x", "failed": True, "msg": "boom"}])
    assert rep["errors"] == ["x: boom"]
    assert to_check_report(rep)["results"][0]["status"] == "pass"


def _conf(tmp_path, text):
    tmp_path.mkdir(parents=True, exist_ok=True)
    d = tmp_path / "nova-compute"
    d.mkdir()
    (d / "nova.conf").write_text(text)
    return str(tmp_path)


def test_assertions_against_rendered_config(tmp_path):
    config_dir = _conf(
        tmp_path,
        "[DEFAULT]\ntransport_url = rabbit://o:Pw@h//\n[libvirt]\nconnection_uri = qemu:///session\n",
    )
    rule = Rule(
        {
            "id": "x",
            "title": "t",
            "category": "libvirt_connection",
            "severity": "high",
            "services": ["*"],
            "signatures": ["x"],
            "explanation": "e",
            "fix": "f",
            "examples": ["x"],
            "assertions": [
                {"option": "[libvirt] connection_uri", "op": "contains", "value": "session"},
                {"option": "[libvirt] connection_uri", "op": "equals", "value": "qemu:///system"},
                {"option": "[libvirt] virt_type", "op": "absent"},
                {"option": "[libvirt] cpu_mode", "op": "equals", "value": "x"},
            ],
        }
    )
    res = assertions.evaluate_rule(rule, "nova-compute", config_dir)
    assert [r["holds"] for r in res] == [True, False, True, None]
    missing = assertions.evaluate_rule(rule, "nova-api", config_dir)
    assert {r["holds"] for r in missing} == {None}


def test_unreachable_hosts_assertion(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    up = listener.getsockname()[1]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    down = probe.getsockname()[1]
    probe.close()
    try:
        for port, want in ((up, False), (down, True)):
            parser = assertions.read_config(
                _conf(
                    tmp_path / str(port), "[DEFAULT]\ntransport_url = rabbit://o:Pw@127.0.0.1:%d//\n" % port
                )
                + "/nova-compute/nova.conf"
            )
            r = assertions.evaluate(
                {"option": "[DEFAULT] transport_url", "op": "unreachable_hosts"}, parser, "p", 1.0
            )
            assert r["holds"] is want, r
            assert "Pw" not in r["actual"]
    finally:
        listener.close()


def test_url_endpoints():
    assert assertions.url_endpoints("rabbit://a:b@h1:5673,a:b@h2//") == [("h1", 5673), ("h2", 5672)]
    assert assertions.url_endpoints("not a url") == []
