# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What can be done with one instance: live, cold, evacuate, moving, pending or blocked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    COLD_STATUSES,
    EVACUABLE_STATUSES,
    EVACUATING_TASK_STATES,
    LIVE_STATUSES,
    MOVING_STATUSES,
    MOVING_TASK_STATES,
)


def marker_hit(server: dict, markers: Any) -> str | None:
    meta = server.get("metadata") or {}
    for key, value in markers:
        if key in meta and (value is None or str(meta[key]) == value):
            return "%s=%s" % (key, meta[key])
    return None


def server_group_block(
    server: dict,
    groups: list[dict],
    member_hosts: dict,
    candidates: list[str],
    source: str,
    target: str | None = None,
) -> str | None:
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


def classify(server: dict, markers: Any = (), group_reason: str | None = None) -> tuple[str, str, str | None]:  # noqa: PLR0911  one return per class
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


def local_root_disk(server: dict) -> bool:
    """True when the root disk lives on the host (booted from an image, not from a volume)."""
    return bool(server.get("image_id"))


def make_evacuate_classifier(
    shared_storage: bool = False, allow_local_disk_loss: bool = False
) -> Callable[..., tuple[str, str, str | None]]:
    """A classifier for instances on a dead host: evacuate, moving (already) or blocked."""

    def classify_evacuate(
        server: dict, markers: Any = (), group_reason: str | None = None
    ) -> tuple[str, str, str | None]:
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
