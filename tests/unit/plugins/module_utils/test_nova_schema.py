"""Schema data shipped for nova 31..34 and the validator over it."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema


def by_code(findings):
    return {f["code"]: f for f in findings}


@pytest.mark.parametrize("release", ["31", "32", "33", "34"])
def test_every_release_loads_with_core_options(release):
    s = nova_schema.load_schema(release)
    assert s.version == "%s.0.0" % release
    assert s.option("DEFAULT", "cpu_allocation_ratio")["t"] == "float"
    assert s.option("DEFAULT", "reserved_huge_pages")["m"] == 1
    assert s.option("compute", "cpu_dedicated_set") is not None
    assert s.default("filter_scheduler", "enabled_filters") == [
        "ComputeFilter",
        "ComputeCapabilitiesFilter",
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    ]
    assert s.option("DEFAULT", "vcpu_pin_set")["dep"] == 1


@pytest.mark.parametrize(
    ("given", "major"),
    [
        ("34", "34"),
        (34, "34"),
        ("34.0.1", "34"),
        ("2026.2", "34"),
        ("nova-31", "31"),
        ("2025.1", "31"),
        (None, "34"),
    ],
)
def test_release_names(given, major):
    assert nova_schema.release_major(given) == major


def test_unknown_release():
    with pytest.raises(nova_schema.SchemaError, match="nova 31, 32, 33, 34"):
        nova_schema.release_major("29")


def test_unknown_option_with_did_you_mean_and_line():
    f = nova_schema.validate_text("[DEFAULT]\n\ncpu_allocaton_ratio = 2.0\n", "34", "x.conf")
    assert len(f) == 1
    f = f[0]
    assert (f["file"], f["line"], f["section"], f["option"], f["severity"], f["code"]) == (
        "x.conf",
        3,
        "DEFAULT",
        "cpu_allocaton_ratio",
        "error",
        "unknown_option",
    )
    assert "did you mean [DEFAULT] cpu_allocation_ratio" in f["message"]


def test_option_in_wrong_section_points_to_the_right_one():
    (f,) = nova_schema.validate_text("[compute]\nmax_concurrent_live_migrations = 2\n", "34")
    assert f["code"] == "unknown_option"
    assert f["fix"] == "use [DEFAULT] max_concurrent_live_migrations"


def test_removed_and_not_yet_available():
    (f,) = nova_schema.validate_text("[DEFAULT]\nenabled_apis = osapi_compute\n", "34")
    assert f["code"] == "removed" and "removed from nova after release 31" in f["message"]
    (f,) = nova_schema.validate_text("[DEFAULT]\nconcurrency_backend = threading\n", "31")
    assert f["code"] == "not_yet_available"


def test_deprecated_option_and_name():
    findings = nova_schema.validate_text(
        "[DEFAULT]\nvcpu_pin_set = 4-15\nimage_cache_manager_interval = 10\n", "34"
    )
    codes = by_code(findings)
    assert codes["deprecated"]["severity"] == "warning"
    assert "[compute] cpu_dedicated_set = 4-15" in codes["deprecated"]["fix"]
    assert "[compute] cpu_shared_set = 4-15" in codes["deprecated"]["fix"]
    assert codes["deprecated_name"]["fix"] == "use [image_cache] manager_interval instead"
    (f,) = nova_schema.validate_text("[libvirt]\nlive_migration_uri = qemu+ssh://%s/system\n", "34")
    assert f["code"] == "deprecated" and "since 15.0.0" in f["message"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[DEFAULT]\nmax_concurrent_live_migrations = two\n", "type"),
        ("[DEFAULT]\ncpu_allocation_ratio = -1.0\n", "range"),
        ("[DEFAULT]\ncpu_allocation_ratio = lots\n", "type"),
        ("[libvirt]\ncpu_mode = host-passthru\n", "choices"),
        ("[libvirt]\nlive_migration_timeout_action = pause\n", "choices"),
        ("[libvirt]\nlive_migration_permit_post_copy = maybe\n", "type"),
        ("[DEFAULT]\nreserved_huge_pages = node0\n", "type"),
        ("[libivrt]\ncpu_mode = custom\n", "unknown_section"),
        ("orphan = 1\n", "parse"),
        ("[DEFAULT]\nthis line is broken\n", "parse"),
    ],
)
def test_bad_values(text, code):
    findings = nova_schema.validate_text(text, "34", "f.conf")
    assert [f["code"] for f in findings] == [code]
    assert findings[0]["severity"] == "error"


def test_good_file_has_no_finding():
    text = """
[DEFAULT]
cpu_allocation_ratio = 3.0
reserved_host_memory_mb = 2048
reserved_huge_pages = node:0,size:2048,count:64
reserved_huge_pages = node:1,size:1GB,count:1
max_concurrent_live_migrations = 2
transport_url = {{ nova_transport_url }}
[compute]
cpu_dedicated_set = 4-15,^8
[libvirt]
cpu_mode = custom
cpu_models = Haswell-noTSX,Skylake
live_migration_with_native_tls = true
[placement]
auth_type = password
auth_url = http://keystone:5000
username = nova
[keystone_authtoken]
auth-url = http://keystone:5000
memcached_servers = a:11211
[mdev_nvidia-35]
device_addresses = 0000:84:00.0
[filter_scheduler]
enabled_filters = ComputeFilter,NUMATopologyFilter
"""
    assert nova_schema.validate_text(text, "34") == []


def test_repeated_single_valued_option_warns():
    (f,) = nova_schema.validate_text(
        "[DEFAULT]\ncpu_allocation_ratio = 2.0\ncpu_allocation_ratio = 3.0\n", "34"
    )
    assert f["code"] == "repeated" and f["severity"] == "warning"


def test_validate_files_skips_missing(tmp_path):
    p = tmp_path / "nova.conf"
    p.write_text("[libvirt]\nvirt_type = xen\n")
    findings = nova_schema.validate_files([str(p), str(tmp_path / "missing.conf")], "2026.2")
    assert [(f["code"], f["file"], f["line"]) for f in findings] == [("choices", str(p), 2)]
    assert nova_schema.summarize(findings) == {"errors": 1, "warnings": 0}
    assert nova_schema.format_finding(findings[0]).startswith("%s:2: error: [libvirt] virt_type" % p)
