# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=recovered: start again what an unplanned host reboot left stopped."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import (
    match_host,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    iso,
    parse_time,
    service_view,
    utcnow,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import (
    Progress,
    StateFile,
    release_lock,
)

POWER_RUNNING = 1
POWER_NAMES = {0: "NOSTATE", 1: "RUNNING", 3: "PAUSED", 4: "SHUTDOWN", 6: "CRASHED", 7: "SUSPENDED"}
# Server diagnostics ``state`` (compute API 2.48+, Nova's power_state.STATE_MAP). Off: a hard
# reboot starts the guest. Held: the guest keeps its memory, a hard reboot would discard it.
GUEST_OFF = ("shutdown", "crashed", "pending")
GUEST_HELD = ("paused", "suspended")
# `uptime` counts whole minutes: the host came up at most this long before now - uptime
UPTIME_RESOLUTION_SECONDS = 60
# the controller's clock, Nova's database's and the host's differ a little
BOOT_SLACK_SECONDS = 60
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def uptime_seconds(text: str | None) -> int | None:
    """Seconds since boot from ``uptime`` output as Nova reports a hypervisor's, or None.

    `` 10:00:00 up 2 days,  3:04,  1 user,  load average: ...``, ``up 5 min``, ``up 1 day, 22:01``.
    """
    match = re.search(r"\bup\s+(.*?)(?:,\s*\d+\s+users?\b|,\s*load average|$)", text or "")
    if not match:
        return None
    total, found = 0, False
    for part in match.group(1).split(","):
        part = part.strip()
        clock = re.fullmatch(r"(\d+):(\d+)", part)
        unit = re.fullmatch(r"(\d+)\s*(day|hour|hr|min|sec)[a-z]*", part)
        if clock:
            total += int(clock.group(1)) * 3600 + int(clock.group(2)) * 60
        elif unit:
            total += int(unit.group(1)) * _UNIT_SECONDS[unit.group(2)[0]]
        elif part:
            return None
        found = found or bool(clock or unit)
    return total if found else None


def _listed(srv, names):
    return srv["id"] in names or (srv.get("name") is not None and srv.get("name") in names)


def _believed_running(srv):
    return (
        (srv.get("status") or "").upper() == "ACTIVE"
        and not srv.get("task_state")
        and srv.get("power_state") in (None, POWER_RUNNING)
    )


def recover_probes(servers: list[dict], running_before: Any = ()) -> tuple[list[str], list[str]]:
    """Which servers are worth a question: (ids for server diagnostics, ids for their last stop).

    Diagnostics only for servers Nova believes running (ACTIVE, power RUNNING, no task): only
    the hypervisor can say otherwise. Instance actions only for SHUTOFF servers without a task
    that ``running_before`` does not list (the list wins, nothing to ask).
    """
    names = set(running_before or ())
    diagnostics, actions = [], []
    for srv in servers:
        if _believed_running(srv):
            diagnostics.append(srv["id"])
        elif (
            (srv.get("status") or "").upper() == "SHUTOFF"
            and not srv.get("task_state")
            and not _listed(srv, names)
        ):
            actions.append(srv["id"])
    return diagnostics, actions


def _when(value):
    dt = parse_time(value)
    return iso(dt) if dt else (value or "an unknown time")


