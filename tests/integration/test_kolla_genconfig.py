"""The collection's preview equals the nova.conf the real Kolla-Ansible writes, key by key.

For ``inventory/example`` and ``inventory/sandbox``, ``site.yml --tags configure`` renders the
overrides into a scratch Kolla CONFIG_DIR (``kolla_ops_kolla_config_dir``) and
node_custom_config; then the real ``kolla-ansible genconfig --tags nova`` of the pinned
kolla-ansible 23.0.0 runs over them (tests/integration/kolla_genconfig/harness.py: Kolla's
own CLI, playbooks, templates and merge_configs; every host local, each with its own
node_config_directory). ``kolla_ops.nova.nova_config_preview`` is then asked for every host
and service, starting from Kolla's template output (twin hosts rendered by the same run with
an empty node_custom_config), and must equal Kolla's file for each key.

Stood in, and why: one Kolla task, nova-cell config.yml "List all hypervisors" (in the block
"Ensure compute_id exists in nova_compute volume"). It runs openstack.cloud.resources in the
kolla_toolbox container through Kolla's kolla_toolbox module, which needs a container engine
and the docker library; this machine has neither, and no cloud to ask. A test-only action
plugin (harness dir standin/action/kolla_toolbox.py, on ANSIBLE_ACTION_PLUGINS of Kolla's run
only) answers "no hypervisors", so Kolla takes its own "Generate a new UUID then copy to
compute_id" branch and writes nova-compute's nova.conf. Nothing else is replaced. The sandbox
cloud is not needed.

The sandbox run adds ``nova_console: spice`` to the Kolla globals, as an operator would: the
collection writes it to CONFIG_DIR/globals.d/kolla_ops_nova.yml, kolla-ansible must pass that
file with ``-e @`` and configure nova-spicehtml5proxy instead of nova-novncproxy (issue 20.1).
Its globals.yml also sets ``enable_blazar: true``: Kolla's scheduler list has BlazarFilter, and
the collection's enabled_filters, which replaces Kolla's, must keep it (issue 20, smaller).

The example run gives the pinned profile a ``[pci] alias`` and ``device_spec`` as YAML mappings
(the values of Nova's own help text, nova/conf/pci.py): Kolla's nova.conf must carry them as JSON
that Nova's parser accepts (issue 20.4; nova's get_alias_from_config and Whitelist are run on
Kolla's file with the sandbox's nova 34.0.0 when its venv is built). Before that, the same
inventory with a newline in a value must fail and write nothing (issue 20.3), and a preview
whose base is a deployed nova.conf is refused (issue 20.2). Both runs check that
``[scheduler] max_attempts`` reaches nova-conductor (it reads it) and not only nova-scheduler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "kolla_genconfig"))

import harness  # noqa: E402

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema  # noqa: E402
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge  # noqa: E402

VENV_BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

# nova/conf/pci.py help of [pci] alias and the vendor/product of [pci] device_spec (nova 34.0.0).
PCI_ALIAS = {"name": "QuickAssist", "product_id": "0443", "vendor_id": "8086", "live_migratable": "yes"}
PCI_DEVICE_SPEC = {"vendor_id": "8086", "product_id": "0443"}


def _example_profiles(extra_settings):
    """inventory/example's profiles with ``extra_settings`` added to the pinned profile."""
    import yaml

    data = yaml.safe_load(
        (ROOT / "inventory" / "example" / "group_vars" / "all" / "nova_profiles.yml").read_text()
    )
    profiles = data["nova_config_compute_profiles"]
    for section, options in extra_settings.items():
        profiles["pinned"].setdefault("settings", {}).setdefault(section, {}).update(options)
    return profiles


CASES = {
    # inventory: (controllers for Kolla, computes, extra vars for site.yml, globals.yml additions)
    "example": (
        ["ctl01"],
        ["cmp-gen01", "cmp-pin02"],
        {
            "nova_config_compute_profiles": _example_profiles(
                {"pci": {"alias": PCI_ALIAS, "device_spec": [PCI_DEVICE_SPEC]}}
            )
        },
        {},
    ),
    "sandbox": (
        ["sandbox-ctl"],
        ["compute1", "compute2", "compute3"],
        {
            "nova_config_kolla_globals": {"nova_console": "spice"},
            "nova_config_scheduler": {
                "extra_filters": ["AggregateInstanceExtraSpecsFilter"],
                "settings": {"scheduler": {"max_attempts": 4}},
            },
        },
        {"enable_blazar": True},
    ),
}
CONTROL_SERVICES = {"nova-api", "nova-scheduler", "nova-conductor", "nova-metadata"}

