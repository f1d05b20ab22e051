"""Acceptance of the sandbox cloud (issue 3): a real Nova cloud with fake-driver computes."""

from __future__ import annotations

import re
import time

import pytest
from openstack import exceptions as os_exc

OSLO_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+ \["
)


def _migrations(conn, server):
    return sorted(conn.compute.migrations(instance_uuid=server.id), key=lambda m: m.created_at or "")


def _last_migration_finished(conn, sandbox, server):
    """The last migration once it has left running: Nova moves the server to the
    destination (post_live_migration_at_destination) before the source marks the
    migration completed, so an ACTIVE server on the destination can still show
    'running' for a moment, longer on a loaded machine."""

    def finished():
        migs = _migrations(conn, server)
        return migs and migs[-1].status in ("failed", "error", "completed") and migs[-1]

    return sandbox.wait_for(finished, timeout=60, what="the live migration to finish")


def test_compute_services_up_and_enabled(admin_conn, sandbox):
    services = {s.host: s for s in admin_conn.compute.services(binary="nova-compute")}
    for host in sandbox.computes:
        assert host in services, f"no nova-compute service for {host}"
        assert services[host].state == "up", services[host]
        assert services[host].status == "enabled", services[host]
    assert len(sandbox.computes) == 3


def test_hypervisors_and_resource_providers(admin_conn, sandbox):
    hypervisors = {h.name: h for h in admin_conn.compute.hypervisors(details=True)}
    providers = {rp.name: rp for rp in admin_conn.placement.resource_providers()}
    for host in sandbox.computes:
        assert host in hypervisors
        assert hypervisors[host].state == "up"
        # get_host_uptime is implemented: the detail call works without tracebacks
        assert hypervisors[host].uptime is None or "load average" in hypervisors[host].uptime
        assert host in providers
        assert providers[host].id == hypervisors[host].id


def test_cells_and_nova_manage_passthrough(sandbox):
    res = sandbox.nova_manage("cell_v2", "list_hosts")
    assert res.returncode == 0, res.stderr
    for host in sandbox.computes:
        assert host in res.stdout
    cells = sandbox.nova_manage("cell_v2", "list_cells")
    assert "cell0" in cells.stdout and "cell1" in cells.stdout


def test_boot_live_migrate_and_delete(admin_conn, sandbox, boot_server):
    server = boot_server("compute1")
    assert server.compute_host == "compute1"
    admin_conn.compute.live_migrate_server(server, host="compute2", block_migration="auto")
    server = sandbox.wait_for_server(admin_conn, server, "ACTIVE", host="compute2")
    assert _last_migration_finished(admin_conn, sandbox, server).status == "completed"
    # and back: the source forgot the guest, so there is no InstanceExists
    admin_conn.compute.live_migrate_server(server, host="compute1", block_migration="auto")
    server = sandbox.wait_for_server(admin_conn, server, "ACTIVE", host="compute1")
    admin_conn.compute.delete_server(server)
    admin_conn.compute.wait_for_delete(server, wait=60, interval=1)


def test_member_can_boot_in_own_project(member_conn, admin_conn, sandbox, cleanup):
    image = member_conn.image.find_image("cirros-fake", ignore_missing=False)
    flavor = member_conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    server = member_conn.compute.create_server(
        name="member-it", image_id=image.id, flavor_id=flavor.id, networks="none"
    )
    cleanup.server(server)
    sandbox.wait_for_server(member_conn, server, "ACTIVE")
    with pytest.raises(os_exc.ForbiddenException):
        list(member_conn.compute.hypervisors())


def test_override_changes_placement_inventory(admin_conn, sandbox):
    override = sandbox.override_file("nova/compute2/nova-compute.conf")
    before = override.read_text() if override.exists() else None
    rp = admin_conn.placement.find_resource_provider("compute2", ignore_missing=False)

    def vcpu_ratio():
        inv = {i.resource_class: i for i in admin_conn.placement.resource_provider_inventories(rp)}
        return inv["VCPU"].allocation_ratio

    override.parent.mkdir(parents=True, exist_ok=True)
    try:
        override.write_text("[DEFAULT]\ncpu_allocation_ratio = 3.0\n")
        sandbox.restart_compute("compute2")
        assert vcpu_ratio() == pytest.approx(3.0)
        other = admin_conn.placement.find_resource_provider("compute1", ignore_missing=False)
        inv1 = {i.resource_class: i for i in admin_conn.placement.resource_provider_inventories(other)}
        assert inv1["VCPU"].allocation_ratio == pytest.approx(4.0)
    finally:
        # Without the option Placement keeps what it has, so put the default back explicitly,
        # then leave the override dir as we found it.
        override.write_text("[DEFAULT]\ncpu_allocation_ratio = 4.0\n")
        sandbox.restart_compute("compute2")
        if before is None:
            override.unlink()
        else:
            override.write_text(before)
    assert vcpu_ratio() == pytest.approx(4.0)


