"""The thin modules' run() functions: check mode, idempotence, failing before writing."""

from __future__ import annotations

import json

from ansible_collections.kolla_ops.nova.plugins.modules import (
    nova_config_preview,
    nova_config_render,
    nova_config_validate,
)


def params(base, **kw):
    p = {
        "compute_profiles": {"ratio3": {"cpu_allocation_ratio": 3.0, "reserved_host_memory_mb": 2048}},
        "hosts": {"compute1": {"profile": None}, "compute3": {"profile": "ratio3"}},
        "scheduler": {},
        "kolla_globals": {},
        "node_custom_config": str(base),
        "release": "34",
        "header": "Ansible managed",
        "mode": "0640",
        "take_over_existing": False,
    }
    p.update(kw)
    return p


def test_render_check_mode_then_real_then_idempotent(tmp_path):
    target = tmp_path / "nova" / "compute3" / "nova-compute.conf"
    result, failed = nova_config_render.run(params(tmp_path), check_mode=True)
    assert failed is None and result["changed"] and not target.exists()
    assert result["diff"][0]["after"].count("cpu_allocation_ratio = 3.0") == 1
    result, failed = nova_config_render.run(params(tmp_path), check_mode=False)
    assert failed is None and result["changed"] and target.exists()
    result, failed = nova_config_render.run(params(tmp_path), check_mode=False)
    assert failed is None and not result["changed"] and result["files"] == []


def test_render_fails_before_writing_anything(tmp_path):
    p = params(
        tmp_path,
        hosts={"compute1": {"profile": "ratio3"}, "compute2": {"profile": "nope"}},
    )
    result, failed = nova_config_render.run(p, check_mode=False)
    assert "host compute2, profile 'nope', field nova_config_profile" in failed
    assert result["files"] == [] and not (tmp_path / "nova").exists()


def test_validate_and_preview(tmp_path):
    nova_config_render.run(params(tmp_path), check_mode=False)
    (tmp_path / "nova.conf").write_text("[DEFAULT]\nvcpu_pin_set = 2-7\n[libvirt]\ncpu_mode = host\n")
    result = nova_config_validate.run(
        {"paths": None, "node_custom_config": str(tmp_path), "release": "2026.2", "fail_on": "error"}
    )
    assert result["summary"]["errors"] == 1 and result["summary"]["warnings"] == 1
    assert result["report"]["summary"] == {"pass": 1, "warn": 1, "fail": 1, "skip": 0}
    prev = nova_config_preview.run(
        {
            "host": "compute3",
            "service": "nova-compute",
            "node_custom_config": str(tmp_path),
            "base": None,
            "variables": {},
            "release": "34",
        }
    )
    assert prev["settings"]["DEFAULT"]["cpu_allocation_ratio"] == "3.0"
    assert {f["code"] for f in prev["findings"]} == {"deprecated", "choices"}
    (choice,) = [f for f in prev["findings"] if f["code"] == "choices"]
    assert choice["file"] == str(tmp_path / "nova.conf") and choice["line"] == 4


# -- secrets: masked in everything returned, real in the files written --------------------------

DEPLOYED_NOVA_CONF = """\
[DEFAULT]
transport_url = rabbit://openstack:S3cret@ctl1:5672,openstack:S3cret@ctl2:5672//
my_ip = 10.0.0.13

[database]
connection = mysql+pymysql://nova:S3cret@db.internal/nova

[keystone_authtoken]
www_authenticate_uri = http://ctl:5000
password = hunter2
memcache_secret_key = mk-hunter2
username = nova

[libvirt]
live_migration_uri = qemu+ssh://nova:pw1@%s/system
connection_uri = qemu:///system

[vault]
approle_role_id = role-hunter2
"""


def no_secret(result, *visible):
    text = json.dumps(result, default=str)
    for secret in ("S3cret", "hunter2", "pw1"):
        assert secret not in text, "%s leaked: %s" % (secret, text)
    for value in visible:
        assert value in text, "%r is missing" % value


def test_preview_masks_secrets_of_the_deployed_nova_conf(tmp_path):
    base = tmp_path / "deployed-nova.conf"
    base.write_text(DEPLOYED_NOVA_CONF)
    (tmp_path / "nova").mkdir()
    # a value only the password would fail: the finding must not quote it either
    (tmp_path / "nova" / "nova-compute.conf").write_text(
        "[libvirt]\nlive_migration_uri = qemu+ssh://nova:pw1@%s/x\n"
    )
    prev = nova_config_preview.run(
        {
            "host": "compute1",
            "service": "nova-compute",
            "node_custom_config": str(tmp_path),
            "base": str(base),
            "variables": {},
            "release": "34",
        }
    )
    settings = prev["settings"]
    assert settings["keystone_authtoken"]["password"] == "***"
    assert settings["keystone_authtoken"]["username"] == "nova"
    assert (
        settings["DEFAULT"]["transport_url"] == "rabbit://openstack:***@ctl1:5672,openstack:***@ctl2:5672//"
    )
    assert settings["database"]["connection"] == "mysql+pymysql://nova:***@db.internal/nova"
    assert settings["vault"]["approle_role_id"] == "***"  # secret=True in oslo.config only
    assert settings["libvirt"]["live_migration_uri"] == "qemu+ssh://nova:***@%s/x"
    assert "password = ***\n" in prev["content"] and "memcache_secret_key = ***\n" in prev["content"]
    (finding,) = [f for f in prev["findings"] if f["option"] == "live_migration_uri"]
    assert finding["value"] == "qemu+ssh://nova:***@%s/x"
    no_secret(prev, "my_ip = 10.0.0.13", "qemu:///system", "http://ctl:5000", "db.internal/nova")


