"""The triage line reader: one test per form a Nova log line arrives in (issue 16 section 1).

Every line is taken verbatim from a corpus case (tests/unit/corpus/<case>, its source URL in
tests/unit/corpus/index.yml and repeated here).  Where a form is a wrapper that a tool puts
around a line (``docker logs -t``, ``kubectl logs --prefix``, ``docker compose logs``,
``grep -n``), the wrapper is added to a real corpus line exactly as that tool writes it (the
tool's documented output format is named in the test); the line inside is never invented.
"""

from __future__ import annotations

import io
import os

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import engine as engine_mod
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.engine import Engine
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.reader import parse_line
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.records import RecordBuilder
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import load_default_rules

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "corpus")
RULES = load_default_rules()

# tests/unit/corpus/migration-rbd-dir-exists (hotsos lp1761062.yaml,
# https://github.com/canonical/hotsos/blob/57b256c4ad434f5fe335d14447ec7d73ea831d50/hotsos/defs/tests/scenarios/openstack/nova/bugs/lp1761062.yaml)
RBD = (
    "2023-03-22 10:05:40.657 20779 ERROR oslo_messaging.rpc.server [req-e20743e3-a683-41ba-b47b-ba92e97eff37 "
    "4f7cd8bf676d43bc9faf09b2eb41482f 2c3d8251c39545cbb6f77f331b7164f8 - default default] Exception during "
    "message handling: DestinationDiskExists: The supplied disk path "
    "(/var/lib/nova/instances/d8db3f2a-cd8f-48e1-9951-012d762664b2) already exists, it is expected not to exist."
)


def corpus_lines(case, name):
    for dirpath, _dirs, files in os.walk(os.path.join(CORPUS, case)):
        if name in files:
            with open(os.path.join(dirpath, name), encoding="utf-8") as fh:
                return fh.read().splitlines()
    raise AssertionError("%s/%s not in the corpus" % (case, name))


def records(lines):
    out = []
    b = RecordBuilder(out.append)
    for line in lines:
        b.feed(line)
    b.flush()
    return out


def scan(lines, service="nova-compute", **kw):
    eng = Engine(RULES, **kw)
    data = ("\n".join(lines) + "\n").encode()
    eng.scan_stream(io.BytesIO(data), "h", service, "/x/%s.log" % service)
    return eng.result()


def test_full_oslo_line():
    p = parse_line(RBD)
    assert (p.fmt, p.ts, p.pid, p.level, p.logger) == (
        "oslo",
        "2023-03-22 10:05:40.657",
        "20779",
        "ERROR",
        "oslo_messaging.rpc.server",
    )
    assert p.msg.startswith("[req-e20743e3") and p.msg.endswith("expected not to exist.")


def test_oslo_without_date_is_undated_but_keeps_its_level():
    # the time-only form quoted by issue 16 from a pasted excerpt; the rest is the corpus line above
    p = parse_line("10:05:40.657 20779 ERROR oslo_messaging.rpc.server " + RBD.split(".server ", 1)[1])
    assert (p.fmt, p.ts, p.level, p.logger) == ("oslo-time", None, "ERROR", "oslo_messaging.rpc.server")


def test_truncated_year_and_lower_case_level():
    p = parse_line(RBD[2:])  # "23-03-22 10:05:40.657 ...": a year cut by a narrow paste
    assert (p.fmt, p.ts, p.level) == ("oslo-date", None, "ERROR")
    p = parse_line(RBD.replace(" ERROR ", " error "))
    assert (p.fmt, p.ts, p.level) == ("oslo", "2023-03-22 10:05:40.657", "ERROR")


def test_lower_case_levels_are_read_in_a_whole_file():
    res = scan([RBD.replace(" ERROR ", " error ")])
    assert [f["rule"] for f in res["findings"]] == ["migration-destination-dir-exists"]


