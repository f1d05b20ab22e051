"""compute_verify and playbooks/verify.yml against the sandbox cloud, with real faults.

Each fault is made, seen by the module (named check, the host, the fix), and undone in a
``finally`` or a cleanup: a stopped compute, a compute disabled with a reason, a host
removed from its cell mapping, a Placement provider without a hypervisor, an inventory
that does not match the profile, a stopped console proxy.  The smoke test boots and
deletes a server.  The module runs through ``ansible`` (ad hoc) like an operator's task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DOWN_TIME = 30  # the sandbox's [DEFAULT] service_down_time


def _env(sandbox):
    env = dict(os.environ)
    env.update(
        {
            "PATH": "%s:%s" % (VENV_BIN, env.get("PATH", "")),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "OS_CLIENT_CONFIG_FILE": str(sandbox.clouds_yaml),
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            "ANSIBLE_NOCOLOR": "1",
        }
    )
    return env


@pytest.fixture(scope="module")
def verify(sandbox):
    """verify(check_mode=False, **module_args) -> module result dict."""

    def run(check_mode=False, expect_failure=False, **args):
        params = {
            "cloud": "sandbox",
            "service_down_time": DOWN_TIME,
            "nova_commands": {"mode": "sandbox", "sandbox_command": str(sandbox.cli)},
        }
        params.update(args)
        cmd = [
            str(VENV_BIN / "ansible"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "localhost",
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
            "-m",
            "kolla_ops.nova.compute_verify",
            "-a",
            json.dumps(params),
        ]
        if check_mode:
            cmd.append("--check")
        res = subprocess.run(
            cmd, check=False, capture_output=True, text=True, env=_env(sandbox), timeout=600, cwd=ROOT
        )
        out = res.stdout
        assert "=>" in out, "ansible failed (rc %s):\n%s\n%s" % (res.returncode, out, res.stderr)
        data = json.loads(out[out.index("=>") + 2 :])
        if expect_failure:
            assert res.returncode != 0 and "FAILED!" in out, out
            return data
        assert res.returncode == 0, "module failed: %s" % data.get("msg", data)
        assert data["changed"] is False
        return data

    return run


def result(data, check):
    found = [r for r in data["report"]["results"] if r["check"] == check]
    assert len(found) == 1, "check %s not in %s" % (check, [r["check"] for r in data["report"]["results"]])
    return found[0]


def services_healthy(admin_conn, enabled=False):
    """Every nova-compute up (and enabled); other tests may still be restoring theirs."""
    rows = [s for s in admin_conn.compute.services() if s.binary == "nova-compute"]
    return rows and all(
        s.state == "up" and not s.is_forced_down and (s.status == "enabled" or not enabled) for s in rows
    )


@pytest.fixture
def healthy(sandbox, admin_conn):
    sandbox.wait_for(lambda: services_healthy(admin_conn), timeout=180, interval=2, what="all computes up")


def test_healthy_sandbox_all_pass(verify, admin_conn, healthy):
    data = verify(
        smoke_test={"flavor": "m1.tiny", "image": "cirros-fake", "timeout": 120, "name": "it-verify-smoke"}
    )
    statuses = {r["check"]: r["status"] for r in data["report"]["results"]}
    assert data["failed_checks"] == [], json.dumps(data["report"], indent=1)
    for check in (
        "services.compute",
        "services.scheduler",
        "services.conductor",
        "services.forced_down",
        "services.heartbeat",
        "services.versions",
        "cells.present",
        "cells.host_mappings",
        "hypervisors.services",
        "placement.providers",
        "console.proxy",
        "smoke.boot",
    ):
        allowed = ("pass",)
        if check == "services.compute" and not services_healthy(admin_conn, enabled=True):
            allowed = ("pass", "warn")  # another test drains a compute right now
        assert statuses[check] in allowed, (check, result(data, check))
    smoke = result(data, "smoke.boot")["evidence"]
    assert smoke["deleted"] is True and smoke["status"] == "ACTIVE"
    # the console URL is reported without its token
    assert "***" in result(data, "console.proxy")["evidence"]["url"]
    # bounded API requests: list calls, no per-host calls without an inventory expectation
    assert data["api_requests"] < 40


def test_smoke_test_leaves_no_server(verify, admin_conn, healthy):
    name = "it-verify-smoke-%s" % uuid.uuid4().hex[:6]
    data = verify(checks=["smoke"], smoke_test={"flavor": "m1.tiny", "image": "cirros-fake", "name": name})
    assert result(data, "smoke.boot")["status"] == "pass"
    assert list(admin_conn.compute.servers(all_projects=True, name=name)) == []


def smoke_servers(conn, prefix):
    return sorted(s.id for s in conn.compute.servers(all_projects=True) if (s.name or "").startswith(prefix))


def test_failed_smoke_test_names_the_cause_and_leaves_no_server(verify, admin_conn, cleanup):
    """A flavor no host can hold (more RAM than any compute has): the scheduler finds no
    valid host, the server goes to ERROR; the smoke check fails naming Nova's fault, and
    the server is deleted all the same."""
    prefix = "kolla-ops-verify-smoke"
    before = smoke_servers(admin_conn, prefix)
    # more RAM than any compute node has (the fake computes: 800000 MB), within the quota
    most = max(
        inv.total
        for rp in admin_conn.placement.resource_providers()
        for inv in admin_conn.placement.resource_provider_inventories(rp)
        if inv.resource_class == "MEMORY_MB"
    )
    flavor = admin_conn.compute.create_flavor(
        name="it-verify-huge-%s" % uuid.uuid4().hex[:6], vcpus=1, ram=most + 1024, disk=1
    )
    cleanup.add(admin_conn.compute.delete_flavor, flavor, ignore_missing=True)
    name = "%s-fail-%s" % (prefix, uuid.uuid4().hex[:6])
    data = verify(
        checks=["smoke"],
        smoke_test={"flavor": flavor.name, "image": "cirros-fake", "name": name, "timeout": 60},
    )
    r = result(data, "smoke.boot")
    assert r["status"] == "fail" and data["failed_checks"] == ["smoke.boot"]
    server_id = r["evidence"]["server_id"]
    assert server_id and r["message"].startswith("server %s did not become ACTIVE within 60s: " % server_id)
    assert "No valid host was found" in r["message"]
    assert r["message"].endswith("; the server was deleted")
    assert r["evidence"]["status"] == "ERROR" and r["evidence"]["deleted"] is True
    assert admin_conn.compute.find_server(server_id, ignore_missing=True, all_projects=True) is None
    assert smoke_servers(admin_conn, prefix) == before


def test_timed_out_smoke_test_deletes_the_building_server(verify, admin_conn):
    """timeout 0: the wait gives up at once, while the server still builds; the server is
    deleted all the same, and the deletion is waited for on its own budget."""
    prefix = "kolla-ops-verify-smoke"
    before = smoke_servers(admin_conn, prefix)
    name = "%s-timeout-%s" % (prefix, uuid.uuid4().hex[:6])
    data = verify(
        checks=["smoke"], smoke_test={"flavor": "m1.tiny", "image": "cirros-fake", "name": name, "timeout": 0}
    )
    r = result(data, "smoke.boot")
    server_id = r["evidence"]["server_id"]
    assert r["status"] == "fail"
    assert r["message"] == (
        "server %s did not become ACTIVE within 0s: Timeout waiting for Server:%s to transition to ACTIVE; "
        "the server was deleted" % (server_id, server_id)
    )
    assert admin_conn.compute.find_server(server_id, ignore_missing=True, all_projects=True) is None
    assert smoke_servers(admin_conn, prefix) == before


def test_unknown_console_server_fails_before_the_smoke_test(verify, admin_conn):
    name = "it-verify-smoke-%s" % uuid.uuid4().hex[:6]
    data = verify(
        expect_failure=True,
        checks=["console", "smoke"],
        console_server="no-such-server-%s" % uuid.uuid4().hex[:6],
        smoke_test={"flavor": "m1.tiny", "image": "cirros-fake", "name": name},
    )
    assert data["msg"].startswith("console_server: unknown server no-such-server-"), data["msg"]
    assert "known servers (" in data["msg"] and "openstack server list --all-projects" in data["msg"]
    assert data["scope_error"]["option"] == "console_server"
    # nothing was booted: the smoke test never ran
    assert list(admin_conn.compute.servers(all_projects=True, name=name)) == []
    # a misspelt check group is Ansible's argument error, naming the value and the choices
    data = verify(expect_failure=True, checks=["smoke", "consle"])
    assert "consle" in data["msg"] and "console" in data["msg"]


def test_check_mode_skips_the_smoke_test(verify, admin_conn):
    name = "it-verify-check-%s" % uuid.uuid4().hex[:6]
    data = verify(
        check_mode=True,
        checks=["smoke"],
        smoke_test={"flavor": "m1.tiny", "image": "cirros-fake", "name": name},
    )
    r = result(data, "smoke.boot")
    assert r["status"] == "skip" and "check mode" in r["message"]
    assert list(admin_conn.compute.servers(all_projects=True, name=name)) == []


def test_stopped_compute_fails_with_host_and_fix(verify, sandbox, admin_conn, healthy):
    host = "compute2"
    sandbox.run("stop-compute", host)
    try:
        sandbox.wait_for(
            lambda: any(
                s.state == "down" for s in admin_conn.compute.services(binary="nova-compute", host=host)
            ),
            timeout=DOWN_TIME * 3,
            interval=2,
            what="%s reported down" % host,
        )
        data = verify(checks=["services"])
        r = result(data, "services.compute")
        assert r["status"] == "fail"
        assert host in r["message"]
        assert "%s start-compute %s" % (sandbox.cli, host) in r["fix"]
        hb = result(data, "services.heartbeat")
        assert hb["status"] == "fail" and host in hb["message"]
    finally:
        sandbox.run("start-compute", host)
    sandbox.wait_for(lambda: services_healthy(admin_conn), timeout=120, interval=2, what="%s back up" % host)


def test_disabled_compute_warns_with_reason(verify, admin_conn, healthy):
    host = "compute1"
    svc = next(iter(admin_conn.compute.services(binary="nova-compute", host=host)))
    reason = "it-verify: RAM replacement"
    admin_conn.compute.disable_service(svc, host, "nova-compute", disabled_reason=reason)
    try:
        data = verify(checks=["services"])
        r = result(data, "services.compute")
        assert r["status"] == "warn"
        assert "%s (%s)" % (host, reason) in r["message"]
    finally:
        admin_conn.compute.enable_service(svc, host, "nova-compute")


def _cell1_uuid(sandbox):
    out = sandbox.nova_manage("cell_v2", "list_cells", check=True).stdout
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] == "cell1":
            return cells[1]
    raise AssertionError("no cell1 in:\n" + out)


def test_unmapped_host_fails_with_discover_hosts(verify, sandbox, healthy):
    host = "compute3"
    cell = _cell1_uuid(sandbox)
    res = sandbox.nova_manage("cell_v2", "delete_host", "--cell_uuid", cell, "--host", host)
    if res.returncode != 0:
        # delete_host refuses while instances live on the host: drop the mapping row itself
        sandbox.run("mysql", "nova_api", "-e", "DELETE FROM host_mappings WHERE host = '%s'" % host)  # noqa: S608
    try:
        data = verify(checks=["cells"])
        r = result(data, "cells.host_mappings")
        assert r["status"] == "fail"
        assert host in r["message"]
        assert "nova-manage cell_v2 discover_hosts --by-service --cell_uuid %s" % cell in r["fix"]
        assert r["fix"].startswith(str(sandbox.cli))
        assert result(data, "cells.present")["status"] == "pass"
    finally:
        sandbox.nova_manage("cell_v2", "discover_hosts", "--by-service", check=True)
    data = verify(checks=["cells"])
    assert result(data, "cells.host_mappings")["status"] == "pass"


def test_provider_without_hypervisor_fails(verify, admin_conn, healthy):
    name = "it-verify-ghost-%s" % uuid.uuid4().hex[:6]
    rp = admin_conn.placement.create_resource_provider(name=name)
    try:
        data = verify(checks=["placement"])
        r = result(data, "placement.providers")
        assert r["status"] == "fail"
        assert "provider %s (%s) has no hypervisor" % (name, rp.id) in r["message"]
        assert "openstack resource provider delete %s" % rp.id in r["fix"]
        data = verify(checks=["placement"], ignore_providers=[name])
        assert result(data, "placement.providers")["status"] == "pass"
    finally:
        admin_conn.placement.delete_resource_provider(rp, ignore_missing=True)


def test_inventory_that_did_not_land_fails(verify, admin_conn, healthy):
    host = "compute1"
    rp = next(iter(admin_conn.placement.resource_providers(name=host)))
    inv = {i.resource_class: i for i in admin_conn.placement.resource_provider_inventories(rp)}
    actual = inv["VCPU"].allocation_ratio
    reserved = inv["MEMORY_MB"].reserved
    # what Placement shows: pass
    data = verify(
        checks=["inventories"],
        expected_profiles={host: {"cpu_allocation_ratio": actual, "reserved_host_memory_mb": reserved}},
    )
    assert result(data, "inventories.%s" % host)["status"] == "pass"
    # an override ratio that did not land: the profile says 3.0 (or 5.0), Placement says otherwise
    wanted = 5.0 if actual == 3.0 else 3.0
    data = verify(checks=["inventories"], expected_profiles={host: {"cpu_allocation_ratio": wanted}})
    r = result(data, "inventories.%s" % host)
    assert r["status"] == "fail"
    assert "VCPU allocation_ratio is %s, expected %s" % (actual, wanted) in r["message"]
    assert "[DEFAULT] cpu_allocation_ratio" in r["fix"]
    assert r["evidence"]["placement"]["VCPU"]["allocation_ratio"] == actual
    # one inventory read per expected host, not one per provider
    assert data["api_requests"] <= 12


def _vcpu_ratio(conn, host):
    rp = next(iter(conn.placement.resource_providers(name=host)))
    inv = {i.resource_class: i for i in conn.placement.resource_provider_inventories(rp)}
    return inv["VCPU"].allocation_ratio


def test_override_without_profile_is_a_mismatch(verify, sandbox, admin_conn, healthy):
    """A real override (nova/<host>/nova-compute.conf) changes the ratio; the profile still
    says the old value: the inventory check names the host, the field and both values."""
    host = "compute2"
    override = sandbox.override_file("nova/%s/nova-compute.conf" % host)
    if override.exists():
        pytest.skip("%s exists (another test's override); not touching it" % override)
    made_dir = not override.parent.exists()
    before = _vcpu_ratio(admin_conn, host)
    changed = before + 1.5

    def set_ratio(value):
        override.parent.mkdir(parents=True, exist_ok=True)
        override.write_text("[DEFAULT]\ncpu_allocation_ratio = %s\n" % value)
        sandbox.restart_compute(host)
        sandbox.wait_for(
            lambda: _vcpu_ratio(admin_conn, host) == value, timeout=120, interval=2, what="ratio %s" % value
        )

    try:
        set_ratio(changed)
        data = verify(checks=["inventories"], expected_profiles={host: {"cpu_allocation_ratio": before}})
        r = result(data, "inventories.%s" % host)
        assert r["status"] == "fail"
        assert "VCPU allocation_ratio is %s, expected %s" % (changed, before) in r["message"]
    finally:
        # Nova keeps a ratio it once reported when the option is unset: put the old one back first
        set_ratio(before)
        override.unlink()
        if made_dir and not any(override.parent.iterdir()):
            override.parent.rmdir()
        sandbox.restart_compute(host)
    data = verify(checks=["inventories"], expected_profiles={host: {"cpu_allocation_ratio": before}})
    assert result(data, "inventories.%s" % host)["status"] == "pass"


def test_console_proxy_down_fails(verify, sandbox, boot_server, healthy):
    server = boot_server()
    data = verify(checks=["console"], console_server=server.id)
    assert result(data, "console.proxy")["status"] == "pass"
    sandbox.run("stop-service", "nova-novncproxy")
    try:
        data = verify(checks=["console"], console_server=server.id)
        r = result(data, "console.proxy")
        assert r["status"] == "fail"
        assert "does not answer" in r["message"]
        assert "[vnc] novncproxy_base_url" in r["fix"]
    finally:
        sandbox.run("start-service", "nova-novncproxy")
    data = verify(checks=["console"], console_server=server.id)
    assert result(data, "console.proxy")["status"] == "pass"


INVENTORY = {
    "all": {
        "children": {
            "deployment": {"hosts": {"localhost": {}}},
            "compute": {"hosts": {"compute1": {"nova_config_profile": "it"}, "compute2": {}}},
        },
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "kolla_ops_cloud": "sandbox",
            "nova_config_compute_profiles": {
                "it": {"cpu_allocation_ratio": 0.5, "description": "never deployed"}
            },
        },
    }
}


def test_playbook_writes_reports_and_fails_on_failed_check(sandbox, tmp_path, healthy):
    inv = tmp_path / "inventory.yml"
    inv.write_text(json.dumps(INVENTORY))
    base = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(inv),
        str(ROOT / "playbooks" / "verify.yml"),
        "-e",
        json.dumps(
            {
                "kolla_ops_nova_commands": {"mode": "sandbox", "sandbox_command": str(sandbox.cli)},
                "kolla_ops_clouds_yaml": str(sandbox.clouds_yaml),
                "verify_report_dir": str(tmp_path / "reports"),
                "verify_service_down_time": DOWN_TIME,
                "verify_checks": ["services", "placement", "inventories"],
            }
        ),
    ]
    env = _env(sandbox)
    res = subprocess.run(base, check=False, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    # compute1's profile (ratio 0.5) never landed: the play fails, after writing the report
    assert res.returncode != 0, res.stdout
    assert "inventories.compute1" in res.stdout
    report = json.loads((tmp_path / "reports" / "verify.json").read_text())
    statuses = {r["check"]: r["status"] for r in report["results"]}
    assert statuses["inventories.compute1"] == "fail"
    assert "inventories.compute2" not in statuses  # no profile: nothing expected
    assert statuses["services.compute"] in ("pass", "warn")  # warn: another test drains a compute
    junit = (tmp_path / "reports" / "verify.junit.xml").read_text()
    assert "<failure" in junit and 'name="compute1"' in junit
    assert "FAIL  inventories.compute1" in (tmp_path / "reports" / "verify.txt").read_text()
    # report only: the play succeeds
    res = subprocess.run(
        base + ["-e", "verify_report_only=true"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr
