"""Upgrade readiness core: release data, override scan, services, nova-status, DB, online migrations."""

from __future__ import annotations

import json

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils import upgrade_check as uc
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_cli import NovaCommands
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    Report,
    render_junit,
    render_text,
    write_report,
)

T34 = uc.target_release("2026.2")
T33 = uc.target_release("2026.1")


def results(report, check=None, status=None):
    return [
        r
        for r in report.results
        if (check is None or r["check"] == check) and (status is None or r["status"] == status)
    ]


# -- release data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "series"),
    [
        ("2026.2", "2026.2"),
        ("34", "2026.2"),
        ("34.0.1", "2026.2"),
        ("nova-33", "2026.1"),
        ("Flamingo", "2025.2"),
        ("epoxy", "2025.1"),
        ("kolla-ansible 22", "2026.1"),
        (2025.1, "2025.1"),
    ],
)
def test_target_release(value, series):
    assert uc.target_release(value)["series"] == series


@pytest.mark.parametrize("value", ["2024.2", "30", "", None, "dalmatian"])
def test_target_release_unknown(value):
    with pytest.raises(uc.UpgradeCheckError, match="unknown target release"):
        uc.target_release(value)


def test_release_table_is_consistent():
    assert set(uc.RELEASES) == set(nova_schema.SERIES)
    for series, rel in uc.RELEASES.items():
        assert nova_schema.SERIES[series] == rel["nova"]
        assert uc.SERVICE_VERSION_ALIASES[rel["codename"]] == rel["service_version"]
        assert uc.COMPUTE_RPC[rel["service_version"]] == rel["compute_rpc"]
        assert uc.CODENAME_SERIES[rel["codename"]] == series
        for kind, head in rel["db_heads"].items():
            assert head in uc.DB_CHAINS[kind]
    # nova/objects/service.py OLDEST_SUPPORTED_SERVICE_VERSION of each release
    assert {s: uc.oldest_supported_version(r) for s, r in uc.RELEASES.items()} == {
        "2025.1": 66,
        "2025.2": 68,
        "2026.1": 68,
        "2026.2": 72,
    }


@pytest.mark.parametrize(
    ("version", "text"),
    [
        (68, "2025.1 (Epoxy)"),
        (74, "2026.2 (Hibiscus)"),
        (66, "2023.1..2024.1 (Antelope..Caracal)"),
        (71, "development of 2026.1 (Gazpacho)"),
        (99, "newer than 2026.2"),
        (None, None),
    ],
)
def test_release_of_version(version, text):
    assert uc.release_of_version(version) == text


def test_current_release():
    assert uc.current_release([68, 70, 0])["series"] == "2025.2"
    assert uc.current_release([69])["series"] == "2025.2"
    assert uc.current_release([]) is None


def test_commands_forms():
    assert uc.Commands().nova_manage("db", "sync") == "docker exec nova_api nova-manage db sync"
    kolla = NovaCommands(lambda argv: (0, "", ""), mode="kolla", container_engine="podman")
    assert (
        uc.Commands(kolla).nova_status("upgrade", "check") == "podman exec nova_api nova-status upgrade check"
    )
    sandbox = NovaCommands(lambda argv: (0, "", ""), mode="sandbox", sandbox_command="/r/sandbox/sandbox")
    cmds = uc.Commands(sandbox)
    assert (
        cmds.nova_manage("db online_data_migrations")
        == "/r/sandbox/sandbox nova-manage db online_data_migrations"
    )
    assert (
        cmds.openstack("compute service delete", "u1")
        == "/r/sandbox/sandbox openstack compute service delete u1"
    )
    assert uc.Commands().openstack("compute service delete", "u1") == "openstack compute service delete u1"


# -- override files -------------------------------------------------------------------------


def write(base, rel, text):
    path = base / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


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
    rels = [rel for rel, _path in uc.override_files(str(tmp_path))]
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
    files = uc.read_overrides(str(tmp_path))
    report = Report("upgrade_check")
    uc.check_config(report, files, T34, str(tmp_path))
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
    uc.check_config(report, files, T33, "/etc/kolla/config")
    assert not results(report, "config.removed", "fail")
    assert (
        results(report, "config.deprecated", "warn")[0]["evidence"]["option"] == "num_memory_encrypted_guests"
    )