def test_trace_level_is_an_error_and_joins_its_record():
    # tests/unit/corpus/libvirt-socket-havana (https://github.com/rcbops/chef-cookbooks/issues/809)
    lines = corpus_lines("libvirt-socket-havana", "nova-compute.log")[:6]
    (rec,) = records(lines)
    assert (rec.level, rec.ts, rec.nlines) == ("ERROR", "2014-02-27 02:16:42.505", 6)
    assert "libvirtError: Failed to connect socket to '/var/run/libvirt/libvirt-sock'" in rec.text


def test_grep_file_prefix_before_a_date_is_not_a_line_number():
    # tests/unit/corpus/cell-hostmapping-crowbar (https://github.com/crowbar/crowbar-openstack/pull/1913)
    lines = corpus_lines("cell-hostmapping-crowbar", "nova-conductor.log")
    p = parse_line(lines[0])
    assert p.prefixes == ("grep",)
    assert (p.fmt, p.ts, p.pid, p.level, p.services) == (
        "oslo",
        "2018-11-28 15:26:52.096",
        "29009",
        "ERROR",
        ("nova-conductor",),
    )
    (rec,) = records(lines)
    assert rec.text.endswith(
        "No host-to-cell mapping found for selected host d52-54-77-77-01-02. Setup is incomplete.: "
        "HostMappingNotFound: Host 'd52-54-77-77-01-02' is not mapped to any cell"
    )


def test_grep_n_line_number_prefix():
    # grep -rn writes "<file>:<line number>:<line>" (GNU grep manual, --line-number)
    p = parse_line("nova-compute.log:1:" + RBD)
    assert (p.prefixes, p.fmt, p.ts, p.services) == (
        ("grep",),
        "oslo",
        "2023-03-22 10:05:40.657",
        ("nova-compute",),
    )
    # a time without a date right after the file name is not a line number
    p = parse_line("nova-compute.log:10:05:40.657 20779 ERROR oslo_messaging.rpc.server x")
    assert (p.fmt, p.level) == ("oslo-time", "ERROR")


def test_journald_prefix_with_the_oslo_time_inside():
    # tests/unit/corpus/migration-not-running (https://github.com/openstack-k8s-operators/nova-operator/pull/777)
    line = corpus_lines("migration-not-running", "nova-compute.log")[0]
    p = parse_line(line)
    assert p.prefixes == ("syslog",)
    assert (p.fmt, p.ts, p.level, p.logger, p.services) == (
        "oslo",
        "2024-07-11 22:10:59.946",
        "ERROR",
        "nova.virt.libvirt.driver",
        ("nova-compute",),
    )


def test_syslog_traceback_without_levels_is_one_undated_record():
    # tests/unit/corpus/messaging-heartbeat-pthread-syslog (hotsos lp1934937_syslog.yaml,
    # https://github.com/canonical/hotsos/blob/57b256c4ad434f5fe335d14447ec7d73ea831d50/hotsos/defs/tests/scenarios/openstack/oslo_messaging/lp1934937_syslog.yaml)
    lines = corpus_lines("messaging-heartbeat-pthread-syslog", "nova-compute.log")
    recs = records(lines)
    assert len(recs) == 1
    (rec,) = recs
    assert (rec.kind, rec.ts, rec.level, rec.services) == ("syslog+daemon", None, None, ("nova-compute",))
    assert rec.nlines == len(lines)
    assert rec.text.endswith("greenlet.error: cannot switch to a different thread")


@pytest.mark.parametrize(
    ("wrapped", "prefixes", "ts", "services"),
    [
        # docker logs -t / podman logs -t / kubectl logs --timestamps: RFC 3339 time and a space
        ("2023-03-22T10:05:41.000000001Z " + RBD, ("rfc3339",), "2023-03-22 10:05:40.657", ()),
        # kubectl logs --prefix: "[pod/<pod>/<container>] "
        (
            "[pod/nova-compute-0/nova-compute] " + RBD,
            ("kubectl",),
            "2023-03-22 10:05:40.657",
            ("nova-compute",),
        ),
        # docker compose logs: "<container> | " padded
        ("nova_compute  | " + RBD, ("container",), "2023-03-22 10:05:40.657", ("nova-compute",)),
    ],
    ids=["docker-t", "kubectl-prefix", "container-name"],
)
def test_container_tool_prefixes(wrapped, prefixes, ts, services):
    p = parse_line(wrapped)
    assert (p.prefixes, p.fmt, p.ts, p.level, p.logger) == (
        prefixes,
        "oslo",
        ts,
        "ERROR",
        "oslo_messaging.rpc.server",
    )
    assert p.services == services
    (f,) = scan([wrapped])["findings"]
    assert f["rule"] == "migration-destination-dir-exists"


