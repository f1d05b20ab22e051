# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks made before a host is touched: exact host match, candidates, down hosts, heartbeats,
unfinished evacuations.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    RESUME_EVACUATE,
    UNFINISHED_EVACUATION,
    ComputeHostError,
    parse_time,
    service_view,
)


def match_host(services: list[dict], host: str, binary: str = "nova-compute") -> dict:
    """Return the service of ``binary`` on exactly ``host`` (``compute1`` never ``compute10``)."""
    if not host or not isinstance(host, str):
        raise ComputeHostError("host must be a non-empty string, got %r" % (host,))
    candidates = [s for s in services if s.get("binary") == binary]
    found = [s for s in candidates if s.get("host") == host]
    if not found:
        known = sorted({s.get("host") for s in candidates if s.get("host")})
        near = [
            k for k in known if k.lower() == host.lower() or k.split(".")[0] == host.split(".", maxsplit=1)[0]
        ]
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


def service_is_up(service: dict) -> bool:
    return service.get("state") == "up"


def candidate_hosts(services: list[dict], source: str, binary: str = "nova-compute") -> list[str]:
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


def down_hosts_guard(
    services: list[dict], max_down_hosts: int, max_down_share: float, binary: str = "nova-compute"
) -> list[str]:
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


def forced_down_by_evacuation(previous: dict | None, svc: dict) -> bool:
    """Did an evacuation of this module force this service down (after seeing it dead)?

    Only an evacuation still recorded in the state file counts (an enable ends it), and only
    for the same service record (a re-registered host has a new id).
    """
    if not previous or previous.get("operation") != "evacuate":
        return False
    if previous.get("phase") not in RESUME_EVACUATE:
        return False
    recorded = previous.get("service") or {}
    return bool(recorded.get("forced_down_at")) and recorded.get("id") == svc.get("id")


def heartbeat_age(svc: dict, now: Any) -> float | None:
    """Seconds since the service's ``updated_at`` (its last heartbeat), or None when unknown."""
    at = parse_time(svc.get("updated_at"))
    if at is None:
        return None
    return round((now - at).total_seconds(), 1)


def forced_down_guard(host: str, svc: dict, service_down_time: float, now: Any) -> float | None:
    """Refuse a service someone else forced down while its heartbeat is fresh (or unknown).

    A forced-down nova-compute keeps heartbeating (Nova only ignores it), so ``state: down``
    proves nothing; a heartbeat older than ``service_down_time`` does.
    """
    age = heartbeat_age(svc, now)
    if age is not None and age > service_down_time:
        return age
    if age is None:
        seen = "Nova reports no heartbeat time for it (updated_at is empty)"
    else:
        seen = "its last heartbeat was %s s ago (updated_at %s), within service_down_time=%s s" % (
            age,
            svc.get("updated_at"),
            service_down_time,
        )
    raise ComputeHostError(
        "refusing to evacuate %s: its nova-compute service is forced down, but not by this module "
        "after Nova saw it dead, and Nova reports every forced-down service as down whether it "
        "runs or not; %s, so nova-compute may still be running its guests, and evacuating would "
        "give two copies writing the same disks. Stop nova-compute or fence the host (power it "
        "off), wait until its last heartbeat is older than %s s (openstack compute service list "
        "--long shows Updated At), and run again. Nothing was changed. (If the heartbeat keeps "
        "coming, the host is alive: drain it instead, after 'openstack compute service set --up "
        "%s nova-compute'.)" % (host, seen, service_down_time, host),
        service=service_view(svc),
        heartbeat_age=age,
        service_down_time=service_down_time,
    )


