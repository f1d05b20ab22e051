# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke test of ``compute_verify``: boot a server, wait for ACTIVE, delete it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

SMOKE_DELETE_WAIT = 60  # seconds the smoke test waits at least for its server to be deleted


# --- smoke test -------------------------------------------------------------------------------
def check_smoke(report: Report, result: dict[str, Any] | None) -> None:
    """``result``: {"skipped": reason} or {"server_id", "status", "seconds", "timeout",
    "error", "deleted", "fault"}."""
    name = "smoke.boot"
    if not result or result.get("skipped"):
        report.add(name, "skip", (result or {}).get("skipped") or "smoke test not requested")
        return
    evidence = dict(result)
    if result.get("error") or result.get("status") != "ACTIVE":
        # the SDK's error says only "transitioned to failure state ERROR"; Nova's fault names the cause
        causes = [c for c in (result.get("error"), result.get("fault")) if c]
        cause = "; fault: ".join(causes) or "status %s" % result.get("status")
        if result.get("deleted") is False:
            cause += "; the server could not be deleted: %s" % result.get("delete_error")
        elif result.get("deleted"):
            cause += "; the server was deleted"
        if not result.get("server_id"):
            message = "smoke test could not create a server (flavor %s, image %s): %s" % (
                result.get("flavor"),
                result.get("image"),
                cause,
            )
        else:
            message = "server %s did not become ACTIVE%s: %s" % (
                result["server_id"],
                " within %ss" % result["timeout"] if result.get("timeout") is not None else "",
                cause,
            )
        fix = (
            "openstack server show ID (fault); the scheduler and nova-compute logs name the reason "
            "(NoValidHost: see services.*, placement.*, inventories.*)"
        )
        if result.get("deleted") is False:
            fix = "openstack server delete %s; then %s" % (result["server_id"], fix)
        report.add(name, "fail", message, evidence, fix)
    elif result.get("deleted") is False:
        report.add(
            name,
            "warn",
            "server %s ACTIVE in %ss but could not be deleted: %s"
            % (result["server_id"], result.get("seconds"), result.get("delete_error")),
            evidence,
            "openstack server delete %s" % result["server_id"],
        )
    else:
        report.add(
            name,
            "pass",
            "server ACTIVE in %ss and deleted" % result.get("seconds"),
            evidence,
        )


# --- the boot ----------------------------------------------------------------------------------
def boot(
    conn: Any,
    sdk_exceptions: Any,
    spec: dict[str, Any],
    check_mode: bool,
    report_console: Callable[[Any], dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Boot ``spec``'s server, wait for ACTIVE, read the console (``report_console(server)``)
    while it runs, and delete it whatever happened.  Returns (smoke result, console result).

    In check mode nothing is created unless ``spec["force"]``.
    """
    result: dict[str, Any] = {
        "flavor": spec["flavor"],
        "image": spec["image"],
        "timeout": spec["timeout"],
        "server_id": None,
    }
    if check_mode and not spec["force"]:
        result["skipped"] = "check mode: the smoke test creates a server (set smoke_test.force)"
        return result, report_console(None)
    server = None
    console = None
    start = time.monotonic()
    try:
        flavor = conn.compute.find_flavor(spec["flavor"], ignore_missing=False)
        image = conn.image.find_image(spec["image"], ignore_missing=False)
        networks: Any = "none"
        if spec["network"]:
            net = conn.network.find_network(spec["network"], ignore_missing=False)
            networks = [{"uuid": net.id}]
        server = conn.compute.create_server(
            name=spec["name"], flavorRef=flavor.id, imageRef=image.id, networks=networks
        )
        result["server_id"] = server.id
        server = conn.compute.wait_for_server(
            server, status="ACTIVE", failures=["ERROR"], interval=1, wait=spec["timeout"]
        )
        result["status"] = server.status
        result["host"] = getattr(server, "compute_host", None)
        result["seconds"] = round(time.monotonic() - start, 1)
        console = report_console(server)
    except sdk_exceptions.SDKException as exc:
        result["error"] = str(exc)
        if server is not None:
            try:
                current = conn.compute.get_server(server.id)
                result["status"] = current.status
                result["fault"] = (current.fault or {}).get("message")
            except sdk_exceptions.SDKException:
                pass
    finally:
        if server is not None:
            _delete(conn, sdk_exceptions, server, spec["timeout"], result)
    if console is None:
        console = report_console(None)
    return result, console


def _delete(conn: Any, sdk_exceptions: Any, server: Any, timeout: int, result: dict[str, Any]) -> None:
    try:
        conn.compute.delete_server(server.id, ignore_missing=True)
        # a short boot budget must not cut the cleanup short: a server deleted
        # while it builds takes a few seconds to go
        conn.compute.wait_for_delete(server, interval=1, wait=max(timeout, SMOKE_DELETE_WAIT))
        result["deleted"] = True
    except sdk_exceptions.SDKException as exc:
        result["deleted"] = False
        result["delete_error"] = str(exc)
