# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of kolla_ops.nova.compute_host that guard the cloud before a host is taken out: the
capacity guard (``compute_host/guards.py``) and the pre-flight placement plan (``preflight.py``)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  min_enabled_hosts:
    description:
      - With O(state=drained) or O(state=evacuated), refuse to disable the host when afterwards fewer
        than this many other enabled, up compute hosts would remain in its availability zone, or in
        any aggregate of two or more hosts it belongs to. Counted on the live service list read just
        before this host, so a batch of hosts (a group name) stops at the first host that would
        break the rule. Nova's API does not say which cell a host is in; the zone and aggregates
        stand for it. A host already disabled is not checked (a re-run resumes). 0 or more.
    type: int
    default: 1
  max_disabled_share:
    description:
      - With O(state=drained) or O(state=evacuated), refuse to disable the host when afterwards more
        than this share (0-1) of the compute hosts of its availability zone would be disabled,
        counting hosts disabled or forced down for any reason.
    type: float
    default: 0.5
  allow_empty_zone:
    description:
      - Disable the host even when O(min_enabled_hosts) or O(max_disabled_share) refuse it (for example
        the last host of a zone being retired). The override and what it overrode are written into
        the disabled reason.
    type: bool
    default: false
  preflight:
    description:
      - With O(state=drained) or O(state=evacuated), plan every instance's destination before anything
        changes and act on the instances without one as O(unplaceable) says. C(false) skips the check
        (the drain then finds a full cloud only when migrations fail).
    type: bool
    default: true
  unplaceable:
    description:
      - What the pre-flight does when instances have no destination. C(fail) refuses before any change,
        naming each instance and why; C(stop) ends the task with C(changed=false) and no change; C(skip)
        moves the others and leaves these on the host (reported blocked).
    type: str
    choices: [fail, stop, skip]
    default: fail
  batch_hosts:
    description:
      - The other compute hosts out at the same time (rolling maintenance with C(serial) above 1, for
        example C(ansible_play_batch)). The pre-flight excludes them as destinations and plans their
        instances too, so a batch that fits one host at a time but not together is refused. O(host)
        itself in the list is ignored; an unknown host name fails before any change.
    type: list
    elements: str
    default: []
"""