def test_clean_overrides_pass_and_missing_dir_skips():
    report = Report("upgrade_check")
    uc.check_config(report, [("nova.conf", "[DEFAULT]\ncpu_allocation_ratio = 4.0\n")], T34, "/x")
    assert {r["check"]: r["status"] for r in report.results} == {
        "config.overrides": "pass",
        "config.removed": "pass",
        "config.deprecated": "pass",
    }
    report = Report("upgrade_check")
    uc.check_config(report, None, T34, "/nowhere")
    assert report.results[0]["status"] == "skip"


def test_unparsable_override_fails():
    report = Report("upgrade_check")
    uc.check_config(report, [("nova.conf", "[DEFAULT\nx = 1\n")], T34, "/x")
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
    pins = uc.check_upgrade_levels(report, files, T34, "/etc/kolla/config")
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
    assert uc.check_upgrade_levels(report, [("nova.conf", "[DEFAULT]\ndebug = true\n")], T34) == []
    assert report.results[0]["status"] == "pass"


# -- Kolla-Ansible --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("installed", "status"),
    [("23.0.0", "pass"), ("23.1.2", "pass"), ("22.0.1", "warn"), ("24.0.0", "fail"), (None, "skip")],
)
def test_kolla_release(installed, status):
    report = Report("upgrade_check")
    uc.check_kolla(report, T34, installed=installed)
    r = results(report, "kolla_ansible.release")[0]
    assert r["status"] == status
    if status != "pass":
        assert r["fix"].startswith("pip install 'kolla-ansible>=23.0.0,<24'")


def test_ansible_core_and_globals(tmp_path):
    write(tmp_path, "globals.yml", '---\nopenstack_release: "2026.1"  # pinned\n')
    write(tmp_path, "globals.d/other.yml", "openstack_release: 2026.2\n")
    found = uc.globals_release(str(tmp_path))
    assert [(p.rsplit("/", 1)[-1], v) for p, v in found] == [
        ("globals.yml", "2026.1"),
        ("other.yml", "2026.2"),
    ]
    report = Report("upgrade_check")
    uc.check_kolla(report, T34, installed="23.0.0", ansible_core="2.19.3", globals_release=found)
    assert results(report, "kolla_ansible.ansible_core")[0]["status"] == "warn"
    assert [r["status"] for r in results(report, "kolla_ansible.openstack_release")] == ["fail", "pass"]


# -- services ----------------------------------------------------------------------------------

NOW = "2026-11-21 06:30:00"


def sql(host, version, binary="nova-compute", disabled="0", forced="0", seen=None, uid=None):
    return {
        "id": "1",
        "uuid": uid or "u-%s-%s" % (binary, host),
        "host": host,
        "binary": binary,
        "version": str(version),
        "disabled": disabled,
        "disabled_reason": "decommissioned" if disabled == "1" else None,
        "forced_down": forced,
        "last_seen_up": seen,
        "updated_at": None,
        "created_at": "2026-01-01 00:00:00",
        "cell_database": "nova",
    }


def api(host, binary="nova-compute", state="up", status="enabled"):
    return {
        "id": "u-%s-%s" % (binary, host),
        "host": host,
        "binary": binary,
        "state": state,
        "status": status,
        "is_forced_down": False,
        "disabled_reason": None,
        "availability_zone": "nova",
    }


def cloud(old_version=74, ghost=True):
    rows = [
        sql("controller", 74, "nova-conductor"),
        sql("controller", 74, "nova-scheduler"),
        sql("compute1", 74),
        sql("compute2", old_version),
    ]
    apis = [
        api("controller", "nova-conductor"),
        api("controller", "nova-scheduler"),
        api("compute1"),
        api("compute2"),
    ]
    if ghost:
        rows.append(sql("ghost1", 66, disabled="1"))
        apis.append(api("ghost1", state="down", status="disabled"))
        rows.append(sql("ghost2", 74, disabled="1"))
        apis.append(api("ghost2", state="down", status="disabled"))
    return uc.merge_services(rows, apis)


