# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight of a drain or an evacuation: will every instance fit elsewhere, before anything changes?

For each instance that is to move (off the host, and off the other hosts of the same batch) it
asks Placement itself (``GET /allocation_candidates``: the resources the instance holds now, the
flavor's and image's required and forbidden traits, ``member_of`` the aggregates of its pinned
availability zone, ``in_tree`` the target host), then applies what Nova's scheduler checks and
Placement does not know: the compute service enabled and up, the host outside the batch, the
availability zone, ``aggregate_instance_extra_specs`` (AggregateInstanceExtraSpecsFilter) and
server-group (anti-)affinity. Instances are packed first-fit-decreasing (largest memory first),
each on the fitting host with the most free memory (Nova's default RAM weigher spreads): what an
earlier instance of the plan takes is subtracted from the providers' free capacity (capacity minus
used, from ``provider_summaries``), so two instances never both take the last slot.

Not modelled (noted per instance): NUMA and huge-page fit (NUMATopologyFilter uses the host's NUMA
topology, which the API does not expose) and the hypervisor's live-migration checks.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import classify
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    ConflictError,
    TransientError,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.report import fill_result

UNPLACEABLE_ACTIONS = ("fail", "stop", "skip")
# 1.36: in_tree (1.31), forbidden traits with "!" (1.22), member_of=in: (1.24), root/parent in
# provider_summaries (1.29), numbered groups with string suffixes (1.33).
PLACEMENT_MICROVERSION = "1.36"
MOVE_CLASSES = ("live", "cold", "evacuate")
SHOWN_CANDIDATES = 10
_GROUP_KEY = re.compile(r"^(resources|trait)([A-Za-z0-9_-]*):(.+)$")
_AGG_SCOPE = "aggregate_instance_extra_specs"
_NUMA_SPECS = ("hw:numa_nodes", "hw:mem_page_size", "hw:cpu_policy", "hw:cpu_thread_policy")


_SHOWN_EARLIER = 5  # instances named when a host is full of earlier-planned moves
_SHOWN_REFUSED = 8  # refused hosts named when no destination is left


class PreflightOptions:
    """The module's pre-flight options: ``unplaceable`` (fail|stop|skip), ``batch_hosts``."""

    def __init__(self, unplaceable: str = "fail", batch_hosts: Any = ()) -> None:
        if unplaceable not in UNPLACEABLE_ACTIONS:
            raise ComputeHostError(
                "unplaceable=%r is not one of %s; nothing was changed"
                % (unplaceable, ", ".join(UNPLACEABLE_ACTIONS)),
                option="unplaceable",
                value=unplaceable,
            )
        self.unplaceable = unplaceable
        self.batch_hosts = [str(h) for h in (batch_hosts or ())]


class Gate:
    """The pre-flight's verdict for the caller: ``halt`` (return ``result`` as is) and the classifier."""

    def __init__(self, halt: bool = False, classifier: Callable[..., tuple] | None = None) -> None:
        self.halt = halt
        self.classifier = classifier


# -- what an instance asks for ---------------------------------------------------------------
def extra_spec_match(value: str | None, req: str) -> bool:
    """Nova's ``extra_specs_ops.match`` (nova/scheduler/filters/extra_specs_ops.py)."""
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda x, y: float(x) >= float(y),
        "<in>": lambda x, y: y in x,
        "<all-in>": lambda x, y: all(v in x for v in y),
        "==": lambda x, y: float(x) == float(y),
        "!=": lambda x, y: float(x) != float(y),
        ">=": lambda x, y: float(x) >= float(y),
        "<=": lambda x, y: float(x) <= float(y),
        "s==": lambda x, y: x == y,
        "s!=": lambda x, y: x != y,
        "s<": lambda x, y: x < y,
        "s<=": lambda x, y: x <= y,
        "s>": lambda x, y: x > y,
        "s>=": lambda x, y: x >= y,
    }
    words = str(req).split()
    op = words.pop(0) if words else None
    if op != "<or>" and op not in ops:
        return value == req
    if value is None:
        return False
    if op == "<or>":
        return value in words[::2]
    if not words:
        return False
    try:
        return bool(ops[op](value, words if op == "<all-in>" else words[0]))
    except ValueError:
        return False