def plan_recover(
    servers: list[dict],
    running_before: Any = (),
    diagnostics: dict | None = None,
    stops: dict | None = None,
    booted_at: datetime.datetime | None = None,
    boot_note: str | None = None,
    running_before_source: str = "running_before",
) -> list[dict]:
    """What to do with each instance on a host that came back from an unplanned reboot.

    Pure: ``diagnostics`` maps server id to what the adapter's ``server_diagnostics`` answered
    (``state``, ``error``, ``not_running``), ``stops`` maps server id to its latest ``stop``
    instance action (``user_id``, ``at``, ``request_id``; ``{}`` when there is none; ``error``
    when the actions could not be read), ``booted_at`` is when the host came up (a datetime,
    None when unknown, ``boot_note`` says why). Servers missing from a map were not probed.
    Each row carries the action, the reason in words and the evidence it rests on;
    ``attention`` marks rows an operator should look at.
    """
    names = set(running_before or ())
    diagnostics = diagnostics or {}
    stops = stops or {}
    plan = []
    for srv in servers:
        sid = srv["id"]
        status = (srv.get("status") or "").upper()
        power = srv.get("power_state")
        power_name = POWER_NAMES.get(power, power)
        evidence = {"nova": "%s, power state %s" % (status, power_name)}
        row = {
            "id": sid,
            "name": srv.get("name"),
            "status": status,
            "power_state": power_name,
            "task_state": srv.get("task_state"),
            "hypervisor_state": None,
            "attention": False,
            "evidence": evidence,
        }
        if srv.get("task_state"):
            row.update(action="none", reason="busy with task_state %s" % srv["task_state"], attention=True)
        elif status == "ERROR":
            row.update(action="hard_reboot", reason="in ERROR: a hard reboot redefines and starts the guest")
        elif status == "ACTIVE" and power not in (None, POWER_RUNNING):
            row.update(
                action="hard_reboot",
                reason="Nova last knew it running, the hypervisor reports %s" % power_name,
            )
        elif status == "ACTIVE":
            _recover_active(row, diagnostics.get(sid))
        elif status == "SHUTOFF" and _listed(srv, names):
            evidence["running_before"] = running_before_source
            row.update(action="start", reason="listed in %s" % running_before_source)
        elif status == "SHUTOFF":
            _recover_shutoff(row, sid in stops, stops.get(sid), booted_at, boot_note)
        else:
            row.update(action="none", reason="%s: not a state a host reboot leaves; left alone" % status)
        plan.append(row)
    return plan


def _recover_active(row, diag):
    """ACTIVE and power RUNNING in Nova's database: ask what the hypervisor says."""
    evidence = row["evidence"]
    believed = "while Nova still records it ACTIVE and RUNNING (its power-state sync has not run since"
    believed += " the reboot; a start is refused for an ACTIVE server)"
    if diag is None:
        row.update(action="none", reason="running according to Nova (the hypervisor was not asked)")
        return
    state = (diag.get("state") or "").lower() or None
    if diag.get("error"):
        evidence["diagnostics_error"] = diag["error"]
    if state:
        evidence["diagnostics_state"] = state
        row["hypervisor_state"] = state
    if state in GUEST_OFF:
        row.update(
            action="hard_reboot",
            reason="the hypervisor reports the guest %s (server diagnostics) %s" % (state, believed),
        )
    elif diag.get("not_running"):
        row["hypervisor_state"] = "not running"
        row.update(
            action="hard_reboot",
            reason="the hypervisor does not run the guest: nova-compute refused server diagnostics (HTTP "
            "409; the power state in Nova's message is its database's) %s" % believed,
        )
    elif state == "running":
        row.update(action="none", reason="running: the hypervisor confirms (server diagnostics)")
    elif state in GUEST_HELD:
        row.update(
            action="none",
            attention=True,
            reason="the hypervisor reports the guest %s while Nova records it running: left alone (a hard "
            "reboot would discard its memory); resume or reboot it by hand" % state,
        )
    else:
        row.update(
            action="none",
            attention=True,
            reason="running according to Nova's power state; server diagnostics failed (%s), so the "
            "hypervisor's view is unknown" % (diag.get("error") or "state %r" % state),
        )


