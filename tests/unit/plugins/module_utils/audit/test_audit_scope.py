"""Scope options of the audit modules: a name the cloud does not know is an error, not a pass.

The helper (audit_module.check_scope) and each module's audit() with a collector stand-in
(plain lists, as AuditCollector returns them): the error names the option, the unknown
values and the known ones, and is raised before any repair is planned or applied.
"""

from __future__ import annotations

import datetime
import types

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import (
    allocations as placement_allocation_audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import capacity as capacity_report
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import images as image_audit
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import ports as port_audit
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import quota as quota_usage_audit
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import run as audit_module
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import servers as server_state_audit
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit import services as compute_service_audit
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    KNOWN_LISTED,
    ScopeError,
    check_scope,
    is_uuid,
    report_not_found,
    uuid_scope,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

FIX = "Correct it or leave hosts out."
U1 = "0b7e3c9a-1f2d-4e5f-8a9b-0c1d2e3f4a5b"
U2 = "6c1f0d2e-3a4b-4c5d-9e8f-7a6b5c4d3e2f"


# --- the helper ---------------------------------------------------------------------------------
def test_nothing_given_nothing_checked():
    assert check_scope("hosts", None, [], "host", FIX) == []
    assert check_scope("hosts", [], ["compute1"], "host", FIX) == []


def test_known_values_pass():
    assert (
        check_scope("hosts", ["compute1", "compute2"], ["compute1", "compute2", "compute3"], "host", FIX)
        == []
    )


def test_unknown_value_names_option_value_known_and_fix():
    with pytest.raises(ScopeError) as err:
        check_scope("hosts", ["compute1", "cmp-gen1"], ["compute1", "compute2", "cmp-gen-1"], "host", FIX)
    msg = str(err.value)
    assert msg.startswith("hosts: unknown host cmp-gen1 (did you mean cmp-gen-1?)")
    assert "known hosts (3): cmp-gen-1, compute1, compute2." in msg
    assert FIX in msg and msg.endswith("Nothing was changed.")
    assert err.value.details() == {
        "option": "hosts",
        "unknown": ["cmp-gen1"],
        "known": ["cmp-gen-1", "compute1", "compute2"],
        "known_count": 3,
    }
    assert isinstance(err.value, ValueError)  # run_audit's old catch-all still applies


def test_every_unknown_value_is_named_once_in_order():
    with pytest.raises(ScopeError) as err:
        check_scope("images", ["zz", "cirros", "aa", "zz"], ["cirros"], "image", FIX)
    assert err.value.unknown == ["zz", "aa"]
    assert "unknown image zz, aa;" in str(err.value)


def test_known_list_is_cut_at_twenty():
    known = ["host%03d" % i for i in range(50)]
    with pytest.raises(ScopeError) as err:
        check_scope("hosts", ["nope"], known, "host", FIX)
    msg = str(err.value)
    assert "known hosts (50): host000, " in msg and "host019, ... and 30 more." in msg
    assert "host020" not in msg
    assert len(err.value.details()["known"]) == KNOWN_LISTED == 20
    assert err.value.details()["known_count"] == 50


def test_no_known_value_at_all():
    with pytest.raises(ScopeError, match=r"known images \(0\): none\."):
        check_scope("images", ["cirros"], [], "image", FIX)


@pytest.mark.parametrize(
    ("value", "known", "expected"),
    [
        ("Compute1", ["compute1", "compute2"], "compute1"),  # case
        ("VPCU", ["VGPU", "VCPU", "PCPU"], "VCPU"),  # swapped letters, not the closest string
        ("cirros", ["cirros-0.6.2", "ubuntu"], "cirros-0.6.2"),  # a prefix
        ("compute11", ["compute1", "compute2"], "compute1"),
        ("cmp-gen1", ["cmp-gen-1", "compute1"], "cmp-gen-1"),  # difflib
        ("c", ["compute1", "cirros"], None),  # too short to guess
        ("ubuntu", ["cirros", "centos"], None),
    ],
)
def test_suggest(value, known, expected):
    assert audit_module.suggest(value, known) == expected


def test_shown_replaces_known_in_the_message_only():
    with pytest.raises(ScopeError) as err:
        check_scope("flavors", ["m1.tiyn"], ["m1.tiny", "1"], "flavor", FIX, shown=["m1.tiny"])
    assert "m1.tiyn (did you mean m1.tiny?); known flavors (1): m1.tiny." in str(err.value)
    assert check_scope("flavors", ["1"], ["m1.tiny", "1"], "flavor", FIX, shown=["m1.tiny"]) == []


def test_hint_wins_over_close_match():
    with pytest.raises(ScopeError, match=r"unknown project ID demo \(the name of project abc: give its ID\)"):
        check_scope(
            "projects",
            ["demo"],
            ["abc"],
            "project ID",
            FIX,
            hints={"demo": "the name of project abc: give its ID"},
        )


def test_accept_missing_returns_the_missing_values_and_still_rejects_the_rest():
    assert check_scope("ports", [U1, U2, U1], [U2], "port", FIX, accept_missing=is_uuid) == [U1]
    with pytest.raises(ScopeError) as err:
        check_scope("ports", [U1, "my-port"], [U2], "port", FIX, accept_missing=is_uuid)
    assert err.value.unknown == ["my-port"]


def test_uuids():
    assert is_uuid(U1) and is_uuid(U1.upper())
    assert not is_uuid(U1.replace("-", "")) and not is_uuid(U1[:-1]) and not is_uuid("compute1")
    assert not is_uuid(None)
    assert uuid_scope([U1.upper(), "Port-A"]) == [U1, "Port-A"]
    assert uuid_scope(None) == []


def test_report_not_found():
    report = Report("audit")
    report_not_found(report, "ports.scope", "ports", [], "port", "why")
    assert report.as_dict()["results"] == []
    report_not_found(report, "ports.scope", "ports", [U1], "port", "why")
    (r,) = report.as_dict()["results"]
    assert r["check"] == "ports.scope" and r["status"] == "warn"
    assert r["message"] == "ports: 1 port(s) not found, nothing audited for them: %s" % U1
    assert r["evidence"] == {"option": "ports", "not_found": [U1]} and r["fix"] == "why"


# --- run_audit: the error is a failed task with details, and nothing is applied -------------------
class FailJson(Exception):
    pass


def test_run_audit_fails_before_any_repair():
    applied = []

    def audit(collector, params):
        check_scope("hosts", params["hosts"], ["compute1"], "host", FIX)
        raise AssertionError("not reached")

    failed = {}

    def fail_json(**kw):
        failed.update(kw)
        raise FailJson()

    module = types.SimpleNamespace(
        params={"hosts": ["compute9"], "fix": True, "page_size": 10, "nova_commands": None},
        conn=types.SimpleNamespace(session=types.SimpleNamespace(request=lambda *a, **k: None)),
        check_mode=False,
        fail_json=fail_json,
        exit_json=lambda **kw: pytest.fail("exit_json after a scope error: %s" % kw),
        ansible=None,
        sdk=None,
    )
    with pytest.raises(FailJson):
        audit_module.run_audit(module, audit, lambda collector, action: applied.append(action))
    assert applied == []
    assert failed["msg"].startswith("hosts: unknown host compute9")
    assert failed["scope_error"]["unknown"] == ["compute9"]


# --- each module's audit() ---------------------------------------------------------------------------
NOW = datetime.datetime.now(datetime.UTC)
OLD = (NOW - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S")


class Collector:
    """What the audits read, as plain data; ``sql`` answers the deleted-services query."""

    def __init__(self, nova=None, deleted_hosts=()):
        self.nova = nova
        self.cell_databases = ("nova",)
        self.deleted_hosts = list(deleted_hosts)
        self.queries = []
        self.conn = types.SimpleNamespace(
            identity=types.SimpleNamespace(
                projects=lambda: [types.SimpleNamespace(id="p-1", name="demo")],
            ),
        )

    def resource_classes(self):
        return ["VCPU", "PCPU", "MEMORY_MB", "DISK_GB", "VGPU"]

    def _sql(self, database, query):
        self.queries.append(query)
        return [{"host": h} for h in self.deleted_hosts]

    def service_versions(self):
        return []

    def services(self):
        return [
            {"id": "s1", "host": "compute1", "binary": "nova-compute", "zone": "nova", "status": "enabled",
             "state": "up", "disabled_reason": None, "forced_down": False, "updated_at": OLD},
        ]  # fmt: skip

    def hypervisors(self):
        return [{"id": "n1", "name": "compute1", "host": "compute1"}]

    def servers(self):
        return [
            {"id": U2, "project_id": "p-owner", "status": "ACTIVE", "updated_at": OLD, "task_state": None}
        ]

    def provider_usages(self, ids):
        return {}

    def migrations(self):
        return []

    def providers(self):
        return [{"uuid": "n1", "name": "compute1", "root_provider_uuid": "n1", "parent_provider_uuid": None}]

    def allocations(self):
        return {"n1": {U2: {"VCPU": 1}}}

    def images(self):
        return [{"id": "img-1", "name": "cirros", "disk_format": "raw", "status": "active", "properties": {}}]

    def ports(self):
        return [{"id": U2, "name": "my-port", "device_owner": "compute:nova", "device_id": U2}]

    def flavors(self):
        return [{"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "extra_specs": {}}]


def params(**kw):
    base = {"fix": True, "hosts": None, "stale_after": 3600}
    base.update(kw)
    return base


def test_compute_service_audit_misspelt_host():
    with pytest.raises(ScopeError) as err:
        compute_service_audit.audit(Collector(), params(hosts=["compute1", "compute11"]))
    msg = str(err.value)
    assert "hosts: unknown host compute11 (did you mean compute1?); known hosts (1): compute1." in msg
    assert "openstack compute service list" in msg


def test_compute_service_audit_host_with_only_deleted_rows_is_gone_not_unknown():
    # an earlier fix run deleted ghost1's service: a second run with the same hosts is a no-op
    collector = Collector(nova=object(), deleted_hosts=["ghost1"])
    report, planned, proposed, extra = compute_service_audit.audit(collector, params(hosts=["ghost1"]))
    assert planned == [] and proposed == [] and extra["services"] == []
    scope = [r for r in report.as_dict()["results"] if r["check"] == "services.scope"]
    assert scope and scope[0]["status"] == "warn" and "ghost1" in scope[0]["message"]
    assert len(collector.queries) == 1 and "deleted != 0" in collector.queries[0]
    # without nova_commands the audit cannot tell a deleted host from a typo
    with pytest.raises(ScopeError, match="unknown host ghost1"):
        compute_service_audit.audit(Collector(deleted_hosts=["ghost1"]), params(hosts=["ghost1"]))


def test_compute_service_audit_known_host_reads_no_sql():
    collector = Collector(nova=object())
    compute_service_audit.audit(collector, params(hosts=["compute1"]))
    assert collector.queries == []


def test_image_audit_names_and_ids():
    p = params(images=["cirros"], images_type="default", required_properties=[], fix_properties={})
    image_audit.audit(Collector(), p)
    p["images"] = ["img-1", "ubuntu-22.04"]  # an ID is accepted; the message lists names
    with pytest.raises(ScopeError, match=r"images: unknown image ubuntu-22.04; known images \(1\): cirros\."):
        image_audit.audit(Collector(), p)
    p["images"] = ["cirros-0.6"]
    with pytest.raises(ScopeError, match=r"unknown image cirros-0.6 \(did you mean cirros\?\)"):
        image_audit.audit(Collector(), p)


def test_capacity_report_flavors_and_resource_classes():
    p = {"flavors": ["m1.tiny"], "resource_classes": ["VCPU"], "warn_percent": 85.0}
    collector = Collector()
    collector.inventories = lambda: {}
    collector.usages = lambda: {}
    collector.aggregates = lambda: []
    capacity_report.audit(collector, p)
    with pytest.raises(ScopeError, match=r"flavors: unknown flavor m1.tiyn \(did you mean m1.tiny\?\)"):
        capacity_report.audit(collector, dict(p, flavors=["m1.tiyn"]))
    capacity_report.audit(collector, dict(p, resource_classes=["VGPU"]))  # Placement knows it
    with pytest.raises(ScopeError, match=r"unknown resource class VPCU.*; known resource classes \(5\): "):
        capacity_report.audit(collector, dict(p, resource_classes=["VCPU", "VPCU"]))


def test_placement_allocation_audit_consumers():
    p = {"fix": True, "cross_check": False}
    with pytest.raises(ScopeError, match="consumers: unknown consumer not-a-uuid;"):
        placement_allocation_audit.audit(Collector(), dict(p, consumers=[U2, "not-a-uuid"]))
    # a UUID nothing has (its allocations were removed by an earlier repair): accepted, reported
    report, planned, _proposed, _extra = placement_allocation_audit.audit(
        Collector(), dict(p, consumers=[U1.upper()])
    )
    assert planned == []
    (scope,) = [r for r in report.as_dict()["results"] if r["check"] == "allocations.scope"]
    assert scope["status"] == "warn" and scope["evidence"]["not_found"] == [U1]


def test_port_audit_port_name_is_pointed_to_its_id():
    with pytest.raises(
        ScopeError, match=r"ports: unknown port my-port \(the name of port %s: give its ID\)" % U2
    ):
        port_audit.audit(Collector(), {"fix": True, "ports": ["my-port"]})
    report, planned, _proposed, _extra = port_audit.audit(Collector(), {"fix": True, "ports": [U2, U1]})
    assert planned == []
    assert [r["status"] for r in report.as_dict()["results"] if r["check"] == "ports.scope"] == ["warn"]


def test_quota_usage_audit_projects():
    collector = Collector()
    collector.quota_usage = lambda pid: {"limits": {}, "in_use": {}}
    collector.project_usages = lambda pids: {pid: {} for pid in pids}
    # a Keystone project, and a deleted project that still owns servers, are both known
    quota_usage_audit.audit(collector, {"projects": ["p-1", "p-owner"]})
    with pytest.raises(ScopeError, match=r"unknown project ID demo \(the name of project p-1: give its ID\)"):
        quota_usage_audit.audit(collector, {"projects": ["demo"]})


def test_server_state_audit_statuses():
    p = {"older_than": 3600, "max_actions": 0}
    server_state_audit.audit(Collector(), dict(p, statuses=["error", "Shutoff"]))
    with pytest.raises(ScopeError) as err:
        server_state_audit.audit(Collector(), dict(p, statuses=["ERROR", "building"]))
    assert str(err.value).startswith(
        "statuses: unknown server status BUILDING (did you mean BUILD?); known server statuses (20): ACTIVE, "
    )
