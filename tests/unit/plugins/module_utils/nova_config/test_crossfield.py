"""Nova's cross-field rules on the merged config of each host and service.

Values come from Nova 34.0.0's own tests of the function each rule reproduces
(nova/tests/unit/virt/libvirt/test_driver.py, nova/tests/unit/virt/test_hardware.py),
from the option help in nova/conf/*.py and from issue 17's report, written as the
Kolla override files an operator keeps under /etc/kolla/config.
"""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.crossfield_cloud import check_tree


def tree(tmp_path, files):
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return str(tmp_path)


def run(tmp_path, files, **kw):
    return check_tree(tree(tmp_path, files), **kw)


def one(findings, code):
    found = [f for f in findings if f["code"] == code]
    assert len(found) == 1, [(f["code"], f["message"]) for f in findings]
    return found[0]


def where(f):
    return [(s["file"].split("/config/", 1)[-1], s["line"], s["option"]) for s in f["sources"]]


# nova/conf/scheduler.py enabled_filters default, plus NUMATopologyFilter
FILTERS = (
    "ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,"
    "ServerGroupAffinityFilter,NUMATopologyFilter"
)


@pytest.fixture
def cfg(tmp_path):
    d = tmp_path / "config"
    d.mkdir()
    return d


# test_check_cpu_set_configuration__vcpu_pin_set_cpu_dedicated_set: vcpu_pin_set='0-3', cpu_dedicated_set='4-5'
def test_vcpu_pin_set_with_cpu_dedicated_set(cfg):
    found = run(
        cfg,
        {
            "nova/nova-compute.conf": "[DEFAULT]\n# set in Queens, before the PCPU work\nvcpu_pin_set = 0-3\n",
            "nova/compute1/nova.conf": "[compute]\ncpu_dedicated_set = 4-5\n",
        },
    )
    f = one(found, "vcpu_pin_set_with_dedicated")
    assert f["severity"] == "error" and f["host"] == "compute1" and f["service"] == "nova-compute"
    assert where(f) == [
        ("nova/nova-compute.conf", 3, "vcpu_pin_set"),
        ("nova/compute1/nova.conf", 2, "cpu_dedicated_set"),
    ]
    assert "refuses to start" in f["message"] and "remove vcpu_pin_set from" in f["fix"]
    assert f["nova_ref"].endswith("LibvirtDriver._check_cpu_set_configuration")
    assert f["message"].startswith("nova-compute on compute1: ")


# test_check_cpu_set_configuration__vcpu_pin_set_cpu_shared_set: a warning only (legacy behaviour)
def test_vcpu_pin_set_with_cpu_shared_set_is_a_warning(cfg):
    found = run(cfg, {"nova.conf": "[DEFAULT]\nvcpu_pin_set = 0-3\n[compute]\ncpu_shared_set = 4-5\n"})
    f = one(found, "vcpu_pin_set_with_shared")
    assert f["severity"] == "warning" and f["host"] == "(hosts without nova/<host>/)"
    assert not [x for x in found if x["severity"] == "error"]


# test_check_cpu_set_configuration__reserved_host_cpus_cpu_shared_set: reserved_host_cpus=1, cpu_shared_set='1-10'
def test_reserved_host_cpus_with_cpu_shared_set(cfg):
    found = run(
        cfg,
        {
            "nova.conf": "[DEFAULT]\nreserved_host_cpus = 1\nreserved_host_memory_mb = 4096\n",
            "nova/compute7/nova-compute.conf": "[compute]\ncpu_shared_set = 1-10\n",
        },
    )
    f = one(found, "reserved_host_cpus_with_cpusets")
    assert f["severity"] == "error" and f["host"] == "compute7"
    assert where(f) == [
        ("nova.conf", 2, "reserved_host_cpus"),
        ("nova/compute7/nova-compute.conf", 2, "cpu_shared_set"),
    ]


def test_reserved_host_cpus_zero_is_unset(cfg):
    found = run(cfg, {"nova.conf": "[DEFAULT]\nreserved_host_cpus = 0\n[compute]\ncpu_shared_set = 1-10\n"})
    assert not found


# test_check_cpu_set_configuration__cpu_shared_set_cpu_dedicated_set: '0-3' and '3-5' must be disjoint
def test_overlapping_sets(cfg):
    found = run(
        cfg,
        {
            "nova/nova-compute.conf": "[compute]\ncpu_shared_set = 0-3\n",
            "nova/compute2/nova-compute.conf": "[compute]\ncpu_dedicated_set = 3-5\n",
        },
    )
    f = one(found, "cpuset_overlap")
    assert f["severity"] == "error" and "on CPUs 3" in f["message"] and f["host"] == "compute2"
    assert [s["line"] for s in f["sources"]] == [2, 2]