def flavor_resources(flavor: dict, volume_backed: bool) -> dict[str, int]:
    """The resources Nova asks Placement for a flavor (when Placement holds no allocation to copy)."""
    specs = flavor.get("extra_specs") or {}
    res: dict[str, int] = {}
    cpu_class = "PCPU" if specs.get("hw:cpu_policy") == "dedicated" else "VCPU"
    res[cpu_class] = int(flavor.get("vcpus") or 0)
    res["MEMORY_MB"] = int(flavor.get("ram") or 0)
    disk = (0 if volume_backed else int(flavor.get("disk") or 0)) + int(flavor.get("ephemeral") or 0)
    disk += math.ceil(int(flavor.get("swap") or 0) / 1024)
    res["DISK_GB"] = disk
    for key, value in specs.items():
        m = _GROUP_KEY.match(key)
        if m and m.group(1) == "resources" and not m.group(2):
            res[m.group(3)] = int(value)
    return {rc: n for rc, n in res.items() if n}


def instance_request(server: dict, allocation: dict[str, dict], image_props: dict) -> dict:
    """Placement request groups of one instance: amounts from its allocation, traits from specs.

    ``allocation``: provider -> {resource class: amount} held now (the exact result of Nova's own
    request, PCPU, custom classes and nested providers included); the numbered groups of the
    flavor (``resourcesN:``/``traitN:``) keep their own group, the rest is the unsuffixed group.
    """
    flavor = server.get("flavor_details") or {}
    specs = flavor.get("extra_specs") or {}
    groups: dict[str, dict] = {}
    image_traits = [(k, v) for k, v in image_props.items() if k.startswith("trait:")]
    for key, value in list(specs.items()) + image_traits:
        m = _GROUP_KEY.match(key)
        if not m:
            continue
        kind, suffix, name = m.groups()
        g = groups.setdefault(suffix, {"resources": {}, "required": [], "forbidden": []})
        if kind == "resources":
            g["resources"][name] = int(value)
        elif str(value).lower() == "required":
            g["required"].append(name)
        elif str(value).lower() == "forbidden":
            g["forbidden"].append(name)
    total: dict[str, int] = {}
    for res in allocation.values():
        for rc, n in res.items():
            total[rc] = total.get(rc, 0) + int(n)
    if not total:
        total = flavor_resources(flavor, not server.get("image_id"))
    plain = groups.setdefault("", {"resources": {}, "required": [], "forbidden": []})
    numbered = {s: g for s, g in groups.items() if s}
    for g in numbered.values():
        for rc, n in g["resources"].items():
            total[rc] = total.get(rc, 0) - n
    plain["resources"] = {rc: n for rc, n in sorted(total.items()) if n > 0}
    notes = [
        "%s=%s: NUMA/huge-page fit is checked by Nova on the destination, not by this plan" % (k, specs[k])
        for k in _NUMA_SPECS
        if k in specs and not (k == "hw:cpu_policy" and specs[k] != "dedicated")
    ]
    agg = {
        (k.split(":", 1)[1] if ":" in k else k): v
        for k, v in specs.items()
        if k.startswith(_AGG_SCOPE + ":") or ":" not in k
    }
    return {
        "groups": groups,
        "group_policy": specs.get("group_policy") or ("none" if len(numbered) > 1 else None),
        "aggregate_specs": agg if any(k.startswith(_AGG_SCOPE + ":") for k in specs) else {},
        "notes": notes,
    }


def _fmt(resources: dict[str, int]) -> str:
    return ",".join("%s:%d" % (rc, n) for rc, n in sorted(resources.items()))


def candidate_query(request: dict, member_of: list[str] | None, in_tree: str | None) -> list[tuple[str, str]]:
    """The query string of ``GET /allocation_candidates`` (repeated keys kept)."""
    q: list[tuple[str, str]] = []
    for suffix, g in sorted(request["groups"].items()):
        if g["resources"]:
            q.append(("resources" + suffix, _fmt(g["resources"])))
        traits = sorted(g["required"]) + ["!" + t for t in sorted(g["forbidden"])]
        if traits and (g["resources"] or not suffix):
            q.append(("required" + suffix, ",".join(traits)))
    if request.get("group_policy"):
        q.append(("group_policy", request["group_policy"]))
    if member_of:
        q.append(("member_of", "in:" + ",".join(sorted(member_of))))
    if in_tree:
        q.append(("in_tree", in_tree))
    return q