def test_docker_time_dates_a_time_only_line():
    p = parse_line("2023-03-22T10:05:41Z 10:05:40.657 20779 ERROR oslo_messaging.rpc.server x")
    assert (p.fmt, p.ts, p.level) == ("oslo-time", "2023-03-22 10:05:41", "ERROR")


def test_mail_wrapped_header_whose_level_moved_to_the_next_line():
    # tests/unit/corpus/novnc-tls-minimum-version
    # (https://opendev.org/openstack/tripleo-heat-templates/commit/e1d2ece7858bb03a00ee2412b8044e3ab34d7202)
    (rec,) = records(corpus_lines("novnc-tls-minimum-version", "nova-novncproxy.log"))
    assert (rec.ts, rec.level, rec.logger, rec.nlines) == ("2020-08-03 04:45:41.120", "ERROR", "nova", 5)
    assert "ConfigFileValueError: Value for option ssl_minimum_version from LocationInfo" in rec.text
    assert rec.text.endswith("but found ''")


def test_wrapped_header_without_time_and_backslash_continuations():
    # tests/unit/corpus/host-dep-systool (Nova admin docs, support-compute.rst at
    # https://opendev.org/openstack/nova/src/commit/00a030403f672b975364c855b7d25b40ef83e757/doc/source/admin/support-compute.rst)
    warn, err = records(corpus_lines("host-dep-systool", "nova-compute.log"))
    assert (warn.kind, warn.ts, warn.level, warn.logger) == (
        "oslo-bare",
        None,
        "WARNING",
        "nova.virt.libvirt.utils",
    )
    assert warn.text.endswith("systool is not installed")
    assert (err.level, err.logger) == ("ERROR", "nova.compute.manager")
    assert "|instance: df834b5a-8c3f-477a-be9b-47c97626555c]" in err.text  # hex id re-joined


def test_bare_exception_lines_are_records_without_header():
    # tests/unit/corpus/kvm-no-hvm (Nova admin docs, hypervisor-kvm.rst at
    # https://opendev.org/openstack/nova/src/commit/00a030403f672b975364c855b7d25b40ef83e757/doc/source/admin/configuration/hypervisor-kvm.rst)
    (line,) = corpus_lines("kvm-no-hvm", "nova-compute.log")
    p = parse_line(line)
    assert (p.fmt, p.ts, p.level, p.logger) == ("exception", None, None, "libvirtError")
    # tests/unit/corpus/cell-hostmapping-crowbar, the exception of its last line
    p = parse_line("HostMappingNotFound: Host 'd52-54-77-77-01-02' is not mapped to any cell")
    assert (p.fmt, p.logger) == ("exception", "HostMappingNotFound")


def test_header_less_traceback_tail_is_one_record_with_its_continuation():
    # tests/unit/corpus/migration-scp-sftp-subsystem
    # (https://opendev.org/openstack/kolla-ansible/commit/bfa9dd97a95479c2fa68887178d7e232d1a9a8c5)
    lines = corpus_lines("migration-scp-sftp-subsystem", "nova-compute.log")
    (rec,) = records(lines)
    assert (rec.level, rec.logger, rec.nlines) == (None, "ProcessExecutionError", len(lines))
    assert "subsystem request failed on channel 0" in rec.text


