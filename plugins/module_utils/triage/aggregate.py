# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge per-host triage results into one cloud-wide report and render it.

The report (``build_report``)::

    {"name": "triage", "generated_at": "...", "window": {...}, "hosts": [...],
     "summary": {"findings": n, "hosts_with_findings": n, "by_severity": {...},
                 "by_category": {...}, "unmatched_records": n, "bytes_scanned": n},
     "findings": [{rule, title, category, severity, host, service, count, first_seen,
                   last_seen, samples, request_ids, files, explanation, config_options,
                   fix, assertions, symptom_of}],
     "unmatched": [...], "timeline": [...], "stats": {host: {...}}, "errors": [...]}

``findings`` are ranked by rule priority (root cause before symptom, see ``rank_key``),
then severity, then count.  A finding whose request ids also
appear in a finding of a higher-priority rule (on any host) gets ``symptom_of``: the
other rule is the more likely root cause of the same requests.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.io import atomic_write
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import mask_deep

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_CHECK_STATUS = {"critical": "fail", "high": "fail", "medium": "warn", "low": "warn"}


def _now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def host_results(results):
    """Accept a list of results, a {host: result} dict, or Ansible's registered loop results."""
    if isinstance(results, dict):
        if "results" in results and isinstance(results["results"], list):
            return host_results(results["results"])
        out = []
        for host, res in results.items():
            if isinstance(res, dict):
                res = dict(res)
                res.setdefault("host", host)
                out.append(res)
        return out
    return [r for r in results or [] if isinstance(r, dict) and not r.get("skipped")]


def build_report(results, name="triage", max_findings=None):
    hosts, findings, unmatched, timeline, errors, stats, notes = [], [], [], [], [], {}, []
    rules, window = {}, {}
    for res in host_results(results):
        if res.get("failed"):
            errors.append("%s: %s" % (res.get("host", "?"), res.get("msg", "triage failed")))
            continue
        host = res.get("host", "?")
        hosts.append(host)
        rules.update(res.get("rules", {}))
        findings.extend(res.get("findings", []))
        unmatched.extend(res.get("unmatched", []))
        timeline.extend(res.get("timeline", []))
        errors.extend("%s: %s" % (host, e) for e in res.get("errors", []))
        notes.extend("%s: %s" % (host, n) for n in res.get("notes", []))
        stats[host] = res.get("stats", {})
        window = res.get("window") or window

    merged = []
    for f in findings:
        f = dict(f)
        desc = rules.get(f["rule"], {})
        f.setdefault("explanation", desc.get("explanation", ""))
        f.setdefault("config_options", desc.get("config_options", []))
        f.setdefault("fix", desc.get("fix", ""))
        f.setdefault("priority", desc.get("priority", 50))
        f.setdefault("assertions", [])
        merged.append(f)
    _mark_symptoms(merged)
    merged.sort(key=rank_key)
    if max_findings:
        merged = merged[:max_findings]

    seen, tl = set(), []
    for e in sorted(timeline, key=lambda e: (e.get("ts") or "", e.get("host", ""), e.get("service", ""))):
        key = (e.get("ts"), e.get("host"), e.get("service"), e.get("message"))
        if key not in seen:
            seen.add(key)
            tl.append(e)

    by_sev, by_cat = {}, {}
    for f in merged:
        by_sev[f["severity"]] = by_sev.get(f["severity"], 0) + f["count"]
        by_cat[f["category"]] = by_cat.get(f["category"], 0) + f["count"]
    unmatched.sort(key=lambda u: -u["count"])
    report = {
        "name": name,
        "generated_at": _now(),
        "window": window,
        "hosts": sorted(hosts),
        "summary": {
            "findings": len(merged),
            "hosts_with_findings": len({f["host"] for f in merged}),
            "by_severity": by_sev,
            "by_category": by_cat,
            "unmatched_records": sum(u["count"] for u in unmatched),
            "bytes_scanned": sum(s.get("bytes", 0) for s in stats.values()),
            "files_scanned": sum(s.get("files", 0) for s in stats.values()),
        },
        "findings": merged,
        "unmatched": unmatched,
        "timeline": tl,
        "stats": stats,
        "errors": errors,
        "notes": notes,
    }
    return mask_deep(report)


