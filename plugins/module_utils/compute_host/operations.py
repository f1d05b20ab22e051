# Copyright: kolla_ops.nova contributors
# Apache License 2.0 (see LICENSE)
"""The states of a compute host (drained, enabled) built from the core pieces.

Each function takes the Nova adapter and plain options and returns the module's result
dict (``changed``, ``plan`` or ``instances``, ``events``, ...).  ``ComputeHostError`` carries
what the module reports when the state cannot be reached.
"""

from __future__ import annotations

import datetime
import re
import time

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.core import (
    COLD_STATUSES,
    LIVE_STATUSES,
    SERVICE_DOWN_TIME,
    ComputeHostError,
    Mover,
    Progress,
    StateFile,
    candidate_hosts,
    check_evacuate_limits,
    check_results,
    classify,
    down_hosts_guard,
    instance_report,
    iso,
    make_evacuate_classifier,
    match_host,
    operation_reason,
    release_lock,
    summarize,
    utcnow,
)

RESUME_DRAIN = ("started", "draining", "drained")


def _service_view(svc):
    return {
        k: svc.get(k)
        for k in (
            "id",
            "host",
            "binary",
            "status",
            "state",
            "disabled_reason",
            "forced_down",
            "zone",
            "updated_at",
        )
    }


def plan_drain(nova, host, opts, services=None):
    """What a drain would do now: the service change and each instance's class and action."""
    services = services if services is not None else nova.services()
    svc = match_host(services, host)
    candidates = candidate_hosts(services, host)
    mover = Mover(nova, _NullState(), opts)
    plan = []
    for srv in nova.host_servers(host):
        group_reason = None
        if (srv.get("status") or "").upper() in LIVE_STATUSES + COLD_STATUSES and not srv.get("task_state"):
            group_reason = mover.group_reason(srv, host, candidates)
        klass, action, reason = classify(dict(srv, _source=host), opts.markers, group_reason)
        plan.append(
            {
                "id": srv["id"],
                "name": srv.get("name"),
                "status": srv.get("status"),
                "task_state": srv.get("task_state"),
                "class": klass,
                "action": action,
                "reason": reason,
                "destination": opts.target_host or ("scheduler" if klass in ("live", "cold") else None),
            }
        )
    plan.sort(key=lambda p: (p["class"] != "blocked", p.get("name") or ""))
    return svc, candidates, plan


class _NullState:
    data = {"runs": [], "instances": {}}
    path = None
    instances = data["instances"]

    def save(self):
        return None


def _drain(
    nova,
    host,
    opts,
    state_path,
    cloud,
    reason=None,
    user=None,
    check_mode=False,
    log_path=None,
    clock=None,
    sleep=None,
):
    services = nova.services()
    svc, candidates, plan = plan_drain(nova, host, opts, services)
    state = StateFile(state_path, cloud, host, dry_run=check_mode)
    state.lock()
    previous = state.load()
    unfinished = [
        r
        for r in ((previous or {}).get("instances") or {}).values()
        if r.get("status") in ("started", "queued")
    ]
    if previous and previous.get("operation") != "drain":
        unfinished = []
    disable_reason = operation_reason("drain", reason, user)
    result = {
        "host": host,
        "service": _service_view(svc),
        "candidates": candidates,
        "state_file": state_path,
        "log_file": log_path,
        "plan": plan,
    }
    already = svc.get("status") == "disabled" and not plan and not unfinished
    if check_mode or already:
        result["changed"] = not already
        if not already and svc.get("status") != "disabled":
            result["service_action"] = "disable (reason: %s)" % disable_reason
        rows = instance_report(previous.get("instances", {})) if previous and already else []
        _fill_result(result, rows, [], "drain", host)
        return result

    progress, mover = _start(nova, state, opts, "drain", RESUME_DRAIN, log_path, host, clock, sleep)
    changed = False
    service_state = state.data.setdefault("service", {})
    if svc.get("status") != "disabled":
        mover.call(nova.disable_service, svc, disable_reason)
        service_state.update(
            {"id": svc.get("id"), "disabled_by": "drain", "reason": disable_reason, "disabled_at": iso()}
        )
        changed = True
        progress("disabled", detail="service %s disabled: %s" % (svc.get("id"), disable_reason))
    else:
        service_state.setdefault("id", svc.get("id"))
        service_state.setdefault("reason", svc.get("disabled_reason"))
        progress(
            "disabled", detail="service already disabled: %s" % (svc.get("disabled_reason") or "(no reason)")
        )
    rows, remaining, changed = _move_all(
        nova, mover, state, host, services, changed, result, progress, "drain", ("draining", "drained")
    )
    if remaining:
        _fail_remaining(result, rows, remaining, host, state_path, "drained")
    return result


