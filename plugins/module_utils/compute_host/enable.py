# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state=enabled: enable the service again and, with move_back, return the drained instances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import (
    classify,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import (
    evacuation_guard,
    match_host,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    MoveOptions,
    iso,
    service_view,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.mover import (
    Mover,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import (
    Progress,
    StateFile,
    release_lock,
)


def enable(  # noqa: PLR0913, PLR0917  core entry point: one parameter per module option
    nova: Any,
    host: str,
    opts: MoveOptions,
    state_path: str,
    cloud: str,
    move_back: bool = False,
    check_mode: bool = False,
    log_path: str | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> dict:
    try:
        services = nova.services()
        svc = match_host(services, host)
        state = StateFile(state_path, cloud, host, dry_run=check_mode)
        state.lock()
        previous = state.load()
        result = {"host": host, "service": service_view(svc), "state_file": state_path, "log_file": log_path}
        to_return = []
        if move_back and previous:
            to_return = [
                r
                for r in previous.get("instances", {}).values()
                if r.get("outcome") == "moved"
                and (r.get("return") or {}).get("outcome") not in ("home", "gone")
            ]
        needs_enable = svc.get("status") != "enabled"
        needs_unforce = bool(svc.get("forced_down"))
        unfinished, stale = evacuation_guard(nova, host)
        result["stale_allocations"] = stale
        if unfinished:
            raise ComputeHostError(
                "refusing to enable %s: %d evacuation(s) from it are not finished (%s). Start nova-compute "
                "on the host (it removes the evacuated guests and completes these migrations) and run again."
                % (
                    host,
                    len(unfinished),
                    ", ".join(
                        "%s %s" % (m.get("server_id") or m.get("id"), m.get("status"))
                        for m in unfinished[:10]
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
                returned = return_instances(mover, host, to_return)
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
    finally:
        release_lock(state_path)


def return_instances(mover: Mover, home: str, records: list[dict]) -> list[dict]:
    """Move the given drained instances back to ``home`` (restore)."""
    mover.state.data["runs"].append(
        {"run": mover.run, "started_at": iso(), "finished_at": None, "op": "return"}
    )
    work = []
    for rec in records:
        srv = mover.call(mover.nova.get_server, rec["id"])
        ret = rec.setdefault("return", {})
        ret.update({"id": rec["id"], "name": rec.get("name")})
        if srv is None:
            ret.update({"status": "gone", "outcome": "gone", "message": "deleted since the drain"})
            continue
        if srv.get("host") == home:
            ret.update({"status": "done", "outcome": "home"})
            continue
        klass, action, reason = classify(dict(srv, _source=srv.get("host")), mover.opts.markers)
        if klass not in ("live", "cold"):
            ret.update({"status": "blocked", "outcome": "blocked", "message": reason})
            mover.emit("blocked", rec, "not moved back: %s" % reason)
            continue
        item = {
            "id": rec["id"],
            "name": rec.get("name"),
            "class": klass,
            "action": action,
            "source": srv.get("host"),
            "target_required": True,
            "status": "queued",
            "attempts": 0,
        }
        work.append((item, ret))
    items = {item["id"]: (item, ret) for item, ret in work}
    mover.queue = list(items)
    while mover.queue or mover.inflight:
        mover._harvest_requests()
        for sid, rec in list(mover.inflight.items()):
            if sid in mover._requests:
                continue
            mover._poll(rec, mover.call(mover.nova.get_server, sid))
        while mover.queue and not mover.stopped_by and mover._may_start():
            item, _ret = items[mover.queue.pop(0)]
            mover._start(item, home)
        if mover.stopped_by and not mover.inflight:
            for sid in mover.queue:
                items[sid][0].update({"status": "skipped", "outcome": "skipped"})
            mover.queue = []
            break
        if mover.inflight or mover.queue:
            mover.sleep(mover.opts.poll_interval)
    for item, ret in items.values():
        ret.update(
            {
                k: item.get(k)
                for k in (
                    "status",
                    "outcome",
                    "message",
                    "source",
                    "destination",
                    "duration",
                    "started_at",
                )
            }
        )
        ret["finished_at"] = item.get("finished_at")
    mover.state.data["runs"][-1]["finished_at"] = iso()
    mover.state.save()
    return [ret for _item, ret in work]
