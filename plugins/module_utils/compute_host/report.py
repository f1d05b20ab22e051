# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-instance rows, their summary and the shared report shape of an operation."""

from __future__ import annotations

from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    iso,
)

REPORT_FIELDS = (
    "id",
    "name",
    "class",
    "action",
    "source",
    "destination",
    "status",
    "outcome",
    "duration",
    "attempts",
    "started_at",
    "finished_at",
    "message",
)


def instance_report(records: Any) -> list[dict]:
    rows = [{k: r.get(k) for k in REPORT_FIELDS} for r in records.values()]
    rows.sort(key=lambda r: (r.get("started_at") or "~", r.get("name") or ""))
    return rows


def summarize(rows: list[dict]) -> dict[str, int]:
    counts = {}
    for r in rows:
        key = r.get("outcome") or r.get("status") or "unknown"
        counts[key] = counts.get(key, 0) + 1
    return counts


def check_results(rows: list[dict], operation: str, host: str) -> list[dict]:
    """The per-instance rows in the shared report shape (``report.Report``)."""
    results = []
    status_map = {"moved": "pass", "home": "pass", "gone": "skip", "blocked": "warn", "skipped": "warn"}
    for r in rows:
        st = status_map.get(r.get("outcome"), "fail")
        msg = "%s %s: %s %s -> %s" % (
            r.get("name"),
            r.get("id"),
            r.get("outcome") or r.get("status"),
            r.get("source"),
            r.get("destination") or "-",
        )
        if r.get("message"):
            msg += " (%s)" % r["message"]
        results.append(
            {
                "check": "%s.%s.%s" % (operation, host, r.get("name") or r.get("id")),
                "status": st,
                "message": msg,
                "evidence": r,
                "fix": None if st == "pass" else "see the message; re-run the task after fixing to resume",
            }
        )
    return results


def fail_remaining(
    result: dict, rows: list[dict], remaining: list[dict], host: str, state_path: str, done: str
) -> None:
    """Mark a drain or evacuation that left instances behind as failed, naming up to five."""
    blocked = [r for r in rows if r.get("outcome") in ("blocked", "failed", "skipped")]
    named = "; ".join("%s: %s" % (r.get("name"), r.get("message") or r.get("outcome")) for r in blocked[:5])
    result["failed"] = True
    result["msg"] = (
        "host %s is not %s: %d instance(s) remain (%s); see 'instances'. Fix them and "
        % (
            host,
            done,
            len(remaining),
            named or ", ".join(s.get("name") or s["id"] for s in remaining[:5]),
        )
        + "re-run to resume (state file %s)" % state_path
    )


def fill_result(result: dict, rows: list[dict], events: list[dict], operation: str, host: str) -> None:
    """The per-instance rows, their summary, the events and the report of one operation."""
    result.update(
        {
            "instances": rows,
            "summary": summarize(rows),
            "events": events,
            "report": {
                "name": operation,
                "generated_at": iso(),
                "results": check_results(rows, operation, host),
            },
        }
    )