def evacuation_guard(nova: Any, host: str) -> tuple[list[dict], list[dict]]:
    """Unfinished evacuations from ``host`` and allocations Nova left on it (for state=enabled)."""
    migs = nova.evacuation_migrations(host)
    unfinished = [m for m in migs if m.get("status") in UNFINISHED_EVACUATION]
    stale = []
    if not migs:
        return unfinished, stale  # never evacuated: nothing to clean up after
    for alloc in nova.provider_allocations(host):
        srv = nova.get_server(alloc["consumer"])
        if srv is not None and srv.get("host") and srv.get("host") != host:
            stale.append(
                {
                    "consumer": alloc["consumer"],
                    "name": srv.get("name"),
                    "now_on": srv.get("host"),
                    "resources": alloc.get("resources"),
                }
            )
    return unfinished, stale


def _usable(s: dict) -> bool:
    """An enabled, up, not forced-down service: one the scheduler may place instances on."""
    return s.get("status") == "enabled" and service_is_up(s) and not s.get("forced_down")


def _disabled(s: dict) -> bool:
    return s.get("status") == "disabled" or bool(s.get("forced_down"))


def zone_guard(nova: Any, services: list[dict], svc: dict, opts: Any, reason: str | None) -> str | None:
    """Refuse to disable ``svc`` when its availability zone or aggregates would be left too empty.

    Counted on the live service list (``services``, read just before this host): after the host
    is disabled at least ``opts.min_enabled_hosts`` other enabled, up compute hosts must remain in
    its availability zone and in each aggregate it belongs to, and no more than
    ``opts.max_disabled_share`` of the zone may be disabled (hosts disabled or forced down for
    any reason count). A one-host aggregate is not counted (it cannot keep a host while its
    only host is maintained; the zone rule still holds). Nova's API does not say which cell a
    host is in, so the cell is covered only through its zone and aggregates.
    ``opts.allow_empty_zone`` lets it pass and returns ``reason`` with the override noted, for
    the disabled reason. A service already disabled changes nothing: ``reason`` is returned.
    """
    if svc.get("status") == "disabled":
        return reason
    host = svc.get("host")
    computes = [s for s in services if s.get("binary") == svc.get("binary", "nova-compute")]
    groups = [
        (
            "availability zone %s" % (svc.get("zone") or "(none)"),
            [s for s in computes if s.get("zone") == svc.get("zone")],
            True,
        )
    ]
    for agg in nova.aggregates() if hasattr(nova, "aggregates") else ():
        members = set(agg.get("hosts") or ())
        if host in members and len(members) > 1:
            groups.append(
                ("aggregate %s" % agg.get("name"), [s for s in computes if s.get("host") in members], False)
            )
    problems = []
    for label, members, is_zone in groups:
        left = sorted(s["host"] for s in members if s.get("host") != host and _usable(s))
        if len(left) < opts.min_enabled_hosts:
            problems.append(
                "%s would keep %d enabled, up compute host(s) (%s) of %d, fewer than min_enabled_hosts=%d"
                % (label, len(left), ", ".join(left) or "none", len(members), opts.min_enabled_hosts)
            )
        if is_zone and members:
            off = sorted({s["host"] for s in members if _disabled(s)} | {host})
            share = len(off) / len(members)
            if share > opts.max_disabled_share:
                problems.append(
                    "%s would have %d of %d compute hosts disabled (%s), a share of %.2f, more than "
                    "max_disabled_share=%.2f"
                    % (label, len(off), len(members), ", ".join(off), share, opts.max_disabled_share)
                )
    if not problems:
        return reason
    if opts.allow_empty_zone:
        note = "allow_empty_zone: " + "; ".join(p.split(",")[0] for p in problems)
        return "%s (%s)" % (reason, note) if reason else note
    raise ComputeHostError(
        "refusing to disable %s: %s. Each later host would push its instances onto hosts disabled next, "
        "and the last would have nowhere to go. Nothing was changed on %s. Name fewer hosts (-l HOST), "
        "enable hosts first (restore.yml), or, when emptying it is really meant, set "
        "allow_empty_zone=true (recorded in the disabled reason)." % (host, "; ".join(problems), host),
        zone_problems=problems,
    )
