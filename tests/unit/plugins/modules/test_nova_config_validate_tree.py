"""nova_config_validate's run(): cross-field findings next to the schema ones, the effective
config on request, secrets masked, bad arguments refused with a clear message."""

from __future__ import annotations

import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.modules import nova_config_validate


def tree(tmp_path, files):
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return str(tmp_path)


def params(base, **kw):
    p = {"paths": None, "node_custom_config": base, "release": "34", "fail_on": "error"}
    p.update(kw)
    return p


FILES = {
    "nova.conf": "[DEFAULT]\ncpu_allocation_ratio = 4.0\n",
    "nova/compute1/nova-compute.conf": "[DEFAULT]\ncpu_allocation_ratio = 1.0\n[compute]\ncpu_shared_set = 0-3\n"
    "cpu_dedicated_set = 2-15\n",
    "nova/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = ComputeFilter,NUMATopologyFilter\n"
    "[libvirt]\nlive_migration_uri = qemu+ssh://nova:pw1@%s/system\n",
}


def test_cross_field_and_schema_findings_together(tmp_path):
    result = nova_config_validate.run(params(tree(tmp_path, FILES)))
    codes = sorted((f["severity"], f["code"]) for f in result["findings"])
    assert codes == [
        ("error", "cpuset_overlap"),
        ("warning", "deprecated"),  # live_migration_uri, schema
        ("warning", "option_not_read_by_service"),  # [libvirt] in the scheduler's file
    ]
    assert result["summary"]["errors"] == 1 and result["summary"]["cross_field"] == {
        "errors": 1,
        "warnings": 1,
    }
    fail = [r for r in result["report"]["results"] if r["status"] == "fail"]
    assert fail[0]["evidence"]["host"] == "compute1" and fail[0]["evidence"]["service"] == "nova-compute"
    assert "LibvirtDriver._check_cpu_set_configuration" in fail[0]["message"]
    assert "pw1" not in json.dumps(result)


def test_effective_config_with_provenance(tmp_path):
    result = nova_config_validate.run(params(tree(tmp_path, FILES), show_effective=True, hosts=["compute1"]))
    (cfg,) = [c for c in result["effective"] if (c["host"], c["service"]) == ("compute1", "nova-compute")]
    (ratio,) = [s for s in cfg["settings"] if s["option"] == "cpu_allocation_ratio"]
    assert (
        ratio["value"] == "1.0"
        and ratio["file"].endswith("nova/compute1/nova-compute.conf")
        and ratio["line"] == 2
    )
    assert ratio["replaces"] == [{"file": str(tmp_path / "nova.conf"), "line": 2, "value": "4.0"}]
    assert "pw1" not in json.dumps(result["effective"])


def test_hosts_given_with_facts(tmp_path):
    base = tree(tmp_path, {"nova/compute1/nova-compute.conf": "[compute]\ncpu_shared_set = 0-39\n"})
    result = nova_config_validate.run(params(base, hosts={"compute1": {"vcpus": 32, "memory_mb": None}}))
    assert [f["code"] for f in result["findings"]] == ["cpuset_beyond_host"]


def test_paths_mode_and_cross_field_off_check_the_schema_only(tmp_path):
    base = tree(tmp_path, FILES)
    assert {f["code"] for f in nova_config_validate.run(params(base, cross_field=False))["findings"]} == {
        "deprecated"
    }
    only = nova_config_validate.run(params(base, paths=[str(tmp_path / "nova" / "compute1")]))
    assert only["findings"] == []


def test_bad_hosts_argument(tmp_path):
    with pytest.raises(ValueError, match="hosts must be a list of host names or a mapping"):
        nova_config_validate.run(params(tree(tmp_path, FILES), hosts="compute1"))


def test_schema_findings_name_the_host_and_service_the_file_reaches(tmp_path):
    base = tree(
        tmp_path,
        {
            "nova/compute8/nova-compute.conf": "[DEFAULT]\nreserved_host_memory_mb = 4G\n",
            "nova/nova-scheduler.conf": "[filter_scheduler]\nhost_subset_sise = 2\n",
            "nova.conf": "[libvirt]\ncpu_mode = host\n",
        },
    )
    by_file = {
        f["file"].split(str(tmp_path) + "/", 1)[1]: f
        for f in nova_config_validate.run(params(base))["findings"]
    }
    assert (
        by_file["nova/compute8/nova-compute.conf"]["host"],
        by_file["nova/compute8/nova-compute.conf"]["service"],
    ) == (
        "compute8",
        "nova-compute",
    )
    assert by_file["nova/compute8/nova-compute.conf"]["message"].startswith("nova-compute on compute8: ")
    assert by_file["nova/nova-scheduler.conf"]["message"].startswith("nova-scheduler on every host: ")
    assert by_file["nova.conf"]["service"] == "every Nova service"
