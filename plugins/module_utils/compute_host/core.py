# Copyright: kolla_ops.nova contributors
# Apache License 2.0 (see LICENSE)
"""Drain and restore a compute host: the logic, without Ansible and without a cloud.

Everything here talks to Nova through an adapter object (see ``nova.NovaAdapter``) that
returns plain dicts, so unit tests drive it with a fake.  The pieces:

* ``match_host``: the nova-compute service of exactly that host, or a clear error;
* ``classify``: what can be done with one instance (live, cold, blocked, pending, moving);
* ``server_group_block``: whether the server-group policy can still be met after the move;
* ``StateFile``: the JSON record of a drain that makes a run resumable;
* ``Mover``: the concurrency-window executor (global and per-destination limits, per-instance
  timeout with abort|force_complete, failure policy stop|continue), which keeps re-listing the
  host until nothing movable remains and judges every move by what Nova reports afterwards.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import fcntl
import json
import os
import tempfile
import time

STATE_VERSION = 1

# Nova states (nova/compute/vm_states.py, task_states.py) as the API shows them.
LIVE_STATUSES = ("ACTIVE", "PAUSED")
COLD_STATUSES = ("SHUTOFF",)
MOVING_STATUSES = ("MIGRATING", "RESIZE", "VERIFY_RESIZE")
MOVING_TASK_STATES = (
    "migrating",
    "resize_prep",
    "resize_migrating",
    "resize_migrated",
    "resize_finish",
)
FINAL_OK_STATUSES = ("ACTIVE", "PAUSED", "SHUTOFF")

TERMINAL = ("done", "failed", "blocked", "skipped", "gone")

# nova.conf [DEFAULT] service_down_time: a heartbeat older than this means the service is dead
SERVICE_DOWN_TIME = 60


class ComputeHostError(Exception):
    """A drain/restore problem the operator has to act on; ``details`` go to fail_json."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class TransientError(Exception):
    """The API could not be reached or answered 5xx: retry later."""


