"""kolla_merge reproduces Kolla-Ansible's merge_configs exactly.

The proof runs the installed kolla-ansible's own code: its OverrideConfigParser
directly, and its merge_configs action plugin through ansible-playbook (Jinja
rendering included), on several override sets, and compares byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge, render
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import plan as nova_plan

HOST = "compute3"


def _kolla_share():
    spec = importlib.util.find_spec("kolla_ansible")
    if spec is None:
        return None
    candidates = [Path(sys.prefix) / "share" / "kolla-ansible"]
    here = Path(spec.origin).resolve()
    candidates += [p / "share" / "kolla-ansible" for p in here.parents]
    for c in candidates:
        if (c / "ansible" / "action_plugins" / "merge_configs.py").is_file():
            return c
    return None


KOLLA_SHARE = _kolla_share()
needs_kolla = pytest.mark.skipif(KOLLA_SHARE is None, reason="kolla-ansible is not installed")


def _kolla_module():
    path = KOLLA_SHARE / "ansible" / "action_plugins" / "merge_configs.py"
    spec = importlib.util.spec_from_file_location("kolla_merge_configs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# Override sets: name -> {relative path: content}.  Cover replacement across files,
# multi-values inside one file, continuation lines, quotes, empty values, orphan keys,
# repeated sections, empty sections, comments, ':' assignments and Jinja.
SETS = {
    "ratios": {
        "global.conf": "[DEFAULT]\ndebug = True\n",
        "nova.conf": "[DEFAULT]\ncpu_allocation_ratio = 16.0\nram_allocation_ratio = 1.0\n",
        "nova/nova-compute.conf": "[DEFAULT]\ncpu_allocation_ratio = 4.0\n[libvirt]\ncpu_mode = host-model\n",
        "nova/%s/nova-compute.conf"
        % HOST: "[DEFAULT]\ncpu_allocation_ratio = 3.0\nreserved_host_memory_mb = 2048\n",
    },
    "multi_values": {
        "nova/nova-compute.conf": (
            "[DEFAULT]\nreserved_huge_pages = node:0,size:2048,count:64\n"
            "reserved_huge_pages = node:1,size:2048,count:64\n"
            '[pci]\ndevice_spec = {"vendor_id": "8086"}\n'
        ),
        "nova/%s/nova.conf" % HOST: "[DEFAULT]\nreserved_huge_pages = node:0,size:1GB,count:1\n",
    },
    "syntax_corners": {
        "global.conf": (
            'orphan = 1\n# comment\n; other comment\n[DEFAULT]\nempty =\nquoted = "a b"\n'
            "single = 'x'\ncolon: value\nmixed = a:b\n[empty_section]\n"
            "[DEFAULT]\nagain = yes\n"
        ),
        "nova.conf": (
            "[filter_scheduler]\nenabled_filters = ComputeFilter,\n  NUMATopologyFilter,\n"
            "  ImagePropertiesFilter\n\n[DEFAULT]\nempty = now-set\n"
        ),
        "nova/nova-compute.conf": "[filter_scheduler]\nweight_classes = nova.scheduler.weights.all_weighers\n",
    },
    "jinja": {
        "nova.conf": (
            "[DEFAULT]\n{% if true %}\ntransport_url = rabbit://{{ 'guest' }}@host\n{% endif %}\n"
            "[vnc]\nnovncproxy_base_url = http://x:6080/vnc_lite.html\n"
        ),
        "nova/%s/nova-compute.conf" % HOST: (
            "[DEFAULT]\nmy_value = %s\n[libvirt]\ncpu_models = Haswell\n"
            % kolla_merge.escape_jinja("{{ not a var }} and {% raw %} and {# c #}")
        ),
    },
    "missing_files_and_replacement": {
        "nova/nova-compute.conf": "[DEFAULT]\nkey = a\nkey = b\n",
        "nova/%s/nova-compute.conf" % HOST: "[DEFAULT]\nkey = c\n",
    },
}


def _rendered_set():
    """What nova_config_render writes, for HOST and one other host, plus an operator file."""
    profiles = {
        "pinned": {
            "cpu_dedicated_set": "4-15",
            "hugepages": {"count": 16, "reserved": [{"node": 0, "count": 4}, {"node": 1, "count": 4}]},
            "settings": {"DEFAULT": {"my_ip": "{{ escaped }}"}},
            "cpu_mode": "host-passthrough",
        },
        "general": {"cpu_allocation_ratio": 3.0, "cpu_mode": "host-passthrough"},
    }
    plan = nova_plan.build_plan(profiles, {HOST: {"profile": "pinned"}, "compute1": {"profile": "general"}})
    assert plan.errors == []
    files = dict(render.desired_files(plan, "Ansible managed"))
    files["nova.conf"] = "[DEFAULT]\ncpu_allocation_ratio = 16.0\n"
    return files


SETS["rendered_profiles"] = _rendered_set()


def _write_set(tmp_path, files):
    base = tmp_path / "config"
    for rel, content in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    return base


def _ours(base, service="nova-compute"):
    paths = kolla_merge.kolla_sources(str(base), HOST, service)
    merge, _origins = kolla_merge.merge_files(paths)
    return merge.write()


@needs_kolla
# The parser alone does not render Jinja: sets with Jinja are compared in the next test.
@pytest.mark.parametrize("name", [n for n in SETS if not any(map(kolla_merge.has_jinja, SETS[n].values()))])
def test_parser_equals_kolla_override_config_parser(tmp_path, name):
    kolla = _kolla_module()
    base = _write_set(tmp_path, SETS[name])
    parser = kolla.OverrideConfigParser()
    for path in kolla_merge.kolla_sources(str(base), HOST, "nova-compute"):
        if os.access(path, os.R_OK):
            with open(path) as f:
                parser.parse(f)
    import io

    buf = io.StringIO()
    parser.write(buf)
    assert _ours(base) == buf.getvalue()


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - name: Merge like Kolla does
      merge_configs:
        sources: "{{ item.sources }}"
        dest: "{{ item.dest }}"
        mode: "0600"
      loop: "{{ cases }}"
"""


