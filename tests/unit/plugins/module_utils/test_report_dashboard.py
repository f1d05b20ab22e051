"""The Grafana dashboard (docs/grafana/kolla_ops_nova.json) and docs/metrics.md against the writer.

``report_metrics.metric_names()`` is the catalogue of what the writer emits; the first test holds it
to what ``families`` really writes for a report of every kind (so it cannot drift). The dashboard
may then only query those names, with label matchers and ``by (...)`` labels those metrics carry
and label values the writer writes; docs/metrics.md must describe every name and no other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils import report_metrics
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import placement as audit_placement

ROOT = Path(__file__).resolve().parents[4]
DASHBOARD = ROOT / "docs" / "grafana" / "kolla_ops_nova.json"
METRICS_DOC = ROOT / "docs" / "metrics.md"
NAME = re.compile(r"\bkolla_ops_nova_[a-zA-Z0-9_]+")
SELECTOR = re.compile(r"\b(kolla_ops_nova_[a-zA-Z0-9_]+)\s*(\{[^}]*\})?")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
VARIABLE = re.compile(r"\$\{?([a-zA-Z_][a-zA-Z0-9_]*)")
GRAFANA_VARIABLES = {"__all", "__interval", "__rate_interval", "__range", "__auto"}


def _capacity():
    providers = [{"uuid": "u1", "name": "compute1", "parent_provider_uuid": None}]
    inv = {
        rc: {"total": 8, "reserved": 0, "allocation_ratio": 1.0, "max_unit": 8, "min_unit": 1}
        for rc in ("VCPU", "MEMORY_MB", "DISK_GB")
    }
    hypervisors = [{"name": "compute1", "id": "u1", "host": "compute1"}]
    aggregates = [{"name": "agg", "hosts": ["compute1"], "availability_zone": "az1"}]
    flavors = [{"name": "m1.tiny", "vcpus": 1, "ram": 1, "disk": 1, "extra_specs": {}}]
    return audit_placement.capacity(providers, {"u1": inv}, {"u1": {}}, hypervisors, aggregates, flavors)


def _every_kind_of_report():
    """(basename, report) of every kind, with every detail the writer turns into metrics."""
    row = {"check": "x.y", "status": "pass"}
    orphaned = {
        "check": "allocations.orphaned",
        "status": "fail",
        "evidence": {"allocations": [{"consumer": "c"}]},
    }
    moved = {"check": "drain.a", "status": "pass", "evidence": {"source": "compute1", "outcome": "moved"}}
    triage = {
        "findings": [{"rule": "r", "category": "messaging", "severity": "high", "host": "h", "count": 2}],
        "unmatched": [{"host": "h", "service": "nova-compute", "count": 1}],
    }
    out = []
    for kind in report_metrics.KINDS:
        report = {"name": kind, "generated_at": "2026-12-03T09:00:00Z", "results": [row]}
        if kind == "audit":
            report["results"] = [row, orphaned]
            report["details"] = {"capacity": _capacity()}
        if kind in ("drain", "evacuate"):
            report["results"] = [moved]
        if kind == "triage":
            report["details"] = {"triage": triage}
        out.append((kind + "-x", report))
    return out


def test_the_catalogue_is_what_the_writer_writes():
    written = {}
    for basename, report in _every_kind_of_report():
        for name, _help, samples in report_metrics.families(report, basename):
            for labels, _value in samples:
                written.setdefault(name, set()).add(tuple(sorted(labels)))
    catalogue = report_metrics.metric_names()
    assert sorted(written) == sorted(catalogue)
    for name, label_sets in written.items():
        assert label_sets == {tuple(sorted(catalogue[name]))}, name


def _dashboard():
    return json.loads(DASHBOARD.read_text())


def _panels(dash):
    for panel in dash["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _queries(dash):
    """Every PromQL text of the dashboard: panel targets and query variables."""
    for panel in _panels(dash):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dash["templating"]["list"]:
        if variable["type"] == "query":
            yield "variable " + variable["name"], variable["query"]["query"]


def test_dashboard_is_a_grafana_dashboard():
    dash = _dashboard()
    for key in ("title", "uid", "schemaVersion", "panels", "templating", "time"):
        assert key in dash, key
    assert len(dash["uid"]) <= 40 and re.match(r"^[a-zA-Z0-9_-]+$", dash["uid"])
    ids = [p["id"] for p in _panels(dash)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    taken = set()
    for panel in _panels(dash):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, "panel %r overlaps another" % panel["title"]
        taken |= cells
        if panel["type"] == "row":
            continue
        assert panel["type"] in ("stat", "table", "bargauge", "timeseries"), panel["type"]
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in [panel, *panel["targets"]]:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert "datasource" in variables
    for where, text in _queries(dash):
        for used in VARIABLE.findall(text):
            assert used in variables | GRAFANA_VARIABLES, (where, used)
        assert text.count("(") == text.count(")") and text.count("{") == text.count("}"), where


def test_dashboard_queries_only_what_the_writer_emits():
    catalogue = report_metrics.metric_names()
    values = {
        "scope": {"cloud", "az", "aggregate", "host"},
        "status": set(report_metrics.STATUSES),
        "report": {"verify"},  # the names of reports the playbooks write
    }
    used = set()
    for where, text in _queries(_dashboard()):
        names = NAME.findall(text)
        assert names, where
        unknown = sorted(set(names) - set(catalogue))
        assert not unknown, "%s queries %s, which the writer never writes" % (where, unknown)
        used |= set(names)
        for name, matchers in SELECTOR.findall(text):
            for label, op, value in MATCHER.findall(matchers):
                assert label in catalogue[name], "%s: %s has no label %r" % (where, name, label)
                if label in values and op == "=":
                    assert value in values[label], (where, label, value)
                if label in values and op == "=~":
                    for alternative in value.split("|"):
                        assert alternative in values[label], (where, label, value)
        labels = set().union(*(catalogue[n] for n in names))
        for group in GROUPING.findall(text):
            for label in filter(None, (g.strip() for g in group.split(","))):
                assert label in labels, "%s groups by %r, which %s do not carry" % (where, label, names)
    # every report the brief lists has a panel
    for needed in (
        "kolla_ops_nova_verify_check",
        "kolla_ops_nova_capacity_free",
        "kolla_ops_nova_flavor_headroom",
        "kolla_ops_nova_orphaned_allocations",
        "kolla_ops_nova_triage_findings",
        "kolla_ops_nova_host_operation_instances",
        "kolla_ops_nova_report_last_run_timestamp_seconds",
        "kolla_ops_nova_report_run_success",
    ):
        assert needed in used, needed


def test_metrics_doc_describes_every_metric_and_no_other():
    doc = METRICS_DOC.read_text()
    catalogue = report_metrics.metric_names()
    missing = [n for n in catalogue if "`%s`" % n not in doc]
    assert not missing, "docs/metrics.md does not describe %s" % missing
    unknown = sorted(set(NAME.findall(doc)) - set(catalogue) - {"kolla_ops_nova_"})
    assert not unknown, "docs/metrics.md names metrics the writer never writes: %s" % unknown
    for label in sorted(set().union(*catalogue.values())):
        assert "`%s`" % label in doc, "label %s is not described" % label


@pytest.mark.parametrize("kind", report_metrics.KINDS)
def test_every_playbook_report_kind_has_its_check_metric(kind):
    assert "kolla_ops_nova_%s_check" % report_metrics.kind_of(kind) in report_metrics.metric_names()
