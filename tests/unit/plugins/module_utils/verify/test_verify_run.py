"""One compute_verify run on the cloud reader's shapes.

The reader and the connection are stand-ins: the run is checked against the sandbox cloud by
tests/integration/test_compute_verify.py; these tests pin what the sandbox cannot show cheaply
(a console_server that names nothing, check mode never booting, the reader's dict shapes).
"""

from __future__ import annotations

import types

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import ScopeError
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify.run import CHECK_GROUPS, Verify


class Reader:
    """What cloud.reader.CloudReader returns (placement_source=api)."""

    def __init__(self):
        self.inventory_requests = []

    def services(self):
        return [
            {"id": "s1", "host": "c1", "binary": "nova-compute", "zone": "nova", "status": "enabled",
             "state": "up", "disabled_reason": None, "forced_down": False, "updated_at": None},
        ]  # fmt: skip

    def hypervisors(self):
        return [{"id": "u1", "name": "c1.example.org", "host": "c1", "state": "up", "status": "enabled"}]

    def providers(self):
        return [
            {"uuid": "u1", "name": "c1.example.org", "generation": 1, "root_provider_uuid": "u1",
             "parent_provider_uuid": None},
        ]  # fmt: skip

    def provider_inventories(self, ids):
        self.inventory_requests.append(list(ids))
        inv = {
            "total": 4,
            "reserved": 0,
            "allocation_ratio": 4.0,
            "min_unit": 1,
            "max_unit": 4,
            "step_size": 1,
        }
        return {i: {"VCPU": dict(inv)} for i in ids}


class Exc:
    class SDKException(Exception):
        pass

    class DuplicateResource(SDKException):
        pass


class Compute:
    def __init__(self, servers=()):
        self._servers = list(servers)
        self.created = []

    def find_server(self, name, ignore_missing=True, all_projects=True):
        return next((s for s in self._servers if name in (s.id, s.name)), None)

    def servers(self, **kwargs):
        return iter(self._servers)

    def create_server(self, **kwargs):  # pragma: no cover - a failing test would call it
        self.created.append(kwargs)
        raise AssertionError("check mode booted a server")


def params(**kw):
    base = dict(
        checks=list(CHECK_GROUPS), binaries=["nova-compute"], service_down_time=60, expected_inventories={},
        expected_profiles={}, ignore_providers=[], console_type="novnc", console_server=None,
        console_timeout=10, smoke_test=None, config_dir="/etc/kolla/config", nova_commands=None,
    )  # fmt: skip
    base.update(kw)
    return base


def statuses(result):
    return {r["check"]: r["status"] for r in result["report"]["results"]}


def test_reader_shapes_reach_the_placement_checks():
    reader = Reader()
    p = params(expected_inventories={"c1": {"VCPU": {"allocation_ratio": 16.0}}})
    result = Verify(p, types.SimpleNamespace(compute=Compute()), Exc, reader, None).run()
    got = statuses(result)
    assert got["hypervisors.services"] == "pass"
    assert got["placement.providers"] == "pass"
    # the host resolves to its provider through the hypervisor's service host; 4.0 is not 16.0
    assert reader.inventory_requests == [["u1"]]
    assert got["inventories.c1"] == "fail"
    assert "inventories.c1" in result["failed_checks"]


def test_unknown_console_server_fails_before_anything_is_read_or_booted():
    compute = Compute([types.SimpleNamespace(id="s-1", name="web1")])
    p = params(console_server="web2", smoke_test={"flavor": "f", "image": "i", "force": True})
    with pytest.raises(ScopeError) as err:
        Verify(p, types.SimpleNamespace(compute=compute), Exc, Reader(), None).run()
    assert err.value.fail_kwargs()["scope_error"]["unknown"] == ["web2"]
    assert "web1" in str(err.value)
    assert compute.created == []


def test_check_mode_does_not_boot_the_smoke_server():
    spec = {"flavor": "f", "image": "i", "network": None, "timeout": 5, "name": "x", "force": False}
    compute = Compute()
    result = Verify(
        params(smoke_test=spec), types.SimpleNamespace(compute=compute), Exc, Reader(), None, True
    ).run()
    assert statuses(result)["smoke.boot"] == "skip"
    assert compute.created == []
