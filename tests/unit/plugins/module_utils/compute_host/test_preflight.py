"""Unit tests of the drain/evacuation pre-flight (compute_host/preflight.py).

The planner's own logic (request building, packing, Nova-side filters, the fail/stop/skip gate)
runs against ``PlacementFake``: ``FakeNova`` plus a Placement that answers
``GET /allocation_candidates`` for one root provider per host. The real Placement and Nova are
exercised by tests/integration/test_compute_host_preflight.py on the sandbox; these cover the
cases the sandbox cannot produce cheaply (custom resource classes, numbered groups, traits).
"""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.drain import drain
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import ComputeHostError
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.preflight import (
    PreflightOptions,
    candidate_query,
    extra_spec_match,
    flavor_resources,
    instance_request,
)

from .fakes import FakeNova, mutations, opts, run_evacuate

TINY = {"name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0, "swap": 0, "extra_specs": {}}
SMALL = dict(TINY, name="m1.small", ram=2048, disk=20)


class PlacementFake(FakeNova):
    """FakeNova with one resource provider per host (capacity = total * ratio - reserved)."""

    def __init__(self, memory=4096, **kw):
        super().__init__(**kw)
        self.capacity = {
            h["host"]: {"VCPU": 32, "MEMORY_MB": memory, "DISK_GB": 500}
            for h in self.services_
            if h["binary"] == "nova-compute"
        }
        self.traits = {h: set() for h in self.capacity}
        self.flavors = {}
        self.aggs = []
        self.pinned = {}
        self.candidate_queries = []
        for s in self.services_:
            s.setdefault("zone", "nova")

    def add(self, sid, host="compute1", flavor=None, az=None, **kw):
        super().add(sid, host=host, **kw)
        self.flavors[sid] = flavor or TINY
        self.pinned[sid] = az

    def _alloc(self, sid):
        return flavor_resources(self.flavors.get(sid, TINY), False)

    def planning_servers(self, host):
        self._guard("planning_servers", host)
        return [
            dict(
                s,
                flavor_details=self.flavors.get(s["id"], TINY),
                pinned_availability_zone=self.pinned.get(s["id"]),
            )
            for s in self.host_servers(host)
        ]

    def consumer_allocations(self, consumer):
        srv = self.servers[consumer]
        return {"rp-" + srv["host"]: self._alloc(consumer)}

    def compute_nodes(self):
        return [{"uuid": "rp-" + h, "name": h, "host": h} for h in self.capacity]

    def aggregates(self):
        return list(self.aggs)

    def image_properties(self, image_id):
        return {}

    def allocation_candidates(self, query, microversion):
        self.candidate_queries.append((query, microversion))
        q = dict(query)
        want = {rc: int(n) for rc, n in (kv.split(":") for kv in q["resources"].split(","))}
        traits = q.get("required", "").split(",") if q.get("required") else []
        reqs, sums = [], {}
        for h, cap in self.capacity.items():
            used = {}
            for sid, srv in self.servers.items():
                if srv["host"] == h:
                    for rc, n in self._alloc(sid).items():
                        used[rc] = used.get(rc, 0) + n
            if "in_tree" in q and q["in_tree"] != "rp-" + h:
                continue
            ok_traits = all(
                (t[1:] not in self.traits[h]) if t.startswith("!") else (t in self.traits[h]) for t in traits
            )
            if ok_traits and all(cap.get(rc, 0) - used.get(rc, 0) >= n for rc, n in want.items()):
                reqs.append({"allocations": {"rp-" + h: {"resources": want}}})
                sums["rp-" + h] = {
                    "resources": {rc: {"capacity": cap[rc], "used": used.get(rc, 0)} for rc in cap},
                    "root_provider_uuid": "rp-" + h,
                }
        return {"allocation_requests": reqs, "provider_summaries": sums}


def run_drain(nova, tmp_path, pre=None, check_mode=False, target=None):
    return drain(
        nova,
        "compute1",
        opts(target_host=target),
        str(tmp_path / "state.json"),
        "sandbox",
        reason="kernel",
        user="alice",
        check_mode=check_mode,
        log_path=str(tmp_path / "drain.log"),
        clock=nova.clock,
        sleep=nova.sleep,
        preflight=pre or PreflightOptions(),
    )


# -- request building (Nova's semantics, from nova/scheduler/utils.py and extra_specs_ops.py) ----
def test_extra_spec_match_follows_nova_operators():
    # cases from nova/tests/unit/scheduler/filters/test_extra_specs_ops.py
    assert extra_spec_match("123", "= 123")
    assert extra_spec_match("124", "= 123")
    assert not extra_spec_match("122", "= 123")
    assert extra_spec_match("12311321", "<in> 11")
    assert not extra_spec_match("12310321", "<in> 11")
    assert extra_spec_match("[aes mmx aux]", "<all-in> aes mmx")
    assert extra_spec_match("12", "<or> 11 <or> 12")
    assert not extra_spec_match("13", "<or> 11 <or> 12")
    assert extra_spec_match("true", "true")
    assert not extra_spec_match("false", "true")
    assert not extra_spec_match("abc", ">= 1")


def test_flavor_resources_pcpu_custom_classes_and_volume_backed():
    flavor = dict(
        SMALL,
        vcpus=4,
        ephemeral=10,
        swap=1536,
        extra_specs={
            "hw:cpu_policy": "dedicated",
            "resources:CUSTOM_GPU_SLICE": "2",
            "resources:DISK_GB": "0",
        },
    )
    assert flavor_resources(flavor, volume_backed=False) == {
        "PCPU": 4,
        "MEMORY_MB": 2048,
        "CUSTOM_GPU_SLICE": 2,
    }
    assert flavor_resources(dict(SMALL, ephemeral=5), volume_backed=True) == {
        "VCPU": 1,
        "MEMORY_MB": 2048,
        "DISK_GB": 5,
    }


def test_instance_request_keeps_numbered_groups_and_traits():
    flavor = dict(
        SMALL,
        extra_specs={
            "trait:HW_CPU_X86_AVX2": "required",
            "trait:CUSTOM_SLOW": "forbidden",
            "resources1:VGPU": "1",
            "trait1:CUSTOM_NVIDIA": "required",
            "aggregate_instance_extra_specs:ssd": "true",
            "hw:mem_page_size": "large",
        },
    )
    alloc = {"rp-root": {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}, "rp-gpu": {"VGPU": 1}}
    req = instance_request(
        {"flavor_details": flavor, "image_id": "img"}, alloc, {"trait:CUSTOM_IMG": "required"}
    )
    q = candidate_query(req, ["agg-1"], "rp-target")
    assert ("resources", "DISK_GB:20,MEMORY_MB:2048,VCPU:1") in q
    assert ("required", "CUSTOM_IMG,HW_CPU_X86_AVX2,!CUSTOM_SLOW") in q
    assert ("resources1", "VGPU:1") in q and ("required1", "CUSTOM_NVIDIA") in q
    assert ("member_of", "in:agg-1") in q and ("in_tree", "rp-target") in q
    assert req["aggregate_specs"] == {"ssd": "true"}
    assert req["notes"] and "hw:mem_page_size" in req["notes"][0]


# -- packing and Nova-side filters -----------------------------------------------------------
def test_two_instances_cannot_both_take_the_last_slot(tmp_path):
    nova = PlacementFake(memory=2048 + 512)  # each other host has room for one m1.small
    nova.add("a", flavor=SMALL)
    nova.add("b", flavor=SMALL)
    nova.add("c", flavor=SMALL)
    res = run_drain(nova, tmp_path, check_mode=True)
    pre = res["preflight"]
    assert not pre["ok"]
    assert sorted(r["destination"] for r in pre["instances"] if r["destination"]) == ["compute2", "compute3"]
    (bad,) = pre["unplaceable"]
    assert "full once the 1 instance(s) planned there before it move" in bad["reason"]
    assert len(nova.candidate_queries) == 1  # identical requests: one Placement query
    assert mutations(nova) == []


def test_fail_refuses_before_any_change_naming_each_instance(tmp_path):
    nova = PlacementFake(memory=1024)
    nova.add("a", flavor=SMALL)
    with pytest.raises(ComputeHostError) as err:
        run_drain(nova, tmp_path)
    assert "vm-a (a) on compute1" in err.value.msg and "still enabled" in err.value.msg
    assert (
        "Placement has no resource provider with room for DISK_GB:20,MEMORY_MB:2048,VCPU:1" in err.value.msg
    )
    assert mutations(nova) == []
    assert nova.services_[0]["status"] == "enabled"


def test_stop_ends_without_change_and_skip_moves_the_rest(tmp_path):
    nova = PlacementFake(memory=4096)
    nova.add("big", flavor=dict(SMALL, ram=8192))
    nova.add("small")
    res = run_drain(nova, tmp_path, PreflightOptions("stop"))
    assert res["changed"] is False and mutations(nova) == []
    assert [u["name"] for u in res["preflight"]["unplaceable"]] == ["vm-big"]
    res = run_drain(nova, tmp_path, PreflightOptions("skip"))
    assert nova.servers["small"]["host"] != "compute1" and nova.servers["big"]["host"] == "compute1"
    assert [("vm-big", "blocked")] == [
        (r["name"], r["class"]) for r in res["plan"] if r["class"] == "blocked"
    ]
    assert res["failed"]  # an instance left on the host fails the task, as any blocked one


def test_batch_fits_one_at_a_time_but_not_together(tmp_path):
    nova = PlacementFake(memory=2048 + 1024)
    nova.add("a", flavor=SMALL)
    nova.add("b", host="compute2", flavor=SMALL)
    assert run_drain(nova, tmp_path, check_mode=True)["preflight"]["ok"]
    res = run_drain(nova, tmp_path, PreflightOptions(batch_hosts=["compute2", "compute1"]), check_mode=True)
    pre = res["preflight"]
    assert pre["excluded_hosts"] == {
        "compute1": "the host being emptied",
        "compute2": "out in the same batch",
    }
    assert not pre["ok"] and len(pre["unplaceable"]) == 1
    (bad,) = pre["unplaceable"]
    assert (bad["name"], bad["host"]) == ("vm-b", "compute2")
    assert "compute3: full once the 1 instance(s) planned there before it move (vm-a)" in bad["reason"]
    with pytest.raises(ComputeHostError, match="unknown compute host"):
        run_drain(nova, tmp_path, PreflightOptions(batch_hosts=["compute9"]), check_mode=True)


def test_anti_affinity_az_aggregate_specs_and_target(tmp_path):
    nova = PlacementFake(hosts=("compute1", "compute2", "compute3", "compute4"))
    nova.add("g1", flavor=TINY)
    nova.add("g2", host="compute2")
    nova.add("g3", host="compute3")
    nova.groups = [{"id": "grp", "name": "web", "policy": "anti-affinity", "members": ["g1", "g2", "g3"]}]
    nova.services_[3]["zone"] = "az2"
    nova.add("z", az="nova")
    nova.add("s", flavor=dict(TINY, extra_specs={"aggregate_instance_extra_specs:ssd": "true"}))
    nova.aggs = [{"name": "fast", "uuid": "agg", "hosts": ["compute4"], "metadata": {"ssd": "true"}}]
    rows = {r["id"]: r for r in run_drain(nova, tmp_path, check_mode=True)["preflight"]["instances"]}
    assert rows["g1"]["destination"] == "compute4"
    assert rows["z"]["destination"] in ("compute2", "compute3")
    assert (
        "in availability zone az2, the instance is pinned to nova" in repr(rows) or rows["z"]["destination"]
    )
    assert rows["s"]["destination"] == "compute4"
    rows = {
        r["id"]: r
        for r in run_drain(nova, tmp_path, check_mode=True, target="compute3")["preflight"]["instances"]
    }
    assert "member vm-g3 is there" in rows["g1"]["reason"]
    assert "compute3: no aggregate of the host has ssd matching 'true'" in rows["s"]["reason"]
    assert rows["z"]["destination"] == "compute3"


def test_evacuate_plans_with_the_evacuate_classifier(tmp_path):
    nova = PlacementFake(memory=1024)
    nova.add("a", flavor=SMALL)
    nova.services_[0]["state"] = "down"
    with pytest.raises(ComputeHostError, match="refusing to evacuate compute1: 1 instance"):
        run_evacuate(nova, tmp_path, preflight=PreflightOptions())
    assert mutations(nova) == []  # not forced down, not disabled


def test_no_preflight_options_plans_nothing(tmp_path):
    nova = PlacementFake(memory=1024)
    nova.add("a", flavor=SMALL)
    res = drain(nova, "compute1", opts(), str(tmp_path / "s.json"), "sandbox", check_mode=True)
    assert "preflight" not in res and nova.candidate_queries == []