@needs_kolla
def test_equals_kolla_merge_configs_action_plugin(tmp_path):
    """Run Kolla's merge_configs action plugin itself (Jinja rendering included)."""
    cases = []
    expected = {}
    for name, files in SETS.items():
        for service in ("nova-compute", "nova-scheduler"):
            base = _write_set(tmp_path / name, files)
            dest = tmp_path / ("%s-%s.out" % (name, service))
            cases.append({"sources": kolla_merge.kolla_sources(str(base), HOST, service), "dest": str(dest)})
            expected[str(dest)] = _ours(base, service)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "vars.json").write_text(
        json.dumps({"cases": cases, "ansible_python_interpreter": sys.executable})
    )
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(
        os.environ,
        ANSIBLE_ACTION_PLUGINS=str(KOLLA_SHARE / "ansible" / "action_plugins"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
    )
    bindir = Path(sys.executable).parent
    proc = subprocess.run(
        [
            str(bindir / "ansible-playbook"),
            "-i",
            "localhost,",
            str(tmp_path / "play.yml"),
            "-e",
            "@%s" % (tmp_path / "vars.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for dest, ours in expected.items():
        assert Path(dest).read_text() == ours, dest
    # and our escaping survived Kolla's Jinja pass
    jinja_out = Path(tmp_path / "jinja-nova-compute.out").read_text()
    assert "my_value = {{ not a var }} and {% raw %} and {# c #}" in jinja_out
    assert "transport_url = rabbit://guest@host" in jinja_out
    rendered = Path(tmp_path / "rendered_profiles-nova-compute.out").read_text()
    assert "my_ip = {{ escaped }}" in rendered
    assert "reserved_huge_pages = node:0,size:2048,count:4\nreserved_huge_pages = node:1" in rendered


def test_merge_order_cell_and_api_services():
    cell = kolla_merge.kolla_sources("/etc/kolla/config", "c1", "nova-compute")
    assert cell == [
        "/etc/kolla/config/global.conf",
        "/etc/kolla/config/nova.conf",
        "/etc/kolla/config/nova/nova-compute.conf",
        "/etc/kolla/config/nova/c1/nova.conf",
        "/etc/kolla/config/nova/c1/nova-compute.conf",
    ]
    api = kolla_merge.kolla_sources("/etc/kolla/config/", "ctl1", "nova-scheduler")
    assert api[-1] == "/etc/kolla/config/nova/ctl1/nova.conf" and len(api) == 4
    with pytest.raises(ValueError, match="unknown Nova service"):
        kolla_merge.kolla_sources("/x", "h", "nova-computer")


def test_later_file_replaces_whole_multivalue_and_origin():
    merge, _origins = kolla_merge.merge_texts(
        [("a", "[DEFAULT]\nk = 1\nk = 2\nother = x\n"), ("b", None), ("c", "[DEFAULT]\nk = 3\n")]
    )
    assert merge.values()["DEFAULT"] == {"k": "3", "other": "x"}
    assert merge.origin[("DEFAULT", "k")] == [("c", 2)]
    merge, _origins = kolla_merge.merge_texts([("a", "[DEFAULT]\nk = 1\nk = 2\n")])
    assert merge.values()["DEFAULT"]["k"] == ["1", "2"]
    assert merge.origin[("DEFAULT", "k")] == [("a", 2), ("a", 3)]


def test_parse_errors_name_file_and_line():
    with pytest.raises(kolla_merge.IniParseError) as exc:
        list(kolla_merge.iter_assignments("[DEFAULT]\nno assignment here\n", "f.conf"))
    assert exc.value.lineno == 2 and "f.conf:2" in str(exc.value)
    with pytest.raises(kolla_merge.IniParseError, match="must end with"):
        list(kolla_merge.iter_assignments("[DEFAULT\n"))
    with pytest.raises(kolla_merge.IniParseError, match="continuation"):
        list(kolla_merge.iter_assignments("  indented = 1\n"))


def test_escape_and_render_round_trip():
    raw = "a {{ b }} c {% d %} e {# f #} g }} h"
    escaped = kolla_merge.escape_jinja(raw)
    assert "{{ b" not in escaped.replace("{{ '{{' }}", "")
    rendered, unresolved = kolla_merge.render_jinja(escaped)
    assert rendered == raw and unresolved == []
    rendered, unresolved = kolla_merge.render_jinja("x = {{ api_interface_address }}\n")
    assert rendered == "x = {{ api_interface_address }}\n" and unresolved == ["api_interface_address"]
    assert kolla_merge.render_jinja("x = {{ y }}", {"y": 5})[0] == "x = 5"


def test_preview_reports_sources_and_origin(tmp_path):
    base = _write_set(tmp_path, SETS["ratios"])
    result = kolla_merge.preview(str(base), HOST, "nova-compute")
    assert result["values"]["DEFAULT"]["cpu_allocation_ratio"] == "3.0"
    present = [s["present"] for s in result["sources"]]
    assert present == [True, True, True, False, True]
    origin = {(o["section"], o["option"]): o for o in result["origin"]}
    assert origin[("DEFAULT", "cpu_allocation_ratio")]["file"].endswith("%s/nova-compute.conf" % HOST)
    assert origin[("libvirt", "cpu_mode")]["line"] == 4