def test_merge_services_uses_api_state_and_uuid():
    services = cloud()
    ghost = next(s for s in services if s["host"] == "ghost1")
    assert ghost["id"] == "u-nova-compute-ghost1"
    assert ghost["up"] is False and ghost["enabled"] is False and ghost["version"] == 66
    assert {s["host"] for s in uc.stale_services(services)} == {"ghost1", "ghost2"}


def test_services_report_too_old_pinning_and_stale():
    services = cloud(old_version=70)
    report = Report("upgrade_check")
    uc.check_services(report, T34, services, {"ghost1": 2, "ghost2": 0})
    path = results(report, "release.path")[0]
    assert path["status"] == "pass" and "already run 2026.2" in path["message"]
    too_old = results(report, "services.too_old", "fail")
    assert {r["evidence"]["host"] for r in too_old} == {"ghost1", "compute2"}
    ghost = next(r for r in too_old if r["evidence"]["host"] == "ghost1")
    assert ghost["fix"] == "openstack compute service delete u-nova-compute-ghost1"
    compute2 = next(r for r in too_old if r["evidence"]["host"] == "compute2")
    assert compute2["fix"].startswith("upgrade nova-compute on compute2")
    assert "TooOldComputeService" in compute2["message"]
    pin = results(report, "services.minimum_version", "warn")[0]
    assert "pinned by ghost1" in pin["message"] and "capped at 6.2" in pin["message"]
    stale = {r["evidence"]["host"]: r for r in results(report, "services.stale")}
    assert stale["ghost1"]["status"] == "warn" and stale["ghost1"]["evidence"]["instances"] == 2
    assert "still has 2 instance(s)" in stale["ghost1"]["message"]
    assert "openstack server evacuate <server>" in stale["ghost1"]["fix"]
    assert stale["ghost1"]["fix"].endswith("openstack compute service delete u-nova-compute-ghost1")
    assert "has no instances" in stale["ghost2"]["message"]
    assert stale["ghost2"]["fix"] == "openstack compute service delete u-nova-compute-ghost2"


def test_services_clean():
    report = Report("upgrade_check")
    uc.check_services(report, T34, cloud(ghost=False), {})
    assert {r["check"]: r["status"] for r in report.results} == {
        "release.path": "pass",
        "services.versions": "pass",
        "services.minimum_version": "pass",
        "services.too_old": "pass",
        "services.behind_target": "pass",
        "services.stale": "pass",
    }


def test_forced_down_old_compute_is_ignored_by_nova():
    rows = [sql("compute1", 74), sql("old", 60, forced="1")]
    services = uc.merge_services(rows, [api("compute1")])
    report = Report("upgrade_check")
    uc.check_services(report, T34, services, {"old": 0})
    assert results(report, "services.too_old")[0]["status"] == "pass"
    assert "forced-down rows old are ignored" in results(report, "services.too_old")[0]["message"]
    assert results(report, "services.stale")[0]["evidence"]["host"] == "old"


def test_services_without_versions_skip():
    services = uc.merge_services([], [api("compute1"), api("compute9", state="down")])
    report = Report("upgrade_check")
    uc.check_services(report, T34, services, {"compute9": 0}, versions_known=False)
    assert results(report, "release.path")[0]["status"] == "skip"
    assert results(report, "services.versions")[0]["status"] == "skip"
    assert results(report, "services.stale")[0]["evidence"]["host"] == "compute9"


@pytest.mark.parametrize(
    ("versions", "target", "status", "text"),
    [
        ([68], "2026.2", "fail", "upgrade to 2026.1 first"),
        ([68], "2026.1", "pass", "skip-level"),
        ([70], "2026.1", "pass", "2025.2 -> 2026.1 is a supported"),
        ([72], "2026.2", "pass", "2026.1 -> 2026.2 is a supported"),
        ([74], "2025.2", "fail", "does not downgrade"),
        ([66], "2025.2", "fail", "not a supported upgrade"),
    ],
)
def test_release_path(versions, target, status, text):
    services = uc.merge_services([sql("c%d" % i, v) for i, v in enumerate(versions)], [])
    report = Report("upgrade_check")
    uc.check_release_path(report, uc.target_release(target), services)
    assert report.results[0]["status"] == status
    assert text in report.results[0]["message"]