def _fail_remaining(result, rows, remaining, host, state_path, done):
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


def _enable(
    nova,
    host,
    opts,
    state_path,
    cloud,
    move_back=False,
    check_mode=False,
    log_path=None,
    clock=None,
    sleep=None,
):
    services = nova.services()
    svc = match_host(services, host)
    state = StateFile(state_path, cloud, host, dry_run=check_mode)
    state.lock()
    previous = state.load()
    result = {"host": host, "service": _service_view(svc), "state_file": state_path, "log_file": log_path}
    to_return = []
    if move_back and previous:
        to_return = [
            r
            for r in previous.get("instances", {}).values()
            if r.get("outcome") == "moved" and (r.get("return") or {}).get("outcome") not in ("home", "gone")
        ]
    needs_enable = svc.get("status") != "enabled"
    needs_unforce = bool(svc.get("forced_down"))
    unfinished, stale = evacuation_guard(nova, host)
    result["stale_allocations"] = stale
    if unfinished:
        raise ComputeHostError(
            "refusing to enable %s: %d evacuation(s) from it are not finished (%s). Start nova-compute on "
            "the host (it removes the evacuated guests and completes these migrations) and run again."
            % (
                host,
                len(unfinished),
                ", ".join(
                    "%s %s" % (m.get("server_id") or m.get("id"), m.get("status")) for m in unfinished[:10]
                ),
            ),
            unfinished_evacuations=unfinished,
            stale_allocations=stale,
        )
    if check_mode:
        result["changed"] = needs_enable or needs_unforce or bool(to_return)
        result["plan"] = {
            "service_action": ", ".join(
                a for a, need in (("unset forced_down", needs_unforce), ("enable", needs_enable)) if need
            )
            or "none",
            "move_back": [
                {"id": r["id"], "name": r.get("name"), "from": r.get("destination")} for r in to_return
            ],
        }
        result["events"] = []
        return result
    progress = Progress(log_path, host, "restore")
    changed = False
    if needs_unforce:
        nova.force_down(svc, False)
        changed = True
        progress("unforced", detail="service %s: forced_down unset" % svc.get("id"))
    if needs_enable:
        nova.enable_service(svc)
        changed = True
        progress("enabled", detail="service %s enabled (reason cleared)" % svc.get("id"))
    returned = []
    if to_return:
        state.data = previous
        kwargs = {}
        if clock is not None:
            kwargs["clock"] = clock
        if sleep is not None:
            kwargs["sleep"] = sleep
        mover = Mover(nova, state, opts, emit=progress, **kwargs)
        try:
            returned = mover.move_back(host, to_return)
        finally:
            mover.close()
        changed = changed or mover.changed
    if previous is not None and not check_mode:
        state.data = previous
        previous["phase"] = "enabled"
        previous.setdefault("service", {})["enabled_at"] = iso()
        state.save()
    result.update({"changed": changed, "events": progress.events, "returned": returned})
    failed = [r for r in returned if r.get("outcome") not in ("moved", "home", "gone")]
    if failed:
        result["failed"] = True
        result["msg"] = "host %s is enabled but %d instance(s) did not move back: %s" % (
            host,
            len(failed),
            ", ".join("%s (%s)" % (r.get("outcome"), r.get("message")) for r in failed[:5]),
        )
    return result


# ---------------------------------------------------------------------------------------
# Evacuation of a dead host
# ---------------------------------------------------------------------------------------
RESUME_EVACUATE = ("started", "evacuating", "evacuated")
UNFINISHED_EVACUATION = ("accepted", "pre-migrating", "migrating", "running", "queued", "preparing", "done")


