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


# -- secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("release", ["31", "32", "33", "34"])
def test_schema_carries_oslo_secret_flags(release):
    s = nova_schema.load_schema(release)
    for section, option in (
        ("DEFAULT", "transport_url"),
        ("database", "connection"),
        ("keystone_authtoken", "memcache_secret_key"),
        ("key_manager", "fixed_key"),
        ("vault", "approle_role_id"),
        ("neutron", "metadata_proxy_shared_secret"),
    ):
        assert s.option(section, option).get("s") == 1, (section, option)
    assert "s" not in s.option("libvirt", "live_migration_uri")


@pytest.mark.parametrize(
    ("section", "option", "secret"),
    [
        ("keystone_authtoken", "password", True),  # keystoneauth, not in the generator's output
        ("glance", "password", True),
        ("vault", "approle_role_id", True),  # oslo.config secret=True, the name says nothing
        ("cache", "memcache_password", True),  # deprecated name of [cache] password
        ("DEFAULT", "transport_url", True),
        ("api_database", "slave_connection", True),
        ("my_plugin", "api_token", True),  # unknown section: the name decides
        ("service_user", "send_service_user_token", False),  # a boolean
        ("libvirt", "inject_password", False),
        ("DEFAULT", "password_length", False),
        ("libvirt", "rbd_secret_uuid", False),
        ("vnc", "vencrypt_client_key", False),  # a path
        ("libvirt", "live_migration_uri", False),  # not secret: only its userinfo is masked
        ("libvirt", "connection_uri", False),
    ],
)
def test_is_secret_option(section, option, secret):
    assert nova_schema.is_secret_option(section, option) is secret


def test_mask_ini_keeps_layout_and_non_secrets():
    text = (
        "# rendered\n[DEFAULT]\ntransport_url = rabbit://openstack:S3cret@ctl1:5672//\n"
        "# password = old-hunter2\ndebug = true\n\n"
        "[keystone_authtoken]\npassword=hunter2\nmemcache_secret_key : 'hunter2'\nusername = nova\n"
        "[cache]\nbackend_argument = url:redis://:hunter2@r1\n    socket_timeout:hunter2\n"
        "[libvirt]\nlive_migration_uri = qemu+ssh://nova:pw1@%s/system\n"
    )
    masked = nova_schema.mask_ini(text)
    assert masked == (
        "# rendered\n[DEFAULT]\ntransport_url = rabbit://openstack:***@ctl1:5672//\n"
        "# password = ***\ndebug = true\n\n"
        "[keystone_authtoken]\npassword=***\nmemcache_secret_key : '***'\nusername = nova\n"
        "[cache]\nbackend_argument = url:redis://:***@r1\n    ***\n"
        "[libvirt]\nlive_migration_uri = qemu+ssh://nova:***@%s/system\n"
    )
    assert nova_schema.mask_ini("") == "" and nova_schema.mask_ini(None) is None


def test_findings_never_quote_a_secret():
    text = (
        "[DEFAULT]\nrabbit_password = hunter2\n[database]\nsql_connection = mysql://u:S3cret@h/nova\n"
        "[cache]\nmemcache_password = hunter2\n"
    )
    findings = nova_schema.validate_text(text, "34", "nova.conf")
    assert [(f["code"], f["value"]) for f in findings] == [
        ("unknown_option", "***"),
        ("unknown_option", "mysql://u:***@h/nova"),
        ("deprecated_name", "***"),
    ]
    assert "hunter2" not in str(findings) and "S3cret" not in str(findings)
    # a message or fix that quotes the value is masked with it
    finding = {
        "section": "keystone_authtoken",
        "option": "password",
        "value": "hunter2",
        "message": "'hunter2' is not allowed",
        "fix": "replace hunter2",
    }
    assert nova_schema.mask_finding(finding) == dict(
        finding, value="***", message="'***' is not allowed", fix="replace ***"
    )
    (bad,) = nova_schema.validate_text("[vault]\nkv_version = two\n", "34")
    assert bad["code"] == "type" and bad["value"] == "two"  # not a secret: shown as it is


# [pci] alias / device_spec in an operator's own override file (issue 17, left from session 4):
# Nova parses them with jsonutils.loads and its _ALIAS_SCHEMA (nova 34.0.0 nova/pci/request.py
# get_alias_from_config; nova/pci/whitelist.py). The valid values are the examples of Nova's
# own help text (nova/conf/pci.py); the Python-repr form is what the collection itself wrote
# before issue 20.4, which nova 34 refused with PciInvalidAlias "Expecting property name
# enclosed in double quotes" (seen in the real kolla genconfig + nova 34 parser test).
NOVA_HELP_ALIAS = (
    '{"name": "QuickAssist", "product_id": "0443", "vendor_id": "8086", '
    '"device_type": "type-PCI", "numa_policy": "legacy"}'
)


def test_pci_alias_in_python_repr_is_an_error_naming_the_line():
    text = "[pci]\nalias = %s\nalias = {'name': 'a1', 'vendor_id': '8086', 'product_id': '0443'}\n" % (
        NOVA_HELP_ALIAS
    )
    findings = nova_schema.validate_text(text, release="34", file="nova/nova-compute.conf")
    (bad,) = [f for f in findings if f["code"] == "invalid_json"]
    assert bad["severity"] == "error"
    assert "Expecting property name enclosed in double quotes" in bad["message"]
    assert bad["value"].startswith("{'name': 'a1'") and bad["line"] == 3
    assert bad["file"] == "nova/nova-compute.conf"
    assert "double quotes" in bad["fix"]


def test_pci_alias_and_device_spec_from_novas_help_text_pass():
    text = '[pci]\nalias = %s\ndevice_spec = {"vendor_id": "8086", "product_id": "0443"}\n' % NOVA_HELP_ALIAS
    findings = nova_schema.validate_text(text, release="34")
    assert [f for f in findings if f["severity"] == "error"] == []


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('alias = {"name": "a1", "vendor": "8086"}', "'vendor' is not a PCI alias property"),
        ('alias = {"product_id": "0443"}', "'name' is required"),
        ('device_spec = {"vendor_id": "80861", "product_id": "0443"}', "not 4 hexadecimal digits"),
        ('passthrough_whitelist = {"address": "0000:0a:00.1", "devname": "eth0"}', "address or devname"),
    ],
)
def test_pci_json_values_nova_refuses(line, says):
    findings = nova_schema.validate_text("[pci]\n%s\n" % line, release="34")
    assert any(f["code"] == "invalid_json" and says in f["message"] for f in findings), findings
