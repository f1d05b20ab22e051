"""The audit modules against the sandbox: each condition is created for real, found,
and repaired only when asked (check mode plans, fix repairs, a second fix is a no-op).

Repairs are always scoped (``consumers``, ``hosts``, ``ports``, ``images``) to what the
test created, so findings that belong to other people's work on the shared sandbox are
reported but never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"


def run_module(sandbox, module, args, check=False, expect_failure=False):
    """Run kolla_ops.nova.<module> through `ansible localhost -m` and return its result."""
    argv = [
        str(VENV / "bin" / "ansible"),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "ansible_python_interpreter=%s" % (VENV / "bin" / "python"),
        "-m",
        "kolla_ops.nova.%s" % module,
        "-a",
        json.dumps(dict({"cloud": "sandbox"}, **args)),
    ]
    if check:
        argv.append("--check")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="json",
        OS_CLIENT_CONFIG_FILE=str(sandbox.clouds_yaml),
        PATH="%s:%s" % (VENV / "bin", os.environ.get("PATH", "")),
    )
    env.pop("ANSIBLE_CONFIG", None)
    res = subprocess.run(argv, check=False, capture_output=True, text=True, env=env, cwd="/tmp", timeout=600)
    try:
        result = json.loads(res.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(
            "no result from %s:\n%s\n%s" % (module, res.stdout[-3000:], res.stderr[-3000:])
        ) from exc
    if bool(result.get("failed")) != expect_failure:
        raise AssertionError("%s failed=%s: %s" % (module, result.get("failed"), result.get("msg")))
    return result


def statuses(result):
    return {r["check"]: r["status"] for r in result["report"]["results"]}


def nova_commands(sandbox):
    return {"mode": "sandbox", "sandbox_command": str(sandbox.cli)}


def usable_hosts(conn, sandbox, need=1):
    """Sandbox computes that are up and enabled now (other tests drain and stop them)."""
    hosts = sorted(
        s.host
        for s in conn.compute.services(binary="nova-compute")
        if s.host in sandbox.computes and s.state == "up" and s.status == "enabled"
    )
    if len(hosts) < need:
        pytest.skip(
            "needs %d enabled compute(s) up, have %s (other tests are using the sandbox)" % (need, hosts)
        )
    return hosts


def provider_uuid(conn, name):
    resp = conn.placement.get("/resource_providers?name=%s" % name, microversion="1.14")
    return resp.json()["resource_providers"][0]["uuid"]


def allocations_of(conn, consumer):
    return (
        conn.placement.get("/allocations/%s" % consumer, microversion="1.12").json().get("allocations") or {}
    )


def put_allocation(conn, consumer, rp, project_id, user_id, resources=None):
    body = {
        "allocations": {rp: {"resources": resources or {"VCPU": 1, "MEMORY_MB": 64}}},
        "project_id": project_id,
        "user_id": user_id,
    }
    resp = conn.placement.put("/allocations/%s" % consumer, json=body, microversion="1.12")
    assert resp.status_code == 204, resp.text


def delete_allocation(conn, consumer):
    conn.placement.delete("/allocations/%s" % consumer, microversion="1.12")


def tiny_qcow2(size=1 << 20):
    """A valid, empty qcow2 v3 image (header, refcount table and block, L1 table)."""
    cluster = 1 << 16
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII",
        b"QFI\xfb",
        3,
        0,
        0,
        16,
        size,
        0,
        1,
        3 * cluster,
        cluster,
        1,
        0,
        0,
        0,
        0,
        0,
        4,
        104,
    )
    image = bytearray(4 * cluster)
    image[: len(header)] = header
    struct.pack_into(">Q", image, cluster, 2 * cluster)
    for i in range(4):
        struct.pack_into(">H", image, 2 * cluster + 2 * i, 1)
    return bytes(image)


def sql(sandbox, database, query):
    return sandbox.run("mysql", "--batch", "--raw", database, "-e", query).stdout


# ------------------------------------------------------------------------------------------
# allocations
# ------------------------------------------------------------------------------------------
def test_orphaned_allocation_found_fixed_only_when_asked(sandbox, admin_conn, cleanup):
    consumer = str(uuid.uuid4())
    rp = provider_uuid(admin_conn, "compute1")
    put_allocation(admin_conn, consumer, rp, admin_conn.current_project_id, admin_conn.current_user_id)
    cleanup.add(delete_allocation, admin_conn, consumer)

    # found, agrees with nova-manage placement audit, both Placement sources
    for source in ("api", "database"):
        result = run_module(
            sandbox,
            "placement_allocation_audit",
            {"placement_source": source, "cross_check": True, "nova_commands": nova_commands(sandbox)},
        )
        orphans = [o for o in result["orphaned"] if o["consumer"] == consumer]
        assert orphans and orphans[0]["provider"] == "compute1"
        assert orphans[0]["resources"] == {"VCPU": 1, "MEMORY_MB": 64}
        # nova-manage names the same consumers. Both count a consumer that is no server and no
        # migration in progress (orphaned) and a server's allocation on a node it is not on
        # (misplaced); they could only differ while something moves between the two reads (a
        # boot before the instance has its host, a migration), and the tests run one at a time.
        assert consumer in result["nova_manage_consumers"]
        (check,) = [r for r in result["report"]["results"] if r["check"] == "allocations.nova_manage"]
        assert check["status"] == "pass", check
        ours = {o["consumer"] for o in result["orphaned"] + result["misplaced"]}
        assert sorted(ours) == result["nova_manage_consumers"]
        assert result["changed"] is False and result["actions"] == []
        assert allocations_of(admin_conn, consumer)

    scoped = {"consumers": [consumer], "fix": True}
    # check mode: the plan, nothing touched
    result = run_module(sandbox, "placement_allocation_audit", scoped, check=True)
    assert result["changed"] is True
    assert result["actions"] == [
        {"action": "delete_allocations", "consumer": consumer, "providers": ["compute1"]}
    ]
    assert allocations_of(admin_conn, consumer)
    # fix
    result = run_module(sandbox, "placement_allocation_audit", scoped)
    assert result["changed"] is True and [a["consumer"] for a in result["actions"]] == [consumer]
    assert allocations_of(admin_conn, consumer) == {}
    # idempotent
    result = run_module(sandbox, "placement_allocation_audit", scoped)
    assert result["changed"] is False and result["actions"] == []
    assert statuses(result)["allocations.orphaned"] == "pass"
    # the consumer is gone everywhere now: named as not found, not an error (a rerun is a no-op)
    assert statuses(result)["allocations.scope"] == "warn"


def test_migration_allocation_survives_fix(sandbox, admin_conn, boot_server):
    source, dest = usable_hosts(admin_conn, sandbox, need=2)[:2]
    server = boot_server(source, metadata={"sandbox_migration_seconds": "40"})
    admin_conn.compute.live_migrate_server(server, host=dest, block_migration="auto")

    def running():
        for m in admin_conn.compute.server_migrations(server):
            if m.status in ("running", "preparing") and m.uuid:
                return m
        return None

    migration = sandbox.wait_for(running, timeout=60, what="live migration running")
    assert allocations_of(admin_conn, migration.uuid), "the migration holds the source allocation"
    try:
        result = run_module(
            sandbox,
            "placement_allocation_audit",
            {"fix": True, "consumers": [migration.uuid, server.id], "placement_source": "api"},
        )
        assert result["actions"] == [] and result["changed"] is False
        held = [m for m in result["migrations"] if m["consumer"] == migration.uuid]
        assert held and held[0]["provider"] == source
        assert not [o for o in result["orphaned"] if o["consumer"] in (migration.uuid, server.id)]
        assert allocations_of(admin_conn, migration.uuid), (
            "audit with fix: true removed a migration's allocation"
        )
    finally:
        with contextlib.suppress(Exception):  # it may have finished already
            admin_conn.compute.force_complete_server_migration(migration, server)
        sandbox.wait_for_server(admin_conn, server, "ACTIVE", host=dest, timeout=120)


# ------------------------------------------------------------------------------------------
# services
# ------------------------------------------------------------------------------------------
def newest_compute_version(sandbox):
    rows = sql(
        sandbox,
        "nova",
        "SELECT MAX(version) AS v FROM services WHERE deleted = 0 AND `binary` = 'nova-compute'",
    )
    return int(rows.splitlines()[1])


def ghost_service(sandbox, cleanup, host, version):
    """A nova-compute service row of a host that has been dead for two hours (deletable)."""
    svc_uuid = str(uuid.uuid4())
    insert = (
        "INSERT INTO services (created_at, updated_at, last_seen_up, host, `binary`, topic, report_count, "  # noqa: S608
        "disabled, deleted, version, uuid, forced_down) VALUES (UTC_TIMESTAMP() - INTERVAL 2 HOUR, "
        "UTC_TIMESTAMP() - INTERVAL 2 HOUR, UTC_TIMESTAMP() - INTERVAL 2 HOUR, '%s', 'nova-compute', 'compute', "
        "0, 0, 0, %d, '%s', 0)" % (host, version, svc_uuid)
    )
    sql(sandbox, "nova", insert)
    cleanup.add(sql, sandbox, "nova", "UPDATE services SET deleted = id WHERE uuid = '%s'" % svc_uuid)  # noqa: S608
    return svc_uuid


def test_stale_old_service_found_and_deleted_only_when_asked(sandbox, admin_conn, cleanup):
    newest = newest_compute_version(sandbox)
    host = "ghost-%s" % uuid.uuid4().hex[:8]
    svc_uuid = ghost_service(sandbox, cleanup, host, newest - 1)
    args = {"hosts": [host], "nova_commands": nova_commands(sandbox)}

    result = run_module(sandbox, "compute_service_audit", args)
    (row,) = result["services"]
    assert row["problems"] == ["down", "old_version"]
    assert row["pins_minimum_version"] is True and row["deletable"] is True
    st = statuses(result)
    assert st["services.down"] == "fail" and st["services.versions"] == "fail"
    assert result["minimum_versions"]["nova-compute"] == newest - 1
    assert result["changed"] is False

    args["fix"] = True
    result = run_module(sandbox, "compute_service_audit", args, check=True)
    assert result["changed"] is True and [a["id"] for a in result["actions"]] == [svc_uuid]
    assert admin_conn.compute.find_service(svc_uuid, ignore_missing=True) is not None

    result = run_module(sandbox, "compute_service_audit", args)
    assert result["changed"] is True
    assert [s for s in admin_conn.compute.services() if s.host == host] == []

    # idempotent: Nova keeps the deleted row, so the host is gone, not unknown
    result = run_module(sandbox, "compute_service_audit", args)
    assert result["changed"] is False and result["services"] == []
    (scope,) = [r for r in result["report"]["results"] if r["check"] == "services.scope"]
    assert scope["status"] == "warn" and scope["evidence"]["not_found"] == [host]


def test_misspelt_host_is_an_error_and_nothing_is_deleted(sandbox, admin_conn, cleanup):
    """hosts: [<deletable ghost>, <typo>] with fix: true fails naming the typo, the close
    match and the known hosts; the deletable service is still there afterwards."""
    host = "ghost-%s" % uuid.uuid4().hex[:8]
    typo = host.replace("ghost-", "gohst-")
    svc_uuid = ghost_service(sandbox, cleanup, host, newest_compute_version(sandbox))
    args = {"hosts": [host, typo], "fix": True, "nova_commands": nova_commands(sandbox)}

    result = run_module(sandbox, "compute_service_audit", args, expect_failure=True)
    msg = result["msg"]
    assert msg.startswith("hosts: unknown host %s (did you mean %s?); known hosts (" % (typo, host)), msg
    assert "compute1" in msg and "openstack compute service list" in msg and "Nothing was changed." in msg
    assert result["scope_error"]["unknown"] == [typo] and host in result["scope_error"]["known"]
    assert admin_conn.compute.find_service(svc_uuid, ignore_missing=True) is not None
    # without the typo, the same run plans to delete it: the error above is what stopped it
    args["hosts"] = [host]
    result = run_module(sandbox, "compute_service_audit", args, check=True)
    assert [a["id"] for a in result["actions"]] == [svc_uuid]


def test_service_blockers_are_named_and_respected(sandbox, admin_conn, boot_server):
    host = usable_hosts(admin_conn, sandbox)[0]
    server = boot_server(host)
    result = run_module(sandbox, "compute_service_audit", {"hosts": [host], "fix": True})
    (row,) = [r for r in result["services"] if r["binary"] == "nova-compute"]
    text = " | ".join(row["blockers"])
    assert server.id in text
    if row["state"] == "up":  # other tests may stop computes meanwhile
        assert "service is up" in text
    else:  # usages are read for the nodes of down services only (the delete candidates)
        assert "compute node %s" % host in text and "has allocations" in text
    assert row["deletable"] is False and result["actions"] == [] and result["changed"] is False


# ------------------------------------------------------------------------------------------
# cells
# ------------------------------------------------------------------------------------------
def test_unmapped_host_found_and_discovered_only_when_asked(sandbox, cleanup):
    host = "compute3"
    sql(sandbox, "nova_api", "DELETE FROM host_mappings WHERE host = '%s'" % host)  # noqa: S608
    cleanup.add(sandbox.nova_manage, "cell_v2", "discover_hosts")
    args = {"nova_commands": nova_commands(sandbox)}

    result = run_module(sandbox, "cell_mapping_audit", args)
    assert result["unmapped"] == [host] and statuses(result)["cells.unmapped_hosts"] == "fail"

    args["fix"] = True
    result = run_module(sandbox, "cell_mapping_audit", args, check=True)
    assert result["changed"] is True and result["actions"][0]["action"] == "discover_hosts"
    assert host not in sql(sandbox, "nova_api", "SELECT host FROM host_mappings")

    result = run_module(sandbox, "cell_mapping_audit", args)
    assert result["changed"] is True and result["actions"][0]["still_unmapped"] == []
    assert host in sql(sandbox, "nova_api", "SELECT host FROM host_mappings").split()

    result = run_module(sandbox, "cell_mapping_audit", args)
    assert result["changed"] is False and result["unmapped"] == []


# ------------------------------------------------------------------------------------------
# ports
# ------------------------------------------------------------------------------------------
def test_orphaned_port_found_and_deleted_only_when_asked(sandbox, admin_conn, project, boot_server):
    net = admin_conn.network.create_network(
        name="audit-%s" % uuid.uuid4().hex[:6], project_id=project.project.id
    )
    server = boot_server(usable_hosts(admin_conn, sandbox)[-1])
    orphan = admin_conn.network.create_port(
        network_id=net.id,
        device_owner="compute:nova",
        device_id=str(uuid.uuid4()),
        project_id=project.project.id,
    )
    owned = admin_conn.network.create_port(
        network_id=net.id, device_owner="compute:nova", device_id=server.id, project_id=project.project.id
    )
    args = {"ports": [orphan.id, owned.id]}

    result = run_module(sandbox, "port_audit", args)
    assert [p["id"] for p in result["orphaned"]] == [orphan.id]
    assert statuses(result)["ports.orphaned"] == "fail"

    args["fix"] = True
    result = run_module(sandbox, "port_audit", args, check=True)
    assert result["changed"] is True and [a["id"] for a in result["actions"]] == [orphan.id]
    assert admin_conn.network.find_port(orphan.id, ignore_missing=True) is not None

    result = run_module(sandbox, "port_audit", args)
    assert result["changed"] is True
    assert admin_conn.network.find_port(orphan.id, ignore_missing=True) is None
    assert admin_conn.network.find_port(owned.id, ignore_missing=True) is not None

    result = run_module(sandbox, "port_audit", args)
    assert result["changed"] is False and result["orphaned"] == []
    assert statuses(result)["ports.scope"] == "warn"  # the deleted port: not found, no error
    admin_conn.network.delete_port(owned, ignore_missing=True)


# ------------------------------------------------------------------------------------------
# images
# ------------------------------------------------------------------------------------------
def test_image_properties_fixed_data_untouched(sandbox, admin_conn, cleanup, tmp_path):
    data = tmp_path / "disk.qcow2"
    data.write_bytes(tiny_qcow2())  # Glance checks that the data matches disk_format
    image = admin_conn.image.create_image(
        "audit-%s" % uuid.uuid4().hex[:6],
        filename=str(data),
        disk_format="qcow2",
        container_format="bare",
        os_type="linux",
        wait=True,
    )
    cleanup.add(admin_conn.image.delete_image, image, ignore_missing=True)
    checksum = admin_conn.image.get_image(image).checksum
    args = {"images": [image.id], "images_type": "rbd"}

    result = run_module(sandbox, "image_audit", args)
    assert [i["id"] for i in result["qcow2_on_rbd"]] == [image.id]
    (row,) = result["missing_properties"]
    assert sorted(row["missing"]) == ["hw_disk_bus", "hw_scsi_model", "os_distro"]
    assert statuses(result) == {"images.qcow2_on_rbd": "warn", "images.properties": "warn"}

    args["fix"] = True
    result = run_module(sandbox, "image_audit", args, check=True)
    assert result["changed"] is True
    assert getattr(admin_conn.image.get_image(image), "hw_scsi_model", None) is None

    result = run_module(sandbox, "image_audit", args)
    assert result["changed"] is True
    after = admin_conn.image.get_image(image)
    assert after.hw_scsi_model == "virtio-scsi" and after.hw_disk_bus == "scsi"
    assert after.checksum == checksum and after.disk_format == "qcow2"

    result = run_module(sandbox, "image_audit", args)
    assert result["changed"] is False
    assert result["missing_properties"][0]["missing"] == ["os_distro"]  # guest-specific: never guessed


# ------------------------------------------------------------------------------------------
# stuck servers
# ------------------------------------------------------------------------------------------
def test_server_in_error_reported_never_deleted(sandbox, admin_conn, boot_server, cleanup):
    flavor = admin_conn.compute.create_flavor(
        name="audit-huge-%s" % uuid.uuid4().hex[:6], vcpus=2000, ram=64, disk=1
    )
    cleanup.add(admin_conn.compute.delete_flavor, flavor, ignore_missing=True)
    server = boot_server(flavor=flavor.name, wait=False)
    sandbox.wait_for(
        lambda: admin_conn.compute.get_server(server).status == "ERROR", timeout=120, what="server in ERROR"
    )
    result = run_module(sandbox, "server_state_audit", {"older_than": 3600, "fix": True})
    (item,) = [s for s in result["stuck"] if s["id"] == server.id]
    assert item["status"] == "ERROR"
    assert "No valid host" in (item["fault"] or "")
    assert item["last_action"]["action"] == "create"
    assert statuses(result)["servers.error"] == "fail"
    assert result["changed"] is False and result["actions"] == []
    assert admin_conn.compute.get_server(server).status == "ERROR"


# ------------------------------------------------------------------------------------------
# quota against usage
# ------------------------------------------------------------------------------------------
def test_project_over_changed_quota_and_drift(sandbox, admin_conn, project, boot_server, cleanup):
    pid = project.project.id
    boot_server(conn=project.conn)
    boot_server(conn=project.conn)
    admin_conn.compute.update_quota_set(pid, cores=1, force=True)
    extra = str(uuid.uuid4())
    put_allocation(admin_conn, extra, provider_uuid(admin_conn, "compute3"), pid, project.user.id)
    cleanup.add(delete_allocation, admin_conn, extra)

    for source in ("api", "database"):
        result = run_module(
            sandbox,
            "quota_usage_audit",
            {"projects": [pid], "placement_source": source, "nova_commands": nova_commands(sandbox)},
        )
        (row,) = result["projects"]
        assert row["over_quota"] == {"cores": {"limit": 1, "in_use": 2}}
        assert row["drift"]["cores"] == {"nova": 2, "placement": 3, "difference": 1}
        assert statuses(result) == {"quota.usage_drift": "warn", "quota.over_quota": "warn"}


# ------------------------------------------------------------------------------------------
# capacity
# ------------------------------------------------------------------------------------------
def test_capacity_counts_a_new_server(sandbox, admin_conn, boot_server):
    def host_vcpu():
        result = run_module(sandbox, "capacity_report", {"flavors": ["m1.tiny"]})
        hosts = {h["host"]: h for h in result["capacity"]["hosts"]}
        return result, hosts[host]["resources"]["VCPU"], hosts[host]["fits"]["m1.tiny"]

    host = usable_hosts(admin_conn, sandbox)[0]
    result, before, fits_before = host_vcpu()
    rp = provider_uuid(admin_conn, host)
    inv = admin_conn.placement.get("/resource_providers/%s/inventories" % rp).json()["inventories"]["VCPU"]
    assert before["capacity"] == int((inv["total"] - inv["reserved"]) * inv["allocation_ratio"])
    assert before["allocation_ratio"] == inv["allocation_ratio"]
    assert {z["availability_zone"] for z in result["capacity"]["availability_zones"]} >= {"nova"}
    assert statuses(result)["capacity.cloud"] == "pass"

    boot_server(host)
    deadline = time.time() + 30
    while True:
        _result, after, fits_after = host_vcpu()
        if after["used"] >= before["used"] + 1 or time.time() > deadline:
            break
    assert after["used"] >= before["used"] + 1
    assert fits_after <= fits_before


@pytest.mark.parametrize("module", ["server_state_audit", "quota_usage_audit", "capacity_report"])
def test_report_only_modules_change_nothing(sandbox, module):
    result = run_module(sandbox, module, {"fix": True}, check=True)
    assert result["changed"] is False and result["actions"] == []
