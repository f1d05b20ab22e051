"""Cloud-wide rules: NUMATopologyFilter for pinning and huge pages, allocation ratios only the
scheduler reads, files Kolla never merges, options in a file the service never reads."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.crossfield_cloud import (
    check_tree,
    readers,
)

# nova/conf/scheduler.py: the default enabled_filters (no NUMATopologyFilter)
DEFAULTS = (
    "ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,"
    "ServerGroupAffinityFilter"
)


def tree(tmp_path, files):
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return str(tmp_path)


def test_pinning_without_numa_filter_in_enabled_filters(tmp_path):
    base = tree(
        tmp_path,
        {
            "nova/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = %s,AggregateInstanceExtraSpecsFilter\n"
            % DEFAULTS,
            "nova/compute1/nova-compute.conf": "[compute]\ncpu_dedicated_set = 2-17\ncpu_shared_set = 0-1\n",
        },
    )
    (f,) = check_tree(base)
    assert (
        f["code"] == "numa_filter_missing" and f["severity"] == "error" and f["service"] == "nova-scheduler"
    )
    assert [s["option"] for s in f["sources"]] == ["enabled_filters", "cpu_dedicated_set"]
    assert f["file"].endswith("nova/nova-scheduler.conf") and f["line"] == 2
    assert "pinned CPUs on compute1" in f["message"] and "add NUMATopologyFilter" in f["fix"]


def test_numa_filter_present_is_fine_and_defaults_are_not(tmp_path):
    compute = {"nova/compute1/nova-compute.conf": "[compute]\ncpu_dedicated_set = 2-17\n"}
    (default,) = check_tree(tree(tmp_path, compute))
    assert (default["code"], default["severity"]) == ("numa_filter_missing", "warning")
    assert "Nova's default list lacks NUMATopologyFilter" in default["message"]
    sched = {
        "nova/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = %s,NUMATopologyFilter\n" % DEFAULTS
    }
    assert check_tree(tree(tmp_path, sched)) == []


def test_huge_page_and_pinning_flavors_need_the_filter(tmp_path):
    base = tree(
        tmp_path, {"nova/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = %s\n" % DEFAULTS}
    )
    flavors = [
        {"name": "m1.small", "extra_specs": {}},
        {"name": "hp.large", "extra_specs": {"hw:mem_page_size": "1GB"}},
    ]
    (f,) = check_tree(base, flavors=flavors)
    assert "flavor hp.large (hw:mem_page_size=1GB)" in f["message"]
    assert check_tree(base, flavors=[{"name": "s", "extra_specs": {"hw:cpu_policy": "shared"}}]) == []


def test_allocation_ratio_in_the_scheduler_file_only(tmp_path):
    base = tree(
        tmp_path,
        {
            "nova/nova-scheduler.conf": "[DEFAULT]\ncpu_allocation_ratio = 8.0\nram_allocation_ratio = 1.0\n",
            "nova/nova-compute.conf": "[DEFAULT]\nram_allocation_ratio = 1.0\n",
        },
    )
    found = check_tree(base)
    assert [(f["code"], f["option"], f["severity"]) for f in found] == [
        ("allocation_ratio_not_read", "cpu_allocation_ratio", "warning"),
        ("allocation_ratio_not_read", "ram_allocation_ratio", "warning"),
    ]
    assert "nova-compute uses [DEFAULT] ram_allocation_ratio = 1.0" in found[1]["message"]
    assert "nova-compute uses Nova's default" in found[0]["message"]


def test_allocation_ratio_in_a_shared_file_is_read_by_both(tmp_path):
    assert check_tree(tree(tmp_path, {"nova.conf": "[DEFAULT]\ncpu_allocation_ratio = 8.0\n"})) == []


def test_files_kolla_never_merges(tmp_path):
    base = tree(
        tmp_path,
        {
            "nova/compute1/nova-scheduler.conf": "[filter_scheduler]\nhost_subset_size = 2\n",
            "nova/compute1/nova-api.conf": "[api]\nmax_limit = 500\n",
            "nova/nova-computer.conf": "[DEFAULT]\nreserved_host_memory_mb = 2048\n",
            "nova/compute1/nova-compute.conf": "[DEFAULT]\nreserved_host_memory_mb = 2048\n",
        },
    )
    found = {f["file"].split("/nova/", 1)[1]: f for f in check_tree(base)}
    assert sorted(found) == ["compute1/nova-api.conf", "compute1/nova-scheduler.conf", "nova-computer.conf"]
    assert found["nova-computer.conf"]["fix"] == "rename it to nova/nova-compute.conf"
    assert (
        found["nova-computer.conf"]["service"] is None
        and "did you mean nova-compute?" in found["nova-computer.conf"]["message"]
    )
    assert found["compute1/nova-api.conf"]["host"] == "compute1"
    assert all(f["code"] == "file_never_merged" and f["severity"] == "warning" for f in found.values())


def test_option_in_a_service_file_that_service_never_reads(tmp_path):
    base = tree(
        tmp_path,
        {
            "nova/nova-scheduler.conf": "[libvirt]\nvirt_type = kvm\n[compute]\ncpu_shared_set = 0-3\n",
            "nova/compute1/nova-compute.conf": "[filter_scheduler]\nenabled_filters = ComputeFilter\n",
            "nova/nova-novncproxy.conf": "[vnc]\nnovncproxy_port = 6080\n",
        },
    )
    found = [f for f in check_tree(base) if f["code"] == "option_not_read_by_service"]
    got = sorted((f["service"], f["option"], f["fix"]) for f in found)
    assert got == [
        ("nova-compute", "enabled_filters", "move it to nova/nova-scheduler.conf"),
        ("nova-scheduler", "cpu_shared_set", "move it to nova/nova-compute.conf"),
        ("nova-scheduler", "virt_type", "move it to nova/nova-compute.conf"),
    ]


def test_readers_table():
    assert readers("libvirt", "images-type") == ("nova-compute",)
    assert readers("filter_scheduler", "ram_weight_multiplier") == ("nova-scheduler",)
    assert readers("DEFAULT", "debug") is None


def test_allocation_ratio_in_nova_conf_overridden_per_host_is_not_flagged(tmp_path):
    # nova.conf is read by every compute host, even when one of them overrides the value
    files = {
        "nova.conf": "[DEFAULT]\ncpu_allocation_ratio = 4.0\n",
        "nova/compute1/nova-compute.conf": "[DEFAULT]\ncpu_allocation_ratio = 1.0\n",
    }
    assert check_tree(tree(tmp_path, files)) == []


def test_secrets_are_masked_in_cross_field_findings(tmp_path):
    base = tree(
        tmp_path,
        {"nova/nova-scheduler.conf": "[libvirt]\nlive_migration_uri = qemu+ssh://nova:pw1@%s/system\n"},
    )
    (f,) = check_tree(base)
    assert f["code"] == "option_not_read_by_service" and "pw1" not in repr(f) and "nova:***@" in f["message"]
