"""smoke.boot messages when the boot fails: the cause (Nova's fault), and what became of the server."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify import smoke as vs

SDK_ERROR = "Server:abc transitioned to failure state ERROR"
FAULT = "No valid host was found. There are not enough hosts available."


def smoke(result):
    report = Report("verify")
    vs.check_smoke(report, result)
    (r,) = report.results
    return r


def test_failed_boot_names_nova_fault_and_the_deletion():
    r = smoke(
        {
            "server_id": "abc",
            "flavor": "huge",
            "image": "cirros",
            "timeout": 20,
            "status": "ERROR",
            "error": SDK_ERROR,
            "fault": FAULT,
            "deleted": True,
        }
    )
    assert r["status"] == "fail"
    assert r["message"] == (
        "server abc did not become ACTIVE within 20s: %s; fault: %s; the server was deleted"
        % (SDK_ERROR, FAULT)
    )
    assert r["fix"].startswith("openstack server show ID (fault)")


def test_failed_boot_whose_server_stays_says_so_and_how_to_delete_it():
    r = smoke(
        {
            "server_id": "abc",
            "timeout": 5,
            "status": "BUILD",
            "error": "Timeout waiting for Server:abc to transition to ACTIVE",
            "deleted": False,
            "delete_error": "Timeout waiting for Server:abc to delete",
        }
    )
    assert r["status"] == "fail"
    assert "the server could not be deleted: Timeout waiting for Server:abc to delete" in r["message"]
    assert r["fix"].startswith("openstack server delete abc; then ")


def test_nothing_created_is_not_called_a_slow_boot():
    r = smoke(
        {
            "server_id": None,
            "flavor": "m1.tinyy",
            "image": "cirros",
            "timeout": 300,
            "error": "No Flavor found for m1.tinyy",
        }
    )
    assert r["status"] == "fail"
    assert r["message"] == (
        "smoke test could not create a server (flavor m1.tinyy, image cirros): No Flavor found for m1.tinyy"
    )
