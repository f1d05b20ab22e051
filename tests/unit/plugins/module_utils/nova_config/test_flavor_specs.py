"""Flavor checks agree with Nova's extra-spec validators (nova 34 data)."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.flavor_specs import (
    NOVA_VERSION,
    check_extra_spec,
    check_flavors,
)


def test_data_is_from_nova_34():
    assert NOVA_VERSION.startswith("34.")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hw:cpu_policy", "dedicated"),
        ("hw:cpu_policy", "mixed"),
        ("hw:mem_page_size", "large"),
        ("hw:mem_page_size", "2048"),
        ("hw:mem_page_size", "1GiB"),
        ("hw:numa_nodes", "2"),
        ("hw:numa_cpus.0", "0-3"),
        ("hw:cpu_thread_policy", "isolate"),
        ("aggregate_instance_extra_specs:pinned", "true"),
        ("trait:HW_CPU_X86_AVX2", "required"),
        ("resources:PCPU", "4"),
        ("quota:disk_read_bytes_sec", "10240000"),
        ("custom_namespace:anything", "goes"),  # not Nova's namespace: other services' specs
        ("no_namespace_key", "goes"),
    ],
)
def test_accepted(key, value):
    assert check_extra_spec(key, value) is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("hw:cpu_policy", "dedicate", "is not one of: dedicated, shared, mixed"),
        ("hw:mem_page_size", "huge", "does not match"),
        ("hw:numa_nodes", "0", "below the minimum 1"),
        ("hw:numa_nodes", "two", "not an integer"),
        ("hw:cpu_polcy", "dedicated", "did you mean hw:cpu_policy"),
        ("trait:HW_CPU_X86_AVX2", "yes", "trait:HW_CPU_X86_AVX2"),
    ],
)
def test_refused_like_nova(key, value, message):
    problem = check_extra_spec(key, value)
    assert problem is not None
    assert message in problem


def test_check_flavors_collects_every_problem():
    problems = check_flavors(
        [
            {"name": "ok", "vcpus": 2, "ram": 2048, "disk": 10},
            {"name": "bad", "vcpus": 2, "ram": 0, "extra_specs": {"hw:numa_nodes": 4}},
            {"name": "ok", "vcpus": 1, "ram": 512},
            {"name": "priv", "vcpus": 1, "ram": 512, "projects": ["demo"]},
            {"name": "acl", "vcpus": 1, "ram": 512, "is_public": False, "projects": ["nope"]},
        ],
        known_projects=["demo", "admin"],
    )
    assert "ram=0 is below 1" in problems["bad"]
    assert "hw:numa_nodes=4 is more than the flavor's 2 vCPUs" in problems["bad"]
    assert problems["ok"] == ["defined twice"]
    assert "is_public is true" in problems["priv"][0]
    assert problems["acl"] == ["project 'nope' does not exist"]