def test_oslo_record_with_an_unprefixed_traceback():
    # tests/unit/corpus/messaging-heartbeat-pthread (hotsos lp1934937.yaml,
    # https://github.com/canonical/hotsos/blob/57b256c4ad434f5fe335d14447ec7d73ea831d50/hotsos/defs/tests/scenarios/openstack/oslo_messaging/lp1934937.yaml)
    lines = corpus_lines("messaging-heartbeat-pthread", "nova-compute.log")
    (rec,) = records(lines)
    assert (rec.ts, rec.level, rec.nlines) == ("2023-06-18 08:42:58.702", "ERROR", len(lines))
    assert rec.text.endswith("greenlet.error: cannot switch to a different thread")


def test_cli_error_and_http_body_and_json_fault():
    # tests/unit/corpus/cell-not-mapped-dashboard (https://github.com/reachsrirams/openstack-scripts/issues/28)
    (line,) = corpus_lines("cell-not-mapped-dashboard", "nova-api.log")
    p = parse_line(line)
    assert (p.fmt, p.level) == ("cli", "ERROR")
    # tests/unit/corpus/policy-migrate-403 (Nova admin docs, migration.rst at
    # https://opendev.org/openstack/nova/src/commit/00a030403f672b975364c855b7d25b40ef83e757/doc/source/admin/migration.rst)
    (line,) = corpus_lines("policy-migrate-403", "nova-api.log")
    res = scan([line], service="nova-api")
    assert [f["category"] for f in res["findings"]] == ["auth_policy"]
    assert res["findings"][0]["first_seen"] is None  # time unknown, shown as such
    # tests/unit/corpus/quota-neutron-network-overquota
    # (https://github.com/kubernetes-sigs/cluster-api-provider-openstack/issues/2131)
    lines = corpus_lines("quota-neutron-network-overquota", "neutron-server.log")
    assert parse_line(lines[1]).fmt == "json"
    (rec,) = records(lines)
    assert '"OverQuota", "message": "Quota exceeded for resources: [\'network\']."' in rec.text


def test_libvirtd_lines_with_and_without_time():
    # tests/unit/corpus/kvm-permission (https://github.com/networkop/docker-topo/pull/25)
    (line,) = corpus_lines("kvm-permission", "libvirtd.log")[:1]
    p = parse_line(line)
    assert (p.fmt, p.ts, p.pid, p.level, p.services) == (
        "libvirt",
        "2019-06-13 19:22:12.012",
        "41",
        "ERROR",
        ("libvirtd",),
    )
    # tests/unit/corpus/libvirt-max-client-requests
    # (https://opendev.org/openstack/kolla-ansible/commit/5acd2f91d22213ef04bd6988a2a0261982b0cf05)
    warn, err = records(corpus_lines("libvirt-max-client-requests", "libvirtd.log"))
    assert (warn.kind, warn.level, warn.ts) == ("libvirt-bare", "WARNING", None)
    assert "Consider tuning the max_client_requests server parameter" in warn.text
    assert (err.level, err.text) == ("ERROR", "error : connection closed due to keepalive timeout")


def test_qemu_line_inside_an_oslo_record():
    # tests/unit/corpus/kvm-dev-permission-pod
    # (https://blog.rackspacecloud.com/blog/2026/04/08/fixing_nova_reboot_failures_when_qemu_cannot_access_devkvm)
    lines = corpus_lines("kvm-dev-permission-pod", "nova-compute.log")
    inner = lines[1].split("nova.virt.libvirt.guest ", 1)[1]
    p = parse_line(inner)
    assert (p.fmt, p.logger) == ("qemu", "qemu-system-x86_64")
    assert p.msg == "-accel kvm: failed to initialize kvm: Permission denied"


def test_scanned_counts_lines_and_records_per_form_and_undated_kept_with_since():
    lines = corpus_lines("migration-nc-not-found", "nova-compute.log")
    res = scan(lines, since="2020-05-19 22:00:00")
    scanned = res["stats"]["scanned"]
    assert scanned["exception"] == {"lines": 1, "records": 1}
    assert scanned["text"]["lines"] == 1  # "sh: 1: nc: not found" continues the exception's record
    assert scanned["oslo"] == {"lines": 1, "records": 1}
    assert res["stats"]["lines"] == 3
    assert res["stats"]["undated_records_kept"] == 1
    assert any("without a date" in n for n in res["notes"])
    assert res["findings"], "the undated record still counts"


