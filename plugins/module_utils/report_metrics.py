# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reports as Prometheus metrics, for node_exporter's textfile collector.

``families(report, basename)`` turns a check-style report (``report.py``) into metric
families, every one a gauge: ``[(name, help, [(labels, value), ...]), ...]``.  Every series
carries ``report=<basename>`` (one file per report, so two files never hold the same series,
which node_exporter would refuse).  The values are the report's own numbers:

* every report: ``kolla_ops_nova_report_last_run_timestamp_seconds``,
  ``kolla_ops_nova_report_run_success`` (0 when the run failed before its checks finished),
  ``kolla_ops_nova_report_results{status}`` and ``kolla_ops_nova_<kind>_check{check,status}``
  (``<kind>`` is the report's name: verify, audit, upgrade_check, triage, drain, ...);
* ``details.capacity`` (``capacity_report``): ``kolla_ops_nova_capacity_{total,reserved,usable,
  used,free}{scope,host,aggregate,az,resource_class}`` and ``kolla_ops_nova_flavor_headroom``;
* an ``allocations.orphaned`` check: ``kolla_ops_nova_orphaned_allocations``;
* ``details.triage`` (``nova_triage_report``): ``kolla_ops_nova_triage_findings`` and
  ``kolla_ops_nova_triage_occurrences`` per ``category, host, severity``;
* drain and evacuate reports: ``kolla_ops_nova_host_operation_instances{operation,host,outcome}``.

``render(families)`` writes the text exposition format with ``prometheus_client`` when it is
installed, else with the equivalent code below (same bytes), so a controller without the
library still writes valid files.  ``write(report, directory, basename)`` writes
``<directory>/kolla_ops_nova-<basename>.prom`` atomically (a temporary file that does not end in
``.prom``, which the collector would read half-written, then a rename).
"""

from __future__ import annotations

import calendar
import math
import os
import re
import time

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.io import atomic_write

try:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    HAS_PROMETHEUS_CLIENT = True
except ImportError:  # a controller without the library writes the same text itself
    HAS_PROMETHEUS_CLIENT = False

STATUSES = ("fail", "warn", "pass", "skip")
PREFIX = "kolla_ops_nova_"
FILE_PREFIX = "kolla_ops_nova-"
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
CAPACITY_FIELDS = {
    "total": "Inventory total of the resource class (Placement), summed over the scope",
    "reserved": "Reserved amount of the resource class (Placement), summed over the scope",
    "usable": "(total - reserved) * allocation_ratio of the resource class: what can be allocated",
    "used": "Amount of the resource class allocated (Placement usages)",
    "free": "usable - used: what is left to allocate",
}
CAPACITY_LABELS = ("scope", "host", "aggregate", "az")
DETAIL_KEYS = ("capacity", "triage")
# The reports the collection's playbooks write, by name: each gets kolla_ops_nova_<kind>_check.
KINDS = ("verify", "audit", "upgrade_check", "triage", "drain", "evacuate", "recover")


def kind_of(name: str) -> str:
    """``maintenance-verify`` -> ``maintenance_verify``: the report's name as a metric name part."""
    kind = re.sub(r"[^a-zA-Z0-9_]", "_", str(name or "report")).strip("_").lower() or "report"
    return ("r_" + kind) if kind[0].isdigit() else kind


def timestamp_of(iso: str | None) -> float:
    """``2026-11-21T06:30:00Z`` -> seconds since the epoch (now when missing or not that shape)."""
    try:
        return float(calendar.timegm(time.strptime(str(iso), "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError):
        return time.time()


class _Families:
    def __init__(self, basename):
        self.report = basename
        self.order = []
        self.by_name = {}

    def add(self, name, help_text, labels, value):
        if value is None:
            return
        try:
            value = float(value)
        except (TypeError, ValueError):
            return
        fam = self.by_name.get(name)
        if fam is None:
            fam = self.by_name[name] = (name, help_text, {})
            self.order.append(name)
        key = tuple(sorted(dict(labels, report=self.report).items()))
        samples = fam[2]
        samples[key] = samples.get(key, 0.0) + value  # a check name twice (triage rules): counted

    def result(self):
        out = []
        for name in self.order:
            n, h, samples = self.by_name[name]
            names = sorted({label for key in samples for label, _v in key})
            rows = [(dict(dict.fromkeys(names, ""), **dict(k)), v) for k, v in samples.items()]
            out.append((n, h, rows))
        return out


def families(report: dict, basename: str | None = None) -> list:
    """The metric families of one report (see the module docstring)."""
    basename = basename or report.get("name") or "report"
    fam = _Families(basename)
    kind = kind_of(report.get("name") or basename)
    results = report.get("results") or []
    run_error = report.get("run_error")

    fam.add(
        PREFIX + "report_last_run_timestamp_seconds",
        "When the report was generated (its generated_at), seconds since the epoch",
        {},
        timestamp_of(report.get("generated_at")),
    )
    fam.add(
        PREFIX + "report_run_success",
        "1 when the run finished its checks, 0 when it failed before (the report then says why)",
        {},
        0 if run_error else 1,
    )
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r.get("status")] = counts.get(r.get("status"), 0) + 1
    for status in STATUSES:
        fam.add(
            PREFIX + "report_results",
            "Number of results of the report per status",
            {"status": status},
            counts[status],
        )
    for r in results:
        fam.add(
            PREFIX + kind + "_check",
            "Results of the %s report: 1 for each check with its status (fail, warn, pass, skip)" % kind,
            {"check": str(r.get("check")), "status": str(r.get("status"))},
            1,
        )
    _orphaned_allocations(fam, results)
    details = report.get("details") or {}
    if details.get("capacity"):
        _capacity(fam, details["capacity"])
    if details.get("triage") is not None:
        _triage(fam, details["triage"])
    if kind in ("drain", "evacuate"):
        _host_operation(fam, kind, results)
    return fam.result()


def _orphaned_allocations(fam, results):
    for r in results:
        if not str(r.get("check", "")).endswith("allocations.orphaned"):
            continue
        evidence = r.get("evidence") if isinstance(r.get("evidence"), dict) else {}
        allocations = (evidence.get("allocations") or []) if r.get("status") == "fail" else []
        consumers = {a.get("consumer") for a in allocations if isinstance(a, dict)}
        fam.add(
            PREFIX + "orphaned_allocations",
            "Placement allocations whose consumer is no server (audit allocations.orphaned)",
            {},
            len(allocations),
        )
        fam.add(
            PREFIX + "orphaned_allocation_consumers",
            "Consumers holding orphaned Placement allocations (audit allocations.orphaned)",
            {},
            len(consumers),
        )


def _capacity(fam, cap):
    host_az = {}
    for zone in cap.get("availability_zones") or []:
        for h in zone.get("hosts") or []:
            host_az.setdefault(h, zone.get("availability_zone") or "")
    blocks = []
    if cap.get("cloud"):
        blocks.append(({"scope": "cloud"}, cap["cloud"]))
    for zone in cap.get("availability_zones") or []:
        blocks.append(({"scope": "az", "az": zone.get("availability_zone") or ""}, zone))
    for agg in cap.get("aggregates") or []:
        blocks.append(({"scope": "aggregate", "aggregate": agg.get("aggregate") or ""}, agg))
    for host in cap.get("hosts") or []:
        name = host.get("host") or ""
        blocks.append(({"scope": "host", "host": name, "az": host_az.get(name, "")}, host))
    for where, block in blocks:
        labels = dict.fromkeys(CAPACITY_LABELS, "")
        labels.update(where)
        for rc, values in sorted((block.get("resources") or {}).items()):
            for field, help_text in CAPACITY_FIELDS.items():
                json_field = "capacity" if field == "usable" else field
                fam.add(
                    PREFIX + "capacity_" + field,
                    help_text,
                    dict(labels, resource_class=rc),
                    (values or {}).get(json_field),
                )
        for flavor, n in sorted((block.get("fits") or {}).items()):
            fam.add(
                PREFIX + "flavor_headroom",
                "How many more servers of the flavor fit (per provider, respecting max_unit)",
                dict(labels, flavor=flavor),
                n,
            )


def triage_details(report: dict) -> dict:
    """What the triage metrics need from ``nova_triage_report``'s report (findings, unmatched)."""
    keep = ("rule", "category", "severity", "host", "service", "count")
    return {
        "findings": [{k: f.get(k) for k in keep} for f in report.get("findings") or []],
        "unmatched": [
            {k: u.get(k) for k in ("host", "service", "count")} for u in report.get("unmatched") or []
        ],
    }


def _triage(fam, triage):
    findings, occurrences = {}, {}
    for f in triage.get("findings") or []:
        key = (
            ("category", str(f.get("category"))),
            ("host", str(f.get("host"))),
            ("severity", str(f.get("severity"))),
        )
        findings[key] = findings.get(key, 0) + 1
        occurrences[key] = occurrences.get(key, 0) + int(f.get("count") or 0)
    for key in sorted(findings):
        fam.add(
            PREFIX + "triage_findings",
            "Known problem signatures found in the Nova logs (one per rule and host)",
            dict(key),
            findings[key],
        )
        fam.add(
            PREFIX + "triage_occurrences",
            "Log records that matched a known problem signature",
            dict(key),
            occurrences[key],
        )
    unmatched = {}
    for u in triage.get("unmatched") or []:
        key = (("host", str(u.get("host"))), ("service", str(u.get("service"))))
        unmatched[key] = unmatched.get(key, 0) + int(u.get("count") or 0)
    for key in sorted(unmatched):
        fam.add(
            PREFIX + "triage_unmatched_records",
            "ERROR/CRITICAL log records that match no rule",
            dict(key),
            unmatched[key],
        )


def _host_operation(fam, operation, results):
    counts = {}
    for r in results:
        evidence = r.get("evidence")
        if not isinstance(evidence, dict) or ("outcome" not in evidence and "status" not in evidence):
            continue
        key = (
            ("host", str(evidence.get("source") or "")),
            ("outcome", str(evidence.get("outcome") or evidence.get("status") or "unknown")),
        )
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        fam.add(
            PREFIX + "host_operation_instances",
            "Instances of a drain or evacuation per outcome (moved, home, gone, blocked, skipped, ...)",
            dict(key, operation=operation),
            counts[key],
        )


def metric_names(kinds: tuple | list = KINDS) -> dict:
    """Every metric this writer can emit for reports of these kinds: ``{name: (label, ...)}``
    (``report`` included). The dashboard and docs/metrics.md are checked against it, and it
    against what ``families`` writes (tests/unit/.../test_report_metrics.py)."""
    capacity = ("report", *CAPACITY_LABELS, "resource_class")
    triage = ("report", "category", "host", "severity")
    names = {
        PREFIX + "report_last_run_timestamp_seconds": ("report",),
        PREFIX + "report_run_success": ("report",),
        PREFIX + "report_results": ("report", "status"),
    }
    names.update({PREFIX + kind_of(k) + "_check": ("report", "check", "status") for k in kinds})
    names.update({PREFIX + "capacity_" + field: capacity for field in CAPACITY_FIELDS})
    names.update(
        {
            PREFIX + "flavor_headroom": ("report", *CAPACITY_LABELS, "flavor"),
            PREFIX + "orphaned_allocations": ("report",),
            PREFIX + "orphaned_allocation_consumers": ("report",),
            PREFIX + "triage_findings": triage,
            PREFIX + "triage_occurrences": triage,
            PREFIX + "triage_unmatched_records": ("report", "host", "service"),
            PREFIX + "host_operation_instances": ("report", "operation", "host", "outcome"),
        }
    )
    return names


def check_names(fams: list) -> None:
    """Raise ValueError when a metric or label name breaks Prometheus' naming rules."""
    for name, _help, samples in fams:
        if not METRIC_NAME.match(name):
            raise ValueError("metric name %r is not a valid Prometheus name" % name)
        for labels, _value in samples:
            for label in labels:
                if not LABEL_NAME.match(label) or label.startswith("__"):
                    raise ValueError("label name %r of %s is not a valid Prometheus label" % (label, name))


# -- the text exposition format ------------------------------------------------------------
def _go_float(value):
    """prometheus_client.utils.floatToGoString: 1 -> 1.0, inf -> +Inf, big numbers as Go does."""
    d = float(value)
    if d == math.inf:
        return "+Inf"
    if d == -math.inf:
        return "-Inf"
    if math.isnan(d):
        return "NaN"
    s = repr(d)
    dot = s.find(".")
    if d > 0 and dot > 6:  # noqa: PLR2004  Go switches to exponent notation past 1e6
        mantissa = ("%s.%s%s" % (s[0], s[1:dot], s[dot + 1 :])).rstrip("0.")
        return "%se+%02d" % (mantissa, dot - 1)
    return s


def _escape_value(text):
    return str(text).replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def render_plain(fams: list) -> str:
    """The text format as prometheus_client's ``generate_latest`` writes gauges (without it)."""
    out = []
    for name, help_text, samples in fams:
        out.append("# HELP %s %s\n" % (name, help_text.replace("\\", r"\\").replace("\n", r"\n")))
        out.append("# TYPE %s gauge\n" % name)
        for labels, value in samples:
            label_text = ",".join('%s="%s"' % (k, _escape_value(v)) for k, v in sorted(labels.items()))
            out.append("%s%s %s\n" % (name, "{%s}" % label_text if label_text else "", _go_float(value)))
    return "".join(out)


def render_client(fams: list) -> str:
    """The text format written by prometheus_client (ImportError when it is not installed)."""
    if not HAS_PROMETHEUS_CLIENT:
        raise ImportError("prometheus_client is not installed")

    class _Collector:
        def collect(self):
            for name, help_text, samples in fams:
                names = sorted({k for labels, _v in samples for k in labels})
                gauge = GaugeMetricFamily(name, help_text, labels=names)
                for labels, value in samples:
                    gauge.add_metric([str(labels.get(k, "")) for k in names], value)
                yield gauge

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return generate_latest(registry).decode("utf-8")


def render(fams: list) -> str:
    check_names(fams)
    return render_client(fams) if HAS_PROMETHEUS_CLIENT else render_plain(fams)


def path_for(directory: str, basename: str) -> str:
    return os.path.join(directory, FILE_PREFIX + basename + ".prom")


def write(report: dict, directory: str, basename: str | None = None) -> str:
    """Write the report's metrics to ``<directory>/kolla_ops_nova-<basename>.prom``; return the path."""
    basename = basename or report.get("name") or "report"
    text = render(families(report, basename))
    os.makedirs(directory, exist_ok=True)
    path = path_for(directory, basename)
    atomic_write(path, text, mode=0o644)
    return path
