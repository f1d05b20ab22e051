"""Ranking: when several rules fire, the root cause comes before its symptoms.

The log excerpts are real (tests/unit/corpus, sources in index.yml); two cases are put
side by side the way an operator collects the logs of several services into one folder.
"""

from __future__ import annotations

import os
import shutil

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.aggregate import build_report, rank_key
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.run import triage_inputs

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "corpus")


def _combined(tmp_path, *cases):
    for case in cases:
        shutil.copytree(os.path.join(CORPUS, case), str(tmp_path / case))
    res = triage_inputs([str(tmp_path)], host="ctl1")
    return build_report([res])


def test_novalidhost_caused_by_missing_cell_mapping_is_cell_mapping_missing(tmp_path):
    # the NoValidHost warning is logged once per build; the cell mapping error names the cause
    rep = _combined(tmp_path, "novalidhost-conductor", "cell-hostmapping-crowbar")
    cats = [f["category"] for f in rep["findings"]]
    assert "novalidhost_scheduling" in cats
    assert cats[0] == "cell_mapping_missing", cats


def test_rabbitmq_refused_ranks_before_a_scheduler_symptom(tmp_path):
    rep = _combined(tmp_path, "novalidhost-conductor", "amqp-refused-neutron")
    cats = [f["category"] for f in rep["findings"]]
    assert cats[0] == "messaging_rpc_failure", cats
    assert cats[-1] == "novalidhost_scheduling", cats


def test_messaging_timeout_beside_rabbitmq_refused_names_the_broker(tmp_path):
    rep = _combined(tmp_path, "messaging-timeout-virtual-deploy", "amqp-refused-neutron")
    rules = [f["rule"] for f in rep["findings"]]
    assert "messaging-timeout" in rules
    assert rules[0] == "messaging-amqp-unreachable", rules


def _f(rule, priority, severity="high", count=1):
    return {
        "rule": rule,
        "priority": priority,
        "severity": severity,
        "count": count,
        "host": "h",
        "service": "s",
    }


def test_priority_beats_count_and_severity_and_advisories_sink():
    findings = [
        _f("scheduler-novalidhost", 10, "high", 500),
        _f("messaging-timeout", 55, "high", 40),
        _f("messaging-amqp-unreachable", 60, "critical", 2),
        _f("config-deprecated-option", 68, "low", 90),
        _f("cell-mapping-absent", 72, "critical", 1),
    ]
    order = [f["rule"] for f in sorted(findings, key=rank_key)]
    assert order == [
        "cell-mapping-absent",
        "messaging-amqp-unreachable",
        "messaging-timeout",
        "scheduler-novalidhost",
        "config-deprecated-option",
    ]
