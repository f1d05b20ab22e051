"""Triage against real failures the sandbox produces.

Each test records the time, makes Nova fail in one known way, scans the sandbox's Kolla
log tree (``.sandbox/log/kolla/<host>/nova/*.log``) from that time on and checks that the
engine names the failure with the right rule and category.  Everything a test breaks is
restored in ``finally``/cleanup (services started again, overrides removed, compute
restarted).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
import uuid
import warnings

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.aggregate import build_report
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.run import triage_inputs

pytestmark = pytest.mark.slow


def _now():
    # the sandbox writes local time, like Kolla's containers
    return (datetime.datetime.now() - datetime.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


def _findings(sandbox, since, **kw):
    return triage_inputs([str(sandbox.log_dir)], since=since, **kw)["findings"]


def _wait_for_rule(sandbox, since, rule, timeout=60, **kw):
    def check():
        found = [f for f in _findings(sandbox, since, **kw) if f["rule"] == rule]
        return found or None

    return sandbox.wait_for(check, timeout=timeout, interval=2, what="triage rule %s" % rule)


def _port_open(port):
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _boot(conn, name, flavor, image="cirros-fake"):
    img = conn.image.find_image(image)
    return conn.compute.create_server(name=name, flavor_id=flavor.id, image_id=img.id, networks="none")


def test_flavor_no_host_can_fit_is_novalidhost(sandbox, admin_conn, cleanup):
    since = _now()
    name = "triage-huge-%s" % uuid.uuid4().hex[:6]
    flavor = admin_conn.compute.create_flavor(name=name, ram=4 * 1024 * 1024, vcpus=1, disk=1)
    cleanup.add(admin_conn.compute.delete_flavor, flavor)
    server = cleanup.server(_boot(admin_conn, name, flavor))
    sandbox.wait_for_server(admin_conn, server, status="ERROR", timeout=120)

    found = _wait_for_rule(sandbox, since, "scheduler-no-allocation-candidates")
    assert found[0]["category"] == "novalidhost_scheduling"
    assert found[0]["service"] == "nova-scheduler"
    novalid = _wait_for_rule(sandbox, since, "scheduler-novalidhost")
    assert novalid[0]["category"] == "novalidhost_scheduling"
    # the conductor's NoValidHost and the scheduler's "no candidates" share a request id:
    # the report marks the former as a symptom of the latter
    report = build_report([triage_inputs([str(sandbox.log_dir)], since=since)])
    nv = [f for f in report["findings"] if f["rule"] == "scheduler-novalidhost"]
    assert any("scheduler-no-allocation-candidates" in f.get("symptom_of", []) for f in nv)
    # the failed request is followed across services into one timeline
    services = {(e["host"], e["service"]) for e in report["timeline"]}
    assert ("controller", "nova-scheduler") in services and ("controller", "nova-conductor") in services


def test_quota_exceeded(sandbox, admin_conn, project):
    since = _now()
    admin_conn.set_compute_quotas(project.project.id, instances=0)
    flavor = admin_conn.compute.find_flavor("m1.tiny")
    with pytest.raises(Exception, match=r"(?i)quota"):
        _boot(project.conn, "triage-quota", flavor)
    found = _wait_for_rule(sandbox, since, "quota-exceeded")
    assert found[0]["category"] == "quota_exceeded"
    assert (found[0]["host"], found[0]["service"]) == ("controller", "nova-api")


def test_killed_compute_is_reported_down(sandbox, admin_conn, cleanup):
    host = "compute2"

    def state():
        svc = [s for s in admin_conn.compute.services(binary="nova-compute") if s.host == host]
        return svc[0].state if svc else None

    # start from a compute that is up (an earlier test may have restarted RabbitMQ)
    sandbox.wait_for(lambda: state() == "up", timeout=180, interval=3, what="%s up" % host)
    since = _now()
    sandbox.run("kill-compute", host)
    try:
        # down after service_down_time; the scheduler says so when it filters hosts
        def down():
            return state() == "down"

        sandbox.wait_for(down, timeout=120, interval=3, what="%s reported down" % host)
        flavor = admin_conn.compute.find_flavor("m1.tiny")
        server = cleanup.server(_boot(admin_conn, "triage-down-%s" % uuid.uuid4().hex[:6], flavor))
        sandbox.wait_for(
            lambda: admin_conn.compute.get_server(server.id).status in ("ACTIVE", "ERROR"),
            timeout=120,
            what="server scheduled",
        )
        found = _wait_for_rule(sandbox, since, "service-down-heartbeat", timeout=90)
        assert found[0]["category"] == "service_down_heartbeat"
        assert any(host in s for f in found for s in f["samples"])
    finally:
        sandbox.run("start-compute", host)


def test_rabbitmq_stopped_is_a_messaging_failure(sandbox, tmp_path):
    since = _now()
    # the assertion reads transport_url from a Kolla-style config dir
    (tmp_path / "nova-compute").mkdir()
    (tmp_path / "nova-compute" / "nova.conf").write_text(
        (sandbox.state_dir / "etc" / "nova" / "nova.conf").read_text()
    )
    sandbox.run("stop-service", "rabbitmq")
    try:
        found = _wait_for_rule(
            sandbox, since, "messaging-amqp-unreachable", timeout=90, config_dir=str(tmp_path)
        )
        assert found[0]["category"] == "messaging_rpc_failure"
        compute = [f for f in found if f["service"] == "nova-compute"]
        assert compute, found
        (assertion,) = compute[0]["assertions"]
        assert assertion["op"] == "unreachable_hosts"
        assert assertion["holds"] is True, assertion  # the broker does not answer: cause confirmed
        assert "***" in assertion["actual"] or "@" not in assertion["actual"]  # password masked
    finally:
        sandbox.run("start-service", "rabbitmq")
        sandbox.wait_for(
            lambda: _port_open(sandbox.ports["rabbitmq"]), timeout=120, interval=2, what="rabbitmq"
        )
        # leave the cloud as found: every service reconnected and reporting again (other
        # people's tests may have something else down: warn, do not fail, then)
        try:
            sandbox.wait_for(
                lambda: sandbox.run("status", check=False).returncode == 0,
                timeout=180,
                interval=5,
                what="sandbox services up after the RabbitMQ restart",
            )
        except Exception as exc:  # reported as a warning
            warnings.warn("after restarting RabbitMQ: %s" % exc, stacklevel=1)


def test_unknown_option_in_an_override(sandbox):
    host = "compute3"
    override = sandbox.override_file("nova/%s/nova-compute.conf" % host)
    before = override.read_text() if override.exists() else None
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text((before or "") + "\n[DEFAULT]\ncpu_allocation_ration = 4.0\n")
    since = _now()
    try:
        sandbox.restart_compute(host)
        # nova ignores the option silently: the compute restarts fine, no log line names it
        log_findings = _findings(sandbox, since)
        assert not [f for f in log_findings if f["rule"] == "config-unknown-option"]
        res = triage_inputs(
            [str(sandbox.log_dir / host)],
            since=since,
            config_files=[str(sandbox.node_custom_config / "nova" / "*" / "*.conf")],
        )
        found = [f for f in res["findings"] if f["rule"] == "config-unknown-option"]
        assert found and found[0]["category"] == "config_invalid"
        assert (found[0]["host"], found[0]["service"]) == (host, "nova-compute")
        assert "cpu_allocation_ration" in found[0]["samples"][0]
        assert "cpu_allocation_ratio" in found[0]["samples"][0]  # did-you-mean
    finally:
        if before is None:
            override.unlink()
        else:
            override.write_text(before)
        sandbox.restart_compute(host)


def test_cli_json_on_the_sandbox_logs(sandbox):
    cli = sandbox.root / "scripts" / "kolla-nova-triage"
    res = subprocess.run(
        [sys.executable, str(cli), "--json", "--since", "1d", str(sandbox.log_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode in (0, 1), res.stderr
    report = json.loads(res.stdout)
    assert set(report) >= {"findings", "unmatched", "timeline", "summary"}
    for f in report["findings"]:
        required = {"rule", "category", "host", "service", "count", "first_seen", "last_seen", "samples"}
        assert required <= set(f)
        assert f["config_options"] is not None and f["fix"]


def test_playbook_writes_the_report(sandbox, tmp_path):
    env = dict(os.environ, ANSIBLE_CONFIG=str(sandbox.root / "ansible.cfg"))
    start = time.time()
    res = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            str(sandbox.root / "playbooks" / "triage.yml"),
            "-e",
            "triage_report_dir=%s" % tmp_path,
            "-e",
            "triage_since=1d",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=str(sandbox.root),
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads((tmp_path / "nova-triage.json").read_text())
    assert set(report["hosts"]) >= {"compute1", "compute2", "compute3"}
    assert (tmp_path / "nova-triage.txt").read_text().startswith("Nova triage report")
    assert (tmp_path / "nova-triage-checks.junit.xml").exists()
    assert time.time() - start < 600
