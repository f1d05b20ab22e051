"""Compute profiles -> Kolla overrides: the model, the checks, the files."""

from __future__ import annotations

import os

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import (
    fields,
    kolla_merge,
    operator_files,
    problems,
    render,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import plan as nova_plan

PINNED = {
    "cpu_dedicated_set": "4-15",
    "cpu_shared_set": "2-3",
    "reserved_host_memory_mb": 4096,
    "cpu_allocation_ratio": 2.0,
    "ram_allocation_ratio": 1.0,
    "hugepages": {
        "size": "2M",
        "count": 1024,
        "reserved": [{"node": 0, "count": 64}, {"node": 1, "count": 64}],
    },
    "cpu_mode": "host-passthrough",
    "virt_type": "kvm",
    "nested_virtualization": True,
    "isolate_dedicated_cpus": True,
    "live_migration": {
        "max_concurrent": 2,
        "permit_auto_converge": True,
        "permit_post_copy": True,
        "completion_timeout": 600,
        "timeout_action": "force_complete",
        "native_tls": False,
    },
    "image_cache": {"manager_interval": 600, "remove_unused_base_images": False},
    "numa": {"packing_strategy": True},
}
GENERAL = {
    "cpu_allocation_ratio": 4.0,
    "initial_cpu_allocation_ratio": 4.0,
    "cpu_mode": "host-passthrough",
    "virt_type": "kvm",
}


def plan_for(profiles, hosts, **kw):
    return nova_plan.build_plan(profiles, hosts, **kw)


def errors(plan):
    return [(p["host"], p["profile"], p["field"], p["value"]) for p in plan.errors]


def test_pinned_profile_renders_every_setting():
    plan = plan_for({"pinned": PINNED}, {"c1": {"profile": "pinned", "vcpus": 16, "memory_mb": 65536}})
    assert plan.errors == []
    s = plan.hosts["c1"].settings
    assert s[("compute", "cpu_dedicated_set")] == "4-15"
    assert s[("DEFAULT", "reserved_huge_pages")] == ["node:0,size:2048,count:64", "node:1,size:2048,count:64"]
    assert s[("DEFAULT", "max_concurrent_live_migrations")] == "2"
    assert s[("libvirt", "live_migration_permit_auto_converge")] == "true"
    assert s[("libvirt", "live_migration_timeout_action")] == "force_complete"
    assert s[("libvirt", "live_migration_with_native_tls")] == "false"
    assert s[("image_cache", "remove_unused_base_images")] == "false"
    assert s[("compute", "packing_host_numa_cells_allocation_strategy")] == "true"
    assert plan.host_preparation() == {
        "c1": {
            "nested_virtualization": True,
            "isolate_dedicated_cpus": True,
            "hugepages": {"size_kib": 2048, "count": 1024},
        }
    }
    # one compute host: everything is shared
    files = render.desired_files(plan, "Ansible managed")
    assert set(files) == {"nova/nova-compute.conf", "nova/nova-scheduler.conf"}
    assert files["nova/nova-compute.conf"].startswith("# Ansible managed\n" + render.MARKER)
    assert (
        "reserved_huge_pages = node:0,size:2048,count:64\nreserved_huge_pages = node:1"
        in files["nova/nova-compute.conf"]
    )
    kolla_vars = render.desired_globals(plan, "Ansible managed")["globals.d/kolla_ops_nova.yml"]
    assert 'nova_compute_virt_type: "kvm"' in kolla_vars
    assert 'nova_libvirt_cpu_mode: "host-passthrough"' in kolla_vars


def test_shared_and_per_host_split():
    profiles = {"general": GENERAL, "dense": dict(GENERAL, cpu_allocation_ratio=8.0)}
    plan = plan_for(
        profiles, {"c1": {"profile": "general"}, "c2": {"profile": "dense"}, "c3": {"profile": "general"}}
    )
    assert plan.errors == []
    assert plan.shared == {
        ("DEFAULT", "initial_cpu_allocation_ratio"): "4.0",
        ("libvirt", "virt_type"): "kvm",
        ("libvirt", "cpu_mode"): "host-passthrough",
    }
    assert plan.per_host == {
        "c1": {("DEFAULT", "cpu_allocation_ratio"): "4.0"},
        "c2": {("DEFAULT", "cpu_allocation_ratio"): "8.0"},
        "c3": {("DEFAULT", "cpu_allocation_ratio"): "4.0"},
    }
    # no pinning, no huge pages: the scheduler file is not written
    assert plan.scheduler == {}


def test_host_without_profile_keeps_defaults_and_nothing_is_shared():
    plan = plan_for(
        {"p": {"cpu_allocation_ratio": 3.0, "reserved_host_memory_mb": 1024}},
        {"compute1": {"profile": None}, "compute3": {"profile": "p"}},
    )
    files = render.desired_files(plan, "Ansible managed")
    assert list(files) == ["nova/compute3/nova-compute.conf"]
    assert (
        "cpu_allocation_ratio = 3.0\nreserved_host_memory_mb = 1024"
        in files["nova/compute3/nova-compute.conf"]
    )


def test_host_overrides_merge_over_the_profile():
    plan = plan_for(
        {"pinned": PINNED},
        {
            "c1": {
                "profile": "pinned",
                "overrides": {"cpu_dedicated_set": "4-7", "live_migration": {"max_concurrent": 5}},
                "vcpus": 8,
            }
        },
    )
    s = plan.hosts["c1"].settings
    assert s[("compute", "cpu_dedicated_set")] == "4-7"
    assert s[("DEFAULT", "max_concurrent_live_migrations")] == "5"
    assert s[("libvirt", "live_migration_permit_post_copy")] == "true"


@pytest.mark.parametrize(
    ("profiles", "host", "expected"),
    [
        ({"p": {}}, {"profile": "pinnned"}, ("c1", "pinnned", "nova_config_profile", "pinnned")),
        ({"p": {"cpu_dedicated_set": "4-x"}}, {"profile": "p"}, ("c1", "p", "cpu_dedicated_set", "4-x")),
        ({"p": {"cpu_allocation_ratio": -1}}, {"profile": "p"}, ("c1", "p", "cpu_allocation_ratio", -1)),
        (
            {"p": {"settings": {"DEFAULT": {"cpu_allocaton_ratio": 2}}}},
            {"profile": "p"},
            ("c1", "p", "settings.DEFAULT.cpu_allocaton_ratio", "2"),
        ),
        (
            {"p": {"hugepages": {"size": "1G", "count": 64}}},
            {"profile": "p", "memory_mb": 32768},
            ("c1", "p", "hugepages.count", 64),
        ),
        ({"p": {"cpu_alocation_ratio": 2}}, {"profile": "p"}, ("c1", "p", "cpu_alocation_ratio", 2)),
        (
            {"p": {"cpu_shared_set": "0-31"}},
            {"profile": "p", "vcpus": 16},
            ("c1", "p", "cpu_shared_set", "0-31"),
        ),
        ({"p": {"cpu_mode": "host-passthru"}}, {"profile": "p"}, ("c1", "p", "cpu_mode", "host-passthru")),
        ({"p": {"virt_type": "xen"}}, {"profile": "p"}, ("c1", "p", "virt_type", "xen")),
        (
            {"p": {"live_migration": {"timeout_action": "pause"}}},
            {"profile": "p"},
            ("c1", "p", "live_migration.timeout_action", "pause"),
        ),
        (
            {"p": {"image_cache": {"manager_intervall": 5}}},
            {"profile": "p"},
            ("c1", "p", "image_cache.manager_intervall", "5"),
        ),
        (
            {"p": {"image_cache": {"manager_interval": -5}}},
            {"profile": "p"},
            ("c1", "p", "image_cache.manager_interval", "-5"),
        ),
    ],
)
def test_bad_input_names_host_profile_field_value(profiles, host, expected):
    plan = plan_for(profiles, {"c1": host})
    assert expected in errors(plan), plan.problems
    with pytest.raises(problems.ProfileError) as exc:
        nova_plan.raise_for_errors(plan)
    assert "host c1" in str(exc.value) and "field %s" % expected[2] in str(exc.value)


def test_cross_field_errors():
    profiles = {
        "both": {"cpu_dedicated_set": "2-9", "cpu_shared_set": "0-3", "reserved_host_cpus": 2},
        "models": {"cpu_mode": "host-model", "cpu_models": ["Haswell"]},
        "nested_qemu": {"virt_type": "qemu", "nested": True},
        "pages": {"hugepages": {"size": "2M", "count": 10, "reserved": [{"node": 0, "count": 11}]}},
    }
    plan = plan_for(profiles, {h: {"profile": h} for h in profiles})
    fields = {(p["host"], p["field"]) for p in plan.errors}
    assert {
        ("both", "cpu_shared_set"),
        ("both", "reserved_host_cpus"),
        ("models", "cpu_models"),
        ("nested_qemu", "nested_virtualization"),
        ("pages", "hugepages.reserved"),
    } <= fields


def test_ram_overcommit_is_a_warning():
    plan = plan_for({"p": {"ram_allocation_ratio": 1.5}}, {"c1": {"profile": "p"}})
    assert plan.errors == []
    (w,) = [p for p in plan.warnings if p["code"] == "ram_overcommit"]
    assert w["field"] == "ram_allocation_ratio" and w["value"] == 1.5 and "OOM" in w["message"]


def test_unused_profile_is_still_checked():
    plan = plan_for({"used": {}, "broken": {"cpu_shared_set": "a-b"}}, {"c1": {"profile": "used"}})
    assert [(p["profile"], p["field"]) for p in plan.errors] == [("broken", "cpu_shared_set")]


def test_numa_filter_added_to_full_default_list():
    plan = plan_for({"p": {"hugepages": {"count": 8}}}, {"c1": {"profile": "p"}})
    assert plan.scheduler[("filter_scheduler", "enabled_filters")] == (
        "ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,"
        "ServerGroupAffinityFilter,NUMATopologyFilter"
    )
    plan = plan_for(
        {"p": {"cpu_dedicated_set": "2-3"}},
        {"c1": {"profile": "p"}},
        scheduler={
            "extra_filters": ["AggregateInstanceExtraSpecsFilter"],
            "weights": {"ram_weight_multiplier": 2.0},
        },
    )
    filters = plan.scheduler[("filter_scheduler", "enabled_filters")].split(",")
    assert filters[:5] == [
        "ComputeFilter",
        "ComputeCapabilitiesFilter",
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    ]
    assert filters[5:] == ["AggregateInstanceExtraSpecsFilter", "NUMATopologyFilter"]
    assert plan.scheduler[("filter_scheduler", "ram_weight_multiplier")] == "2.0"


def test_explicit_filter_list_without_numa_warns_and_gains_it():
    plan = plan_for(
        {"p": {"cpu_dedicated_set": "2-3"}},
        {"c1": {"profile": "p"}},
        scheduler={"enabled_filters": ["ComputeFilter"]},
    )
    assert plan.scheduler[("filter_scheduler", "enabled_filters")] == "ComputeFilter,NUMATopologyFilter"
    assert any(p["code"] == "numa_filter" for p in plan.warnings)


def test_scheduler_settings_are_schema_checked():
    plan = plan_for({}, {}, scheduler={"weights": {"ram_weigth_multiplier": 1.0}})
    (e,) = plan.errors
    assert e["field"] == "nova_config_scheduler.weights.ram_weigth_multiplier"
    assert "ram_weight_multiplier" in e["message"]


def test_live_migration_group_mismatch():
    profiles = {"a": {"cpu_mode": "host-model"}, "b": {"cpu_mode": "custom", "cpu_models": ["Haswell"]}}
    plan = plan_for(
        profiles,
        {
            "c1": {"profile": "a", "live_migration_group": "rack1"},
            "c2": {"profile": "b", "live_migration_group": "rack1"},
            "c3": {"profile": "b", "live_migration_group": "rack2"},
        },
    )
    (e,) = plan.errors
    assert e["code"] == "live_migration_group" and "'rack1'" in e["message"] and "c1" in e["message"]
    plan = plan_for(profiles, {"c1": {"profile": "a"}, "c2": {"profile": "b"}})
    assert plan.errors == [] and any(p["code"] == "live_migration_group" for p in plan.warnings)


def test_kolla_globals():
    plan = plan_for(
        {"p": {"live_migration": {"native_tls": True}}},
        {"c1": {"profile": "p"}},
        kolla_globals={"nova_console": "spice", "nova_cpu_allocation_ratio": 2},
    )
    assert plan.kolla_globals == {"libvirt_tls": True, "nova_console": "spice"}
    (e,) = plan.errors
    assert e["field"] == "nova_config_kolla_globals.nova_cpu_allocation_ratio"
    assert "not a Kolla-Ansible Nova variable" in e["message"]


def test_jinja_in_values_is_escaped_for_kolla():
    plan = plan_for({"p": {"settings": {"DEFAULT": {"my_ip": "{{ not_a_var }}"}}}}, {"c1": {"profile": "p"}})
    text = render.desired_files(plan, "Ansible managed")["nova/nova-compute.conf"]
    assert "my_ip = {{ '{{' }} not_a_var }}" in text
    rendered, _unused = kolla_merge.render_jinja(text)
    assert "my_ip = {{ not_a_var }}" in rendered


# --- files ---------------------------------------------------------------------------------


def _sync(base, plan, check=False, take_over=False):
    desired = render.desired_files(plan, "Ansible managed")
    actions, problems = render.plan_files(str(base), desired, take_over)
    if not check and not problems:
        render.apply_actions(actions)
    return actions, problems


def test_files_written_idempotent_and_stale_ones_removed(tmp_path):
    profiles = {"p": {"cpu_allocation_ratio": 3.0}}
    plan = plan_for(profiles, {"c1": {"profile": None}, "c3": {"profile": "p"}})
    actions, problems = _sync(tmp_path, plan, check=True)
    assert problems == [] and [a["rel"] for a in actions] == ["nova/c3/nova-compute.conf"]
    assert not (tmp_path / "nova").exists()  # check mode wrote nothing
    _sync(tmp_path, plan)
    target = tmp_path / "nova" / "c3" / "nova-compute.conf"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert _sync(tmp_path, plan) == ([], [])  # idempotent
    assert [p.name for p in (tmp_path / "nova" / "c3").iterdir()] == ["nova-compute.conf"]  # no temp files
    plan = plan_for(profiles, {"c1": {"profile": None}, "c3": {"profile": None}})
    actions, _unused = _sync(tmp_path, plan)
    assert [(a["rel"], a["state"]) for a in actions] == [("nova/c3/nova-compute.conf", "absent")]
    assert not target.exists() and not target.parent.exists()


def test_foreign_file_is_never_overwritten(tmp_path):
    (tmp_path / "nova").mkdir()
    foreign = tmp_path / "nova" / "nova-compute.conf"
    foreign.write_text("[DEFAULT]\ndebug = true\n")
    plan = plan_for({"p": {"cpu_allocation_ratio": 3.0}}, {"c1": {"profile": "p"}})
    _actions, problems = _sync(tmp_path, plan)
    assert problems[0]["code"] == "foreign_file" and str(foreign) in problems[0]["message"]
    assert foreign.read_text() == "[DEFAULT]\ndebug = true\n"
    _actions, problems = _sync(tmp_path, plan, take_over=True)
    assert problems == [] and render.is_ours(foreign.read_text())
    # a foreign file we do not need to write is left alone, not removed
    plan = plan_for({}, {"c1": {"profile": None}})
    foreign.write_text("[DEFAULT]\ndebug = true\n")
    assert _sync(tmp_path, plan) == ([], [])
    assert foreign.exists()


def test_operator_overrides_vcpu_pin_set_and_conflicts(tmp_path):
    base = tmp_path
    (base / "nova" / "c1").mkdir(parents=True)
    (base / "nova.conf").write_text("[DEFAULT]\nvcpu_pin_set = 4-15\n")
    (base / "nova" / "c1" / "nova.conf").write_text(
        "[DEFAULT]\nreserved_host_cpus = 2\n[filter_scheduler]\nenabled_filters = ComputeFilter\n"
    )
    plan = plan_for(
        {"pinned": {"cpu_dedicated_set": "4-15"}, "plain": {}},
        {"c1": {"profile": "pinned"}, "c2": {"profile": "plain"}},
    )
    operator_files.check_operator_overrides(plan, str(base), [])
    by = {(p["host"], p["code"], p["severity"]) for p in plan.problems}
    assert ("c1", "vcpu_pin_set", "error") in by  # vcpu_pin_set + cpu_dedicated_set
    assert ("c2", "vcpu_pin_set", "warning") in by  # just deprecated
    assert ("c1", "cross_field", "error") in by  # reserved_host_cpus + CPU sets
    assert (None, "numa_filter", "error") in by  # a later file drops NUMATopologyFilter
    (warn,) = [p for p in plan.problems if p["host"] == "c2"]
    assert "cpu_dedicated_set = 4-15" in warn["fix"] and "cpu_shared_set = 4-15" in warn["fix"]
    assert str(base / "nova.conf") + ":2" in warn["message"]


def test_page_sizes():
    assert fields.parse_page_size_kib("2M") == 2048
    assert fields.parse_page_size_kib("1GiB") == 1048576
    assert fields.parse_page_size_kib(2048) == 2048
    assert fields.parse_page_size_kib("2048") == 2048
    for bad in ("2X", "0", "-2M", True, "3"):
        with pytest.raises(ValueError):
            fields.parse_page_size_kib(bad)


def test_apply_is_atomic_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "nova" / "nova-compute.conf"
    target.parent.mkdir()
    target.write_text(render.MARKER + "\nold\n")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        render.apply_actions([{"path": str(target), "state": "present", "after": "new"}])
    assert target.read_text() == render.MARKER + "\nold\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["nova-compute.conf"]


def test_collapse_same_problem_on_many_hosts():
    plan = plan_for({"p": {"ram_allocation_ratio": 2.0}}, {"c1": {"profile": "p"}, "c2": {"profile": "p"}})
    (w,) = [p for p in problems.collapse(plan.problems) if p["code"] == "ram_overcommit"]
    assert w["host"] == "c1, c2"
    assert problems.format_problem(w).startswith("WARNING: host c1, c2, profile 'p'")
