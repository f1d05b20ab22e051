"""The effective config per host and service: Kolla's merge order, read from the installed
kolla-ansible's role tasks, and the file and line of every value."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import effective, kolla_merge


def _kolla_roles():
    spec = importlib.util.find_spec("kolla_ansible")
    candidates = [Path(sys.prefix) / "share" / "kolla-ansible" / "ansible" / "roles"]
    if spec is not None:
        here = Path(spec.origin).resolve()
        candidates += [p / "share" / "kolla-ansible" / "ansible" / "roles" for p in here.parents]
    for c in candidates:
        if (c / "nova-cell" / "tasks" / "config.yml").is_file():
            return c
    return None


ROLES = _kolla_roles()
needs_kolla = pytest.mark.skipif(ROLES is None, reason="kolla-ansible is not installed")


def _kolla_sources(role):
    """The merge_configs sources of the nova.conf task of a kolla-ansible role, after the template."""
    tasks = yaml.safe_load((ROLES / role / "tasks" / "config.yml").read_text())
    for task in tasks:
        mc = task.get("merge_configs")
        if mc and str(mc.get("dest", "")).endswith("/nova.conf"):
            return mc["sources"][1:]
    raise AssertionError("no merge_configs task writing nova.conf in %s" % role)


def _render(source, host, service):
    return (
        source.replace("{{ node_custom_config }}", "/cfg")
        .replace("{{ inventory_hostname }}", host)
        .replace("{{ item.key }}", service)
    )


@needs_kolla
@pytest.mark.parametrize(
    ("role", "service"),
    [
        ("nova-cell", "nova-compute"),
        ("nova-cell", "nova-conductor"),
        ("nova-cell", "nova-novncproxy"),
        ("nova", "nova-api"),
        ("nova", "nova-scheduler"),
    ],
)
def test_sources_are_kollas_own(role, service):
    """The order is the one in kolla-ansible 23.0.0's roles (nova-cell: 5 files, nova: 4)."""
    expected = [_render(s, "compute1", service) for s in _kolla_sources(role)]
    assert effective.sources_for("/cfg", "compute1", service) == expected
    assert len(expected) == (5 if role == "nova-cell" else 4)


def _tree(tmp_path, files):
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return str(tmp_path)


def test_later_file_wins_and_every_value_keeps_its_file_and_line(tmp_path):
    base = _tree(
        tmp_path,
        {
            "global.conf": "[DEFAULT]\ndebug = False\n",
            "nova.conf": "[DEFAULT]\ncpu_allocation_ratio = 16.0\nram_allocation_ratio = 1.5\n",
            "nova/nova-compute.conf": "[DEFAULT]\n\ncpu_allocation_ratio = 4.0\n",
            "nova/compute1/nova.conf": "[compute]\ncpu_dedicated_set = 4-15\n",
            "nova/compute1/nova-compute.conf": "# pinned host\n[DEFAULT]\ncpu_allocation_ratio = 1.0\n",
        },
    )
    cfg = effective.effective_config(base, "compute1", "nova-compute")
    ratio = cfg.get("DEFAULT", "cpu_allocation_ratio")
    assert (ratio.text(), ratio.file, ratio.line) == ("1.0", base + "/nova/compute1/nova-compute.conf", 3)
    assert [(f.rsplit("/", 1)[-1], line, v) for f, line, v in ratio.history] == [
        ("nova.conf", 2, "16.0"),
        ("nova-compute.conf", 3, "4.0"),
        ("nova-compute.conf", 3, "1.0"),
    ]
    assert cfg.get("DEFAULT", "ram_allocation_ratio").where() == base + "/nova.conf:3"
    assert cfg.get("compute", "cpu_dedicated_set").line == 2
    assert cfg.boolean("DEFAULT", "debug", True) is False
    # compute2 has no directory: only the shared files
    other = effective.effective_config(base, "compute2", "nova-compute")
    assert (
        other.text("DEFAULT", "cpu_allocation_ratio") == "4.0"
        and other.get("compute", "cpu_dedicated_set") is None
    )


def test_api_side_services_never_read_the_per_host_per_service_file(tmp_path):
    base = _tree(
        tmp_path,
        {
            "nova/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = ComputeFilter,NUMATopologyFilter\n",
            "nova/ctl1/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = ComputeFilter\n",
        },
    )
    cfg = effective.effective_config(base, "ctl1", "nova-scheduler")
    assert cfg.items("filter_scheduler", "enabled_filters") == ["ComputeFilter", "NUMATopologyFilter"]
    assert [s["present"] for s in cfg.sources] == [False, False, True, False]


def test_hosts_inferred_from_directories_and_views(tmp_path):
    base = _tree(
        tmp_path, {"nova/compute2/nova.conf": "", "nova/compute1/nova-compute.conf": "", "nova/x.conf": ""}
    )
    assert effective.infer_hosts(base) == ["compute1", "compute2"]
    configs, errors = effective.effective_configs(base)
    assert not errors
    pairs = {(c.host, c.service) for c in configs}
    assert ("compute1", "nova-compute") in pairs and ("compute2", "nova-scheduler") in pairs
    # hosts without a directory: every service but nova-compute (all compute hosts have one)
    assert (None, "nova-api") in pairs and (None, "nova-compute") not in pairs
    assert len(configs) == 2 * 5 + 4
    # no host directory at all: every service once, for every host
    assert {(c.host, c.service) for c in effective.effective_configs(str(tmp_path / "nope"))[0]} == {
        (None, s) for s in effective.VALIDATED_SERVICES
    }


def test_jinja_is_rendered_and_a_parse_error_is_reported_once(tmp_path):
    base = _tree(
        tmp_path,
        {
            "nova.conf": "[libvirt]\ncpu_mode = {{ 'custom' }}\n",
            "nova/compute1/nova.conf": "[compute\ncpu_shared_set = 0-3\n",
        },
    )
    configs, errors = effective.effective_configs(base)
    assert len(errors) == 1 and isinstance(errors[0], kolla_merge.IniParseError)
    assert errors[0].source.endswith("nova/compute1/nova.conf") and errors[0].lineno == 1
    api = next(c for c in configs if c.service == "nova-api" and c.host is None)
    assert api.text("libvirt", "cpu_mode") == "custom"


def test_option_names_with_dashes_match(tmp_path):
    base = _tree(tmp_path, {"nova.conf": "[compute]\ncpu-shared-set = 0-1\n"})
    cfg = effective.effective_config(base, None, "nova-compute")
    assert cfg.text("compute", "cpu_shared_set") == "0-1"
