"""compute_host pre-flight on the sandbox: refused before any change when instances do not fit.

Real Placement answers ``GET /allocation_candidates``; the other hosts are filled with servers of
a flavor sized to their free memory (read from Placement), so the tests hold whatever else runs
on the sandbox. Each refusal is checked to name the instance and why, and to have changed
nothing: the service is still enabled, no state file was written, the servers did not move.
"""

from __future__ import annotations

import time
import uuid

import pytest
from test_compute_host_drain import FAST, run_module

HOSTS = ("compute1", "compute2", "compute3")
SOURCE = "compute3"


def free_memory(conn, host):
    """MEMORY_MB Placement can still give on ``host``: (total - reserved) * ratio - used."""
    (rp,) = list(conn.placement.resource_providers(name=host))
    inv = conn.placement.get("/resource_providers/%s/inventories" % rp.id).json()["inventories"]["MEMORY_MB"]
    used = conn.placement.get("/resource_providers/%s/usages" % rp.id).json()["usages"].get("MEMORY_MB", 0)
    return int((inv["total"] - inv["reserved"]) * inv["allocation_ratio"]) - used


@pytest.fixture
def cloud(sandbox, admin_conn, cleanup):
    """Flavors made on demand, servers booted on a host, every host enabled again at teardown."""

    def enable_all():
        for svc in admin_conn.compute.services(binary="nova-compute"):
            if svc.host in HOSTS and svc.status != "enabled":
                admin_conn.compute.enable_service(svc.id, host=svc.host, binary=svc.binary)

    enable_all()
    cleanup.add(enable_all)
    image = admin_conn.image.find_image("cirros-fake", ignore_missing=False)

    class Cloud:
        def flavor(self, ram):
            f = admin_conn.compute.create_flavor(
                name="pf-%d-%s" % (ram, uuid.uuid4().hex[:6]), ram=ram, vcpus=1, disk=1
            )
            cleanup.add(admin_conn.compute.delete_flavor, f.id)
            return f

        def boot(self, name, host=None, ram=512, az=None, group=None, flavor=None):
            kw = {"scheduler_hints": {"group": group.id}} if group else {}
            s = admin_conn.compute.create_server(
                name="pf-%s" % name,
                image_id=image.id,
                flavor_id=(flavor or self.flavor(ram)).id,
                networks="none",
                availability_zone=az or "nova:%s" % host,
                metadata=dict(FAST),
                **kw,
            )
            cleanup.server(s)
            return s

        def wait(self, servers):
            return [sandbox.wait_for_server(admin_conn, s, "ACTIVE", timeout=180) for s in servers]

        def fill(self, host, leave):
            """Boot one server that leaves ``leave`` MB of memory free on ``host``."""
            return self.boot("fill-%s" % host, host, ram=free_memory(admin_conn, host) - leave)

    return Cloud()


def assert_untouched(admin_conn, tmp_path, servers, host=SOURCE):
    svc = next(admin_conn.compute.services(host=host, binary="nova-compute"))
    assert svc.status == "enabled", "the refused drain disabled %s" % host
    assert not (tmp_path / "state" / ("sandbox-%s.json" % host)).exists()
    for s in servers:
        assert admin_conn.compute.get_server(s.id).compute_host == s.compute_host


def test_instances_that_fit_nowhere_are_refused_naming_them(sandbox, admin_conn, cloud, tmp_path):
    servers = [cloud.boot("nofit", SOURCE, ram=1024)] + [cloud.fill(h, 256) for h in HOSTS if h != SOURCE]
    servers = cloud.wait(servers)
    t0 = time.monotonic()
    res = run_module(sandbox, tmp_path, {"host": SOURCE})
    assert res.get("failed") is True
    assert "refusing to drain compute3: 1 instance(s) have no destination" in res["msg"]
    assert "pf-nofit (%s) on compute3" % servers[0].id in res["msg"]
    assert "compute3 is still enabled" in res["msg"]
    assert "MEMORY_MB:1024" in res["msg"]
    (bad,) = res["preflight"]["unplaceable"]
    assert bad["name"] == "pf-nofit" and bad["host"] == SOURCE
    assert res["preflight"]["requests"]["placement"] == 1
    assert_untouched(admin_conn, tmp_path, servers)
    # unplaceable=stop: no change either, and the task does not fail
    res = run_module(sandbox, tmp_path, {"host": SOURCE, "unplaceable": "stop"})
    assert res.get("failed") is not True and res["changed"] is False, res
    assert [u["name"] for u in res["preflight"]["unplaceable"]] == ["pf-nofit"]
    assert_untouched(admin_conn, tmp_path, servers)
    assert time.monotonic() - t0 < 120