# -- nova-status -------------------------------------------------------------------------------

NOVA_STATUS = """\
+---------------------------------------------------------------------+
| Upgrade Check Results                                               |
+---------------------------------------------------------------------+
| Check: Cells v2                                                     |
| Result: Success                                                     |
| Details: None                                                       |
+---------------------------------------------------------------------+
| Check: Older than N-1 computes                                      |
| Result: Failure                                                     |
| Details: Current Nova version does not support computes older than  |
|   Gazpacho but the minimum compute service level in your system is  |
|   70 and the oldest supported service level is 72.                  |
+---------------------------------------------------------------------+
| Check: hw_machine_type unset                                        |
| Result: Warning                                                     |
| Details:  Instances found without hw_machine_type set. This warning |
|   can be ignored if your environment does not contain               |
|   libvirt based compute hosts. Use the `nova-manage libvirt         |
|   list_unset_machine_type` command to list these instances.         |
|   For more details see the following:                               |
|   https://docs.openstack.org/nova/latest/admin/hw-machine-          |
|   type.html                                                         |
+---------------------------------------------------------------------+
"""


def test_parse_nova_status():
    checks = uc.parse_nova_status(NOVA_STATUS)
    assert [(c["check"], c["result"]) for c in checks] == [
        ("Cells v2", "Success"),
        ("Older than N-1 computes", "Failure"),
        ("hw_machine_type unset", "Warning"),
    ]
    assert checks[0]["details"] is None
    assert checks[1]["details"].endswith("in your system is 70 and the oldest supported service level is 72.")
    assert "https://docs.openstack.org/nova/latest/admin/hw-machine-type.html" in checks[2]["details"]


def test_check_nova_status():
    report = Report("upgrade_check")
    uc.check_nova_status(report, 2, NOVA_STATUS)
    assert [(r["check"], r["status"]) for r in report.results] == [
        ("nova_status.cells_v2", "pass"),
        ("nova_status.older_than_n_1_computes", "fail"),
        ("nova_status.hw_machine_type_unset", "warn"),
    ]
    report = Report("upgrade_check")
    uc.check_nova_status(report, 255, "", "Traceback ...")
    assert report.results[0]["check"] == "nova_status.run" and report.results[0]["status"] == "fail"


# -- database and online migrations ------------------------------------------------------------


def test_database_revisions():
    current = uc.target_release("2026.1")
    report = Report("upgrade_check")
    uc.check_database(
        report,
        T34,
        {
            "nova_api": ("api", "cdeec0c85668"),
            "nova": ("main", "d60bddf7a903"),
            "nova_cell0": ("main", "ab450ba04102"),
            "nova_cell2": ("main", "deadbeef0000"),
        },
        current,
    )
    by = {r["check"]: r for r in report.results}
    assert by["database.nova_api"]["status"] == "pass"
    assert by["database.nova"]["status"] == "fail"
    assert by["database.nova"]["fix"] == "docker exec nova_api nova-manage db sync"
    assert "behind 2903cd72dc14" in by["database.nova"]["message"]
    assert by["database.nova_cell0"]["status"] == "warn"
    assert by["database.nova_cell2"]["status"] == "warn"
    assert "2026.2 migrates it to ab450ba04102" in by["database.nova_cell0"]["message"]