PREVIEW_PLAY = """
- name: Preview every host and service
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Preview
      kolla_ops.nova.nova_config_preview:
        host: "{{ item.host }}"
        service: "{{ item.service }}"
        node_custom_config: "{{ node_custom_config }}"
        base: "{{ item.base }}"
      loop: "{{ jobs }}"
      register: previews
    - name: Preview with the deployed nova.conf of another host as base (issue 20.2)
      kolla_ops.nova.nova_config_preview:
        host: "{{ deployed.host }}"
        service: nova-compute
        node_custom_config: "{{ node_custom_config }}"
        base: "{{ deployed.base }}"
        node_config_directory: "{{ deployed.node_config_directory }}"
      register: deployed_base
      ignore_errors: true
      when: deployed is not none
    - name: Save
      ansible.builtin.copy:
        content: >-
          {{ {'previews': previews.results | map(attribute='settings') | list,
              'deployed_base': deployed_base.msg | default(none)} | to_json }}
        dest: "{{ result_file }}"
        mode: "0600"
"""


def _ansible_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["PATH"] = "%s:%s" % (VENV_BIN, env.get("PATH", ""))
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    return env


def _playbook(args, extra_vars, ok=True):
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), *args, "-e", json.dumps(extra_vars)],
        env=_ansible_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if ok:
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc


def _files(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) if path.exists() else []


def _kolla_settings(path):
    """Kolla's written nova.conf as {section: {option: value or [values]}}, secrets masked."""
    merge = kolla_merge.KollaMerge()
    merge.feed(Path(path).read_text(), str(path))
    return nova_schema.mask_settings(merge.values())


@pytest.fixture(scope="module", params=sorted(CASES))
def genconfig(request, tmp_path_factory):
    name = request.param
    controls, computes, extra, extra_globals = CASES[name]
    tmp = tmp_path_factory.mktemp("kolla-genconfig-%s" % name)
    config_dir = tmp / "etc-kolla"
    custom = config_dir / "config"
    harness.write_config_dir(config_dir, extra_globals)
    site = ["-i", str(ROOT / "inventory" / name), str(ROOT / "site.yml"), "--tags", "configure"]
    where = {"kolla_ops_kolla_config_dir": str(config_dir), "nova_config_node_custom_config": str(custom)}
    refused = None
    if name == "example":
        # Issue 20.3: a newline in a value (it would end the line in Kolla's merge) fails the run.
        bad = {
            "nova_config_compute_profiles": _example_profiles(
                {"DEFAULT": {"default_availability_zone": "az1\ndebug = true"}}
            )
        }
        before = _files(config_dir)
        proc = _playbook(site, dict(where, **bad), ok=False)
        refused = {
            "rc": proc.returncode,
            "output": proc.stdout + proc.stderr,
            "written": _files(config_dir) != before,
        }
    _playbook(site, dict(extra, **where))
    run = harness.genconfig(tmp / "kolla-out", config_dir, custom, controls, computes)
    jobs = []
    for host in controls + computes:
        for conf in sorted((run["out_dir"] / host).glob("*/nova.conf")):
            service = conf.parent.name
            twin = harness.BASE_COMPUTE if service == "nova-compute" else harness.BASE_CONTROL
            jobs.append(
                {"host": host, "service": service, "base": str(run["out_dir"] / twin / service / "nova.conf")}
            )
    deployed = None
    if name == "example":
        # The general host previewed on top of what Kolla deployed for the pinned one.
        deployed = {
            "host": computes[0],
            "base": str(run["out_dir"] / computes[-1] / "nova-compute" / "nova.conf"),
            "node_config_directory": str(run["out_dir"] / computes[-1]),
        }
    play = tmp / "preview.yml"
    play.write_text(PREVIEW_PLAY)
    result_file = tmp / "previews.json"
    _playbook(
        ["-i", "localhost,", "-c", "local", str(play)],
        {
            "jobs": jobs,
            "deployed": deployed,
            "node_custom_config": str(custom),
            "result_file": str(result_file),
            "ansible_python_interpreter": sys.executable,
        },
    )
    saved = json.loads(result_file.read_text())
    return dict(
        run,
        name=name,
        controls=controls,
        computes=computes,
        custom=custom,
        jobs=jobs,
        previews=saved["previews"],
        deployed=deployed,
        deployed_base=saved["deployed_base"],
        refused=refused,
    )


