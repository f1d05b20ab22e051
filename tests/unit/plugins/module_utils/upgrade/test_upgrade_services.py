"""Upgrade readiness: services."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NovaCommands
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    Report,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import commands as upgrade_commands
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import services as upgrade_services
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import target as upgrade_target

from .fakes import (
    T33,
    T34,
    api,
    cloud,
    results,
    sql,
)


def test_merge_services_uses_api_state_and_uuid():
    services = cloud()
    ghost = next(s for s in services if s["host"] == "ghost1")
    assert ghost["id"] == "u-nova-compute-ghost1"
    assert ghost["up"] is False and ghost["enabled"] is False and ghost["version"] == 66
    assert {s["host"] for s in upgrade_services.stale_services(services)} == {"ghost1", "ghost2"}


def test_services_report_too_old_pinning_and_stale():
    services = cloud(old_version=70)
    report = Report("upgrade_check")
    upgrade_services.check_services(report, T34, services, {"ghost1": 2, "ghost2": 0})
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
    upgrade_services.check_services(report, T34, cloud(ghost=False), {})
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
    services = upgrade_services.merge_services(rows, [api("compute1")])
    report = Report("upgrade_check")
    upgrade_services.check_services(report, T34, services, {"old": 0})
    assert results(report, "services.too_old")[0]["status"] == "pass"
    assert "forced-down rows old are ignored" in results(report, "services.too_old")[0]["message"]
    assert results(report, "services.stale")[0]["evidence"]["host"] == "old"


def test_services_without_versions_skip():
    services = upgrade_services.merge_services([], [api("compute1"), api("compute9", state="down")])
    report = Report("upgrade_check")
    upgrade_services.check_services(report, T34, services, {"compute9": 0}, versions_known=False)
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
    services = upgrade_services.merge_services([sql("c%d" % i, v) for i, v in enumerate(versions)], [])
    report = Report("upgrade_check")
    upgrade_services.check_release_path(report, upgrade_target.target_release(target), services)
    assert report.results[0]["status"] == status
    assert text in report.results[0]["message"]


def test_old_api_row_fix_is_a_soft_delete():
    rows = [
        sql("controller", 74, "nova-osapi_compute"),
        sql("oldctl", 70, "nova-osapi_compute"),
        sql("compute1", 74),
    ]
    services = upgrade_services.merge_services(rows, [api("compute1")])
    report = Report("upgrade_check")
    upgrade_services.check_services(report, T34, services, {})
    pin = results(report, "services.minimum_version", "warn")[0]
    assert "nova-osapi_compute minimum service version 70" in pin["message"]
    assert pin["fix"] == (
        "upgrade nova-osapi_compute on oldctl; if that host is gone: docker exec -it mariadb mysql -u root -p nova -e "
        "\"UPDATE services SET deleted = id, deleted_at = NOW() WHERE uuid = 'u-nova-osapi_compute-oldctl' "
        'AND deleted = 0"'
    )
    sandbox = upgrade_commands.Commands(
        NovaCommands(lambda argv: (0, "", ""), mode="sandbox", sandbox_command="sb")
    )
    assert sandbox.sql("nova", "SELECT 1") == 'sb mysql --batch --raw nova -e "SELECT 1"'
    assert results(report, "services.stale")[0]["status"] == "pass"


def test_compute_two_releases_behind_a_slurp_target_warns():
    # 2026.1 (Gazpacho) is SLURP: Nova accepts Epoxy (2025.1, service version 68) computes,
    # so services.too_old passes; the compute is still two releases behind and must move now.
    rows = [sql("controller", 72, "nova-conductor"), sql("compute1", 72), sql("compute2", 68)]
    services = upgrade_services.merge_services(
        rows, [api("controller", "nova-conductor"), api("compute1"), api("compute2")]
    )
    report = Report("upgrade_check")
    upgrade_services.check_services(report, T33, services, {})
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
    services = upgrade_services.merge_services(
        rows, [api("compute1"), api("ghost", state="down", status="disabled")]
    )
    report = Report("upgrade_check")
    upgrade_services.check_services(report, T33, services, {"ghost": 0})
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
    services = upgrade_services.merge_services([sql("compute1", version)], [api("compute1")])
    report = Report("upgrade_check")
    upgrade_services.check_services(report, upgrade_target.target_release(target), services, {})
    assert [r["status"] for r in results(report, "services.too_old")] == [too_old]
    assert [r["status"] for r in results(report, "services.behind_target")] == [behind]


def test_forced_down_compute_is_not_behind():
    rows = [sql("compute1", 72), sql("old", 68, forced="1")]
    report = Report("upgrade_check")
    upgrade_services.check_services(
        report, T33, upgrade_services.merge_services(rows, [api("compute1")]), {"old": 0}
    )
    assert results(report, "services.behind_target")[0]["status"] == "pass"
