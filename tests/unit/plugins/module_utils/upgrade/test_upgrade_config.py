"""Upgrade readiness: config."""

from __future__ import annotations

import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    Report,
    render_junit,
    render_text,
    write_report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import config as upgrade_config
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import files as upgrade_files
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import kolla as upgrade_kolla

from .fakes import (
    SECRET_OVERRIDES,
    T33,
    T34,
    assert_masked,
    results,
    write,
)


def test_override_files_follow_kolla_layout(tmp_path):
    for rel in (
        "global.conf",
        "nova.conf",
        "nova/nova-compute.conf",
        "nova/nova-metadata.conf",
        "nova/compute1/nova.conf",
        "nova/compute1/nova-compute.conf",
        "nova/compute1/qemu.conf.j2",
        "nova/notes.conf",
        "neutron.conf",
    ):
        write(tmp_path, rel, "[DEFAULT]\n")
    rels = [rel for rel, _path in upgrade_files.override_files(str(tmp_path))]
    assert rels == [
        "global.conf",
        "nova.conf",
        "nova/compute1/nova-compute.conf",
        "nova/compute1/nova.conf",
        "nova/nova-compute.conf",
        "nova/nova-metadata.conf",
    ]


def test_removed_option_fails_and_deprecated_warns(tmp_path):
    write(
        tmp_path,
        "nova/nova-compute.conf",
        "[libvirt]\nnum_memory_encrypted_guests = 4\nlive_migration_tunnelled = true\n",
    )
    files = upgrade_files.read_overrides(str(tmp_path))
    report = Report("upgrade_check")
    upgrade_config.check_config(report, files, T34, str(tmp_path))
    removed = results(report, "config.removed", "fail")
    assert len(removed) == 1
    assert "num_memory_encrypted_guests" in removed[0]["message"]
    assert removed[0]["evidence"]["line"] == 2
    assert removed[0]["fix"].startswith(
        "delete 'num_memory_encrypted_guests' from [libvirt] in %s" % tmp_path
    )
    deprecated = results(report, "config.deprecated", "warn")
    assert [d["evidence"]["option"] for d in deprecated] == ["live_migration_tunnelled"]
    assert deprecated[0]["fix"]


def test_same_option_is_only_deprecated_in_the_previous_release(tmp_path):
    files = [("nova.conf", "[libvirt]\nnum_memory_encrypted_guests = 4\n")]
    report = Report("upgrade_check")
    upgrade_config.check_config(report, files, T33, "/etc/kolla/config")
    assert not results(report, "config.removed", "fail")
    assert (
        results(report, "config.deprecated", "warn")[0]["evidence"]["option"] == "num_memory_encrypted_guests"
    )


def test_clean_overrides_pass_and_missing_dir_skips():
    report = Report("upgrade_check")
    upgrade_config.check_config(report, [("nova.conf", "[DEFAULT]\ncpu_allocation_ratio = 4.0\n")], T34, "/x")
    assert {r["check"]: r["status"] for r in report.results} == {
        "config.overrides": "pass",
        "config.removed": "pass",
        "config.deprecated": "pass",
    }
    report = Report("upgrade_check")
    upgrade_config.check_config(report, None, T34, "/nowhere")
    assert report.results[0]["status"] == "skip"


def test_unparsable_override_fails():
    report = Report("upgrade_check")
    upgrade_config.check_config(report, [("nova.conf", "[DEFAULT\nx = 1\n")], T34, "/x")
    assert results(report, "config.parse", "fail")


def test_upgrade_levels():
    files = [
        ("nova.conf", "[upgrade_levels]\ncompute = auto\n"),
        (
            "nova/nova-conductor.conf",
            "[upgrade_levels]\ncompute = 6.4\nconductor = auto\nscheduler = epoxy\n",
        ),
    ]
    report = Report("upgrade_check")
    pins = upgrade_config.check_upgrade_levels(report, files, T34, "/etc/kolla/config")
    assert [(p["file"], p["option"], p["value"], p["remove_after_upgrade"]) for p in pins] == [
        ("nova.conf", "compute", "auto", False),
        ("nova/nova-conductor.conf", "compute", "6.4", True),
        ("nova/nova-conductor.conf", "conductor", "auto", True),
        ("nova/nova-conductor.conf", "scheduler", "epoxy", True),
    ]
    statuses = [r["status"] for r in report.results]
    assert statuses == ["pass", "warn", "warn", "warn"]
    assert "redundant" in report.results[0]["message"]
    assert report.results[1]["fix"].startswith(
        "after the upgrade, delete 'compute = 6.4' from [upgrade_levels] in /etc/kolla/config/nova/nova-conductor.conf"
    )


