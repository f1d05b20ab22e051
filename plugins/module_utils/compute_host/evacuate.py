# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=evacuated: rebuild the instances of a dead, fenced host elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import (
    make_evacuate_classifier,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.drain import (
    move_all,
    start_operation,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import (
    candidate_hosts,
    down_hosts_guard,
    forced_down_by_evacuation,
    forced_down_guard,
    match_host,
    zone_guard,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    RESUME_EVACUATE,
    SERVICE_DOWN_TIME,
    ComputeHostError,
    MoveOptions,
    check_evacuate_limits,
    iso,
    operation_reason,
    service_view,
    utcnow,
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
    StateFile,
    release_lock,
)


def plan_evacuate(
    nova: Any, host: str, opts: MoveOptions, classifier: Callable[..., tuple], services: list[dict]
) -> tuple[list[str], list[dict]]:
    candidates = candidate_hosts(services, host)
    mover = Mover(nova, NullState(), opts)
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


def evacuate(  # noqa: PLR0913, PLR0917  core entry point: one parameter per module option
    nova: Any,
    host: str,
    opts: MoveOptions,
    state_path: str,
    cloud: str,
    fenced: bool = False,
    max_down_hosts: int = 1,
    max_down_share: float = 0.34,
    shared_storage: bool = False,
    allow_local_disk_loss: bool = False,
    reason: str | None = None,
    user: str | None = None,
    check_mode: bool = False,
    log_path: str | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    service_down_time: float = SERVICE_DOWN_TIME,
    now: Any = None,
    preflight: PreflightOptions | None = None,
) -> dict:
    try:
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
                service=service_view(svc),
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
                service=service_view(svc),
            )
        # Guard 3: not too many hosts down at once.
        others_down = down_hosts_guard(services, max_down_hosts, max_down_share)
        classifier = make_evacuate_classifier(shared_storage, allow_local_disk_loss)
        candidates, plan = plan_evacuate(nova, host, opts, classifier, services)
        warnings = [
            "%s (%s): root disk is local; evacuation rebuilds it from its image and its data is lost%s"
            % (
                p["name"],
                p["id"],
                "" if allow_local_disk_loss else " (blocked: set allow_local_disk_loss=true)",
            )
            for p in plan
            if p["local_root_disk"] and not shared_storage
        ]
        disable_reason = operation_reason("evacuate", zone_guard(nova, services, svc, opts, reason), user)
        result = {
            "host": host,
            "service": service_view(svc),
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
            if resuming and r.get("status") in ("started", "failed")  # a re-run finishes the job
        ]
        gate = preflight_gate(
            nova, host, opts, services, result, preflight, check_mode, "evacuate", classifier
        )
        if gate.halt:
            return result
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
            fill_result(result, rows, [], "evacuate", host)
            return result

        progress, mover = start_operation(
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
            classifier=gate.classifier,
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
            progress(
                "forced_down", detail="service %s forced down (compute API 2.53+, by id)" % svc.get("id")
            )
        if svc.get("status") != "disabled":
            mover.call(nova.disable_service, svc, disable_reason)
            changed = True
            service_state.update({"id": svc.get("id"), "disabled_by": "evacuate", "reason": disable_reason})
            state.save()
            progress("disabled", detail="service %s disabled: %s" % (svc.get("id"), disable_reason))
        for w in warnings:
            progress("warning", detail=w)
        rows, remaining, changed = move_all(
            nova,
            mover,
            state,
            host,
            services,
            changed,
            result,
            progress,
            "evacuate",
            ("evacuating", "evacuated"),
        )
        if remaining:
            fail_remaining(result, rows, remaining, host, state_path, "evacuated")
        return result
    finally:
        release_lock(state_path)