def test_anti_affinity_group_without_a_second_host(sandbox, admin_conn, cloud, cleanup, tmp_path):
    group = admin_conn.compute.create_server_group(
        name="pf-anti-%s" % uuid.uuid4().hex[:6], policy="anti-affinity"
    )
    cleanup.add(admin_conn.compute.delete_server_group, group.id)  # after its servers (LIFO)
    flavor = cloud.flavor(512)
    servers = cloud.wait([cloud.boot("anti-%s" % h, h, group=group, flavor=flavor) for h in HOSTS])
    res = run_module(sandbox, tmp_path, {"host": SOURCE})
    assert res.get("failed") is True, res
    assert "pf-anti-compute3 (%s) on compute3" % servers[2].id in res["msg"]
    assert "server group %s (anti-affinity)" % group.name in res["msg"]
    assert "compute1: server group" in res["msg"] and "compute2: server group" in res["msg"]
    assert_untouched(admin_conn, tmp_path, servers)


def test_availability_zone_with_no_other_host(sandbox, admin_conn, cloud, cleanup, tmp_path):
    zone = "pf-solo-%s" % uuid.uuid4().hex[:6]
    agg = admin_conn.compute.create_aggregate(name=zone, availability_zone=zone)
    cleanup.add(admin_conn.compute.delete_aggregate, agg.id)
    admin_conn.compute.add_host_to_aggregate(agg.id, SOURCE)
    cleanup.add(admin_conn.compute.remove_host_from_aggregate, agg.id, SOURCE)
    (srv,) = cloud.wait([cloud.boot("zoned", ram=512, az="%s:%s" % (zone, SOURCE))])
    assert admin_conn.compute.get_server(srv.id).pinned_availability_zone == zone
    # compute3 is the zone's only host: the zone guard (issue 19.1) refuses first, even in check mode
    res = run_module(sandbox, tmp_path, {"host": SOURCE}, check=True)
    assert res.get("failed") is True, res
    assert "availability zone %s would keep 0 enabled, up compute host(s)" % zone in res["msg"]
    # told the zone may be emptied, the pre-flight still finds no destination for the zoned server
    allow = {"host": SOURCE, "allow_empty_zone": True}
    res = run_module(sandbox, tmp_path, allow, check=True)
    (row,) = [r for r in res["preflight"]["instances"] if r["id"] == srv.id]
    assert row["destination"] is None and row["availability_zone"] == zone
    assert "in availability zone %s" % zone in row["reason"]
    assert "compute3: the host being emptied" in row["reason"]
    res = run_module(sandbox, tmp_path, allow)
    assert res.get("failed") is True and "pf-zoned (%s) on compute3" % srv.id in res["msg"]
    assert_untouched(admin_conn, tmp_path, [srv])


def test_batch_of_two_fits_one_at_a_time_but_not_together(sandbox, admin_conn, cloud, tmp_path):
    flavor = cloud.flavor(1024)
    servers = [cloud.boot("batch-a", SOURCE, flavor=flavor), cloud.boot("batch-b", "compute2", flavor=flavor)]
    servers = cloud.wait(servers + [cloud.fill("compute1", 1536)])
    alone = run_module(sandbox, tmp_path, {"host": SOURCE}, check=True)
    assert alone["preflight"]["ok"] is True, alone["preflight"]
    (row,) = [r for r in alone["preflight"]["instances"] if r["name"] == "pf-batch-a"]
    assert row["destination"] in ("compute1", "compute2") and set(row["candidates"]) == {
        "compute1",
        "compute2",
    }
    res = run_module(sandbox, tmp_path, {"host": SOURCE, "batch_hosts": ["compute2", SOURCE]})
    assert res.get("failed") is True, res
    assert res["preflight"]["excluded_hosts"] == {
        SOURCE: "the host being emptied",
        "compute2": "out in the same batch",
    }
    (bad,) = res["preflight"]["unplaceable"]
    assert bad["name"] in ("pf-batch-a", "pf-batch-b")
    assert "compute1: full once the 1 instance(s) planned there before it move" in bad["reason"]
    assert "%s (%s) on %s" % (bad["name"], bad["id"], bad["host"]) in res["msg"]
    assert_untouched(admin_conn, tmp_path, servers)
    assert next(admin_conn.compute.services(host="compute2", binary="nova-compute")).status == "enabled"
