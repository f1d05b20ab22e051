# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state file of an operation on one host, its lock and the progress log."""

from __future__ import annotations

import fcntl
import json
import os

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.io import atomic_write
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    STATE_VERSION,
    ComputeHostError,
    iso,
)


def default_state_dir() -> str:
    return os.path.join(os.path.expanduser("~"), ".ansible", "kolla_ops_nova", "state")


def state_basename(cloud: str, host: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in "%s-%s" % (cloud or "default", host))
    return safe


_LOCKS = {}


def release_lock(path: str) -> None:
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
    def exists(self) -> bool:
        return os.path.exists(self.path)

    def load(self) -> dict | None:
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

    def start(self, operation: str, resume_phases: tuple[str, ...]) -> bool:
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

    def lock(self) -> None:
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

    def save(self) -> None:
        if self.dry_run or self.data is None:
            return
        self.data["updated_at"] = iso()
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=True), mode=0o600)

    @property
    def instances(self) -> dict:
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


class NullState:
    """A state that keeps nothing: for planning (check mode) with the mover's helpers."""

    data = {"runs": [], "instances": {}}
    path = None
    instances = data["instances"]

    def save(self) -> None:
        return None