def test_no_upgrade_levels():
    report = Report("upgrade_check")
    assert (
        upgrade_config.check_upgrade_levels(report, [("nova.conf", "[DEFAULT]\ndebug = true\n")], T34) == []
    )
    assert report.results[0]["status"] == "pass"


@pytest.mark.parametrize(
    ("installed", "status"),
    [("23.0.0", "pass"), ("23.1.2", "pass"), ("22.0.1", "warn"), ("24.0.0", "fail"), (None, "skip")],
)
def test_kolla_release(installed, status):
    report = Report("upgrade_check")
    upgrade_kolla.check_kolla(report, T34, installed=installed)
    r = results(report, "kolla_ansible.release")[0]
    assert r["status"] == status
    if status != "pass":
        assert r["fix"].startswith("pip install 'kolla-ansible>=23.0.0,<24'")


def test_ansible_core_and_globals(tmp_path):
    write(tmp_path, "globals.yml", '---\nopenstack_release: "2026.1"  # pinned\n')
    write(tmp_path, "globals.d/other.yml", "openstack_release: 2026.2\n")
    found = upgrade_files.globals_release(str(tmp_path))
    assert [(p.rsplit("/", 1)[-1], v) for p, v in found] == [
        ("globals.yml", "2026.1"),
        ("other.yml", "2026.2"),
    ]
    report = Report("upgrade_check")
    upgrade_kolla.check_kolla(report, T34, installed="23.0.0", ansible_core="2.19.3", globals_release=found)
    assert results(report, "kolla_ansible.ansible_core")[0]["status"] == "warn"
    assert [r["status"] for r in results(report, "kolla_ansible.openstack_release")] == ["fail", "pass"]


def test_deprecated_options_name_their_replacement():
    files = [
        (
            "nova/nova-compute.conf",
            "[libvirt]\nlive_migration_uri = qemu+ssh://%s/system\n[DEFAULT]\nvcpu_pin_set = 2-5\nbackdoor_port = 0\n",
        )
    ]
    report = Report("upgrade_check")
    upgrade_config.check_config(report, files, T34, "/etc/kolla/config")
    fixes = {r["evidence"]["option"]: r["fix"] for r in results(report, "config.deprecated")}
    assert fixes["live_migration_uri"].startswith("use [libvirt] live_migration_scheme and")
    assert fixes["vcpu_pin_set"].startswith(
        "replace [DEFAULT] vcpu_pin_set = 2-5 with [compute] cpu_dedicated_set"
    )
    assert fixes["backdoor_port"].startswith("no replacement: remove it")
    assert fixes["backdoor_port"].endswith("(in /etc/kolla/config/nova/nova-compute.conf line 5)")


def test_config_check_masks_credentials_everywhere(tmp_path):
    report = Report("upgrade_check")
    upgrade_config.check_config(report, SECRET_OVERRIDES, T34, "/etc/kolla/config")
    upgrade_config.check_upgrade_levels(report, SECRET_OVERRIDES, T34, "/etc/kolla/config")
    data = report.as_dict()
    deprecated = results(report, "config.deprecated", "warn")
    assert {d["evidence"]["option"] for d in deprecated} == {"live_migration_uri"}
    assert {d["evidence"]["value"] for d in data["results"] if d["check"] == "config.deprecated"} == {
        "qemu+ssh://nova:***@%s/system",
        "qemu+ssh://:***@%s/system",
    }
    assert results(report, "config.parse", "fail")
    visible = (
        "live_migration_uri",
        "num_memory_encrypted_guests",
        "@%s/system",
        "compute = 6.4",
        "rabbit://openstack:***@ctl1:5672//",
    )
    assert_masked(json.dumps(data), *visible)
    assert_masked(render_text(data), "live_migration_uri", "num_memory_encrypted_guests")
    assert_masked(render_junit(data), *visible)
    paths = write_report(data, str(tmp_path))
    for path in paths.values():
        assert_masked(open(path).read(), "live_migration_uri")