def plan_evacuate(nova, host, opts, classifier, services):
    candidates = candidate_hosts(services, host)
    mover = Mover(nova, _NullState(), opts)
    plan = []
    for srv in nova.host_servers(host):
        group_reason = None
        if not srv.get("task_state"):
            group_reason = mover.group_reason(srv, host, candidates)
        klass, action, reason = classifier(dict(srv, _source=host), opts.markers, group_reason)
        plan.append(
            {
                "id": srv["id"],
                "name": srv.get("name"),
                "status": srv.get("status"),
                "task_state": srv.get("task_state"),
                "local_root_disk": bool(srv.get("image_id")),
                "class": klass,
                "action": action,
                "reason": reason,
                "destination": opts.target_host or ("scheduler" if klass == "evacuate" else None),
            }
        )
    plan.sort(key=lambda p: (p["class"] != "blocked", p.get("name") or ""))
    return candidates, plan


def _evacuate(
    nova,
    host,
    opts,
    state_path,
    cloud,
    fenced=False,
    max_down_hosts=1,
    max_down_share=0.34,
    shared_storage=False,
    allow_local_disk_loss=False,
    reason=None,
    user=None,
    check_mode=False,
    log_path=None,
    clock=None,
    sleep=None,
    service_down_time=SERVICE_DOWN_TIME,
    now=None,
):
    check_evacuate_limits(max_down_hosts, max_down_share, service_down_time)
    services = nova.services()
    svc = match_host(services, host)
    state = StateFile(state_path, cloud, host, dry_run=check_mode)
    state.lock()
    previous = state.load()
    resuming = bool(
        previous and previous.get("operation") == "evacuate" and previous.get("phase") in RESUME_EVACUATE
    )
    # Guard 1: the service must be down (stale heartbeat), or already forced down by us.
    if svc.get("state") == "up" and not svc.get("forced_down"):
        raise ComputeHostError(
            "refusing to evacuate %s: its nova-compute service is up (last heartbeat %s). Evacuating a "
            "host that still runs its guests gives two copies writing the same disks. Use state=drained "
            "for a live host, or stop/fence the host and wait until Nova reports it down."
            % (host, svc.get("updated_at")),
            service=_service_view(svc),
        )
    # Guard 1b: Nova reports every forced-down service as down, heartbeat or not. Unless this
    # module forced it down after seeing it dead, its last heartbeat must be stale.
    if svc.get("forced_down") and not forced_down_by_evacuation(previous, svc):
        forced_down_guard(host, svc, service_down_time, (now or utcnow)())
    # Guard 2: the operator confirms the host is fenced.
    if not fenced:
        raise ComputeHostError(
            "refusing to evacuate %s without fenced=true: confirm the host is powered off or isolated "
            "(IPMI power off, switch port down, storage fencing) so its guests cannot keep writing; "
            "nothing was changed" % host,
            service=_service_view(svc),
        )
    # Guard 3: not too many hosts down at once.
    others_down = down_hosts_guard(services, max_down_hosts, max_down_share)
    classifier = make_evacuate_classifier(shared_storage, allow_local_disk_loss)
    candidates, plan = plan_evacuate(nova, host, opts, classifier, services)
    warnings = [
        "%s (%s): root disk is local; evacuation rebuilds it from its image and its data is lost%s"
        % (p["name"], p["id"], "" if allow_local_disk_loss else " (blocked: set allow_local_disk_loss=true)")
        for p in plan
        if p["local_root_disk"] and not shared_storage
    ]
    disable_reason = operation_reason("evacuate", reason, user)
    result = {
        "host": host,
        "service": _service_view(svc),
        "candidates": candidates,
        "down_hosts": others_down,
        "state_file": state_path,
        "log_file": log_path,
        "plan": plan,
        "local_disk_warnings": warnings,
    }
    unfinished = [
        r
        for r in ((previous or {}).get("instances") or {}).values()
        if resuming and r.get("status") == "started"
    ]
    already = svc.get("forced_down") and svc.get("status") == "disabled" and not plan and not unfinished
    if check_mode or already:
        result["changed"] = not already
        actions = []
        if not svc.get("forced_down"):
            actions.append("force down")
        if svc.get("status") != "disabled":
            actions.append("disable (reason: %s)" % disable_reason)
        result["service_action"] = ", ".join(actions) or "none"
        rows = instance_report(previous.get("instances", {})) if previous and already else []
        _fill_result(result, rows, [], "evacuate", host)
        return result

    progress, mover = _start(
        nova,
        state,
        opts,
        "evacuate",
        RESUME_EVACUATE,
        log_path,
        host,
        clock,
        sleep,
        mode="evacuate",
        classifier=classifier,
    )
    changed = False
    service_state = state.data.setdefault("service", {})
    if not svc.get("forced_down"):
        mover.call(nova.force_down, svc, True)
        changed = True
        # recorded at once: our own force-down (and disable) refresh the service's updated_at,
        # so a re-run must know the forced_down is ours and was set on a service seen dead
        service_state.update(
            {
                "id": svc.get("id"),
                "forced_down_at": iso(),
                "forced_down_by": "evacuate",
                "seen_down": {"state": svc.get("state"), "last_heartbeat": svc.get("updated_at")},
            }
        )
        state.save()
        progress("forced_down", detail="service %s forced down (compute API 2.53+, by id)" % svc.get("id"))
    if svc.get("status") != "disabled":
        mover.call(nova.disable_service, svc, disable_reason)
        changed = True
        service_state.update({"id": svc.get("id"), "disabled_by": "evacuate", "reason": disable_reason})
        state.save()
        progress("disabled", detail="service %s disabled: %s" % (svc.get("id"), disable_reason))
    for w in warnings:
        progress("warning", detail=w)
    rows, remaining, changed = _move_all(
        nova, mover, state, host, services, changed, result, progress, "evacuate", ("evacuating", "evacuated")
    )
    if remaining:
        _fail_remaining(result, rows, remaining, host, state_path, "evacuated")
    return result