def test_status_names_a_stopped_compute(sandbox):
    assert sandbox.run("status").returncode == 0
    sandbox.run("stop-compute", "compute3")
    try:
        res = sandbox.run("status", check=False)
        assert res.returncode != 0
        line = next(ln for ln in res.stdout.splitlines() if "compute3" in ln)
        assert " down " in f" {line} ", line
        assert "DOWN: nova-compute/compute3" in res.stdout
    finally:
        sandbox.run("start-compute", "compute3")
    assert sandbox.run("status").returncode == 0


def test_killed_compute_keeps_its_servers(admin_conn, sandbox, boot_server):
    server = boot_server("compute3")
    sandbox.run("kill-compute", "compute3")
    sandbox.run("start-compute", "compute3")
    server = sandbox.wait_for_server(admin_conn, server, "ACTIVE", host="compute3")
    assert server.power_state == 1  # RUNNING: the guest survived nova-compute's death
    admin_conn.compute.live_migrate_server(server, host="compute1", block_migration="auto")
    sandbox.wait_for_server(admin_conn, server, "ACTIVE", host="compute1")


def test_fault_injection_fails_live_migration(admin_conn, sandbox, boot_server):
    server = boot_server("compute1", metadata={"sandbox_fail_migration": "1"})
    admin_conn.compute.live_migrate_server(server, host="compute2", block_migration="auto")
    migration = _last_migration_finished(admin_conn, sandbox, server)
    assert migration.status in ("failed", "error")
    server = sandbox.wait_for_server(admin_conn, server, "ACTIVE", host="compute1")
    log = sandbox.compute_log("compute1").read_text()
    assert "Live Migration failure: sandbox fault injection" in log
    assert server.id in log


def test_live_migration_takes_configured_time(admin_conn, sandbox, boot_server):
    server = boot_server("compute2", metadata={"sandbox_migration_seconds": "3"})
    t0 = time.time()
    admin_conn.compute.live_migrate_server(server, host="compute3", block_migration="auto")
    sandbox.wait_for(
        lambda: admin_conn.compute.get_server(server.id).status == "MIGRATING",
        timeout=30,
        interval=0.2,
        what="MIGRATING",
    )
    sandbox.wait_for_server(admin_conn, server, "ACTIVE", host="compute3")
    assert time.time() - t0 >= 3


def test_console_url_and_proxy(admin_conn, sandbox, boot_server):
    import urllib.request

    server = boot_server("compute1")
    console = admin_conn.compute.create_console(server, console_type="novnc")
    assert console["url"].startswith(f"http://127.0.0.1:{sandbox.ports['nova-novncproxy']}/")
    with urllib.request.urlopen(console["url"], timeout=10) as resp:  # noqa: S310 - http URL checked above
        assert resp.status == 200


def test_logs_laid_out_like_kolla(sandbox):
    for host in sandbox.computes:
        log = sandbox.compute_log(host)
        assert log.exists(), log
        first = log.read_text().splitlines()[0]
        assert OSLO_LINE.match(first), first
    for name in ("nova-api.log", "nova-scheduler.log", "nova-conductor.log", "nova-novncproxy.log"):
        assert sandbox.controller_log("nova", name).exists(), name
    for project in ("keystone", "placement", "glance", "neutron"):
        assert any(sandbox.log_dir.joinpath("controller", project).glob("*.log")), project


def test_second_up_is_fast_and_changes_nothing(sandbox):
    t0 = time.time()
    res = sandbox.run("up")
    assert time.time() - t0 < 5, res.stdout
    assert "already up" in res.stdout


def test_project_fixture_gives_a_clean_project(project, sandbox, boot_server):
    assert list(project.conn.compute.servers()) == []
    server = boot_server(conn=project.conn)
    assert server.project_id == project.project.id
