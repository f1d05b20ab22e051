# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console check of ``compute_verify``: ask Nova for a remote console, probe its URL."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ansible.module_utils.urls import open_url

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import ScopeError
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

_TOKEN = re.compile(r"(token(?:=|%3D|%3d))[^&%#\s]+")


def mask_console_url(url: Any) -> Any:
    """A console URL with its token masked (a token opens the console until it expires)."""
    if not isinstance(url, str):
        return url
    return _TOKEN.sub(lambda m: m.group(1) + "***", url)


# --- console ---------------------------------------------------------------------------------
def check_console(report: Report, result: dict[str, Any] | None) -> None:
    """``result``: {"skipped": reason} or {"server", "type", "url", "error", "probe":
    {"status", "error", "novnc"}} as the module gathered it."""
    name = "console.proxy"
    if not result or result.get("skipped"):
        report.add(name, "skip", (result or {}).get("skipped") or "console check not requested")
        return
    evidence = {k: result.get(k) for k in ("server", "type", "url", "probe")}
    fix_url = (
        "check that nova-novncproxy runs and listens where [vnc] novncproxy_base_url points "
        "(Kolla renders it from nova_novncproxy_fqdn and nova_novncproxy_public_port; a load "
        "balancer must forward that port), and that the URL's host resolves from where users "
        "open it"
    )
    if result.get("error"):
        report.add(
            name,
            "fail",
            "no console URL for server %s: %s" % ((result.get("server") or {}).get("name"), result["error"]),
            evidence,
            "check nova_console in globals.yml, [vnc] enabled on the computes, and nova-api's log",
        )
        return
    probe = result.get("probe") or {}
    if probe.get("error"):
        report.add(
            name,
            "fail",
            "console URL issued but the proxy does not answer (users see 'Failed to connect'): %s: %s"
            % (result.get("url"), probe["error"]),
            evidence,
            fix_url,
        )
    elif (
        probe.get("status") is not None
        and int(probe["status"]) >= HTTPStatus.BAD_REQUEST
        # a serial console proxy speaks websocket only: any HTTP answer means it listens
        and result.get("type") != "serial"
    ):
        report.add(
            name,
            "fail",
            "console proxy answered HTTP %s for %s: wrong base URL or path"
            % (probe["status"], result.get("url")),
            evidence,
            fix_url,
        )
    elif probe.get("novnc") is False:
        report.add(
            name,
            "warn",
            "something answered at %s (HTTP %s) but it does not look like noVNC"
            % (result.get("url"), probe.get("status")),
            evidence,
            fix_url,
        )
    else:
        report.add(
            name,
            "pass",
            "%s console URL issued and the proxy answers (HTTP %s)"
            % (result.get("type"), probe.get("status")),
            evidence,
        )


# --- reading the console ---------------------------------------------------------------------
def find_console_server(conn: Any, sdk_exceptions: Any, wanted: str) -> Any:
    """The server ``console_server`` names; a name or ID that matches no server (or several)
    is an error, raised before the smoke test boots anything."""
    try:
        server = conn.compute.find_server(wanted, ignore_missing=True, all_projects=True)
    except sdk_exceptions.DuplicateResource:
        raise KollaOpsError(
            "console_server: %s names more than one server (any project); give the server's ID "
            "(openstack server list --all-projects --name %s). Nothing was changed." % (wanted, wanted)
        ) from None
    if server is not None:
        return server
    names = {s.name for s in conn.compute.servers(all_projects=True, details=False) if s.name}
    raise ScopeError(
        "console_server",
        [wanted],
        names,
        "server",
        "Give the name or ID of an existing server (openstack server list --all-projects), or leave "
        "console_server out to use the smoke test's server or the first ACTIVE one.",
    )


def pick_console_server(conn: Any, chosen: Any, smoke_server: Any) -> tuple[Any, str | None]:
    """The server to ask a console for: the one named, the smoke test's, else the first ACTIVE one."""
    if chosen is not None:
        return chosen, None
    if smoke_server is not None:
        return smoke_server, None
    for server in conn.compute.servers(all_projects=True, status="ACTIVE", limit=1):
        return server, None
    return None, "no ACTIVE server to ask a console for (give console_server or smoke_test)"


def probe(url: str, console_type: str, timeout: int) -> dict[str, Any]:
    """GET the console URL: its HTTP status (and for noVNC whether the page is noVNC's)."""
    result: dict[str, Any] = {"url": url, "status": None, "error": None}
    if url.startswith("ws"):
        # serial consoles: a websocket URL; the HTTP port answers on http(s)
        url = "http" + url[2:]
    try:
        resp = open_url(url, method="GET", timeout=timeout, validate_certs=False)
        result["status"] = resp.getcode()
        body = resp.read(65536).decode("utf-8", "replace")
        if console_type == "novnc":
            result["novnc"] = "novnc" in body.lower()
    except Exception as exc:  # HTTPError has a status; the rest: "does not answer"
        code = getattr(exc, "code", None)
        if code is not None:
            result["status"] = code
        else:
            result["error"] = "%s: %s" % (type(exc).__name__, getattr(exc, "reason", exc))
    return result


def read_console(
    conn: Any,
    sdk_exceptions: Any,
    console_type: str,
    timeout: int,
    chosen: Any = None,
    smoke_server: Any = None,
) -> dict[str, Any]:
    """Ask Nova for a remote console of the picked server and probe its URL (token masked)."""
    server, why = pick_console_server(conn, chosen, smoke_server)
    if server is None:
        return {"skipped": why}
    result = {
        "server": {"id": server.id, "name": server.name},
        "type": console_type,
        "url": None,
        "probe": None,
    }
    try:
        console = conn.compute.create_server_remote_console(server, type=console_type)
        result["url"] = console.url
    except sdk_exceptions.SDKException as exc:
        result["error"] = str(exc)
        return result
    result["probe"] = probe(result["url"], console_type, timeout)
    result["url"] = mask_console_url(result["url"])
    result["probe"]["url"] = result["url"]
    return result
