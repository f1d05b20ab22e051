"""The zone guard (issue 19.1) and unmatched host patterns (issue 21.5), through the playbooks on
the sandbox.

``-e compute_host_hosts=compute`` (the group name where a host name was meant) drains the hosts
one by one, each checked against the live service list just before it: with the sandbox's three
computes in one availability zone, the last one is refused (no enabled host would remain), with
the earlier two left drained as recorded. The override drains it with the override in the
disabled reason, and restore.yml brings all three back. No servers are booted: the guard looks
only at the services, and an empty host drains in a couple of seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_compute_host_drain import ROOT, _env

HOSTS = ("compute1", "compute2", "compute3")


def services(admin_conn):
    return {s.host: s for s in admin_conn.compute.services(binary="nova-compute") if s.host in HOSTS}


def playbook(sandbox, inv, name, *extra):
    env = _env(sandbox)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.default"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv), *extra]
    res = subprocess.run(
        [*cmd, str(ROOT / "playbooks" / name)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    res.flat = " ".join(res.stdout.split())  # messages are folded over lines
    return res


@pytest.fixture
def all_hosts(sandbox, admin_conn, cleanup, tmp_path):
    """An inventory of the three computes; every compute enabled again at teardown."""

    def restore():
        for svc in services(admin_conn).values():
            if svc.status != "enabled":
                admin_conn.compute.enable_service(svc.id, host=svc.host, binary=svc.binary)

    restore()
    cleanup.add(restore)
    return sandbox.compute_inventory(
        tmp_path / "hosts.json",
        {h: {} for h in HOSTS},
        tmp_path / "reports",
        compute_host_state_dir=str(tmp_path / "state"),
        compute_host_poll_interval=1,
        compute_host_settle_time=1,
    )


def test_group_name_drain_stops_at_the_last_host(sandbox, admin_conn, all_hosts, tmp_path):
    # max_disabled_share=1: the minimum of enabled hosts alone decides (the share has its own test)
    share = ("-e", "compute_host_max_disabled_share=1.0")
    res = playbook(sandbox, all_hosts, "drain.yml", "-e", "compute_host_hosts=compute", *share)
    assert res.returncode != 0, res.stdout[-3000:]
    svcs = services(admin_conn)
    assert svcs["compute1"].status == "disabled" and svcs["compute2"].status == "disabled"
    assert svcs["compute1"].disabled_reason.startswith("kolla_ops.nova drain ")
    assert svcs["compute3"].status == "enabled", "the last host was disabled"
    assert (
        "refusing to disable compute3: availability zone nova would keep 0 enabled, up compute host(s) "
        "(none) of 3, fewer than min_enabled_hosts=1" in res.flat
    ), res.stdout[-3000:]
    assert "allow_empty_zone=true" in res.flat
    # the earlier hosts are recorded as drained
    for host in ("compute1", "compute2"):
        state = json.loads((tmp_path / "state" / ("sandbox-%s.json" % host)).read_text())
        assert state["operation"] == "drain" and state["phase"] == "drained"
    assert not (tmp_path / "state" / "sandbox-compute3.json").exists()

    # the override: drained, and the override is in the disabled reason
    res = playbook(
        sandbox,
        all_hosts,
        "drain.yml",
        "-e",
        "compute_host_hosts=compute3",
        "-e",
        "compute_host_allow_empty_zone=true",
    )
    assert res.returncode == 0, res.stdout[-3000:]
    reason = services(admin_conn)["compute3"].disabled_reason
    assert reason.startswith("kolla_ops.nova drain ") and "allow_empty_zone: availability zone nova" in reason

    # restore brings them all back
    res = playbook(sandbox, all_hosts, "restore.yml", "-e", "compute_host_hosts=compute")
    assert res.returncode == 0, res.stdout[-3000:]
    assert {h: s.status for h, s in services(admin_conn).items()} == dict.fromkeys(HOSTS, "enabled")


def test_default_share_refuses_the_second_of_three(sandbox, admin_conn, all_hosts, tmp_path):
    res = playbook(sandbox, all_hosts, "drain.yml", "-e", "compute_host_hosts=compute1:compute2", "--check")
    # check mode: nothing is disabled, so the second host is judged with the first still enabled
    assert res.returncode == 0, res.stdout[-3000:]
    res = playbook(sandbox, all_hosts, "drain.yml", "-e", "compute_host_hosts=compute1:compute2")
    assert res.returncode != 0
    assert (
        "availability zone nova would have 2 of 3 compute hosts disabled (compute1, compute2), a share of 0.67, "
        "more than max_disabled_share=0.50" in res.flat
    ), res.stdout[-3000:]
    svcs = services(admin_conn)
    assert svcs["compute1"].status == "disabled" and svcs["compute2"].status == "enabled"


@pytest.mark.parametrize(
    "name", ["drain.yml", "evacuate.yml", "restore.yml", "recover.yml", "rolling_maintenance.yml"]
)
def test_pattern_matching_no_host_fails_and_lists_known(sandbox, admin_conn, all_hosts, name):
    before = {h: s.status for h, s in services(admin_conn).items()}
    res = playbook(sandbox, all_hosts, name, "-e", "compute_host_hosts=nosuch")
    assert res.returncode != 0, res.stdout[-2000:]
    assert "compute_host_hosts=nosuch matches no host of the inventory" in res.flat
    assert "Known compute hosts: compute1, compute2, compute3." in res.flat
    assert "Nothing was changed." in res.flat
    assert {h: s.status for h, s in services(admin_conn).items()} == before