def _recover_shutoff(row, asked, stop, booted_at, boot_note):
    """SHUTOFF and not listed in running_before: who stopped it, and when?"""
    evidence = row["evidence"]
    if booted_at is not None:
        evidence["host_booted_at"] = iso(booted_at)
    elif boot_note:
        evidence["host_boot_unknown"] = boot_note
    hint = "; list it in running_before to start it"
    if not asked:
        row.update(action="none", reason="stopped, and not listed in running_before")
        return
    if stop.get("error"):
        evidence["instance_actions_error"] = stop["error"]
        row.update(
            action="none",
            attention=True,
            reason="stopped; its instance actions could not be read (%s)%s" % (stop["error"], hint),
        )
        return
    if not stop:
        evidence["last_stop"] = None
        row.update(
            action="none", attention=True, reason="stopped, and Nova records no stop action for it" + hint
        )
        return
    evidence["last_stop"] = {k: stop.get(k) for k in ("user_id", "at", "request_id")}
    when = _when(stop.get("at"))
    if stop.get("user_id"):
        row.update(action="none", reason="stopped by user %s at %s" % (stop["user_id"], when))
        return
    at = parse_time(stop.get("at"))
    if booted_at is not None and at is not None:
        if at < booted_at - datetime.timedelta(seconds=BOOT_SLACK_SECONDS):
            row.update(
                action="none",
                attention=True,
                reason="stopped by Nova's power-state sync at %s, before the host came up (about %s): the "
                "guest was already off before this reboot%s" % (when, iso(booted_at), hint),
            )
            return
        since = ", since the host came up (at about %s)" % iso(booted_at)
    else:
        since = " (when the host came up is unknown: %s)" % (boot_note or "no uptime")
    row.update(
        action="start",
        reason="stopped by Nova's power-state sync at %s, not by a user%s" % (when, since),
    )


def _recover_results(rows, host):
    """The rows in the shared report shape: pass, skip (left off on purpose), warn, fail."""
    results = []
    for r in rows:
        if r["action"] != "none":
            status = {"running": "pass", "gone": "skip"}.get(r.get("outcome"), "fail")
        elif r.get("attention"):
            status = "warn"
        else:
            status = "pass" if r["status"] == "ACTIVE" else "skip"
        msg = "%s %s: %s -> %s (%s)" % (
            r.get("name"),
            r["id"],
            r["action"],
            r.get("outcome") or "unchanged",
            r.get("message") or r["reason"],
        )
        results.append(
            {
                "check": "recover.%s.%s" % (host, r.get("name") or r["id"]),
                "status": status,
                "message": msg,
                "evidence": r,
                "fix": None if status in ("pass", "skip") else "see the message; re-run the task once fixed",
            }
        )
    return results


def _recover_summary(rows):
    counts = {}
    for r in rows:
        key = "failed" if r.get("outcome") == "failed" else r["action"]
        counts[key] = counts.get(key, 0) + 1
    return counts


def _probe(nova, host, servers, running_before, now):
    """Ask Nova what the plan needs, no more: returns (diagnostics, stops, booted_at, note, requests)."""
    diag_ids, action_ids = recover_probes(servers, running_before)
    requests = {"diagnostics": len(diag_ids), "instance_actions": len(action_ids), "host_uptime": 0}
    diagnostics = {}
    for sid in diag_ids:
        try:
            diagnostics[sid] = nova.server_diagnostics(sid)
        except Exception as exc:  # noted in the row; Nova's power state stands
            diagnostics[sid] = {"state": None, "error": str(exc)[:300], "not_running": False}
    stops = {}
    for sid in action_ids:
        try:
            stops[sid] = nova.last_stop(sid) or {}
        except Exception as exc:  # noted in the row; the server stays off
            stops[sid] = {"error": str(exc)[:300]}
    booted_at = note = None
    if any(s and not s.get("error") and not s.get("user_id") for s in stops.values()):
        requests["host_uptime"] = 1
        try:
            text = nova.host_uptime(host)
        except Exception as exc:
            text, note = None, "the host's uptime could not be read: %s" % str(exc)[:200]
        seconds = uptime_seconds(text)
        if seconds is not None:
            booted_at = now() - datetime.timedelta(seconds=seconds + UPTIME_RESOLUTION_SECONDS)
        elif note is None:
            note = "uptime %r not understood" % text if text else "Nova reports no uptime for the host"
    return diagnostics, stops, booted_at, note, requests