def test_online_migrations():
    report = Report("upgrade_check")
    uc.check_online_migrations(report, None)
    assert report.results[0]["status"] == "skip"
    assert report.results[0]["fix"].splitlines() == [
        "docker exec nova_api nova-manage db online_data_migrations",
        "docker exec nova_conductor nova-manage db online_data_migrations   # on a conductor host of each cell",
    ]
    report = Report("upgrade_check")
    uc.check_online_migrations(
        report, {"nova": {"populate_dev_uuids": 0}, "nova_api": {"populate_user_id": 0}}
    )
    assert report.results[0]["status"] == "skip" and "no dry run" in report.results[0]["message"]
    report = Report("upgrade_check")
    uc.check_online_migrations(report, {"nova": {"populate_dev_uuids": 3, "populate_uuids": 0}})
    assert report.results[0]["status"] == "warn"
    assert "nova: populate_dev_uuids 3 row(s)" in report.results[0]["message"]


def test_online_migration_sql():
    text = uc.online_migration_sql("cell")
    assert text.startswith("SELECT (SELECT COUNT(*) FROM pci_devices")
    assert "AS populate_instance_compute_id" in text
    assert uc.parse_counts([{"populate_user_id": "2", "populate_queued_for_delete": "0"}]) == {
        "populate_user_id": 2,
        "populate_queued_for_delete": 0,
    }
    assert uc.parse_counts([]) == {}


def test_deprecated_options_name_their_replacement():
    files = [
        (
            "nova/nova-compute.conf",
            "[libvirt]\nlive_migration_uri = qemu+ssh://%s/system\n[DEFAULT]\nvcpu_pin_set = 2-5\nbackdoor_port = 0\n",
        )
    ]
    report = Report("upgrade_check")
    uc.check_config(report, files, T34, "/etc/kolla/config")
    fixes = {r["evidence"]["option"]: r["fix"] for r in results(report, "config.deprecated")}
    assert fixes["live_migration_uri"].startswith("use [libvirt] live_migration_scheme and")
    assert fixes["vcpu_pin_set"].startswith(
        "replace [DEFAULT] vcpu_pin_set = 2-5 with [compute] cpu_dedicated_set"
    )
    assert fixes["backdoor_port"].startswith("no replacement: remove it")
    assert fixes["backdoor_port"].endswith("(in /etc/kolla/config/nova/nova-compute.conf line 5)")


def test_old_api_row_fix_is_a_soft_delete():
    rows = [
        sql("controller", 74, "nova-osapi_compute"),
        sql("oldctl", 70, "nova-osapi_compute"),
        sql("compute1", 74),
    ]
    services = uc.merge_services(rows, [api("compute1")])
    report = Report("upgrade_check")
    uc.check_services(report, T34, services, {})
    pin = results(report, "services.minimum_version", "warn")[0]
    assert "nova-osapi_compute minimum service version 70" in pin["message"]
    assert pin["fix"] == (
        "upgrade nova-osapi_compute on oldctl; if that host is gone: docker exec -it mariadb mysql -u root -p nova -e "
        "\"UPDATE services SET deleted = id, deleted_at = NOW() WHERE uuid = 'u-nova-osapi_compute-oldctl' "
        'AND deleted = 0"'
    )
    sandbox = uc.Commands(NovaCommands(lambda argv: (0, "", ""), mode="sandbox", sandbox_command="sb"))
    assert sandbox.sql("nova", "SELECT 1") == 'sb mysql --batch --raw nova -e "SELECT 1"'
    assert results(report, "services.stale")[0]["status"] == "pass"


# -- more than one release behind the target (issue 12) ----------------------------------------


def test_compute_two_releases_behind_a_slurp_target_warns():
    # 2026.1 (Gazpacho) is SLURP: Nova accepts Epoxy (2025.1, service version 68) computes,
    # so services.too_old passes; the compute is still two releases behind and must move now.
    rows = [sql("controller", 72, "nova-conductor"), sql("compute1", 72), sql("compute2", 68)]
    services = uc.merge_services(
        rows, [api("controller", "nova-conductor"), api("compute1"), api("compute2")]
    )
    report = Report("upgrade_check")
    uc.check_services(report, T33, services, {})
    assert results(report, "services.too_old")[0]["status"] == "pass"
    (behind,) = results(report, "services.behind_target")
    assert behind["status"] == "warn"
    assert behind["evidence"]["host"] == "compute2"
    assert behind["message"].startswith(
        "nova-compute on compute2 reports service version 68 (2025.1 (Epoxy)), more than one release "
        "behind 2026.1 (nova 33)"
    )
    assert "nova 34 (2026.2) refuses nova-compute older than 2026.1 (Gazpacho)" in behind["message"]
    assert behind["fix"] == (
        "upgrade nova-compute on compute2 to 2026.1 in this upgrade "
        "(kolla-ansible upgrade -i <inventory> --limit compute2)"
    )