# -- the planner -----------------------------------------------------------------------------
class Planner:
    """One plan over the instances of ``host`` (and of ``batch``); caches every read."""

    def __init__(
        self,
        nova: Any,
        host: str,
        services: list[dict],
        batch: list[str],
        target: str | None,
        markers: Any = (),
        classifier: Callable[..., tuple] = classify,
    ) -> None:
        self.nova = nova
        self.host = host
        self.target = target
        self.markers = markers
        self.classifier = classifier
        computes = [s for s in services if s.get("binary") == "nova-compute"]
        known = {s.get("host") for s in computes}
        unknown = [b for b in batch if b not in known]
        if unknown:
            raise ComputeHostError(
                "batch_hosts names unknown compute host(s) %s; known: %s. Nothing was changed."
                % (", ".join(unknown), ", ".join(sorted(h for h in known if h)) or "(none)"),
                option="batch_hosts",
                value=unknown,
            )
        self.batch = [b for b in dict.fromkeys(batch) if b != host]
        self.excluded = {host: "the host being emptied"}
        self.excluded.update({b: "out in the same batch" for b in self.batch})
        self.unusable = {
            s["host"]: ("disabled" if s.get("status") != "enabled" else "its nova-compute is down")
            for s in computes
            if s.get("status") != "enabled" or s.get("state") != "up" or s.get("forced_down")
        }
        self.zone = {s.get("host"): s.get("zone") for s in computes}
        self.requests = {"placement": 0, "allocations": 0, "nova": 0}
        self._cands: dict[tuple, dict] = {}
        self._images: dict[str, dict] = {}
        self._aggs: list[dict] | None = None
        self._nodes: list[dict] | None = None
        self._hosts_of_members: dict[str, str | None] = {}
        self.planned: dict[str, dict[str, int]] = {}  # provider -> resource class -> amount
        self.placed: dict[str, str] = {}  # instance id -> planned host
        self.placed_on: dict[str, list[str]] = {}  # host -> instance names planned there
        self.moving_ids: dict[str, str] = {}  # instance id -> the host it leaves
        self.names: dict[str, str] = {}

    # reads
    def _call(self, kind: str, fn: Callable[..., Any], *args: Any) -> Any:
        self.requests[kind] += 1
        return fn(*args)

    def nodes(self) -> list[dict]:
        if self._nodes is None:
            self._nodes = self._call("nova", self.nova.compute_nodes)
        return self._nodes

    def aggregates(self) -> list[dict]:
        if self._aggs is None:
            self._aggs = self._call("nova", self.nova.aggregates)
        return self._aggs

    def image(self, image_id: str | None) -> dict:
        if not image_id:
            return {}
        if image_id not in self._images:
            self._images[image_id] = self._call("nova", self.nova.image_properties, image_id)
        return self._images[image_id]

    def candidates(self, query: list[tuple[str, str]]) -> dict:
        key = tuple(query)
        if key not in self._cands:
            self._cands[key] = self._call(
                "placement", self.nova.allocation_candidates, query, PLACEMENT_MICROVERSION
            )
        return self._cands[key]

    def member_host(self, member: str) -> str | None:
        if member not in self._hosts_of_members:
            srv = self._call("nova", self.nova.get_server, member)
            self._hosts_of_members[member] = srv.get("host") if srv else None
            self.names[member] = (srv or {}).get("name") or member
        return self._hosts_of_members[member]

    # the plan
    def plan(self) -> dict:
        t0 = time.monotonic()
        moving: list[tuple[str, dict]] = []
        for h in [self.host] + self.batch:
            for srv in self._call("nova", self.nova.planning_servers, h):
                self._hosts_of_members[srv["id"]] = h
                self.names[srv["id"]] = srv.get("name") or srv["id"]
                klass = self.classifier(dict(srv, _source=h), self.markers, None)[0]
                if klass in MOVE_CLASSES:
                    moving.append((h, srv))
        rows = []
        if moving:
            groups = self._call("nova", self.nova.server_groups) or []
            by_member: dict[str, list[dict]] = {}
            for g in groups:
                for m in g.get("members") or ():
                    by_member.setdefault(m, []).append(g)
            self.moving_ids = {srv["id"]: h for h, srv in moving}
            work = []
            for h, srv in moving:
                alloc = self._call("allocations", self.nova.consumer_allocations, srv["id"])
                work.append((h, srv, instance_request(srv, alloc, self.image(srv.get("image_id")))))

            def size(item: tuple) -> tuple:
                res = item[2]["groups"][""]["resources"]
                cpu = res.get("VCPU", 0) + res.get("PCPU", 0)
                return (-res.get("MEMORY_MB", 0), -cpu, -res.get("DISK_GB", 0), item[1].get("name") or "")

            for h, srv, req in sorted(work, key=size):
                rows.append(self.place(h, srv, req, by_member.get(srv["id"], [])))
        bad = [r for r in rows if not r["destination"]]
        return {
            "ok": not bad,
            "host": self.host,
            "batch_hosts": self.batch,
            "excluded_hosts": dict(self.excluded),
            "target_host": self.target,
            "instances": rows,
            "unplaceable": [
                {"id": r["id"], "name": r["name"], "host": r["host"], "reason": r["reason"]} for r in bad
            ],
            "requests": dict(self.requests),
            "seconds": round(time.monotonic() - t0, 2),
        }

    def _query_scope(self, srv: dict) -> tuple[list[str] | None, str | None, str | None]:
        """(member_of aggregate uuids, in_tree provider, refusal) for the instance's AZ and target."""
        member_of = None
        az = srv.get("pinned_availability_zone")
        if az:
            aggs = self.aggregates()
            uuids = [a["uuid"] for a in aggs if a.get("availability_zone") == az and a.get("uuid")]
            if uuids:
                member_of = uuids
        in_tree = None
        if self.target:
            nodes = [n for n in self.nodes() if n.get("host") == self.target]
            if not nodes:
                return member_of, None, "target_host %s has no compute node in Nova" % self.target
            if len(nodes) == 1:
                in_tree = nodes[0]["uuid"]
        return member_of, in_tree, None

    def _host_of(self, alloc_req: dict, summaries: dict, roots: dict) -> str | None:
        for rp in alloc_req.get("allocations") or {}:
            root = (summaries.get(rp) or {}).get("root_provider_uuid") or rp
            if root in roots:
                return roots[root]
        return None

    def _room(self, alloc_req: dict, summaries: dict) -> bool:
        for rp, a in (alloc_req.get("allocations") or {}).items():
            have = (summaries.get(rp) or {}).get("resources") or {}
            for rc, n in (a.get("resources") or {}).items():
                s = have.get(rc) or {}
                free = (s.get("capacity") or 0) - (s.get("used") or 0) - self.planned.get(rp, {}).get(rc, 0)
                if free < n:
                    return False
        return True

    def _free_memory(self, alloc_req: dict, summaries: dict) -> int:
        for rp in alloc_req.get("allocations") or {}:
            s = ((summaries.get(rp) or {}).get("resources") or {}).get("MEMORY_MB")
            if s:
                planned = self.planned.get(rp, {}).get("MEMORY_MB", 0)
                return (s.get("capacity") or 0) - (s.get("used") or 0) - planned
        return 0

    def _nova_filters(self, srv: dict, host: str, req: dict, groups: list[dict]) -> str | None:  # noqa: PLR0911  one per Nova filter
        """Why Nova's scheduler would refuse ``host`` for ``srv`` (Placement aside), or None."""
        if host in self.excluded:
            return self.excluded[host]
        if host in self.unusable:
            return self.unusable[host]
        if host not in self.zone:
            return "no nova-compute service on it"

        if self.target and host != self.target:
            return "not the target_host"
        az = srv.get("pinned_availability_zone")
        if az and self.zone.get(host) != az:
            return "in availability zone %s, the instance is pinned to %s" % (self.zone.get(host), az)
        if req["aggregate_specs"]:
            meta: dict[str, set] = {}
            for a in self.aggregates():
                if host in (a.get("hosts") or ()):
                    for k, v in (a.get("metadata") or {}).items():
                        meta.setdefault(k, set()).update(x.strip() for x in str(v).split(","))
            for key, want in sorted(req["aggregate_specs"].items()):
                if not any(extra_spec_match(v, want) for v in meta.get(key, ())):
                    return "no aggregate of the host has %s matching %r (aggregate_instance_extra_specs)" % (
                        key,
                        want,
                    )
        for g in groups:
            policy = g.get("policy")
            label = "server group %s (%s)" % (g.get("name") or g.get("id"), policy)
            others = [m for m in g.get("members") or () if m != srv["id"]]
            where = {m: self._where(m) for m in others}
            if policy == "anti-affinity" and host in where.values():
                names = [self.names.get(m, m) for m, h in where.items() if h == host]
                return "%s: member %s is%s there" % (
                    label,
                    ", ".join(names),
                    " planned to go" if any(self.placed.get(m) == host for m in where) else "",
                )
            if policy == "affinity":
                hosts = {h for h in where.values() if h}
                if hosts and host not in hosts:
                    return "%s: the other members are on %s" % (label, ", ".join(sorted(hosts)))
        return None

    def _where(self, member: str) -> str | None:
        """Where a group member will be: its planned host, None if it moves and is not planned yet."""
        if member in self.placed:
            return self.placed[member]
        if member in self.moving_ids:
            return None
        return self.member_host(member)

    def place(self, source: str, srv: dict, req: dict, groups: list[dict]) -> dict:
        row = {
            "id": srv["id"],
            "name": srv.get("name"),
            "host": source,
            "flavor": (srv.get("flavor_details") or {}).get("name"),
            "resources": req["groups"][""]["resources"],
            "required_traits": sorted({t for g in req["groups"].values() for t in g["required"]}),
            "forbidden_traits": sorted({t for g in req["groups"].values() for t in g["forbidden"]}),
            "availability_zone": srv.get("pinned_availability_zone"),
            "candidates": [],
            "candidate_count": 0,
            "destination": None,
            "reason": None,
            "notes": req["notes"],
        }
        for g in groups:
            others = [m for m in g.get("members") or () if m != srv["id"]]
            if g.get("policy") == "affinity" and any(self.moving_ids.get(m) == source for m in others):
                row["reason"] = (
                    "server group %s (affinity): other members share %s and Nova moves members one at a "
                    "time, so no destination satisfies affinity" % (g.get("name") or g.get("id"), source)
                )
                return row
        member_of, in_tree, refusal = self._query_scope(srv)
        if refusal:
            row["reason"] = refusal
            return row
        query = candidate_query(req, member_of, in_tree)
        answer = self.candidates(query)
        summaries = answer.get("provider_summaries") or {}
        roots = {n["uuid"]: n["host"] for n in self.nodes() if n.get("uuid")}
        by_host: dict[str, list[dict]] = {}
        for areq in answer.get("allocation_requests") or []:
            h = self._host_of(areq, summaries, roots)
            if h:
                by_host.setdefault(h, []).append(areq)
        refused: dict[str, str] = {}
        fits: list[tuple[int, str, dict]] = []
        for h in sorted(by_host):
            why = self._nova_filters(srv, h, req, groups)
            if why:
                refused[h] = why
                continue
            row["candidates"].append(h)
            room = [a for a in by_host[h] if self._room(a, summaries)]
            if not room:
                earlier = self.placed_on.get(h, [])
                refused[h] = "full once the %d instance(s) planned there before it move (%s)" % (
                    len(earlier),
                    ", ".join(earlier[:_SHOWN_EARLIER]) + (" ..." if len(earlier) > _SHOWN_EARLIER else ""),
                )
                continue
            fits.append((self._free_memory(room[0], summaries), h, room[0]))
        row["candidate_count"] = len(row["candidates"])
        row["candidates"] = row["candidates"][:SHOWN_CANDIDATES]
        if not fits:
            row["reason"] = self._why_none(req, srv, member_of, in_tree, refused)
            return row
        fits.sort(key=lambda f: (-f[0], f[1]))
        dest, areq = fits[0][1], fits[0][2]
        for rp, a in (areq.get("allocations") or {}).items():
            for rc, n in (a.get("resources") or {}).items():
                self.planned.setdefault(rp, {})[rc] = self.planned.get(rp, {}).get(rc, 0) + n
        self.placed[srv["id"]] = dest
        self.placed_on.setdefault(dest, []).append(srv.get("name") or srv["id"])
        row["destination"] = dest
        return row

    def _why_none(self, req: dict, srv: dict, member_of: Any, in_tree: Any, refused: dict[str, str]) -> str:
        ask = _fmt(req["groups"][""]["resources"])
        traits = ["%s" % t for t in sorted({t for g in req["groups"].values() for t in g["required"]})]
        traits += ["!%s" % t for t in sorted({t for g in req["groups"].values() for t in g["forbidden"]})]
        scope = ""
        if traits:
            scope += " with traits %s" % ",".join(traits)
        if member_of:
            scope += " in availability zone %s" % srv.get("pinned_availability_zone")
        if in_tree:
            scope += " on target_host %s" % self.target
        if not refused:
            return "Placement has no resource provider with room for %s%s (GET /allocation_candidates)" % (
                ask,
                scope,
            )
        shown = sorted(refused.items())
        text = "; ".join("%s: %s" % hw for hw in shown[:_SHOWN_REFUSED])
        if len(shown) > _SHOWN_REFUSED:
            text += "; and %d more host(s)" % (len(shown) - _SHOWN_REFUSED)
        return "no destination for %s%s: Placement offers %d host(s), refused: %s" % (
            ask,
            scope,
            len(refused),
            text,
        )