class ConflictError(Exception):
    """Nova refused the request in the server's current state (HTTP 409/400)."""


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def iso(ts=None):
    return (ts or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------
# Hosts and services
# ---------------------------------------------------------------------------------------
def match_host(services, host, binary="nova-compute"):
    """Return the service of ``binary`` on exactly ``host`` (``compute1`` never ``compute10``)."""
    if not host or not isinstance(host, str):
        raise ComputeHostError("host must be a non-empty string, got %r" % (host,))
    candidates = [s for s in services if s.get("binary") == binary]
    found = [s for s in candidates if s.get("host") == host]
    if not found:
        known = sorted({s.get("host") for s in candidates if s.get("host")})
        near = [k for k in known if k.lower() == host.lower() or k.split(".")[0] == host.split(".")[0]]
        hint = (" Did you mean %s?" % ", ".join(near)) if near else ""
        raise ComputeHostError(
            "unknown compute host %r: no %s service is registered on it. Known hosts: %s.%s"
            % (host, binary, ", ".join(known) or "(none)", hint),
            known_hosts=known,
        )
    if len(found) > 1:
        raise ComputeHostError(
            "host %r has %d %s services (duplicate registrations in several cells?); "
            "remove the stale one with 'openstack compute service delete' first" % (host, len(found), binary),
            services=found,
        )
    return found[0]


def operation_reason(operation, reason=None, user=None, when=None):
    """The disabled reason written on the service: operation, time, user and the operator's text."""
    text = "kolla_ops.nova %s %s" % (operation, (when or utcnow()).strftime("%Y-%m-%dT%H:%MZ"))
    if user:
        text += " by %s" % user
    if reason:
        text += ": %s" % reason
    return text[:255]


def service_is_up(service):
    return service.get("state") == "up"


def candidate_hosts(services, source, binary="nova-compute"):
    """Enabled, up hosts of ``binary`` other than ``source``: where the scheduler may send instances."""
    return sorted(
        s["host"]
        for s in services
        if s.get("binary") == binary
        and s.get("host") != source
        and s.get("status") == "enabled"
        and service_is_up(s)
        and not s.get("forced_down")
    )


# ---------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------
def parse_markers(markers):
    """``["key", "key=value"]`` -> ``[(key, None), (key, value)]``."""
    out = []
    for m in markers or ():
        key, sep, value = str(m).partition("=")
        out.append((key.strip(), value.strip() if sep else None))
    return out


def marker_hit(server, markers):
    meta = server.get("metadata") or {}
    for key, value in markers:
        if key in meta and (value is None or str(meta[key]) == value):
            return "%s=%s" % (key, meta[key])
    return None


def server_group_block(server, groups, member_hosts, candidates, source, target=None):
    """Why the server's group policy cannot be met by moving it off ``source``, or None.

    ``groups``: the server's groups, each ``{"id", "name", "policy", "members"}``;
    ``member_hosts``: server id -> host for the other members; ``candidates``: the hosts the
    scheduler may use.  Soft policies never block.
    """
    pool = [target] if target else list(candidates)
    for g in groups:
        policy = g.get("policy") or ""
        others = [m for m in g.get("members", ()) if m != server["id"]]
        label = "server group %s (%s)" % (g.get("name") or g.get("id"), policy)
        if policy == "affinity" and others:
            together = [m for m in others if member_hosts.get(m) == source]
            if together:
                return (
                    "%s: %d other member(s) share this host and Nova moves members one at a time, "
                    "so no destination satisfies affinity; move the group deliberately (cold "
                    "migrate all members with the policy relaxed) or leave it" % (label, len(together))
                )
        if policy == "anti-affinity":
            taken = {member_hosts.get(m) for m in others}
            free = [h for h in pool if h not in taken]
            if not free:
                return (
                    "%s: every possible destination (%s) already holds a member; add a host or "
                    % (
                        label,
                        ", ".join(pool) or "none enabled and up",
                    )
                    + "relax the policy"
                )
    return None


def classify(server, markers=(), group_reason=None):
    """Return ``(class, action, reason)`` for one instance on the host being drained.

    Classes: ``live`` (live-migrate), ``cold`` (cold-migrate then confirm), ``moving`` (a
    migration is already under way: track it), ``pending`` (still building: wait for it),
    ``blocked`` (report, do not touch).
    """
    status = (server.get("status") or "").upper()
    task = server.get("task_state")
    if status == "ERROR":
        return "blocked", "none", "status ERROR: fix or delete the server (reset-state only if you know why)"
    if status in MOVING_STATUSES or task in MOVING_TASK_STATES:
        if status == "VERIFY_RESIZE" and server.get("host") == server.get("_source"):
            return "blocked", "none", "resized in place and awaiting confirmation: confirm or revert it"
        return "moving", "track", "a migration is already under way (task_state %s)" % task
    if status == "BUILD":
        return "pending", "wait", "still building (task_state %s): wait until it settles" % task
    if task:
        return "blocked", "none", "busy with task_state %s" % task
    hit = marker_hit(server, markers)
    if hit:
        return "blocked", "none", "marked not migratable by metadata %s" % hit
    if group_reason:
        return "blocked", "none", group_reason
    if status in LIVE_STATUSES:
        return "live", "live_migrate", None
    if status in COLD_STATUSES:
        return "cold", "cold_migrate", None
    return "blocked", "none", "status %s cannot be migrated" % (status or "unknown")


# ---------------------------------------------------------------------------------------
# State file and progress log
# ---------------------------------------------------------------------------------------
def default_state_dir():
    return os.path.join(os.path.expanduser("~"), ".ansible", "kolla_ops_nova", "state")


def state_basename(cloud, host):
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in "%s-%s" % (cloud or "default", host))
    return safe


_LOCKS = {}


def release_lock(path):
    fh = _LOCKS.pop(path, None)
    if fh is not None:
        fh.close()


