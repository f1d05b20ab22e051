# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The concurrency-window executor that moves instances off a host (and back).

Global and per-destination limits, per-instance timeout with abort|force_complete, failure
policy stop|continue; it keeps re-listing the host until nothing movable remains and judges
every move by what Nova reports afterwards.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import (
    classify,
    server_group_block,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import (
    candidate_hosts,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    COLD_STATUSES,
    FINAL_OK_STATUSES,
    LIVE_STATUSES,
    MOVING_STATUSES,
    MOVING_TASK_STATES,
    TERMINAL,
    ComputeHostError,
    ConflictError,
    TransientError,
    iso,
    new_record,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.settle import (
    migration_finished,
    restart_evacuated,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import (
    Progress,
)


class Mover:
    """Moves instances off a host (drain) or onto their home host (restore) in a window.

    ``nova``: the adapter; ``state``: a started StateFile; ``emit``: a Progress;
    ``clock``/``sleep``: injectable for tests.
    """

    def __init__(
        self,
        nova,
        state,
        opts,
        emit=None,
        clock=time.monotonic,
        sleep=time.sleep,
        mode="drain",
        classifier=None,
    ):
        self.mode = mode
        self.classifier = classifier or classify
        self.nova = nova
        self.state = state
        self.opts = opts
        self.emit = emit or Progress()
        self.clock = clock
        self.sleep = sleep
        self.inflight = {}  # id -> record
        self.queue = []  # ids, FIFO
        self.pending_since = {}
        self.stopped_by = None
        self.run = len(state.data.get("runs", [])) + 1
        self.changed = False
        self._t0 = {}
        self._tmo = {}
        self._api_down_since = None
        self._groups = None
        self._requests = {}
        self.pool = None
        if opts.request_workers:
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=opts.request_workers)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    # -- API calls with retry over outages --------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        while True:
            try:
                result = fn(*args, **kwargs)
            except TransientError as exc:
                now = self.clock()
                if self._api_down_since is None:
                    self._api_down_since = now
                    self.emit("api_unavailable", detail=str(exc)[:300])
                elif now - self._api_down_since > self.opts.api_retry_timeout:
                    self.state.save()
                    raise ComputeHostError(
                        "the Nova API stayed unreachable for more than %ss (%s); progress is saved "
                        "in %s: re-run the task to resume"
                        % (self.opts.api_retry_timeout, exc, self.state.path)
                    ) from exc
                self.sleep(max(self.opts.poll_interval, 1.0))
                continue
            if self._api_down_since is not None:
                self.emit("api_back", detail="after %.0fs" % (self.clock() - self._api_down_since))
                self._api_down_since = None
            return result

    # -- server groups ----------------------------------------------------------------
    def groups_of(self, server_id: str) -> list[dict]:
        if self._groups is None:
            self._groups = self.call(self.nova.server_groups) or []
        return [g for g in self._groups if server_id in (g.get("members") or ())]

    def group_reason(self, server: dict, source: str, candidates: list[str]) -> str | None:
        groups = self.groups_of(server["id"])
        if not groups:
            return None
        member_hosts = {}
        for g in groups:
            for m in g.get("members") or ():
                if m != server["id"] and m not in member_hosts:
                    other = self.call(self.nova.get_server, m)
                    member_hosts[m] = other.get("host") if other else None
        return server_group_block(server, groups, member_hosts, candidates, source, self.opts.target_host)

    # -- bookkeeping ------------------------------------------------------------------
    def _finish(self, rec, status, outcome, message=None, destination=None):
        rec["status"] = status
        rec["outcome"] = outcome
        if message:
            rec["message"] = message
        if destination:
            rec["destination"] = destination
        rec["finished_at"] = iso()
        self._tmo.pop(rec["id"], None)
        start = self._t0.pop(rec["id"], None)
        if start is not None:
            rec["duration"] = round(self.clock() - start, 1)
        self.inflight.pop(rec["id"], None)
        self.state.save()
        event = {"done": "done", "failed": "failed", "gone": "gone"}.get(status, status)
        detail = "%s -> %s in %ss" % (rec.get("source"), rec.get("destination") or "?", rec.get("duration"))
        if message:
            detail += ": " + message
        self.emit(event, rec, detail)
        if status == "failed" and self.opts.failure_policy == "stop" and not self.stopped_by:
            self.stopped_by = rec["id"]
            self.emit("stopping", rec, "failure_policy=stop: no new migrations; waiting for running ones")

    finish = _finish

    def _record(self, server, source):
        recs = self.state.instances
        rec = recs.get(server["id"])
        if rec is None:
            rec = recs[server["id"]] = new_record(server, source, self.run)
        return rec

    # -- starting ---------------------------------------------------------------------
    def _dest_counts(self):
        counts = {}
        unknown = 0
        for rec in self.inflight.values():
            d = rec.get("destination")
            if d:
                counts[d] = counts.get(d, 0) + 1
            else:
                unknown += 1
        return counts, unknown

    def _may_start(self):
        if len(self.inflight) >= self.opts.max_concurrent:
            return False
        limit = self.opts.max_per_destination
        if not limit:
            return True
        counts, unknown = self._dest_counts()
        if self.opts.target_host:
            return counts.get(self.opts.target_host, 0) + unknown < limit
        # The scheduler picks: wait until it has chosen for the ones in flight, and do not
        # add while any destination is at its limit.
        return unknown == 0 and all(c < limit for c in counts.values())

    def _start(self, rec, target):
        rec["attempts"] = rec.get("attempts", 0) + 1
        rec["status"] = "started"
        rec["started_at"] = iso()
        rec["run"] = self.run
        rec["target"] = target
        rec["destination"] = target
        rec.pop("uncertain", None)
        rec.pop("timeout_handled", None)
        rec.pop("confirm_sent", None)
        rec.pop("running_seen", None)
        rec.pop("start_sent", None)
        self._t0[rec["id"]] = self._tmo[rec["id"]] = self.clock()
        self.inflight[rec["id"]] = rec
        self.state.save()
        self.changed = True
        if self.pool is not None:
            # Requests run in worker threads: a slow POST (cold migration is synchronous in
            # Nova's API) must not hold up watching the others or starting the next.
            self._requests[rec["id"]] = self.pool.submit(self._issue, rec, target)
        else:
            self._after_request(rec, self._issue(rec, target))

    def _issue(self, rec, target):
        try:
            if rec["class"] == "live":
                self.nova.live_migrate(rec["id"], target, self.opts.block_migration)
            elif rec["class"] == "evacuate":
                self.nova.evacuate(rec["id"], target)
            else:
                self.nova.cold_migrate(rec["id"], target)
        except Exception as exc:
            return exc
        return None

    def _harvest_requests(self):
        for sid, fut in list(self._requests.items()):
            if fut.done():
                del self._requests[sid]
                rec = self.inflight.get(sid)
                if rec is not None:
                    self._after_request(rec, fut.result())

    def _after_request(self, rec, exc):
        target = rec.get("target")
        if isinstance(exc, ConflictError):
            srv = self.call(self.nova.get_server, rec["id"])
            if srv and (srv.get("task_state") in MOVING_TASK_STATES or srv.get("status") in MOVING_STATUSES):
                self.emit("adopted", rec, "Nova reports a migration already under way")
            elif srv and not srv.get("task_state") and self._arrived(rec, srv):
                self.emit(
                    "adopted", rec, "Nova refused (%s) but the server is already on %s" % (exc, srv["host"])
                )
            else:
                self._finish(rec, "failed", "failed", "Nova refused the request: %s" % exc)
                return
        elif isinstance(exc, TransientError):
            rec["uncertain"] = True
            self.emit("uncertain", rec, "request may not have reached Nova (%s); checking" % str(exc)[:200])
        elif exc is not None:
            self._finish(rec, "failed", "failed", "the request failed: %s: %s" % (type(exc).__name__, exc))
            return
        self.state.save()
        self.emit(
            "started",
            rec,
            "%s %s -> %s (attempt %d)"
            % (rec["action"], rec["source"], target or "scheduler's choice", rec["attempts"]),
        )

    # -- watching ---------------------------------------------------------------------
    def _arrived(self, rec, srv):
        host = srv.get("host")
        if rec.get("target_required"):
            return host == rec["target"]
        return bool(host) and host != rec["source"]

    def _left(self, sid, source):
        srv = self.call(self.nova.get_server, sid)
        return srv is None or srv.get("host") != source

    def _failure_message(self, rec, default):
        mig = self.call(self.nova.last_migration, rec["id"])
        fault = self.call(self.nova.fault, rec["id"]) if hasattr(self.nova, "fault") else None
        if mig:
            rec["migration_id"] = mig.get("id")
            default = "%s (migration %s status %s)" % (default, mig.get("id"), mig.get("status"))
        return "%s; Nova: %s" % (default, fault) if fault else default

    def _poll(self, rec, srv, fresh=False):  # noqa: PLR0911, PLR0912, PLR0915  one migration's state machine; split only with the sandbox tests
        if srv is None:
            self._finish(rec, "gone", "gone", "the server was deleted during the operation")
            return
        status = (srv.get("status") or "").upper()
        task = srv.get("task_state")
        self._t0.setdefault(rec["id"], self.clock())
        if rec["class"] == "cold" and status == "VERIFY_RESIZE":
            if not rec.get("confirm_sent"):
                rec["destination"] = srv.get("host")
                try:
                    self.call(self.nova.confirm_resize, rec["id"])
                    rec["confirm_sent"] = True
                    self.changed = True
                    self.emit("confirming", rec, "resize confirmed on %s" % srv.get("host"))
                except ConflictError:
                    pass  # not yet confirmable: next poll
            return
        if (
            rec["class"] == "evacuate"
            and not task
            and status == "SHUTOFF"
            and rec.get("status_before") == "ACTIVE"
            and self._arrived(rec, srv)
        ):
            # From microversion 2.95 an evacuated server is stopped at the destination: start
            # it when it was running before.
            if not rec.get("start_sent"):
                try:
                    self.call(self.nova.start_server, rec["id"])
                    rec["start_sent"] = True
                    self._tmo[rec["id"]] = self.clock()
                    self.changed = True
                    self.emit("starting", rec, "rebuilt on %s stopped; starting it" % srv.get("host"))
                except ConflictError:
                    pass
            if self.clock() - self._tmo.setdefault(rec["id"], self.clock()) > self.opts.timeout:
                self._finish(
                    rec,
                    "failed",
                    "failed",
                    "evacuated to %s but still SHUTOFF %ss later" % (srv.get("host"), self.opts.timeout),
                    destination=srv.get("host"),
                )
            return
        if not task and status in FINAL_OK_STATUSES and self._arrived(rec, srv):
            rec["migration_status"] = None
            mig = self.call(self.nova.last_migration, rec["id"])
            if mig:
                rec["migration_id"] = mig.get("id")
                rec["migration_status"] = mig.get("status")
            note = None
            if rec.get("timeout_handled") == "force_complete":
                note = "force-completed after exceeding %ss" % self.opts.timeout
            self._finish(rec, "done", "moved", note, destination=srv.get("host"))
            return
        if status == "ERROR":
            self._finish(rec, "failed", "failed", self._failure_message(rec, "the server went to ERROR"))
            return
        if not task and srv.get("host") == rec["source"]:
            if not fresh:
                # the listing may lag behind Nova: judge a retry or a failure on a fresh read
                again = self.call(self.nova.get_server, rec["id"])
                if again is None or again.get("host") != rec["source"] or again.get("task_state"):
                    return self._poll(rec, again, fresh=True)
            mig = migration_finished(self, rec) if rec.get("status") == "started" else None
            if mig:
                if not rec.get("lag_seen"):
                    rec["lag_seen"] = mig.get("id")
                    self.emit(
                        "waiting",
                        rec,
                        "migration %s is %s; waiting for the server" % (mig.get("id"), mig.get("status")),
                    )
                elapsed = self.clock() - self._tmo.setdefault(rec["id"], self.clock())
                if elapsed > self.opts.timeout:
                    self._on_timeout(rec, elapsed)
                return None
            if rec.get("uncertain") and rec["attempts"] < self.opts.max_attempts:
                rec["status"] = "queued"
                self.inflight.pop(rec["id"], None)
                self.queue.insert(0, rec["id"])
                self.emit("requeued", rec, "the request did not take effect; trying again")
                return
            handled = rec.get("timeout_handled")
            if not handled and rec["attempts"] <= self.opts.retries and not self.stopped_by:
                # e.g. the destination's nova-compute restarted mid-migration: try once more
                msg = self._failure_message(
                    rec, "the migration ended with the server still on %s" % rec["source"]
                )
                rec["status"] = "queued"
                self.inflight.pop(rec["id"], None)
                self.queue.append(rec["id"])
                self.state.save()
                self.emit(
                    "retry",
                    rec,
                    "%s; retrying (attempt %d of %d)" % (msg, rec["attempts"] + 1, self.opts.retries + 1),
                )
                return
            if handled == "abort":
                msg = "exceeded the %ss timeout; the migration was aborted and the server stays on %s" % (
                    self.opts.timeout,
                    rec["source"],
                )
            else:
                msg = "the migration ended and the server is still on %s" % rec["source"]
            self._finish(rec, "failed", "failed", self._failure_message(rec, msg))
            return
        # Still moving: learn the destination and when Nova started running it (the timeout
        # counts from there: time queued behind max_concurrent_live_migrations is not its fault).
        if rec["class"] == "live" and not rec.get("running_seen"):
            migs = self.call(self.nova.in_progress_migrations, rec["id"])
            for m in migs:
                if m.get("dest_compute") and not rec.get("destination"):
                    rec["destination"] = m["dest_compute"]
                if m.get("status") not in ("queued", "accepted", "preparing", "pre-migrating"):
                    rec["running_seen"] = True
                    self._tmo[rec["id"]] = self.clock()
            if migs and not rec.get("running_seen"):
                self._tmo[rec["id"]] = self.clock()
        elif self.opts.max_per_destination and not rec.get("destination"):
            migs = self.call(self.nova.in_progress_migrations, rec["id"])
            for m in migs:
                if m.get("dest_compute"):
                    rec["destination"] = m["dest_compute"]
        elapsed = self.clock() - self._tmo.setdefault(rec["id"], self.clock())
        if elapsed > self.opts.timeout:
            self._on_timeout(rec, elapsed)

    def _on_timeout(self, rec, elapsed):
        handled = rec.get("timeout_handled")
        if rec["class"] != "live":
            if not handled:
                rec["timeout_handled"] = "none"
                self.emit(
                    "timeout", rec, "%s exceeds %ss; still watching" % (rec["action"], self.opts.timeout)
                )
            if elapsed > 2 * self.opts.timeout:
                self._finish(
                    rec,
                    "failed",
                    "failed",
                    "the %s exceeded twice the %ss timeout (status still moving); "
                    "check 'openstack server migration list --server %s'"
                    % (rec["action"], self.opts.timeout, rec["id"]),
                )
            return
        if handled == "abort":
            if elapsed > 2 * self.opts.timeout:
                self._finish(
                    rec, "failed", "failed", "the abort did not take effect within %ss" % self.opts.timeout
                )
            return
        if handled == "force_complete":
            if elapsed > 2 * self.opts.timeout:
                self._finish(
                    rec, "failed", "failed", "still not complete %ss after force-complete" % self.opts.timeout
                )
            return
        migs = self.call(self.nova.in_progress_migrations, rec["id"])
        running = [m for m in migs if m.get("status") == "running"]
        if migs and not running:
            # Queued behind Nova's max_concurrent_live_migrations: the clock starts when it runs.
            self._tmo[rec["id"]] = self.clock()
            self.emit("queued", rec, "waiting in Nova's queue (%s); timeout restarts" % migs[0].get("status"))
            return
        if not running:
            return
        mig = running[0]
        rec["migration_id"] = mig.get("id")
        try:
            if self.opts.timeout_action == "abort":
                self.call(self.nova.abort_migration, rec["id"], mig["id"])
            else:
                self.call(self.nova.force_complete_migration, rec["id"], mig["id"])
        except ConflictError as exc:
            self.emit("timeout", rec, "could not %s yet: %s" % (self.opts.timeout_action, exc))
            return
        rec["timeout_handled"] = self.opts.timeout_action
        self.changed = True
        self.state.save()
        self.emit(
            "timeout",
            rec,
            "exceeded %ss after %.0fs: %s sent" % (self.opts.timeout, elapsed, self.opts.timeout_action),
        )

    # -- drain ------------------------------------------------------------------------
    def drain(self, source: str, services: list[dict]) -> dict:  # noqa: PLR0912, PLR0915  the drain loop over all moves; split only with the sandbox tests
        """Move everything movable off ``source``; return the records of this operation."""
        opts = self.opts
        candidates = candidate_hosts(services, source)
        if opts.target_host and opts.target_host not in candidates:
            raise ComputeHostError(
                "target_host %r is not an enabled, up nova-compute host other than %s; candidates: %s"
                % (opts.target_host, source, ", ".join(candidates) or "none")
            )
        self.state.data["runs"].append({"run": self.run, "started_at": iso(), "finished_at": None})
        recs = self.state.instances
        # Resume: what a previous run left in flight is tracked again.
        for rec in recs.values():
            if rec.get("status") == "started":
                self.inflight[rec["id"]] = rec
                self.emit(
                    "resumed", rec, "tracking the %s started by run %s" % (rec.get("action"), rec.get("run"))
                )
        empty_since = None
        while True:
            self._harvest_requests()
            listing = self.call(self.nova.host_servers, source)
            seen = {s["id"]: s for s in listing}
            for sid, rec in list(self.inflight.items()):
                if sid in self._requests:
                    continue  # its request is still being sent
                srv = seen.get(sid)
                if srv is None:
                    srv = self.call(self.nova.get_server, sid)
                self._poll(rec, srv)
            for srv in listing:
                sid = srv["id"]
                if sid in self.inflight or sid in self.queue:
                    continue
                rec = recs.get(sid)
                if rec and rec.get("status") == "done" and self._left(sid, source):
                    continue  # moved: the listing lags behind Nova
                if (
                    rec
                    and rec.get("run") == self.run
                    and rec.get("status") in ("failed", "blocked", "skipped")
                ):
                    continue  # given up in this run: reported, not retried
                rec = self._record(srv, source)
                if rec.get("status") in TERMINAL and rec.get("run") != self.run:
                    # A previous run gave up or moved it and it is back: judge it afresh.
                    rec.update({"status": "queued", "outcome": None, "message": None, "run": self.run})
                srv = dict(srv, _source=source)
                group_reason = None
                if (srv.get("status") or "").upper() in LIVE_STATUSES + COLD_STATUSES and not srv.get(
                    "task_state"
                ):
                    group_reason = self.group_reason(srv, source, candidates)
                klass, action, reason = self.classifier(srv, opts.markers, group_reason)
                if klass == "moving":
                    if self.mode == "evacuate":
                        rec.update({"class": "evacuate", "action": "evacuate"})
                    else:
                        rec.update({"class": "live" if srv.get("status") == "MIGRATING" else "cold"})
                        rec["action"] = "live_migrate" if rec["class"] == "live" else "cold_migrate"
                    rec["status"] = "started"
                    rec["started_at"] = rec.get("started_at") or iso()
                    self.inflight[sid] = rec
                    self.state.save()
                    self.emit("adopted", rec, reason)
                    continue
                if klass == "pending":
                    first = self.pending_since.setdefault(sid, self.clock())
                    if rec.get("status") != "pending":
                        rec.update({"status": "pending", "class": "pending", "action": "wait"})
                        self.state.save()
                        self.emit("pending", rec, reason)
                    if self.clock() - first > opts.pending_timeout:
                        rec["class"] = "blocked"
                        self._finish(
                            rec, "blocked", "blocked", "still building after %ss" % opts.pending_timeout
                        )
                    continue
                rec.update({"class": klass, "action": action})
                if klass == "blocked":
                    self._finish(rec, "blocked", "blocked", reason)
                    continue
                rec["status"] = "queued"
                self.queue.append(sid)
                self.state.save()
                self.emit("queued", rec, "%s (%s)" % (action, srv.get("status")))
            # Start what the window allows.
            while self.queue and not self.stopped_by and self._may_start():
                sid = self.queue.pop(0)
                rec = recs[sid]
                self._start(rec, opts.target_host)
            pending = [sid for sid in seen if recs.get(sid, {}).get("status") == "pending"]
            if self.stopped_by and not self.inflight:
                for sid in self.queue:
                    self._finish(
                        recs[sid], "skipped", "skipped", "not started: failure_policy=stop after a failure"
                    )
                self.queue = []
                break
            if not self.inflight and not self.queue and not pending:
                if empty_since is None:
                    empty_since = self.clock()
                elif self.clock() - empty_since >= opts.settle_seconds:
                    break
            else:
                empty_since = None
            self.sleep(opts.poll_interval)
        self._reconcile(source)
        if self.mode == "evacuate":
            restart_evacuated(self, source)
        self.state.data["runs"][-1]["finished_at"] = iso()
        self.state.save()
        return recs

    def _reconcile(self, source):
        """Account for records that left the listing without this run moving them."""
        for rec in self.state.instances.values():
            if rec.get("status") not in ("queued", "pending"):
                continue
            srv = self.call(self.nova.get_server, rec["id"])
            if srv is None:
                self._finish(rec, "gone", "gone", "deleted before it was moved")
            elif srv.get("host") != source:
                self._finish(
                    rec, "done", "moved", "left the host outside this run", destination=srv.get("host")
                )