def forced_down_by_evacuation(previous, svc):
    """Did an evacuation of this module force this service down (after seeing it dead)?

    Only an evacuation still recorded in the state file counts (an enable ends it), and only
    for the same service record (a re-registered host has a new id).
    """
    if not previous or previous.get("operation") != "evacuate":
        return False
    if previous.get("phase") not in RESUME_EVACUATE:
        return False
    recorded = previous.get("service") or {}
    return bool(recorded.get("forced_down_at")) and recorded.get("id") == svc.get("id")


def heartbeat_age(svc, now):
    """Seconds since the service's ``updated_at`` (its last heartbeat), or None when unknown."""
    at = parse_time(svc.get("updated_at"))
    if at is None:
        return None
    return round((now - at).total_seconds(), 1)


def forced_down_guard(host, svc, service_down_time, now):
    """Refuse a service someone else forced down while its heartbeat is fresh (or unknown).

    A forced-down nova-compute keeps heartbeating (Nova only ignores it), so ``state: down``
    proves nothing; a heartbeat older than ``service_down_time`` does.
    """
    age = heartbeat_age(svc, now)
    if age is not None and age > service_down_time:
        return age
    if age is None:
        seen = "Nova reports no heartbeat time for it (updated_at is empty)"
    else:
        seen = "its last heartbeat was %s s ago (updated_at %s), within service_down_time=%s s" % (
            age,
            svc.get("updated_at"),
            service_down_time,
        )
    raise ComputeHostError(
        "refusing to evacuate %s: its nova-compute service is forced down, but not by this module "
        "after Nova saw it dead, and Nova reports every forced-down service as down whether it "
        "runs or not; %s, so nova-compute may still be running its guests, and evacuating would "
        "give two copies writing the same disks. Stop nova-compute or fence the host (power it "
        "off), wait until its last heartbeat is older than %s s (openstack compute service list "
        "--long shows Updated At), and run again. Nothing was changed. (If the heartbeat keeps "
        "coming, the host is alive: drain it instead, after 'openstack compute service set --up "
        "%s nova-compute'.)" % (host, seen, service_down_time, host),
        service=_service_view(svc),
        heartbeat_age=age,
        service_down_time=service_down_time,
    )


