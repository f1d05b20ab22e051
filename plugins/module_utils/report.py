# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check-style reports: one shape for verify, audit, upgrade readiness and triage.

A report is plain data (what modules return)::

    {"name": "verify", "generated_at": "2026-11-21T06:30:00Z",
     "summary": {"pass": 3, "warn": 1, "fail": 0, "skip": 0},
     "results": [{"check": "services.compute_up", "status": "pass",
                  "message": "3 of 3 nova-compute services up and enabled",
                  "evidence": {...}, "fix": None}]}

``write_report`` writes it as ``<base>.json``, ``<base>.junit.xml`` (one testcase a
check: fail -> <failure>, skip -> <skipped>, warn -> passes with the message in
<system-out>) and ``<base>.txt`` (a readable summary, failures first).  Secrets
are masked in everything written.  ``report_metrics.write`` writes the same report in
Prometheus' text format (``check_report``'s ``prometheus_dir``).

A run that stops before its checks finish (a wrong password, an unreachable cloud) still
replaces its report: ``mark_run_failed`` adds a ``run`` result with status ``fail`` and the
error, and sets ``run_error``, so no earlier green report is left behind.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.kolla_ops.nova.plugins.module_utils import report_metrics
from ansible_collections.kolla_ops.nova.plugins.module_utils.common import masking
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.io import atomic_write

STATUSES = ("fail", "warn", "pass", "skip")
_RANK = {s: i for i, s in enumerate(STATUSES)}


def mask_secrets(text: Any) -> Any:
    """Mask passwords in URLs, ``password = ...`` values and tokens (``common.masking.mask``)."""
    return masking.mask(text)