def test_kolla_writes_every_nova_service(genconfig):
    services = {(j["host"], j["service"]) for j in genconfig["jobs"]}
    for host in genconfig["controls"]:
        for service in CONTROL_SERVICES:
            assert (host, service) in services, "Kolla wrote no %s nova.conf for %s" % (service, host)
    for host in genconfig["computes"]:
        assert (host, "nova-compute") in services, "Kolla wrote no nova-compute nova.conf for %s" % host


def test_preview_equals_kolla_key_by_key(genconfig):
    mismatches = []
    for job, preview in zip(genconfig["jobs"], genconfig["previews"]):
        kolla = _kolla_settings(genconfig["out_dir"] / job["host"] / job["service"] / "nova.conf")
        for section in sorted(set(kolla) | set(preview)):
            k, p = kolla.get(section, {}), preview.get(section, {})
            for option in sorted(set(k) | set(p)):
                if k.get(option) != p.get(option):
                    mismatches.append(
                        "%s %s [%s] %s: Kolla %r, preview %r"
                        % (job["host"], job["service"], section, option, k.get(option), p.get(option))
                    )
    assert not mismatches, "\n".join(mismatches)


def test_overrides_reach_the_services_that_read_them(genconfig):
    """What the profiles say is in Kolla's files (so the comparison above is not of two empty sets)."""
    out = genconfig["out_dir"]
    if genconfig["name"] == "example":
        gen = _kolla_settings(out / "cmp-gen01" / "nova-compute" / "nova.conf")
        pin = _kolla_settings(out / "cmp-pin02" / "nova-compute" / "nova.conf")
        assert gen["DEFAULT"]["cpu_allocation_ratio"] == "4.0"
        assert pin["compute"]["cpu_dedicated_set"] == "4-31,36-63"
        assert "cpu_dedicated_set" not in gen.get("compute", {})
        scheduler = _kolla_settings(out / "ctl01" / "nova-scheduler" / "nova.conf")
        assert "NUMATopologyFilter" in scheduler["filter_scheduler"]["enabled_filters"]
        assert scheduler["scheduler"]["max_attempts"] == "5"
    else:
        dense = _kolla_settings(out / "compute3" / "nova-compute" / "nova.conf")
        assert dense["DEFAULT"]["cpu_allocation_ratio"] == "8.0"
        for host in ("compute1", "compute2"):
            general = _kolla_settings(out / host / "nova-compute" / "nova.conf")
            assert general["DEFAULT"]["cpu_allocation_ratio"] == "4.0", host


def test_kolla_reads_the_rendered_globals_d(genconfig):
    """kolla-ansible's own command line gets CONFIG_DIR/globals.d/kolla_ops_nova.yml (issue 20.1)."""
    config_dir = genconfig["config_dir"]
    argv = genconfig["argv"]
    extra = [argv[i + 1] for i, a in enumerate(argv) if a == "-e"]
    globals_d = [e for e in extra if "globals.d" in e]
    assert globals_d == ["@%s/globals.d/kolla_ops_nova.yml" % config_dir], extra
    assert extra.index(globals_d[0]) > extra.index("@%s/globals.yml" % config_dir)
    assert not (genconfig["custom"] / "globals.d").exists(), "globals.d written under node_custom_config"
    ctl = genconfig["out_dir"] / genconfig["controls"][0]
    if genconfig["name"] == "sandbox":
        assert (ctl / "nova-spicehtml5proxy" / "nova.conf").is_file(), (
            "nova_console: spice did not reach Kolla"
        )
        assert not (ctl / "nova-novncproxy").exists()
        assert _kolla_settings(ctl / "nova-spicehtml5proxy" / "nova.conf")["spice"]["enabled"] == "true"
    else:
        assert (ctl / "nova-novncproxy" / "nova.conf").is_file()