def evacuation_guard(nova, host):
    """Unfinished evacuations from ``host`` and allocations Nova left on it (for state=enabled)."""
    migs = nova.evacuation_migrations(host)
    unfinished = [m for m in migs if m.get("status") in UNFINISHED_EVACUATION]
    stale = []
    if not migs:
        return unfinished, stale  # never evacuated: nothing to clean up after
    for alloc in nova.provider_allocations(host):
        srv = nova.get_server(alloc["consumer"])
        if srv is not None and srv.get("host") and srv.get("host") != host:
            stale.append(
                {
                    "consumer": alloc["consumer"],
                    "name": srv.get("name"),
                    "now_on": srv.get("host"),
                    "resources": alloc.get("resources"),
                }
            )
    return unfinished, stale


# ---------------------------------------------------------------------------------------
# Recovery after an unplanned reboot
# ---------------------------------------------------------------------------------------
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


def uptime_seconds(text):
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


def parse_time(value):
    """A Nova timestamp (UTC, with or without fraction or zone) as an aware datetime, or None."""
    if not value:
        return None
    try:
        dt = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=datetime.UTC)


def _listed(srv, names):
    return srv["id"] in names or (srv.get("name") is not None and srv.get("name") in names)


def _believed_running(srv):
    return (
        (srv.get("status") or "").upper() == "ACTIVE"
        and not srv.get("task_state")
        and srv.get("power_state") in (None, POWER_RUNNING)
    )


def recover_probes(servers, running_before=()):
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
    servers,
    running_before=(),
    diagnostics=None,
    stops=None,
    booted_at=None,
    boot_note=None,
    running_before_source="running_before",
):
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


def _recover(
    nova,
    host,
    state_path,
    cloud,
    running_before=(),
    check_mode=False,
    log_path=None,
    timeout=300,
    poll_interval=2.0,
    clock=None,
    sleep=None,
    now=None,
):
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    now = now or utcnow
    services = nova.services()
    svc = match_host(services, host)
    if svc.get("state") != "up" or svc.get("forced_down"):
        raise ComputeHostError(
            "refusing to recover %s: its nova-compute service is not up (state %s, forced_down %s); start "
            "it first (and if it was evacuated, use state=enabled once its evacuations completed)"
            % (host, svc.get("state"), svc.get("forced_down")),
            service=_service_view(svc),
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
        "service": _service_view(svc),
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
        result["report"] = {"name": "recover", "generated_at": iso(), "results": _recover_results(plan, host)}
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


def _released(fn):
    def run(nova, host, *args, **kwargs):
        state_path = args[1] if fn is not _recover else args[0]
        try:
            return fn(nova, host, *args, **kwargs)
        finally:
            release_lock(state_path)

    run.__name__ = fn.__name__.lstrip("_")
    run.__doc__ = fn.__doc__
    return run


drain = _released(_drain)
enable = _released(_enable)
evacuate = _released(_evacuate)
recover = _released(_recover)


def _move_all(nova, mover, state, host, services, changed, result, progress, operation, phases):
    """Run the mover over the host, record the phase, and fill the common result keys.

    ``phases`` is (running, done): the state file says ``done`` only when Nova lists no
    instance on the host any more.  Returns (rows, remaining servers, changed).
    """
    running, done = phases
    state.data["phase"] = running
    state.save()
    try:
        records = mover.drain(host, services)
    finally:
        mover.close()
    changed = changed or mover.changed
    remaining = nova.host_servers(host)
    state.data["phase"] = done if not remaining else running
    state.save()
    rows = instance_report(records)
    _fill_result(result, rows, progress.events, operation, host)
    result["changed"] = changed
    result["remaining"] = [
        {"id": s["id"], "name": s.get("name"), "status": s.get("status")} for s in remaining
    ]
    return rows, remaining, changed


def _start(nova, state, opts, operation, resume, log_path, host, clock, sleep, **mover_kwargs):
    """Record the start of an operation and build its progress log and mover."""
    state.start(operation, resume)
    progress = Progress(log_path, host, operation)
    if clock is not None:
        mover_kwargs["clock"] = clock
    if sleep is not None:
        mover_kwargs["sleep"] = sleep
    return progress, Mover(nova, state, opts, emit=progress, **mover_kwargs)


def _fill_result(result, rows, events, operation, host):
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
