"""The triage engine: records, root cause priority, unmatched, windows, rotation, timelines."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import engine as engine_mod
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.engine import (
    Engine,
    service_from_filename,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import load_default_rules
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.run import (
    TriageError,
    build_rules,
    parse_time,
    triage_host,
    triage_inputs,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.sources import host_from_path

RULES = load_default_rules()
REQ = "req-0c9e1c1e-8d4e-4b9a-9b43-5a3fd2c4e001"

NOVALIDHOST = (
    "2026-11-21 06:30:01.123 17 ERROR nova.conductor.manager [%s admin admin - - -] Failed to schedule "
    "instances: nova.exception_Remote.NoValidHost_Remote: No valid host was found. There are not enough "
    "hosts available." % REQ
)
TRACEBACK = [
    "2026-11-21 06:30:01.123 17 ERROR nova.conductor.manager Traceback (most recent call last):",
    '2026-11-21 06:30:01.123 17 ERROR nova.conductor.manager   File "/x.py", line 1, in f',
    "2026-11-21 06:30:01.123 17 ERROR nova.conductor.manager nova.exception.NoValidHost: No valid host was found.",
]


def scan(lines, service="nova-compute", host="h", **kw):
    eng = Engine(RULES, **kw)
    eng.scan_stream(io.BytesIO(("\n".join(lines) + "\n").encode()), host, service, "/x/%s.log" % service)
    return eng.result()


def test_service_names_from_kolla_file_names():
    assert service_from_filename("/var/log/kolla/nova/nova-compute.log") == "nova-compute"
    assert service_from_filename("nova-compute.log.1") == "nova-compute"
    assert service_from_filename("nova-api.log.12.gz") == "nova-api"
    assert service_from_filename("libvirtd.log") == "libvirtd"


def test_host_from_layout():
    assert host_from_path(["ctl1", "var", "log", "kolla", "nova", "nova-api.log"], "x") == "ctl1"
    assert host_from_path(["compute2", "nova", "nova-compute.log"], "x") == "compute2"
    assert host_from_path(["nova", "nova-compute.log"], "x") == "x"
    assert host_from_path(["kolla", "nova", "nova-compute.log"], "x") == "x"


def test_a_record_with_its_traceback_counts_once():
    res = scan([NOVALIDHOST, *TRACEBACK], service="nova-conductor")
    (f,) = res["findings"]
    assert f["rule"] == "scheduler-novalidhost"
    assert f["count"] == 1
    assert f["request_ids"] == [REQ]
    assert f["first_seen"] == f["last_seen"] == "2026-11-21 06:30:01.123"
    assert res["unmatched"] == []


def test_incidents_group_by_rule_host_service_with_first_last_and_samples():
    lines = []
    for i in range(5):
        lines.append(
            "2026-11-21 06:3%d:00.000 7 ERROR oslo.messaging._drivers.impl_rabbit [-] AMQP server on "
            "10.0.0.1:5672 is unreachable: [Errno 111] ECONNREFUSED. Trying again in 1 seconds." % i
        )
    res = scan(lines, max_samples=2)
    (f,) = res["findings"]
    assert (f["rule"], f["host"], f["service"], f["count"]) == (
        "messaging-amqp-unreachable",
        "h",
        "nova-compute",
        5,
    )
    assert (f["first_seen"], f["last_seen"]) == ("2026-11-21 06:30:00.000", "2026-11-21 06:34:00.000")
    assert len(f["samples"]) == 2


def test_root_cause_wins_inside_one_record():
    """'Failed to allocate the network(s)' caused by the port quota is a quota finding."""
    lines = [
        "2026-11-21 06:44:00.001 7 ERROR nova.compute.manager [%s demo demo - - -] [instance: x] Build of "
        "instance x aborted: Failed to allocate the network(s), not rescheduling." % REQ,
        "2026-11-21 06:44:00.001 7 ERROR nova.compute.manager nova.exception.PortLimitExceeded: Maximum "
        "number of ports exceeded",
    ]
    (f,) = scan(lines)["findings"]
    assert f["rule"] == "quota-port-limit"
    assert f["category"] == "quota_exceeded"


def test_heartbeat_lost_because_of_messaging_is_a_messaging_finding():
    line = (
        "2026-11-21 06:45:01.001 7 WARNING nova.servicegroup.drivers.db [-] Lost connection to nova-conductor "
        "for reporting service status.: oslo_messaging.exceptions.MessagingTimeout: Timed out waiting for a "
        "reply to message ID 8a1b"
    )
    (f,) = scan([line])["findings"]
    assert f["category"] == "messaging_rpc_failure"


def test_unmatched_errors_are_counted_and_sampled_never_dropped():
    lines = [
        "2026-11-21 06:00:0%d.000 7 ERROR nova.compute.manager [-] Weird thing %d happened" % (i, i)
        for i in range(7)
    ]
    lines.append("2026-11-21 06:00:08.000 7 CRITICAL nova [-] Unhandled error: Boom")
    lines.append(
        "2026-11-21 06:00:09.000 7 INFO nova.compute.manager [-] ERROR in the message of an INFO line"
    )
    lines.append("2026-11-21 06:00:10.000 7 WARNING nova.compute.manager [-] an unexplained warning")
    res = scan(lines, max_unmatched_samples=3)
    (u,) = res["unmatched"]
    assert u["count"] == 8
    assert len(u["samples"]) == 3
    assert u["top_messages"][0] == {"message": "nova.compute.manager: Weird thing N happened", "count": 7}
    assert res["stats"]["unmatched_records"] == 8
    assert res["stats"]["warning_records"] == 1
    assert res["findings"] == []


def test_rules_only_apply_to_their_services_and_levels():
    sched = (
        "2026-11-21 06:30:01.101 12 INFO nova.scheduler.manager [-] Got no allocation candidates from the "
        "Placement API. This could be due to insufficient resources."
    )
    assert [f["rule"] for f in scan([sched], service="nova-scheduler")["findings"]] == [
        "scheduler-no-allocation-candidates"
    ]
    assert scan([sched], service="nova-compute")["findings"] == []
    debug = sched.replace(" INFO ", " DEBUG ")
    assert [f["rule"] for f in scan([debug], service="nova-scheduler")["findings"]] == [
        "scheduler-no-allocation-candidates"
    ]


def test_time_window():
    lines = [
        "2026-11-20 23:59:59.000 7 ERROR nova.compute.manager [-] No space left on device",
        "2026-11-21 06:00:00.000 7 ERROR nova.compute.manager [-] No space left on device",
        "2026-11-21 08:00:00.000 7 ERROR nova.compute.manager [-] No space left on device",
    ]
    res = scan(lines, since="2026-11-21 00:00:00", until="2026-11-21T07:00:00")
    (f,) = res["findings"]
    assert f["count"] == 1 and f["first_seen"].startswith("2026-11-21 06:00")
    assert res["stats"]["out_of_window_lines"] == 2


def test_parse_time():
    import datetime

    now = datetime.datetime(2026, 11, 21, 6, 0, 0)
    assert parse_time("2h", now) == "2026-11-21 04:00:00"
    assert parse_time("1d", now) == "2026-11-20 06:00:00"
    assert parse_time("2026-11-21T05:00") == "2026-11-21 05:00"
    assert parse_time(None) is None
    with pytest.raises(TriageError, match="relative"):
        parse_time("yesterday")


@pytest.mark.parametrize("block", [7, 64, 1000])
def test_block_boundaries_do_not_change_results(monkeypatch, block):
    lines = [NOVALIDHOST, *TRACEBACK] * 3 + [
        "2026-11-21 06:00:00.000 7 ERROR x [-] odd %d" % i for i in range(5)
    ]
    want = scan(lines, service="nova-conductor")
    monkeypatch.setattr(engine_mod, "BLOCK_SIZE", block)
    got = scan(lines, service="nova-conductor")
    assert got["findings"] == want["findings"]
    assert got["unmatched"] == want["unmatched"]


def test_libvirt_log_format():
    line = (
        "2019-06-13 19:22:12.012+0000: 41: error : qemuProcessReportLogError:1922 : internal error: process "
        "exited while connecting to monitor: Could not access KVM kernel module: Permission denied"
    )
    (f,) = scan([line], service="libvirtd")["findings"]
    assert f["rule"] == "kvm-unavailable" and f["first_seen"] == "2019-06-13 19:22:12.012"


def test_secrets_are_masked_in_samples_unmatched_and_timeline(tmp_path):
    secret_lines = [
        "2026-11-21 06:00:00.000 7 ERROR oslo.messaging._drivers.impl_rabbit [%s - - -] AMQP server on "
        "rabbit://openstack:S3cretPw@10.0.0.1:5672 is unreachable: x" % REQ,
        "2026-11-21 06:00:01.000 7 ERROR nova.compute.manager [%s - - -] odd: password = Hunter2Pw "
        "X-Auth-Token: gAAAAABtokentokentokentokentoken1234" % REQ,
    ]
    d = tmp_path / "h1" / "nova"
    d.mkdir(parents=True)
    (d / "nova-compute.log").write_text("\n".join(secret_lines) + "\n")
    res = triage_inputs([str(tmp_path)])
    text = repr(res)
    for secret in ("S3cretPw", "Hunter2Pw", "gAAAAABtoken"):
        assert secret not in text
    assert res["timeline"], "request id of the finding is followed"


def _write(path, text, mtime=None, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    if mtime:
        os.utime(path, (mtime, mtime))


def test_kolla_root_with_rotated_and_gzipped_files(tmp_path):
    line = "2026-11-2%d 06:00:00.000 7 ERROR nova.compute.manager [-] [Errno 28] No space left on device\n"
    _write(tmp_path / "nova" / "nova-compute.log.2.gz", line % 1, gz=True)
    _write(tmp_path / "nova" / "nova-compute.log.1", line % 2)
    _write(tmp_path / "nova" / "nova-compute.log", line % 3)
    _write(tmp_path / "other" / "x.log", line % 4)
    res = triage_host("compute1", log_root=str(tmp_path), config_dir=None)
    (f,) = res["findings"]
    assert (f["host"], f["count"]) == ("compute1", 3)
    assert (f["first_seen"][:10], f["last_seen"][:10]) == ("2026-11-21", "2026-11-23")
    assert res["stats"]["files"] == 3
    res = triage_host("compute1", log_root=str(tmp_path), include_rotated=False, config_dir=None)
    assert res["findings"][0]["count"] == 1


def test_files_older_than_since_are_skipped_by_mtime(tmp_path):
    old = time.mktime((2020, 1, 1, 0, 0, 0, 0, 0, -1))
    _write(tmp_path / "nova" / "nova-compute.log.1", "x\n", mtime=old)
    _write(tmp_path / "nova" / "nova-compute.log", "y\n")
    res = triage_host("h", log_root=str(tmp_path), since="2026-01-01 00:00:00", config_dir=None)
    assert res["stats"]["files_skipped_by_time"] == 1


def test_tarball_with_several_hosts_and_request_timeline(tmp_path):
    ctl = tmp_path / "src" / "ctl1" / "var" / "log" / "kolla" / "nova"
    cmp_ = tmp_path / "src" / "compute1" / "var" / "log" / "kolla" / "nova"
    _write(ctl / "nova-conductor.log", NOVALIDHOST + "\n")
    _write(
        ctl / "nova-scheduler.log",
        "2026-11-21 06:30:01.050 12 DEBUG nova.scheduler.manager [%s - - -] Starting to schedule\n" % REQ,
    )
    _write(
        cmp_ / "nova-compute.log.1.gz",
        "2026-11-21 06:29:00.000 7 INFO nova.compute.claims [%s - - -] Claim attempt\n" % REQ,
        gz=True,
    )
    tarball = tmp_path / "logs.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tmp_path / "src", arcname="logs")
    res = triage_inputs([str(tarball)])
    (f,) = res["findings"]
    assert (f["host"], f["service"]) == ("ctl1", "nova-conductor")
    hosts_services = [(e["host"], e["service"], e["level"]) for e in res["timeline"]]
    assert hosts_services == [
        ("compute1", "nova-compute", "INFO"),
        ("ctl1", "nova-scheduler", "DEBUG"),
        ("ctl1", "nova-conductor", "ERROR"),
    ]


def test_build_rules_filters_and_overrides():
    only = build_rules(only_rules=["messaging_rpc_failure", "disk-full"])
    assert {r.category for r in only} == {"messaging_rpc_failure", "disk_full"}
    site = {
        "id": "disk-full",
        "title": "site override",
        "category": "disk_full",
        "severity": "low",
        "services": ["*"],
        "signatures": ["ENOSPC"],
        "explanation": "site",
        "fix": "x",
        "examples": ["x"],
    }
    rules = build_rules(extra_rules=[site])
    assert [r.title for r in rules if r.id == "disk-full"] == ["site override"]