def test_preview_template_variables_are_masked_too(tmp_path):
    (tmp_path / "global.conf").write_text("[keystone_authtoken]\npassword = {{ nova_keystone_password }}\n")
    prev = nova_config_preview.run(
        {
            "host": "compute1",
            "service": "nova-compute",
            "node_custom_config": str(tmp_path),
            "base": None,
            "variables": {"nova_keystone_password": "hunter2"},
            "release": None,
        }
    )
    assert prev["settings"]["keystone_authtoken"]["password"] == "***"
    no_secret(prev, "[keystone_authtoken]")


def test_render_writes_real_values_and_returns_masked_ones(tmp_path):
    p = params(
        tmp_path,
        compute_profiles={
            "ratio3": {
                "cpu_allocation_ratio": 3.0,
                "settings": {
                    "libvirt": {"live_migration_uri": "qemu+ssh://nova:pw1@%s/system"},
                    "key_manager": {"fixed_key": "hunter2"},
                },
            }
        },
        scheduler={
            "settings": {"oslo_messaging_notifications": {"transport_url": "rabbit://o:S3cret@ctl1//"}}
        },
    )
    result, failed = nova_config_render.run(p, check_mode=False)
    assert failed is None, failed
    written = (tmp_path / "nova" / "compute3" / "nova-compute.conf").read_text()
    assert "fixed_key = hunter2" in written and "qemu+ssh://nova:pw1@%s/system" in written
    assert "rabbit://o:S3cret@ctl1//" in (tmp_path / "nova" / "nova-scheduler.conf").read_text()
    assert result["hosts"]["compute3"]["settings"]["key_manager/fixed_key"] == "***"
    after = {d["after_header"]: d["after"] for d in result["diff"]}
    assert "fixed_key = ***" in after[str(tmp_path / "nova" / "compute3" / "nova-compute.conf")]
    no_secret(result, "cpu_allocation_ratio = 3.0", "qemu+ssh://nova:***@%s/system", "rabbit://o:***@ctl1//")

    # An operator's file taken over: its old secrets are in the diff's "before".
    target = tmp_path / "nova" / "nova-scheduler.conf"
    target.write_text("[database]\nconnection = mysql+pymysql://nova:S3cret@db/nova\npassword = hunter2\n")
    result, failed = nova_config_render.run(dict(p, take_over_existing=True), check_mode=True)
    (diff,) = [d for d in result["diff"] if d["before_header"] == str(target)]
    assert "connection = mysql+pymysql://nova:***@db/nova" in diff["before"]
    no_secret(result, "password = ***")


def test_render_failure_message_masks_secrets(tmp_path):
    p = params(
        tmp_path,
        kolla_globals={"database_password": "hunter2"},
        scheduler={"settings": {"DEFAULT": {"transport_url": ["rabbit://o:S3cret@a//", "x"]}}},
    )
    result, failed = nova_config_render.run(p, check_mode=False)
    assert failed and "nova_config_kolla_globals.database_password" in failed
    assert "hunter2" not in failed and "S3cret" not in failed
    no_secret(result, "database_password")


def test_validate_masks_values_in_findings_and_report(tmp_path):
    conf = tmp_path / "nova.conf"
    conf.write_text(
        "[database]\nsql_connection = mysql+pymysql://nova:S3cret@db/nova\n"
        "[DEFAULT]\nrabbit_password = hunter2\n"
        "[libvirt]\nlive_migration_uri = qemu+ssh://nova:pw1@%s/system\n"
        "[cache]\nmemcache_password = hunter2\n"
    )
    result = nova_config_validate.run(
        {"paths": [str(conf)], "node_custom_config": str(tmp_path), "release": "34", "fail_on": "never"}
    )
    codes = {f["option"]: f["code"] for f in result["findings"]}
    assert codes == {
        "sql_connection": "unknown_option",
        "rabbit_password": "unknown_option",
        "live_migration_uri": "deprecated",
        "memcache_password": "deprecated_name",
    }
    no_secret(result, "mysql+pymysql://nova:***@db/nova", "qemu+ssh://nova:***@%s/system", "rabbit_password")