# -- the gate called by drain and evacuate before anything changes ---------------------------
def preflight_gate(  # noqa: PLR0913, PLR0917  core entry point: one parameter per module option
    nova: Any,
    host: str,
    opts: Any,
    services: list[dict],
    result: dict,
    options: PreflightOptions | None,
    check_mode: bool,
    operation: str = "drain",
    classifier: Callable[..., tuple] | None = None,
) -> Gate:
    """Plan the moves; refuse (``unplaceable=fail``), halt (``stop``) or block the misfits (``skip``).

    Puts the plan in ``result["preflight"]``. With ``options`` None nothing is planned.
    """
    base = classifier or classify
    if options is None:
        return Gate(classifier=classifier)
    try:
        report = Planner(
            nova, host, services, options.batch_hosts, opts.target_host, opts.markers, base
        ).plan()
    except (TransientError, ConflictError) as exc:
        raise ComputeHostError(
            "pre-flight of the %s of %s could not read Nova or Placement (%s); nothing was changed. "
            "Run again once the APIs answer (or set preflight=false to skip the check)."
            % (operation, host, exc)
        ) from exc
    report["unplaceable_action"] = options.unplaceable
    result["preflight"] = report
    if report["ok"] or check_mode:
        return Gate(classifier=classifier)
    bad = report["unplaceable"]
    names = "; ".join("%s (%s) on %s: %s" % (b["name"], b["id"], b["host"], b["reason"]) for b in bad)
    mine = {b["id"]: b["reason"] for b in bad if b["host"] == host}
    state = "still enabled" if (result.get("service") or {}).get("status") == "enabled" else "unchanged"
    if options.unplaceable == "fail":
        raise ComputeHostError(
            "refusing to %s %s: %d instance(s) have no destination, so nothing was changed (%s is %s): %s. "
            "Free capacity elsewhere, relax the constraint named, drain fewer hosts at once, or set "
            "unplaceable=skip (move the others, leave these) or unplaceable=stop (end without changes)."
            % (operation, host, len(bad), host, state, names),
            preflight=report,
            unplaceable=bad,
            plan=result.get("plan"),
        )
    if options.unplaceable == "stop":
        result["changed"] = False
        result["msg"] = "pre-flight: %d instance(s) have no destination, stopped before any change: %s" % (
            len(bad),
            names,
        )
        fill_result(result, [], [], operation, host)
        return Gate(halt=True, classifier=classifier)
    for row in result.get("plan") or ():
        if row.get("id") in mine:
            row.update({"class": "blocked", "action": "none", "reason": "pre-flight: " + mine[row["id"]]})

    def skip_unplaceable(server: dict, markers: Any = (), group_reason: str | None = None) -> tuple:
        klass, action, reason = base(server, markers, group_reason)
        if server.get("id") in mine and klass in MOVE_CLASSES:
            return "blocked", "none", "pre-flight: " + mine[server["id"]]
        return klass, action, reason

    return Gate(classifier=skip_unplaceable)