def rank_key(finding):
    """Sort key of a finding: root causes first.

    Rule ``priority`` says how close a rule is to the root cause (a missing cell mapping 70,
    RabbitMQ unreachable 60, a MessagingTimeout 55, NoValidHost 10): when several rules fire,
    the cause ranks before its symptoms whatever their counts.  Severity, then count, break
    ties between rules of the same priority.  ``low`` findings (advisories such as a
    deprecated option) come after every other finding: they rarely explain a failure.
    """
    return (
        finding["severity"] == "low",
        -int(finding.get("priority", 50)),
        SEVERITY_ORDER.get(finding["severity"], 9),
        -finding["count"],
        finding["rule"],
        finding["host"],
        finding["service"],
    )


def _mark_symptoms(findings):
    owner = {}
    for f in findings:
        for rid in f.get("request_ids", []):
            best = owner.get(rid)
            if best is None or f["priority"] > best["priority"]:
                owner[rid] = f
    for f in findings:
        causes = []
        for rid in f.get("request_ids", []):
            o = owner.get(rid)
            if o is not None and o is not f and o["priority"] > f["priority"] and o["rule"] != f["rule"]:
                if o["rule"] not in causes:
                    causes.append(o["rule"])
        if causes:
            f["symptom_of"] = causes


def render_text(report, max_samples=2, width=100):
    """A readable summary: findings ranked root cause first (``rank_key``), then unmatched errors."""
    s = report["summary"]
    lines = [
        "Nova triage report (%s)" % report.get("generated_at", ""),
        "hosts: %s" % (", ".join(report.get("hosts", [])) or "-"),
        "window: %s .. %s"
        % (
            (report.get("window") or {}).get("since") or "start",
            (report.get("window") or {}).get("until") or "now",
        ),
        "scanned: %d files, %.1f MB; findings: %d on %d hosts; unmatched error records: %d"
        % (
            s.get("files_scanned", 0),
            s.get("bytes_scanned", 0) / 1e6,
            s["findings"],
            s["hosts_with_findings"],
            s["unmatched_records"],
        ),
        "",
    ]
    if not report["findings"]:
        lines.append("No known problem signatures found.")
    for i, f in enumerate(report["findings"], 1):
        lines.append("%d. [%s] %s  (%s)" % (i, f["severity"].upper(), f["title"], f["rule"]))
        lines.append(
            "   category: %s   host: %s   service: %s   count: %d   first: %s   last: %s"
            % (
                f["category"],
                f["host"],
                f["service"],
                f["count"],
                f["first_seen"] or "unknown",
                f["last_seen"] or "unknown",
            )
        )
        if f.get("symptom_of"):
            lines.append("   likely a symptom of: %s (same requests)" % ", ".join(f["symptom_of"]))
        lines.append("   why: %s" % _one_line(f.get("explanation", ""), width * 3))
        if f.get("config_options"):
            lines.append("   config: %s" % ", ".join(f["config_options"]))
        for a in f.get("assertions", []):
            verdict = {True: "CONFIRMED", False: "ruled out", None: "unknown"}[a.get("holds")]
            lines.append(
                "   check %s %s %s -> %s (actual: %s%s)"
                % (
                    a["option"],
                    a["op"],
                    a.get("value") if a.get("value") is not None else "",
                    verdict,
                    a.get("actual"),
                    "; " + a["detail"] if a.get("detail") else "",
                )
            )
        fix = (f.get("fix") or "").strip().splitlines()
        if fix:
            lines.append("   fix:")
            lines.extend("     " + ln for ln in fix)
        for sample in f.get("samples", [])[:max_samples]:
            lines.append("   > " + sample[: width * 2])
        if f.get("request_ids"):
            lines.append("   requests: %s" % ", ".join(f["request_ids"][:3]))
        lines.append("")
    if report.get("unmatched"):
        lines.append("Unmatched ERROR/CRITICAL records (no rule explains them):")
        for u in report["unmatched"]:
            lines.append(
                "  %s %s: %d (first %s, last %s)"
                % (
                    u["host"],
                    u["service"],
                    u["count"],
                    u["first_seen"] or "unknown",
                    u["last_seen"] or "unknown",
                )
            )
            for t in u.get("top_messages", [])[:5]:
                lines.append("    %5d x %s" % (t["count"], t["message"][:width]))
        lines.append("")
    if report.get("timeline"):
        lines.append("Request timeline (followed request ids across hosts and services):")
        for e in report["timeline"][:60]:
            lines.append(
                "  %s %s %s %s %s %s"
                % (e["ts"], e["host"], e["service"], e["level"], e["request_id"][:12], e["message"][:width])
            )
        lines.append("")
    for note in report.get("notes", []):
        lines.append("note: %s" % note)
    if report.get("errors"):
        lines.append("Errors while scanning:")
        lines.extend("  " + e for e in report["errors"])
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text, limit):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_check_report(report):
    """The triage report in the collection's check-report shape (plugins/module_utils/report.py)."""
    results = []
    for f in report["findings"]:
        results.append(
            {
                "check": "triage.%s" % f["rule"],
                "status": _CHECK_STATUS.get(f["severity"], "warn"),
                "message": "%s on %s (%s): %s, %d times, %s .. %s"
                % (
                    f["category"],
                    f["host"],
                    f["service"],
                    f["title"],
                    f["count"],
                    f["first_seen"],
                    f["last_seen"],
                ),
                "evidence": {
                    "samples": f["samples"],
                    "config_options": f["config_options"],
                    "assertions": f.get("assertions", []),
                    "request_ids": f.get("request_ids", []),
                },
                "fix": f.get("fix"),
            }
        )
    for u in report.get("unmatched", []):
        results.append(
            {
                "check": "triage.unmatched.%s.%s" % (u["host"], u["service"]),
                "status": "warn",
                "message": "%d ERROR/CRITICAL records on %s (%s) match no rule"
                % (u["count"], u["host"], u["service"]),
                "evidence": {"samples": u["samples"], "top_messages": u.get("top_messages", [])},
                "fix": None,
            }
        )
    if not results:
        results.append(
            {
                "check": "triage.clean",
                "status": "pass",
                "message": "no known problem signatures",
                "evidence": None,
                "fix": None,
            }
        )
    summary = {"pass": 0, "warn": 0, "fail": 0, "skip": 0}
    for r in results:
        summary[r["status"]] += 1
    return {
        "name": report.get("name", "triage"),
        "generated_at": report["generated_at"],
        "summary": summary,
        "results": results,
    }


def with_timelines(results: list[dict], timelines: Any) -> list[dict]:
    """``results`` with each host's ``timeline`` extended by that host's entry in ``timelines``
    (results of another nova_log_triage run, in any form ``host_results`` accepts)."""
    if not timelines:
        return results
    by_host = {r.get("host"): r for r in host_results(timelines)}
    merged = []
    for r in results:
        r = dict(r)
        extra = by_host.get(r.get("host"))
        if extra:
            r["timeline"] = list(r.get("timeline", [])) + list(extra.get("timeline", []))
        merged.append(r)
    return merged


def write_report_files(dest: str, basename: str, report: dict, text: str) -> dict[str, str]:
    """Write ``<basename>.json`` and ``<basename>.txt`` under ``dest`` (created when missing),
    each atomically and readable by the owner only; return ``{"json": path, "text": path}``.
    Raises OSError."""
    os.makedirs(dest, exist_ok=True)
    paths = {
        "json": os.path.join(dest, basename + ".json"),
        "text": os.path.join(dest, basename + ".txt"),
    }
    atomic_write(paths["json"], json.dumps(report, indent=2, sort_keys=True) + "\n", mode=0o600)
    atomic_write(paths["text"], text, mode=0o600)
    return paths