def recover(  # noqa: PLR0912, PLR0913, PLR0915, PLR0917  core entry point over each module option; split only with the sandbox tests
    nova: Any,
    host: str,
    state_path: str,
    cloud: str,
    running_before: Any = (),
    check_mode: bool = False,
    log_path: str | None = None,
    timeout: float = 300,
    poll_interval: float = 2.0,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    now: Any = None,
) -> dict:
    try:
        clock = clock or time.monotonic
        sleep = sleep or time.sleep
        now = now or utcnow
        services = nova.services()
        svc = match_host(services, host)
        if svc.get("state") != "up" or svc.get("forced_down"):
            raise ComputeHostError(
                "refusing to recover %s: its nova-compute service is not up (state %s, forced_down %s); "
                "start it first (and if it was evacuated, use state=enabled once its evacuations completed)"
                % (host, svc.get("state"), svc.get("forced_down")),
                service=service_view(svc),
            )
        state = StateFile(state_path, cloud, host, dry_run=check_mode)
        state.lock()
        previous = state.load()
        explicit = list(running_before or ())
        source = "running_before"
        if (
            not explicit
            and previous
            and previous.get("operation") == "recover"
            and previous.get("phase") != "recovered"
        ):
            # an interrupted recovery: what it set out to start still counts (a finished one's
            # list is history, not intent: a server stopped by a user since must stay off)
            explicit = list(previous.get("running_before") or ())
            source = "running_before of the interrupted recovery (state file)"
        servers = nova.host_servers(host)
        unmatched = sorted(n for n in set(explicit) if not any(_listed(s, {n}) for s in servers))
        diagnostics, stops, booted_at, note, requests = _probe(nova, host, servers, explicit, now)
        requests = dict({"services": 1, "server_list": 1}, **requests)
        plan = plan_recover(servers, explicit, diagnostics, stops, booted_at, note, source)
        todo = [p for p in plan if p["action"] != "none"]
        result = {
            "host": host,
            "service": service_view(svc),
            "plan": plan,
            "plan_requests": requests,
            "host_booted_at": iso(booted_at) if booted_at else None,
            "running_before_unmatched": unmatched,
            "state_file": state_path,
            "log_file": log_path,
        }
        if check_mode or not todo:
            result.update({"changed": bool(todo), "instances": plan, "events": []})
            result["summary"] = _recover_summary(plan)
            result["report"] = {
                "name": "recover",
                "generated_at": iso(),
                "results": _recover_results(plan, host),
            }
            return result
        state.start("recover", ("started", "recovering"))
        state.data["phase"] = "recovering"
        state.data["running_before"] = sorted(set(explicit) | {p["id"] for p in todo})
        state.save()
        progress = Progress(log_path, host, "recover")
        t0 = {}
        for row in todo:
            try:
                if row["action"] == "start":
                    nova.start_server(row["id"])
                else:
                    nova.reboot_server(row["id"], "HARD")
                t0[row["id"]] = clock()
                row["outcome"] = "requested"
                progress("started", row, "%s: %s" % (row["action"], row["reason"]))
            except Exception as exc:  # reported per instance
                row.update(outcome="failed", message=str(exc)[:300])
                progress("failed", row, str(exc)[:300])
        waiting = {r["id"]: r for r in todo if r.get("outcome") == "requested"}
        while waiting:
            for sid, row in list(waiting.items()):
                srv = nova.get_server(sid)
                if srv is None:
                    row.update(outcome="gone")
                elif _believed_running(srv):
                    row.update(outcome="running", duration=round(clock() - t0[sid], 1))
                    progress("done", row, "running again")
                elif srv.get("status") == "ERROR" and not srv.get("task_state"):
                    row.update(outcome="failed", message="went to ERROR")
                elif clock() - t0[sid] > timeout:
                    row.update(outcome="failed", message="not running after %ss" % timeout)
                else:
                    continue
                waiting.pop(sid)
            if waiting:
                sleep(poll_interval)
        state.data["phase"] = "recovered"
        state.data["instances"] = {r["id"]: r for r in plan}
        state.save()
        result.update({"changed": True, "instances": plan, "events": progress.events})
        result["summary"] = _recover_summary(plan)
        result["report"] = {"name": "recover", "generated_at": iso(), "results": _recover_results(plan, host)}
        failed = [r for r in todo if r.get("outcome") not in ("running", "gone")]
        if failed:
            result["failed"] = True
            result["msg"] = "host %s: %d instance(s) not recovered: %s; re-run to retry them" % (
                host,
                len(failed),
                ", ".join("%s (%s)" % (r.get("name"), r.get("message")) for r in failed[:5]),
            )
        return result
    finally:
        release_lock(state_path)