class StateFile:
    """The JSON record of an operation on one host; written atomically after each change."""

    def __init__(self, path, cloud, host, dry_run=False):
        self.path = path
        self.dry_run = dry_run
        self.data = None
        self.cloud = cloud
        self.host = host

    @property
    def exists(self):
        return os.path.exists(self.path)

    def load(self):
        if not self.exists:
            return None
        try:
            with open(self.path) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise ComputeHostError(
                "state file %s is unreadable (%s); move it aside to start over" % (self.path, exc)
            ) from exc
        if data.get("host") != self.host:
            raise ComputeHostError(
                "state file %s belongs to host %r, not %r" % (self.path, data.get("host"), self.host)
            )
        return data

    def start(self, operation, resume_phases):
        """Resume the recorded operation when its phase allows, else begin a new record."""
        data = self.load()
        if data and data.get("operation") == operation and data.get("phase") in resume_phases:
            data.setdefault("instances", {})
            data.setdefault("runs", [])
            self.data = data
            return True
        if data and not self.dry_run:
            os.replace(self.path, "%s.%s" % (self.path, data.get("updated_at", "old").replace(":", "")))
        self.data = {
            "version": STATE_VERSION,
            "operation": operation,
            "cloud": self.cloud,
            "host": self.host,
            "phase": "started",
            "started_at": iso(),
            "updated_at": iso(),
            "service": {},
            "instances": {},
            "runs": [],
        }
        return False

    def lock(self):
        """Hold ``<state file>.lock`` for the life of this process: one run per host at a time."""
        if self.dry_run or self.path in _LOCKS:
            return
        os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
        fh = open(self.path + ".lock", "a+")  # kept open to hold the lock
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise ComputeHostError(
                "another compute_host run on %s is in progress (lock %s.lock held by pid %s); wait for it "
                "to finish or stop it, then run again" % (self.host, self.path, holder)
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        _LOCKS[self.path] = fh

    def save(self):
        if self.dry_run or self.data is None:
            return
        self.data["updated_at"] = iso()
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(self.data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @property
    def instances(self):
        return self.data["instances"]


class Progress:
    """Collects events (returned by the module) and appends them to a log file to ``tail -f``."""

    def __init__(self, log_path=None, host=None, operation="drain"):
        self.log_path = log_path
        self.events = []
        self.host = host
        self.operation = operation
        if log_path:
            os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)

    def __call__(self, event, rec=None, detail=None, **extra):
        ev = {"time": iso(), "event": event}
        if rec is not None:
            ev.update({"id": rec.get("id"), "name": rec.get("name")})
        if detail:
            ev["detail"] = detail
        ev.update(extra)
        self.events.append(ev)
        if self.log_path:
            who = ("%s (%s)" % (ev.get("name"), ev.get("id"))) if rec is not None else "-"
            line = "%s %s %s %-9s %s %s" % (
                ev["time"],
                self.operation,
                self.host,
                event,
                who,
                detail or "",
            )
            with open(self.log_path, "a") as fh:
                fh.write(line.rstrip() + "\n")
        return ev


# ---------------------------------------------------------------------------------------
# The mover
# ---------------------------------------------------------------------------------------
def check_option(name, value, accepted, ok, none_ok=False):
    """Refuse an option value outside its range, before anything is asked of Nova.

    ``name`` is the module's option name, ``accepted`` the range in words, ``ok`` a predicate
    (written so that NaN fails it).
    """
    if value is None and none_ok:
        return
    try:
        good = not isinstance(value, bool) and bool(ok(value))
    except TypeError:
        good = False
    if not good:
        raise ComputeHostError(
            "%s=%r is out of range: it must be %s; nothing was changed. Fix the option (or the "
            "playbook variable that sets it) and run again." % (name, value, accepted),
            option=name,
            value=value,
            accepted=accepted,
        )


def check_evacuate_limits(max_down_hosts, max_down_share, service_down_time):
    """The evacuation options' ranges (state=evacuated), checked before anything changes."""
    check_option("max_down_hosts", max_down_hosts, "0 or more", lambda v: v >= 0)
    check_option(
        "max_down_share",
        max_down_share,
        "between 0 and 1 (a share of the compute services)",
        lambda v: 0 <= v <= 1,
    )
    check_option("service_down_time", service_down_time, "greater than 0 seconds", lambda v: v > 0)


class MoveOptions:
    """Knobs of the mover; defaults match the module's."""

    def __init__(
        self,
        max_concurrent=3,
        max_per_destination=0,
        target_host=None,
        block_migration="auto",
        timeout=600,
        timeout_action="abort",
        failure_policy="stop",
        poll_interval=2.0,
        settle_seconds=5.0,
        pending_timeout=300,
        api_retry_timeout=300,
        blocked_metadata=(),
        max_attempts=3,
        request_workers=0,
        retries=0,
    ):
        check_option("max_concurrent", max_concurrent, "at least 1", lambda v: v >= 1)
        check_option(
            "max_per_destination",
            max_per_destination,
            "0 (no limit) or more",
            lambda v: v >= 0,
            none_ok=True,
        )
        check_option("migration_timeout", timeout, "greater than 0 seconds", lambda v: v > 0)
        check_option("poll_interval", poll_interval, "greater than 0 seconds", lambda v: v > 0)
        check_option("settle_time", settle_seconds, "0 seconds or more", lambda v: v >= 0)
        check_option("pending_timeout", pending_timeout, "greater than 0 seconds", lambda v: v > 0)
        check_option("api_retry_timeout", api_retry_timeout, "0 seconds or more", lambda v: v >= 0)
        check_option("retries", retries, "0 or more", lambda v: v >= 0)
        if timeout_action not in ("abort", "force_complete"):
            raise ComputeHostError("timeout_action must be abort or force_complete, got %r" % timeout_action)
        if failure_policy not in ("stop", "continue"):
            raise ComputeHostError("failure_policy must be stop or continue, got %r" % failure_policy)
        self.max_concurrent = max_concurrent
        self.max_per_destination = max_per_destination or 0
        self.target_host = target_host
        self.block_migration = block_migration
        self.timeout = timeout
        self.timeout_action = timeout_action
        self.failure_policy = failure_policy
        self.poll_interval = poll_interval
        self.settle_seconds = settle_seconds
        self.pending_timeout = pending_timeout
        self.api_retry_timeout = api_retry_timeout
        self.markers = parse_markers(blocked_metadata)
        self.max_attempts = max_attempts
        self.request_workers = request_workers
        self.retries = retries


def new_record(server, source, run):
    return {
        "id": server["id"],
        "name": server.get("name"),
        "project_id": server.get("project_id"),
        "status_before": server.get("status"),
        "class": None,
        "action": None,
        "source": source,
        "destination": None,
        "status": "queued",
        "outcome": None,
        "message": None,
        "started_at": None,
        "finished_at": None,
        "duration": None,
        "attempts": 0,
        "run": run,
    }


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

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    # -- API calls with retry over outages --------------------------------------------
    def call(self, fn, *args, **kwargs):
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
    def groups_of(self, server_id):
        if self._groups is None:
            self._groups = self.call(self.nova.server_groups) or []
        return [g for g in self._groups if server_id in (g.get("members") or ())]

    def group_reason(self, server, source, candidates):
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

    def _failure_message(self, rec, default):
        mig = self.call(self.nova.last_migration, rec["id"])
        if mig:
            rec["migration_id"] = mig.get("id")
            return "%s (migration %s status %s)" % (default, mig.get("id"), mig.get("status"))
        return default

    def _poll(self, rec, srv):
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
                    self.changed = True
                    self.emit("starting", rec, "rebuilt on %s stopped; starting it" % srv.get("host"))
                except ConflictError:
                    pass
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
    def drain(self, source, services):
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

    # -- move back --------------------------------------------------------------------
    def move_back(self, home, records):
        """Move the given drained instances back to ``home`` (restore)."""
        self.state.data["runs"].append(
            {"run": self.run, "started_at": iso(), "finished_at": None, "op": "return"}
        )
        work = []
        for rec in records:
            srv = self.call(self.nova.get_server, rec["id"])
            ret = rec.setdefault("return", {})
            ret.update({"id": rec["id"], "name": rec.get("name")})
            if srv is None:
                ret.update({"status": "gone", "outcome": "gone", "message": "deleted since the drain"})
                continue
            if srv.get("host") == home:
                ret.update({"status": "done", "outcome": "home"})
                continue
            klass, action, reason = classify(dict(srv, _source=srv.get("host")), self.opts.markers)
            if klass not in ("live", "cold"):
                ret.update({"status": "blocked", "outcome": "blocked", "message": reason})
                self.emit("blocked", rec, "not moved back: %s" % reason)
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
        self.queue = list(items)
        while self.queue or self.inflight:
            self._harvest_requests()
            for sid, rec in list(self.inflight.items()):
                if sid in self._requests:
                    continue
                self._poll(rec, self.call(self.nova.get_server, sid))
            while self.queue and not self.stopped_by and self._may_start():
                item, _ret = items[self.queue.pop(0)]
                self._start(item, home)
            if self.stopped_by and not self.inflight:
                for sid in self.queue:
                    items[sid][0].update({"status": "skipped", "outcome": "skipped"})
                self.queue = []
                break
            if self.inflight or self.queue:
                self.sleep(self.opts.poll_interval)
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
        self.state.data["runs"][-1]["finished_at"] = iso()
        self.state.save()
        return [ret for _item, ret in work]


# ---------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------
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


def instance_report(records):
    rows = [{k: r.get(k) for k in REPORT_FIELDS} for r in records.values()]
    rows.sort(key=lambda r: (r.get("started_at") or "~", r.get("name") or ""))
    return rows


def summarize(rows):
    counts = {}
    for r in rows:
        key = r.get("outcome") or r.get("status") or "unknown"
        counts[key] = counts.get(key, 0) + 1
    return counts


def check_results(rows, operation, host):
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


# ---------------------------------------------------------------------------------------
# Evacuation
# ---------------------------------------------------------------------------------------
EVACUATING_TASK_STATES = ("rebuilding", "rebuild_block_device_mapping", "rebuild_spawning")
EVACUABLE_STATUSES = ("ACTIVE", "SHUTOFF", "ERROR", "PAUSED", "SUSPENDED")


def local_root_disk(server):
    """True when the root disk lives on the host (booted from an image, not from a volume)."""
    return bool(server.get("image_id"))


def down_hosts_guard(services, max_down_hosts, max_down_share, binary="nova-compute"):
    """Refuse when too many compute services are down at once (a partition looks like that)."""
    computes = [s for s in services if s.get("binary") == binary]
    down = sorted(s["host"] for s in computes if not service_is_up(s))
    if not computes:
        return down
    share = len(down) / len(computes)
    if len(down) > max_down_hosts or share > max_down_share:
        raise ComputeHostError(
            "refusing to evacuate: %d of %d compute services are down (%s), more than max_down_hosts=%d "
            "or max_down_share=%.2f. Many hosts down at once usually means a network partition or a "
            "control-plane problem, not dead hosts; evacuating would start second copies of running "
            "guests. Check connectivity and RabbitMQ first; raise the limits only when you have "
            "confirmed each host is dead."
            % (len(down), len(computes), ", ".join(down), max_down_hosts, max_down_share),
            down_hosts=down,
        )
    return down


def make_evacuate_classifier(shared_storage=False, allow_local_disk_loss=False):
    """A classifier for instances on a dead host: evacuate, moving (already) or blocked."""

    def classify_evacuate(server, markers=(), group_reason=None):
        status = (server.get("status") or "").upper()
        task = server.get("task_state")
        if task in EVACUATING_TASK_STATES:
            return "moving", "track", "an evacuation is already under way (task_state %s)" % task
        if task:
            return "blocked", "none", "busy with task_state %s" % task
        hit = marker_hit(server, markers)
        if hit:
            return "blocked", "none", "marked not to be moved by metadata %s" % hit
        if group_reason:
            return "blocked", "none", group_reason
        if status not in EVACUABLE_STATUSES:
            return "blocked", "none", "status %s cannot be evacuated" % (status or "unknown")
        if local_root_disk(server) and not shared_storage and not allow_local_disk_loss:
            return (
                "blocked",
                "none",
                "root disk is local (booted from image %s, no shared storage declared): evacuation "
                "rebuilds it from the image and its data is lost; set allow_local_disk_loss=true to "
                "accept, or shared_storage=true if instances live on shared storage" % server.get("image_id"),
            )
        return "evacuate", "evacuate", None

    return classify_evacuate
