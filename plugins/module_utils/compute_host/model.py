# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every part of compute_host shares: constants, errors, options and records.

Nothing here talks to Nova; ``MoveOptions`` checks every knob's range before anything changes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

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


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def iso(ts: datetime.datetime | None = None) -> str:
    return (ts or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime.datetime | None:
    """A Nova timestamp (UTC, with or without fraction or zone) as an aware datetime, or None."""
    if not value:
        return None
    try:
        dt = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=datetime.UTC)


RESUME_DRAIN = ("started", "draining", "drained")

RESUME_EVACUATE = ("started", "evacuating", "evacuated")
UNFINISHED_EVACUATION = ("accepted", "pre-migrating", "migrating", "running", "queued", "preparing", "done")

EVACUATING_TASK_STATES = ("rebuilding", "rebuild_block_device_mapping", "rebuild_spawning")
EVACUABLE_STATUSES = ("ACTIVE", "SHUTOFF", "ERROR", "PAUSED", "SUSPENDED")


def operation_reason(
    operation: str, reason: str | None = None, user: str | None = None, when: datetime.datetime | None = None
) -> str:
    """The disabled reason written on the service: operation, time, user and the operator's text."""
    text = "kolla_ops.nova %s %s" % (operation, (when or utcnow()).strftime("%Y-%m-%dT%H:%MZ"))
    if user:
        text += " by %s" % user
    if reason:
        text += ": %s" % reason
    return text[:255]


def service_view(svc: dict) -> dict:
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


def parse_markers(markers: Any) -> list[tuple[str, str | None]]:
    """``["key", "key=value"]`` -> ``[(key, None), (key, value)]``."""
    out = []
    for m in markers or ():
        key, sep, value = str(m).partition("=")
        out.append((key.strip(), value.strip() if sep else None))
    return out


def check_option(
    name: str, value: Any, accepted: str, ok: Callable[[Any], Any], none_ok: bool = False
) -> None:
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


def check_evacuate_limits(max_down_hosts: int, max_down_share: float, service_down_time: float) -> None:
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

    def __init__(  # noqa: PLR0913, PLR0917  one field per option the Mover acts on
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
        min_enabled_hosts=1,
        max_disabled_share=0.5,
        allow_empty_zone=False,
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
        check_option("min_enabled_hosts", min_enabled_hosts, "0 or more", lambda v: v >= 0)
        check_option(
            "max_disabled_share",
            max_disabled_share,
            "between 0 and 1 (a share of the zone)",
            lambda v: 0 <= v <= 1,
        )
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
        self.min_enabled_hosts = min_enabled_hosts
        self.max_disabled_share = max_disabled_share
        self.allow_empty_zone = bool(allow_empty_zone)


def new_record(server: dict, source: str, run: int) -> dict:
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
