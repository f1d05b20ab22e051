"""A host's effective profile: the renderer, host preparation and verify.yml resolve it alike.

The Jinja expressions are taken from the real files (compute_host_prep's defaults,
playbooks/verify.yml) and rendered with Jinja's native environment and the real filter, so
a host relying on nova_config_default_profile is seen the same way by all three.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from jinja2 import StrictUndefined
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.kolla_ops.nova.plugins.filter.effective_profile import effective_profile
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import plan as nova_plan

ROOT = Path(__file__).resolve().parents[4]

PROFILES = {
    "general": {
        "cpu_allocation_ratio": 4.0,
        "hugepages": {"size": "2M", "count": 512, "runtime": True},
        "live_migration": {"max_concurrent": 2, "permit_auto_converge": True},
    },
    "pinned": {"cpu_dedicated_set": "2-7", "isolate_dedicated_cpus": True, "nested": False},
}


def test_no_profile_is_empty():
    assert effective_profile(PROFILES, None) == {}
    assert effective_profile(PROFILES, "", {"cpu_allocation_ratio": 2.0}) == {}


def test_overrides_merge_one_level_deep_without_touching_the_profile():
    got = effective_profile(PROFILES, "general", {"cpu_allocation_ratio": 2.0, "hugepages": {"count": 64}})
    assert got["cpu_allocation_ratio"] == 2.0
    assert got["hugepages"] == {"size": "2M", "count": 64, "runtime": True}
    assert got["live_migration"] == PROFILES["general"]["live_migration"]
    assert PROFILES["general"]["hugepages"]["count"] == 512


def test_nested_alias():
    assert effective_profile(PROFILES, "pinned")["nested_virtualization"] is False


def test_unknown_profile_names_host_name_and_choices():
    with pytest.raises(AnsibleFilterError) as err:
        effective_profile(PROFILES, "pined", host="cmp-pin01")
    msg = str(err.value)
    assert "host cmp-pin01" in msg
    assert "'pined'" in msg
    assert "did you mean 'pinned'" in msg
    assert "general, pinned" in msg


def test_overrides_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError, match="nova_config_profile_overrides must be a mapping"):
        effective_profile(PROFILES, "general", ["cpu_allocation_ratio"])


def test_renderer_uses_the_same_profile():
    """What build_plan renders for a host is the effective profile the filter gives."""
    overrides = {"cpu_allocation_ratio": 2.0}
    plan = nova_plan.build_plan(PROFILES, {"c1": {"profile": "general", "overrides": overrides}})
    assert plan.errors == []
    want = effective_profile(PROFILES, "general", overrides)
    assert plan.hosts["c1"].values["cpu_allocation_ratio"] == want["cpu_allocation_ratio"]
    assert plan.host_preparation()["c1"]["hugepages"]["runtime"] is want["hugepages"]["runtime"]


def _env():
    env = NativeEnvironment(undefined=StrictUndefined)
    env.filters["kolla_ops.nova.effective_profile"] = effective_profile
    return env


def _prep_profile(host_vars):
    defaults = yaml.safe_load((ROOT / "roles" / "compute_host_prep" / "defaults" / "main.yml").read_text())
    return _env().from_string(defaults["compute_host_prep_profile"]).render(**host_vars)


@pytest.mark.parametrize(
    ("host_vars", "expected"),
    [
        # relies on the default profile (the reviewer's case: prep used to see {} here)
        ({"nova_config_default_profile": "general"}, "general"),
        # its own profile wins over the default
        ({"nova_config_default_profile": "general", "nova_config_profile": "pinned"}, "pinned"),
        # null: Kolla's defaults, even with a default profile (as the renderer does)
        ({"nova_config_default_profile": "general", "nova_config_profile": None}, None),
        ({}, None),
    ],
)
def test_compute_host_prep_follows_the_renderer(host_vars, expected):
    host_vars = {"inventory_hostname": "c1", "nova_config_compute_profiles": PROFILES, **host_vars}
    got = _prep_profile(host_vars)
    assert got == (effective_profile(PROFILES, expected) if expected else {})


def test_compute_host_prep_applies_overrides_to_the_default_profile():
    got = _prep_profile(
        {
            "inventory_hostname": "c1",
            "nova_config_compute_profiles": PROFILES,
            "nova_config_default_profile": "general",
            "nova_config_profile_overrides": {"hugepages": {"count": 8}},
        }
    )
    assert got["hugepages"] == {"size": "2M", "count": 8, "runtime": True}


def test_verify_expects_the_default_profile():
    play = yaml.safe_load((ROOT / "playbooks" / "verify.yml").read_text())[0]
    expr = play["vars"]["_verify_profiles"]
    common = {"nova_config_compute_profiles": PROFILES, "nova_config_default_profile": "general"}
    hostvars = {
        "c1": dict(common),
        "c2": dict(common, nova_config_profile="pinned"),
        "c3": dict(common, nova_config_profile_overrides={"cpu_allocation_ratio": 1.0}),
        "c4": dict(common, nova_config_profile=None),
    }
    got = (
        _env()
        .from_string(expr)
        .render(groups={"compute": list(hostvars)}, hostvars=hostvars, verify_compute_group="compute")
    )
    assert sorted(got) == ["c1", "c2", "c3"]
    assert got["c1"]["cpu_allocation_ratio"] == 4.0
    assert got["c2"]["cpu_dedicated_set"] == "2-7"
    assert got["c3"]["cpu_allocation_ratio"] == 1.0