def test_behind_target_dead_compute_fix_names_the_delete():
    rows = [sql("compute1", 72), sql("ghost", 68, disabled="1")]
    services = uc.merge_services(rows, [api("compute1"), api("ghost", state="down", status="disabled")])
    report = Report("upgrade_check")
    uc.check_services(report, T33, services, {"ghost": 0})
    (behind,) = results(report, "services.behind_target", "warn")
    assert behind["fix"].startswith(
        "openstack compute service delete u-nova-compute-ghost if ghost is decommissioned, else upgrade"
    )


@pytest.mark.parametrize(
    ("target", "version", "too_old", "behind"),
    [
        ("2026.1", 70, "pass", "pass"),  # one release behind: fine
        ("2026.1", 69, "pass", "warn"),  # a development version before Flamingo
        ("2026.1", 66, "fail", "pass"),  # too old for Nova: the fail, not a second warning
        ("2026.2", 70, "fail", "pass"),  # non-SLURP: two behind is already too old
        ("2026.2", 72, "pass", "pass"),
        ("2025.1", 66, "pass", "warn"),  # Epoxy (SLURP) accepts Caracal, two releases back
        ("2025.2", 68, "pass", "pass"),
    ],
)
def test_behind_target_per_release(target, version, too_old, behind):
    services = uc.merge_services([sql("compute1", version)], [api("compute1")])
    report = Report("upgrade_check")
    uc.check_services(report, uc.target_release(target), services, {})
    assert [r["status"] for r in results(report, "services.too_old")] == [too_old]
    assert [r["status"] for r in results(report, "services.behind_target")] == [behind]


def test_forced_down_compute_is_not_behind():
    rows = [sql("compute1", 72), sql("old", 68, forced="1")]
    report = Report("upgrade_check")
    uc.check_services(report, T33, uc.merge_services(rows, [api("compute1")]), {"old": 0})
    assert results(report, "services.behind_target")[0]["status"] == "pass"


# -- secrets ----------------------------------------------------------------------------------

SECRET_OVERRIDES = [
    (
        "nova/nova-compute.conf",
        "[libvirt]\n"
        "live_migration_uri = qemu+ssh://nova:pw1@%s/system\n"
        "num_memory_encrypted_guests = 4\n"
        "[upgrade_levels]\ncompute = 6.4\n",
    ),
    ("nova/compute2/nova-compute.conf", "[libvirt]\nlive_migration_uri = qemu+ssh://:pw2@%s/system\n"),
    # an indented first line: oslo.config refuses the file (config.parse shows the line)
    ("nova.conf", " transport_url = rabbit://openstack:S3cret@ctl1:5672//\n"),
]


def assert_masked(text, *visible):
    for secret in ("pw1", "pw2", "S3cret"):
        assert secret not in text, "%s leaked" % secret
    for value in visible:
        assert value in text, "%s is missing" % value


def test_config_check_masks_credentials_everywhere(tmp_path):
    report = Report("upgrade_check")
    uc.check_config(report, SECRET_OVERRIDES, T34, "/etc/kolla/config")
    uc.check_upgrade_levels(report, SECRET_OVERRIDES, T34, "/etc/kolla/config")
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


def test_nova_status_details_are_masked():
    text = NOVA_STATUS.replace("Details: None  ", "Details: mysql+pymysql://nova:S3cret@db/nova").replace(
        "Result: Success", "Result: Failure"
    )
    report = Report("upgrade_check")
    uc.check_nova_status(report, 1, text)
    assert_masked(json.dumps(report.as_dict()), "mysql+pymysql://nova:***@db/nova")