# issue 17's report (4-15,^8,20-) and Nova's invalid input "1-3,5,^2-"
@pytest.mark.parametrize(("spec", "item"), [("4-15,^8,20-", "20-"), ("1-3,5,^2-", "^2-")])
def test_malformed_cpu_set(cfg, spec, item):
    found = run(cfg, {"nova/compute3/nova-compute.conf": "[compute]\ncpu_dedicated_set = %s\n" % spec})
    f = one(found, "cpuset_syntax")
    assert (
        f["severity"] == "error" and repr(item) in f["message"] and f["nova_ref"].endswith("parse_cpu_spec")
    )
    assert where(f) == [("nova/compute3/nova-compute.conf", 2, "cpu_dedicated_set")]


# test_parse_cpu_spec_valid_syntax_works: "^0-1" parses to nothing; get_cpu_dedicated_set refuses it
def test_cpu_set_that_selects_nothing(cfg):
    f = one(run(cfg, {"nova.conf": "[compute]\ncpu_dedicated_set = ^0-1\n"}), "cpuset_empty")
    assert f["nova_ref"].endswith("get_cpu_dedicated_set")


def test_cpu_sets_beyond_the_hosts_cpus_when_facts_are_known(cfg):
    # nova docs, admin/cpu-topologies: cpu_dedicated_set = 2-17 / cpu_shared_set = 18-19 (a 20-CPU host)
    files = {
        "nova/compute1/nova-compute.conf": "[compute]\ncpu_dedicated_set = 2-17\ncpu_shared_set = 18-19\n",
        "nova/nova-scheduler.conf": "[filter_scheduler]\nenabled_filters = " + FILTERS + "\n",
    }
    assert not run(cfg, files, facts={"compute1": {"vcpus": 20}})
    found = run(cfg, files, facts={"compute1": {"vcpus": 16}})
    codes = sorted((f["option"], f["code"]) for f in found)
    assert codes == [("cpu_dedicated_set", "cpuset_beyond_host"), ("cpu_shared_set", "cpuset_beyond_host")]
    ded = next(f for f in found if f["option"] == "cpu_dedicated_set")
    assert "CPUs 16-17" in ded["message"] and "0-15" in ded["fix"] and ded["facts"] == {"vcpus": 16}
    assert ded["nova_ref"].endswith("_get_pcpu_available")
    # facts unknown: not judged
    assert not run(cfg, files)


# nova/conf/compute.py reserved_huge_pages help: node:0,size:2048,count:64 / node:1,size:1GB,count:1
def test_huge_pages_reserved_beyond_ram(cfg):
    files = {
        "nova/compute1/nova-compute.conf": "[DEFAULT]\nreserved_host_memory_mb = 4096\n"
        "reserved_huge_pages = node:0,size:1GB,count:32\nreserved_huge_pages = node:1,size:1GB,count:32\n"
    }
    f = one(run(cfg, files, facts={"compute1": {"memory_mb": 65536}}), "memory_reserved_beyond_ram")
    assert f["severity"] == "error" and "65536 MiB of huge pages plus 4096 MiB" in f["message"]
    assert [s["option"] for s in f["sources"]] == ["reserved_huge_pages", "reserved_host_memory_mb"]
    assert not run(cfg, files, facts={"compute1": {"memory_mb": 131072}})


# test_reserved_huge_pages_invalid_format: {'node': 0, 'size': 2048} (no count)
def test_reserved_huge_pages_malformed(cfg):
    f = one(
        run(cfg, {"nova.conf": "[DEFAULT]\nreserved_huge_pages = node:0,size:2048\n"}),
        "reserved_huge_pages_syntax",
    )
    assert f["severity"] == "error" and f["nova_ref"].endswith("numa_get_reserved_huge_pages")


def test_reserved_huge_pages_valid_units(cfg):
    # test_numa_get_reserved_huge_pages: sizes 2048, 1GB, 2MB
    text = "[DEFAULT]\nreserved_huge_pages = node:3,size:2048,count:128\nreserved_huge_pages = node:6,size:2MB,count:64\n"
    assert not run(cfg, {"nova.conf": text + "reserved_huge_pages = node:9,size:1GB,count:1\n"})


def test_cpu_power_management_without_cpu_dedicated_set(cfg):
    # nova docs, admin/cpu-topologies "Configuring CPU power management for dedicated cores"
    found = run(cfg, {"nova/nova-compute.conf": "[libvirt]\ncpu_power_management = True\n"})
    f = one(found, "cpu_power_management_without_dedicated")
    assert f["severity"] == "warning" and "power_down_all_dedicated_cpus" in f["nova_ref"]
    ok = "[compute]\ncpu_dedicated_set = 2-17\n[libvirt]\ncpu_power_management = True\n"
    assert not [x for x in run(cfg, {"nova/nova-compute.conf": ok}) if x["code"].startswith("cpu_power")]


