"""Issue 20.3, 20.4, 20.(smaller) and 21.3: what a rendered value may be, and where it goes.

Each test failed before the fix (seen):
- a newline in a value was written as is (``"az1\\nbogus_line"`` makes Kolla's merge fail with
  "No ':' or '=' found in assignment"; ``"az1\\ndebug = true"`` smuggled an option past the schema);
- a mapping was written as a Python dict (``alias = {'name': 'a1'}``), which nova 34 refuses
  (nova/pci/request.py get_alias_from_config: PciInvalidAlias ... "Expecting property name enclosed
  in double quotes");
- ``enabled_filters`` built from Nova's defaults dropped Kolla's BlazarFilter (kolla-ansible
  roles/nova/templates/nova.conf.j2 adds it when enable_blazar);
- ``[scheduler] max_attempts`` went to nova-scheduler only; nova-conductor reads it too
  (nova/conductor/manager.py build_instances and schedule_and_build_instances,
  nova/scheduler/utils.py populate_retry) and kept Kolla's 10;
- ``cpu_allocation_ratio: 1e12`` and ``0`` were accepted silently.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import (
    kolla_merge,
    render,
    render_step,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import plan as nova_plan


def _params(tmp_path, profile=None, **kw):
    p = {
        "compute_profiles": {"general": profile if profile is not None else {"cpu_allocation_ratio": 4.0}},
        "hosts": {"c1": {"profile": "general"}},
        "scheduler": {},
        "kolla_globals": {},
        "node_custom_config": str(tmp_path / "etc-kolla" / "config"),
        "kolla_config_dir": str(tmp_path / "etc-kolla"),
        "release": "34",
        "header": "Ansible managed",
        "mode": "0640",
        "take_over_existing": False,
    }
    p.update(kw)
    return p


def _written(tmp_path):
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())


# --- 20.3: control characters --------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["az1\nbogus_line", "az1\ndebug = true", "az1\r[DEFAULT]", "tab\there", "nul\x00", "ls\u2028x"],
)
def test_control_character_in_a_setting_is_refused_and_nothing_written(tmp_path, value):
    profile = {"settings": {"DEFAULT": {"default_availability_zone": value}}}
    result, failed = render_step.run(_params(tmp_path, profile), check_mode=False)
    assert failed, "a value with a control character was accepted"
    assert "settings.DEFAULT.default_availability_zone" in failed
    assert repr(value) in failed
    assert "control character" in failed
    assert result["files"] == []
    assert _written(tmp_path) == []


def test_control_character_in_scheduler_settings_and_kolla_globals(tmp_path):
    params = _params(
        tmp_path,
        scheduler={"settings": {"scheduler": {"workers": "2\ndebug = true"}}},
        kolla_globals={"nova_compute_availability_zone": "az1\nx"},
    )
    _result, failed = render_step.run(params, check_mode=False)
    assert failed
    assert "nova_config_scheduler.settings.scheduler.workers" in failed
    assert "nova_config_kolla_globals.nova_compute_availability_zone" in failed
    assert _written(tmp_path) == []


def test_control_character_in_an_option_name_is_refused():
    plan = nova_plan.build_plan(
        {"p": {"settings": {"DEFAULT": {"debug = true\nx": 1}}}}, {"c1": {"profile": "p"}}
    )
    assert any("control character" in p["message"] for p in plan.errors), plan.problems


def test_a_list_item_with_a_newline_is_refused():
    plan = nova_plan.build_plan(
        {"p": {"cpu_models": ["Haswell\nx"], "cpu_mode": "custom"}}, {"c1": {"profile": "p"}}
    )
    assert [p["field"] for p in plan.errors if "control character" in p["message"]] == ["cpu_models"]


# --- 20.4: mappings as JSON where Nova reads JSON ------------------------------------------

ALIAS = {"name": "a1", "vendor_id": "8086", "product_id": "0443", "device_type": "type-PCI"}


def test_pci_alias_mapping_is_written_as_json(tmp_path):
    profile = {
        "settings": {"pci": {"alias": ALIAS, "device_spec": [{"vendor_id": "8086", "product_id": "0443"}]}}
    }
    _result, failed = render_step.run(_params(tmp_path, profile), check_mode=False)
    assert failed is None, failed
    text = (tmp_path / "etc-kolla" / "config" / "nova" / "nova-compute.conf").read_text()
    merge, _unresolved = kolla_merge.merge_texts([("f", text)])
    values = merge.values()["pci"]
    assert json.loads(values["alias"]) == ALIAS
    assert json.loads(values["device_spec"]) == {"vendor_id": "8086", "product_id": "0443"}


def test_several_aliases_are_one_json_line_each():
    second = dict(ALIAS, name="a2")
    plan = nova_plan.build_plan(
        {"p": {"settings": {"pci": {"alias": [ALIAS, second]}}}}, {"c1": {"profile": "p"}}
    )
    assert not plan.errors, plan.errors
    written = plan.shared[("pci", "alias")]
    assert [json.loads(v) for v in written] == [ALIAS, second]


@pytest.mark.parametrize(
    ("alias", "needle"),
    [
        ("{'name': 'a1', 'vendor_id': '8086'}", "not JSON"),
        ({"vendor_id": "8086"}, "'name' is required"),
        (dict(ALIAS, device_type="vdpa"), "device_type"),
        (dict(ALIAS, vendor_id="80861"), "vendor_id"),
        (dict(ALIAS, colour="red"), "colour"),
    ],
)
def test_pci_alias_is_validated_as_nova_does(alias, needle):
    plan = nova_plan.build_plan({"p": {"settings": {"pci": {"alias": alias}}}}, {"c1": {"profile": "p"}})
    msgs = [p for p in plan.errors if p["field"] == "settings.pci.alias"]
    assert msgs, plan.problems
    assert needle in msgs[0]["message"], msgs[0]


def test_device_spec_must_be_a_mapping_or_a_list_of_them():
    plan = nova_plan.build_plan(
        {"p": {"settings": {"pci": {"device_spec": '["8086"]'}}}}, {"c1": {"profile": "p"}}
    )
    assert [p["field"] for p in plan.errors] == ["settings.pci.device_spec"], plan.problems


def test_a_dict_option_takes_a_mapping_in_nova_dict_syntax():
    plan = nova_plan.build_plan(
        {
            "p": {
                "settings": {
                    "libvirt": {"hw_machine_type": "x86_64=q35"},
                    "DEFAULT": {"reserved_huge_pages": {"node": 0, "size": 2048, "count": 64}},
                }
            }
        },
        {"c1": {"profile": "p"}},
    )
    assert not plan.errors, plan.errors
    assert plan.shared[("DEFAULT", "reserved_huge_pages")] == "node:0,size:2048,count:64"


def test_a_mapping_for_an_option_that_takes_none_is_refused():
    plan = nova_plan.build_plan(
        {"p": {"settings": {"DEFAULT": {"host": {"a": 1}}}}}, {"c1": {"profile": "p"}}
    )
    assert [p["field"] for p in plan.errors] == ["settings.DEFAULT.host"], plan.problems
    assert "mapping" in plan.errors[0]["message"]


# --- smaller: BlazarFilter, max_attempts for the conductors --------------------------------


def _scheduler_filters(plan):
    return plan.scheduler[("filter_scheduler", "enabled_filters")].split(",")


def test_blazar_filter_is_kept_when_kolla_enables_blazar():
    profiles = {"pinned": {"cpu_dedicated_set": "4-7"}}
    plan = nova_plan.build_plan(profiles, {"c1": {"profile": "pinned"}}, kolla_vars={"enable_blazar": "yes"})
    assert "BlazarFilter" in _scheduler_filters(plan)
    assert "NUMATopologyFilter" in _scheduler_filters(plan)
    plain = nova_plan.build_plan(profiles, {"c1": {"profile": "pinned"}})
    assert "BlazarFilter" not in _scheduler_filters(plain)


def test_enable_blazar_is_read_from_kolla_globals_yml(tmp_path):
    config_dir = tmp_path / "etc-kolla"
    config_dir.mkdir()
    (config_dir / "globals.yml").write_text('---\nkolla_base_distro: debian\nenable_blazar: "yes"\n')
    params = _params(tmp_path, {"cpu_dedicated_set": "4-7"})
    _result, failed = render_step.run(params, check_mode=False)
    assert failed is None, failed
    text = (config_dir / "config" / "nova" / "nova-scheduler.conf").read_text()
    assert "BlazarFilter" in text


def test_max_attempts_also_goes_to_the_conductors(tmp_path):
    params = _params(tmp_path, scheduler={"settings": {"scheduler": {"max_attempts": 5}}})
    _result, failed = render_step.run(params, check_mode=False)
    assert failed is None, failed
    base = tmp_path / "etc-kolla" / "config"
    for service in ("nova-scheduler", "nova-conductor", "nova-super-conductor"):
        merge, _unresolved = kolla_merge.merge_files(kolla_merge.kolla_sources(str(base), "ctl01", service))
        assert merge.values()["scheduler"]["max_attempts"] == "5", service
    merge, _unresolved = kolla_merge.merge_files(
        kolla_merge.kolla_sources(str(base), "ctl01", "nova-conductor")
    )
    assert "filter_scheduler" not in merge.values()  # only what the conductor reads


def test_conductor_file_is_removed_when_no_longer_needed(tmp_path):
    params = _params(tmp_path, scheduler={"settings": {"scheduler": {"max_attempts": 5}}})
    render_step.run(params, check_mode=False)
    conductor = tmp_path / "etc-kolla" / "config" / "nova" / "nova-conductor.conf"
    assert conductor.is_file()
    result, failed = render_step.run(_params(tmp_path), check_mode=False)
    assert failed is None, failed
    assert not conductor.exists()
    assert {"path": str(conductor), "state": "absent"} in result["files"]


# --- 21.3: allocation ratios ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpu_allocation_ratio", 1e12),
        ("cpu_allocation_ratio", 65),
        ("ram_allocation_ratio", 8.0),
        ("disk_allocation_ratio", 1000),
        ("initial_cpu_allocation_ratio", "1e12"),
    ],
)
def test_absurd_allocation_ratio_is_refused(tmp_path, field, value):
    _result, failed = render_step.run(_params(tmp_path, {field: value}), check_mode=False)
    assert failed, "%s %r was accepted" % (field, value)
    assert "field %s" % field in failed
    assert "at most" in failed
    assert _written(tmp_path) == []


def test_absurd_ratio_through_settings_is_refused_too():
    plan = nova_plan.build_plan(
        {"p": {"settings": {"DEFAULT": {"cpu_allocation_ratio": 1e12}}}}, {"c1": {"profile": "p"}}
    )
    assert [p["field"] for p in plan.errors] == ["settings.DEFAULT.cpu_allocation_ratio"], plan.problems


@pytest.mark.parametrize(
    "field", ["cpu_allocation_ratio", "ram_allocation_ratio", "initial_disk_allocation_ratio"]
)
def test_a_ratio_of_zero_is_refused_with_what_nova_does_with_it(field):
    plan = nova_plan.build_plan({"p": {field: 0}}, {"c1": {"profile": "p"}})
    errs = [p for p in plan.errors if p["field"] == field]
    assert errs, plan.problems
    assert "unset" in errs[0]["message"]
    assert "initial_" in errs[0]["message"]


def test_usual_ratios_still_pass():
    plan = nova_plan.build_plan(
        {"p": {"cpu_allocation_ratio": 16.0, "ram_allocation_ratio": 1.0, "disk_allocation_ratio": 1.5}},
        {"c1": {"profile": "p"}},
    )
    assert not plan.errors, plan.errors


def test_render_globals_never_writes_a_raw_newline():
    text = render.render_globals({"nova_compute_availability_zone": 'a\\b"c'}, "x")
    assert text.splitlines()[-1] == 'nova_compute_availability_zone: "a\\\\b\\"c"'