def _mask_deep(value):
    return masking.mask_deep(value)


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Report:
    """Collects check results; ``as_dict()`` is what a module returns."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.generated_at = now_iso()
        self.results = []

    def add(
        self, check: str, status: str, message: str, evidence: Any = None, fix: str | None = None
    ) -> dict[str, Any]:
        if status not in _RANK:
            raise ValueError("status %r is not one of %s" % (status, ", ".join(STATUSES)))
        self.results.append(
            {"check": check, "status": status, "message": message, "evidence": evidence, "fix": fix}
        )
        return self.results[-1]

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.results)

    @property
    def failed(self) -> bool:
        return any(r["status"] == "fail" for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "generated_at": self.generated_at,
            "summary": self.summary,
            "results": _mask_deep(self.results),
        }


def summarize(results: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def render_text(report: dict[str, Any]) -> str:
    """A short, readable summary: counts, then failures, warnings, passes."""
    summary = report.get("summary") or summarize(report.get("results", []))
    lines = [
        "%s report (%s): %d fail, %d warn, %d pass, %d skip"
        % (
            report.get("name", "report"),
            report.get("generated_at", ""),
            summary.get("fail", 0),
            summary.get("warn", 0),
            summary.get("pass", 0),
            summary.get("skip", 0),
        )
    ]
    ordered = sorted(report.get("results", []), key=lambda r: _RANK.get(r["status"], 9))
    for r in ordered:
        lines.append("  %-4s  %-40s %s" % (r["status"].upper(), r["check"], r["message"]))
        if r.get("fix") and r["status"] in ("fail", "warn"):
            for fix_line in str(r["fix"]).splitlines():
                lines.append("        fix: %s" % fix_line)
    return mask_secrets("\n".join(lines) + "\n")


def render_junit(report: dict[str, Any]) -> str:
    results = report.get("results", [])
    summary = report.get("summary") or summarize(results)
    name = report.get("name", "report")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<testsuites>",
        '  <testsuite name=%s tests="%d" failures="%d" errors="0" skipped="%d" timestamp=%s>'
        % (
            quoteattr("kolla_ops.nova." + name),
            len(results),
            summary.get("fail", 0),
            summary.get("skip", 0),
            quoteattr(report.get("generated_at", "")),
        ),
    ]
    for r in results:
        check = r["check"]
        classname, _sep, case = check.rpartition(".")
        out.append(
            "    <testcase classname=%s name=%s>"
            % (quoteattr("%s.%s" % (name, classname) if classname else name), quoteattr(case or check))
        )
        detail = r["message"]
        if r.get("fix"):
            detail += "\nfix: %s" % r["fix"]
        if r.get("evidence") not in (None, "", [], {}):
            detail += "\nevidence: %s" % json.dumps(r["evidence"], sort_keys=True, default=str)
        detail = mask_secrets(detail)
        if r["status"] == "fail":
            out.append(
                "      <failure message=%s>%s</failure>"
                % (quoteattr(mask_secrets(r["message"])), escape(detail))
            )
        elif r["status"] == "skip":
            out.append("      <skipped message=%s/>" % quoteattr(mask_secrets(r["message"])))
        else:
            out.append(
                "      <system-out>%s%s</system-out>"
                % ("WARNING: " if r["status"] == "warn" else "", escape(detail))
            )
        out.append("    </testcase>")
    out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _atomic_write(path, text):
    atomic_write(path, text, mode=0o644)


def write_report(report: dict[str, Any], directory: str, basename: str | None = None) -> dict[str, str]:
    """Write JSON, JUnit XML and text forms; return the three paths."""
    basename = basename or report.get("name", "report")
    os.makedirs(directory, exist_ok=True)
    report = dict(report)
    report["results"] = _mask_deep(report.get("results", []))
    report.setdefault("summary", summarize(report["results"]))
    paths = {
        "json": os.path.join(directory, basename + ".json"),
        "junit": os.path.join(directory, basename + ".junit.xml"),
        "text": os.path.join(directory, basename + ".txt"),
    }
    _atomic_write(paths["json"], json.dumps(_mask_deep(report), indent=2, sort_keys=True, default=str) + "\n")
    _atomic_write(paths["junit"], render_junit(report))
    _atomic_write(paths["text"], render_text(report))
    return paths


def validate_report(report: Any) -> dict[str, Any]:
    """Raise ValueError naming what is wrong with a report dict."""
    if not isinstance(report, dict):
        raise ValueError("a report must be a dict with 'name' and 'results', got %s" % type(report).__name__)
    results = report.get("results")
    if not isinstance(results, list):
        raise ValueError("report %r has no 'results' list" % report.get("name"))
    for i, r in enumerate(results):
        if not isinstance(r, dict) or "check" not in r or "status" not in r:
            raise ValueError("report %r result #%d needs 'check' and 'status'" % (report.get("name"), i))
        if r["status"] not in _RANK:
            raise ValueError(
                "report %r check %r has status %r, expected one of %s"
                % (report.get("name"), r["check"], r["status"], ", ".join(STATUSES))
            )
    return report


def mark_run_failed(report: dict[str, Any], error: Any, task: str | None = None) -> dict[str, Any]:
    """The report of a run that failed before its checks finished: the results it had, plus a
    ``run`` result with status ``fail`` naming the task and the error (masked)."""
    out = dict(report)
    message = mask_secrets(str(error).strip() or "the run failed")
    if task:
        message = "%s: %s" % (task, message)
    out["run_error"] = message
    out["results"] = list(out.get("results") or []) + [
        {
            "check": "run",
            "status": "fail",
            "message": "the run stopped before its checks finished (%s)" % message,
            "evidence": None,
            "fix": "Fix the cause above (a cloud error names its clouds.yaml, cloud and user) and run again; "
            "results before this row are from this run, the rest were not checked.",
        }
    ]
    out["summary"] = summarize(out["results"])
    return out


def merge_reports(reports: Any, name: str = "report") -> dict[str, Any]:
    """One report from one or several; check names get the source report's name as prefix."""
    if isinstance(reports, dict):
        report = validate_report(reports)
        out = dict(report)
        out.setdefault("generated_at", now_iso())
        out["results"] = [
            dict({"message": "", "evidence": None, "fix": None}, **r) for r in report["results"]
        ]
        out["summary"] = summarize(out["results"])
        return out
    if isinstance(reports, str):
        raise ValueError("a report must be a dict with 'name' and 'results', got a string")
    if not isinstance(reports, list) or not reports:
        raise ValueError("report must be a report dict or a non-empty list of them")
    results = []
    for report in reports:
        validate_report(report)
        prefix = report.get("name", "report")
        for r in report["results"]:
            merged = dict({"message": "", "evidence": None, "fix": None}, **r)
            merged["check"] = "%s.%s" % (prefix, r["check"])
            results.append(merged)
    return {"name": name, "generated_at": now_iso(), "summary": summarize(results), "results": results}


def build_report(
    given: Any,
    name: str = "report",
    run_error: Any = None,
    run_error_task: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report ``check_report`` writes: ``merge_reports`` of ``given``, marked failed with
    ``run_error``, with ``details`` (capacity, triage) kept for the JSON and the metrics.
    ValueError names what is wrong."""
    if given in (None, "", [], {}):
        if not run_error:
            raise ValueError("report is required (a report dict or a list of them) unless run_error is given")
        report = {"name": name, "generated_at": now_iso(), "results": []}
    else:
        report = merge_reports(given, name)
    if run_error is not None:
        report = mark_run_failed(report, run_error, run_error_task)
    details = details or {}
    unknown = sorted(set(details) - set(report_metrics.DETAIL_KEYS))
    if unknown:
        raise ValueError(
            "details may hold %s, not %s" % (" and ".join(report_metrics.DETAIL_KEYS), ", ".join(unknown))
        )
    kept = {}
    if details.get("capacity"):
        if not isinstance(details["capacity"], dict):
            raise ValueError("details.capacity must be the capacity_report module's 'capacity' dict")
        kept["capacity"] = details["capacity"]
    if details.get("triage"):
        if not isinstance(details["triage"], dict):
            raise ValueError("details.triage must be the nova_triage_report module's 'report' dict")
        kept["triage"] = report_metrics.triage_details(details["triage"])
    if kept:
        report["details"] = kept
    return report