# nova/conf/libvirt.py cpu_models: "required when cpu_mode=custom"; _check_cpu_compatibility
def test_cpu_mode_custom_without_cpu_models(cfg):
    f = one(
        run(cfg, {"nova/nova-compute.conf": "[libvirt]\ncpu_mode = custom\n"}),
        "cpu_mode_custom_without_models",
    )
    assert f["severity"] == "error" and "cpu_models" in f["fix"]


def test_cpu_models_without_custom(cfg):
    files = {"nova/nova-compute.conf": "[libvirt]\ncpu_mode = host-model\ncpu_models = Haswell-noTSX\n"}
    f = one(run(cfg, files), "cpu_models_without_custom")
    assert where(f) == [
        ("nova/nova-compute.conf", 3, "cpu_models"),
        ("nova/nova-compute.conf", 2, "cpu_mode"),
    ]


# test__check_cpu_compatibility_invalid_virt_type: cpu_mode=custom, cpu_models=IvyBridge, virt_type=lxc
def test_cpu_mode_with_a_virt_type_that_cannot_select_models(cfg):
    text = "[libvirt]\nvirt_type = lxc\ncpu_mode = custom\ncpu_models = IvyBridge\n"
    one(run(cfg, {"nova/nova-compute.conf": text}), "cpu_mode_unsupported_virt_type")


# test_live_migration_permit_auto_converge_and_post_copy_true: post-copy wins
def test_post_copy_with_auto_converge(cfg):
    text = "[libvirt]\nlive_migration_permit_post_copy = True\nlive_migration_permit_auto_converge = True\n"
    f = one(run(cfg, {"nova/nova-compute.conf": text}), "post_copy_overrides_auto_converge")
    assert f["severity"] == "warning" and "post-copy wins" in f["message"]


def test_native_tls_with_tunnelled(cfg):
    # nova docs, admin/secure-live-migration-with-qemu-native-tls: live_migration_with_native_tls = true
    files = {
        "nova/nova-compute.conf": "[libvirt]\nlive_migration_with_native_tls = true\n",
        "nova/compute4/nova-compute.conf": "[libvirt]\nlive_migration_tunnelled = True\n",
    }
    f = one(run(cfg, files), "native_tls_with_tunnelled")
    assert f["severity"] == "error" and f["host"] == "compute4" and f["nova_ref"].endswith("init_host")
    assert "remove live_migration_tunnelled from" in f["fix"] and f["fix"].endswith(
        "compute4/nova-compute.conf (deprecated; native TLS replaces it)"
    )


# init_host: '[DEFAULT]/force_raw_images = False' is not allowed with '[libvirt]/images_type = rbd' (bug 1816686)
def test_rbd_without_force_raw_images(cfg):
    text = "[DEFAULT]\nforce_raw_images = False\n[libvirt]\nimages_type = rbd\nimages_rbd_pool = vms\n"
    one(run(cfg, {"nova/nova-compute.conf": text}), "rbd_without_force_raw_images")


def test_same_problem_on_several_hosts_is_one_finding(cfg):
    files = {
        "nova/nova-compute.conf": "[libvirt]\ncpu_mode = custom\n",
        "nova/compute1/nova.conf": "",
        "nova/compute2/nova.conf": "",
    }
    f = one(run(cfg, files), "cpu_mode_custom_without_models")
    assert f["hosts"] == ["compute1", "compute2"] and f["host"] == "compute1, compute2"


@pytest.mark.parametrize(
    "size", ["2048", "2MB", "2MiB", "1GB", "1GiB", "2048KB", "1Gb", "2M", "1G", "1gb", "2 MB"]
)
def test_huge_page_sizes_read_as_nova_reads_them(cfg, size):
    """numa_get_reserved_huge_pages: int(size), else oslo_utils.strutils.string_to_bytes (the oracle here)."""
    strutils = pytest.importorskip("oslo_utils.strutils")
    try:
        int(size)
        nova_accepts = True
    except ValueError:
        try:
            strutils.string_to_bytes(size, return_int=True)
            nova_accepts = True
        except ValueError:
            nova_accepts = False
    found = run(cfg, {"nova.conf": "[DEFAULT]\nreserved_huge_pages = node:0,size:%s,count:4\n" % size})
    assert (not found) == nova_accepts, found


def test_cpu_models_without_any_cpu_mode_is_a_warning(cfg):
    # Kolla's libvirt.conf.j2 writes cpu_mode from nova_libvirt_cpu_mode, invisible in the override files
    f = one(
        run(cfg, {"nova/nova-compute.conf": "[libvirt]\ncpu_models = Haswell-noTSX\n"}),
        "cpu_models_without_custom",
    )
    assert f["severity"] == "warning" and "nova_libvirt_cpu_mode" in f["message"]