def test_a_10_mb_line_keeps_its_header_and_is_counted(monkeypatch):
    """issue 21 item 6: an over-long line lost its header and vanished without a count."""
    long_line = RBD + " " + "x" * (10 * 1024 * 1024)
    res = scan([long_line, RBD.replace("10:05:40.657", "10:05:41.000")])
    (f,) = res["findings"]
    assert f["count"] == 2
    assert f["first_seen"] == "2023-03-22 10:05:40.657"
    assert res["stats"]["long_lines_capped"] == 1
    assert any("longer than" in n for n in res["notes"])
    # the same in the line reader (a block that is not all oslo.log lines)
    res = scan(["libvirtError: x", long_line])
    assert res["stats"]["long_lines_capped"] == 1
    assert [f["rule"] for f in res["findings"]] == ["migration-destination-dir-exists"]
    # and with blocks smaller than the line
    monkeypatch.setattr(engine_mod, "BLOCK_SIZE", 4096)
    res = scan([long_line])
    assert res["stats"]["long_lines_capped"] == 1
    assert res["findings"][0]["first_seen"] == "2023-03-22 10:05:40.657"


def test_docker_times_on_every_line_keep_the_fast_path_and_the_same_result():
    # the corpus line above as `docker logs -t nova_compute` writes a whole file of them
    lines = [RBD.replace("10:05:40.657", "10:05:4%d.657" % i) for i in range(5)]
    plain = scan(lines)
    docker = scan(["2023-03-22T10:05:4%d.700000000Z %s" % (i, ln) for i, ln in enumerate(lines)])
    assert docker["findings"] == plain["findings"]
    assert docker["findings"][0]["count"] == 5
    assert docker["stats"]["scanned"]["rfc3339+oslo"]["lines"] == 5


def test_journald_lines_of_another_service_keep_their_service():
    # tests/unit/corpus/migration-not-running (https://github.com/openstack-k8s-operators/nova-operator/pull/777):
    # journald lines of nova_compute, found in a file that names another service
    lines = corpus_lines("migration-not-running", "nova-compute.log")
    res = scan(lines, service="nova-conductor")
    assert {f["service"] for f in res["findings"]} == {"nova-compute"}
    assert "syslog+oslo" in res["stats"]["scanned"]
    same = scan(lines, service="nova-compute")  # the file's own service: one pass, prefix removed
    assert [f["rule"] for f in same["findings"]] == [f["rule"] for f in res["findings"]]


def test_continuation_lines_inside_a_big_oslo_file_are_read_on_the_fast_path():
    # tests/unit/corpus/migration-ssh-key-permissions (hotsos lp1904580.yaml,
    # https://github.com/canonical/hotsos/blob/57b256c4ad434f5fe335d14447ec7d73ea831d50/hotsos/defs/tests/scenarios/openstack/nova/bugs/lp1904580.yaml):
    # a multi-line message (oslo.log does not prefix its continuation lines) inside a file of
    # dated lines (the corpus line above, repeated as a busy compute log would hold it)
    excerpt = corpus_lines("migration-ssh-key-permissions", "nova-compute.log")
    filler = [RBD.replace("10:05:40.657", "10:05:%02d.657" % (i % 60)) for i in range(100)]
    res = scan(filler + excerpt + filler)
    assert res["stats"]["scanned"]["oslo"]["lines"] == 200 + len(excerpt)  # one pass, no line reader
    assert "text" not in res["stats"]["scanned"]
    short = scan(excerpt)  # the excerpt alone: read line by line, its record unwrapped
    rules = {f["rule"] for f in short["findings"]}
    assert rules <= {f["rule"] for f in res["findings"]}