def test_max_attempts_reaches_nova_conductor(genconfig):
    """nova-conductor reads [scheduler] max_attempts (populate_retry); Kolla's own is 10."""
    want = {"example": "5", "sandbox": "4"}[genconfig["name"]]
    ctl = genconfig["out_dir"] / genconfig["controls"][0]
    for service in ("nova-scheduler", "nova-conductor"):
        assert _kolla_settings(ctl / service / "nova.conf")["scheduler"]["max_attempts"] == want, service


def test_blazar_filter_kept_when_kolla_enables_blazar(genconfig):
    scheduler = _kolla_settings(
        genconfig["out_dir"] / genconfig["controls"][0] / "nova-scheduler" / "nova.conf"
    )
    filters = scheduler["filter_scheduler"]["enabled_filters"].split(",")
    if genconfig["name"] == "sandbox":  # globals.yml: enable_blazar: true
        assert "BlazarFilter" in filters
        assert "AggregateInstanceExtraSpecsFilter" in filters
        available = scheduler["filter_scheduler"]["available_filters"]
        assert "blazarnova.scheduler.filters.blazar_filter.BlazarFilter" in available
    else:
        assert "BlazarFilter" not in filters


def test_newline_in_a_value_fails_the_run_and_writes_nothing(genconfig):
    refused = genconfig["refused"]
    if refused is None:
        pytest.skip("the example inventory carries this case")
    assert refused["rc"] != 0
    assert "settings.DEFAULT.default_availability_zone" in refused["output"]
    assert "control character" in refused["output"]
    assert not refused["written"], "something was written under CONFIG_DIR"


def test_deployed_nova_conf_is_refused_as_base(genconfig):
    if genconfig["deployed"] is None:
        pytest.skip("the example inventory (a general and a pinned host) carries this case")
    assert genconfig["deployed_base"] and "template output" in genconfig["deployed_base"]
    # Why: merged over what Kolla deployed for the pinned host, the general host would show the
    # pinned host's CPU sets, which Kolla's own file for it does not have.
    job = genconfig["deployed"]
    merge, _unresolved = kolla_merge.merge_files(
        [job["base"], *kolla_merge.kolla_sources(str(genconfig["custom"]), job["host"], "nova-compute")]
    )
    kolla = _kolla_settings(genconfig["out_dir"] / job["host"] / "nova-compute" / "nova.conf")
    assert "cpu_dedicated_set" in merge.values()["compute"]
    assert "cpu_dedicated_set" not in kolla.get("compute", {})


def _nova_python():
    """The sandbox venv's python (sandbox/requirements.txt: nova 34.0.0), or None when not built."""
    sys.path.insert(0, str(ROOT / "sandbox" / "lib"))
    try:
        from sandboxlib import settings
    finally:
        sys.path.pop(0)
    cache = Path(os.environ.get("KOLLA_OPS_CACHE") or Path.home() / ".cache" / "kolla-ops-nova").expanduser()
    # Only the venv path (hash of sandbox/requirements*): no sandbox state is read or changed.
    where = settings.Settings(state=ROOT, cache=cache, computes=1, scale_nodes=0, node_custom_config=ROOT)
    python = where.venv_bin / "python"
    return python if python.is_file() else None


NOVA_PCI_CHECK = """
import json, sys
import nova.conf
from nova.pci import request, whitelist
CONF = nova.conf.CONF
CONF(args=[], project="nova", default_config_files=[sys.argv[1]])
aliases = request.get_alias_from_config()
specs = whitelist.Whitelist(CONF.pci.device_spec).specs
print(json.dumps({"aliases": sorted(aliases), "specs": len(specs)}))
"""


def test_pci_mappings_are_json_nova_accepts(genconfig):
    if genconfig["name"] != "example":
        pytest.skip("the example run gives the pinned profile a PCI alias")
    conf = genconfig["out_dir"] / "cmp-pin02" / "nova-compute" / "nova.conf"
    pci = _kolla_settings(conf)["pci"]
    assert json.loads(pci["alias"]) == PCI_ALIAS
    assert json.loads(pci["device_spec"]) == PCI_DEVICE_SPEC
    python = _nova_python()
    if python is None:
        pytest.skip(
            "nova's own parser: the sandbox venv (nova 34.0.0) is not built; sandbox/sandbox up builds it"
        )
    proc = subprocess.run(
        [str(python), "-c", NOVA_PCI_CHECK, str(conf)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == {"aliases": ["QuickAssist"], "specs": 1}
