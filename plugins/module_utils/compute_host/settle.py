# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Nova says happened wins over what a host listing said (issue 21 item 1).

``migration_finished`` is asked before a move is retried or failed for "still on the source":
a listing read a moment earlier can lag behind an evacuation that Nova has finished, and
retrying it then asks Nova to evacuate a server from a host that is up ("Compute service of
compute1 is still in use") and reports a failure for a server that was moved.
``restart_evacuated`` runs at the end of every evacuation run, whatever path each record took
(polled, refused, reconciled, a previous run's failure): an evacuated server that ran before
and is stopped on its new host is started and waited for, and its record says so.
"""

from __future__ import annotations

import datetime
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ConflictError,
    parse_time,
)

# Migration statuses of a finished move (nova/objects/migration.py): evacuation "done", live
# migration "completed", cold migration "finished" then "confirmed".
MIGRATION_DONE = ("done", "completed", "finished", "confirmed")
# A migration record older than the request by more than this is an earlier move's.
CLOCK_SLACK = datetime.timedelta(seconds=120)


def migration_finished(mover: Any, rec: dict) -> dict | None:
    """The server's last migration when Nova records it finished for this move, else None."""
    mig = mover.call(mover.nova.last_migration, rec["id"])
    if not mig or mig.get("status") not in MIGRATION_DONE:
        return None
    if mig.get("source_compute") not in (None, rec.get("source")):
        return None
    if mig.get("dest_compute") and mig.get("dest_compute") == rec.get("source"):
        return None
    created, started = parse_time(mig.get("created_at")), parse_time(rec.get("started_at"))
    if created and started and created < started - CLOCK_SLACK:
        return None
    return mig


def _wait_running(mover: Any, sid: str) -> dict | None:
    deadline = mover.clock() + mover.opts.timeout
    srv = mover.call(mover.nova.get_server, sid)
    while srv and (srv.get("status") != "ACTIVE" or srv.get("task_state")) and mover.clock() < deadline:
        if srv.get("status") == "ERROR":
            break
        mover.sleep(mover.opts.poll_interval)
        srv = mover.call(mover.nova.get_server, sid)
    return srv


def restart_evacuated(mover: Any, source: str) -> None:
    """Start each evacuated server that was ACTIVE before and is stopped on its new host."""
    for rec in list(mover.state.instances.values()):
        if rec.get("class") != "evacuate" or rec.get("status_before") != "ACTIVE":
            continue
        if rec.get("status") in ("gone", "blocked", "skipped", "queued", "pending"):
            continue
        srv = mover.call(mover.nova.get_server, rec["id"])
        if not srv or not srv.get("host") or srv.get("host") == source or srv.get("task_state"):
            continue
        was, host = rec.get("status"), srv["host"]
        if srv.get("status") == "SHUTOFF":
            try:
                mover.call(mover.nova.start_server, rec["id"])
            except ConflictError as exc:
                mover.emit("starting", rec, "start on %s refused: %s" % (host, exc))
                continue
            mover.changed = True
            mover.emit("starting", rec, "evacuated to %s, stopped; it ran before: starting it" % host)
            srv = _wait_running(mover, rec["id"])
            if not srv or srv.get("status") != "ACTIVE":
                mover.finish(
                    rec,
                    "failed",
                    "failed",
                    "evacuated to %s but did not start within %ss (status %s)"
                    % (host, mover.opts.timeout, (srv or {}).get("status")),
                    destination=host,
                )
                continue
            note = "started on %s after the evacuation" % host
        elif srv.get("status") == "ACTIVE" and was != "done":
            note = "on %s and running: Nova finished the evacuation" % host
        else:
            continue
        if was == "failed":
            note += " (an earlier attempt was reported failed: %s)" % (rec.get("message") or "-")
        mover.finish(rec, "done", "moved", note[:500], destination=host)
