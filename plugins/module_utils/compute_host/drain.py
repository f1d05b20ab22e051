# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=drained: disable the service, then move every instance off the host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import (
    classify,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import (
    candidate_hosts,
    match_host,
    zone_guard,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    COLD_STATUSES,
    LIVE_STATUSES,
    RESUME_DRAIN,
    MoveOptions,
    iso,
    operation_reason,
    service_view,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.mover import (
    Mover,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.preflight import (
    PreflightOptions,
    preflight_gate,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.report import (
    fail_remaining,
    fill_result,
    instance_report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import (
    NullState,
    Progress,
    StateFile,
    release_lock,
)


def plan_drain(
    nova: Any, host: str, opts: MoveOptions, services: list[dict] | None = None
) -> tuple[dict, list[str], list[dict]]:
    """What a drain would do now: the service change and each instance's class and action."""
    services = services if services is not None else nova.services()
    svc = match_host(services, host)
    candidates = candidate_hosts(services, host)
    mover = Mover(nova, NullState(), opts)
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


def drain(  # noqa: PLR0913, PLR0917  core entry point: one parameter per module option
    nova: Any,
    host: str,
    opts: MoveOptions,
    state_path: str,
    cloud: str,
    reason: str | None = None,
    user: str | None = None,
    check_mode: bool = False,
    log_path: str | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    preflight: PreflightOptions | None = None,
) -> dict:
    try:
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
        disable_reason = operation_reason("drain", zone_guard(nova, services, svc, opts, reason), user)
        result = {
            "host": host,
            "service": service_view(svc),
            "candidates": candidates,
            "state_file": state_path,
            "log_file": log_path,
            "plan": plan,
        }
        gate = preflight_gate(nova, host, opts, services, result, preflight, check_mode)  # before any change
        if gate.halt:
            return result
        already = svc.get("status") == "disabled" and not plan and not unfinished
        if check_mode or already:
            result["changed"] = not already
            if not already and svc.get("status") != "disabled":
                result["service_action"] = "disable (reason: %s)" % disable_reason
            rows = instance_report(previous.get("instances", {})) if previous and already else []
            fill_result(result, rows, [], "drain", host)
            return result

        progress, mover = start_operation(
            nova, state, opts, "drain", RESUME_DRAIN, log_path, host, clock, sleep, classifier=gate.classifier
        )
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
                "disabled",
                detail="service already disabled: %s" % (svc.get("disabled_reason") or "(no reason)"),
            )
        rows, remaining, changed = move_all(
            nova, mover, state, host, services, changed, result, progress, "drain", ("draining", "drained")
        )
        if remaining:
            fail_remaining(result, rows, remaining, host, state_path, "drained")
        return result
    finally:
        release_lock(state_path)


def move_all(  # noqa: PLR0913, PLR0917  one parameter per drain option
    nova: Any,
    mover: Mover,
    state: StateFile,
    host: str,
    services: list[dict],
    changed: bool,
    result: dict,
    progress: Progress,
    operation: str,
    phases: tuple[str, str],
) -> tuple[list[dict], list[dict], bool]:
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
    fill_result(result, rows, progress.events, operation, host)
    result["changed"] = changed
    result["remaining"] = [
        {"id": s["id"], "name": s.get("name"), "status": s.get("status")} for s in remaining
    ]
    return rows, remaining, changed


def start_operation(  # noqa: PLR0913, PLR0917  one parameter per drain option
    nova: Any,
    state: StateFile,
    opts: MoveOptions,
    operation: str,
    resume: tuple[str, ...],
    log_path: str | None,
    host: str,
    clock: Callable[[], float] | None,
    sleep: Callable[[float], None] | None,
    **mover_kwargs: Any,
) -> tuple[Progress, Mover]:
    """Record the start of an operation and build its progress log and mover."""
    state.start(operation, resume)
    progress = Progress(log_path, host, operation)
    if clock is not None:
        mover_kwargs["clock"] = clock
    if sleep is not None:
        mover_kwargs["sleep"] = sleep
    return progress, Mover(nova, state, opts, emit=progress, **mover_kwargs)
