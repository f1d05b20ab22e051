# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The thin adapter between the compute_host core and an openstacksdk connection.

Every method returns plain dicts and turns the SDK's exceptions into the core's:
``TransientError`` (API unreachable, 5xx: retry), ``ConflictError`` (409/400: Nova refused in
this state); a missing server is ``None``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ConflictError,
    TransientError,
)

try:
    from keystoneauth1 import exceptions as ks_exc
    from openstack import exceptions as sdk_exc
    from openstack import utils as sdk_utils
except ImportError:  # pragma: no cover - the module reports missing openstacksdk itself
    ks_exc = None
    sdk_exc = None
    sdk_utils = None

# 2.68: live migration without "force", asynchronous pre-checks (2.34+).
ASYNC_LIVE_MIGRATION = "2.68"
# 2.88: GET /os-hypervisors/detail carries each hypervisor's uptime (the /uptime API is gone).
HYPERVISOR_UPTIME_IN_DETAIL = "2.88"


def _http_message(exc):
    """Status code and Nova's own message of an SDK/keystoneauth error."""
    code = getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
    text = getattr(exc, "details", None) or str(exc)
    return code, " ".join(str(text).split())[:300]


def diagnostics_refused_not_running(code: int | None, message: str) -> bool:
    """Is this Nova's answer for a guest the hypervisor does not run?

    nova-compute answers server diagnostics only for a guest its driver reports RUNNING;
    otherwise the API returns 409 "Cannot 'get_diagnostics' instance ... while it is in power
    state X", where X is the power state in Nova's database, not the hypervisor's (so it says
    "running" for a guest that a reboot left off).
    """
    return code == HTTPStatus.CONFLICT and "get_diagnostics" in message and "power state" in message


def _translate(exc):
    """Map an SDK/keystoneauth exception to the core's, or None to re-raise as is."""
    if ks_exc is not None and isinstance(
        exc,
        (ks_exc.ConnectionError, ks_exc.DiscoveryFailure, ks_exc.ServiceUnavailable, ks_exc.GatewayTimeout),
    ):
        return TransientError("%s: %s" % (type(exc).__name__, exc))
    if (
        ks_exc is not None
        and isinstance(exc, ks_exc.HttpError)
        and (exc.http_status or 0) >= HTTPStatus.INTERNAL_SERVER_ERROR
    ):
        return TransientError("HTTP %s: %s" % (exc.http_status, exc))
    if sdk_exc is not None and isinstance(exc, sdk_exc.HttpException):
        code = exc.status_code
        if code is None or code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            return TransientError("HTTP %s: %s" % (code, exc))
        if code in (400, 409):
            return ConflictError("HTTP %s: %s" % (code, getattr(exc, "details", None) or exc))
    return None


def _wrap(fn):
    def inner(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            mapped = _translate(exc)
            if mapped is None:
                raise
            raise mapped from exc

    inner.__name__ = fn.__name__
    inner.__doc__ = fn.__doc__
    return inner


def server_dict(s: Any) -> dict[str, Any]:
    image = s.image or {}
    return {
        "id": s.id,
        "name": s.name,
        "status": s.status,
        "task_state": s.task_state,
        "vm_state": s.vm_state,
        "power_state": s.power_state,
        "host": s.compute_host,
        "metadata": dict(s.metadata or {}),
        "project_id": s.project_id,
        "image_id": image.get("id") if isinstance(image, dict) else None,
        "volumes": [v.get("id") for v in (s.attached_volumes or []) if isinstance(v, dict)],
        "flavor": (s.flavor or {}).get("original_name") if isinstance(s.flavor, dict) else None,
    }


def service_dict(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "host": s.host,
        "binary": s.binary,
        "status": s.status,
        "state": s.state,
        "disabled_reason": s.disabled_reason,
        "forced_down": bool(s.is_forced_down),
        "zone": s.availability_zone,
        "updated_at": s.updated_at,
    }


def _migration_dict(m):
    d = m.to_dict(computed=False)
    return {
        "id": d.get("id"),
        "uuid": d.get("uuid"),
        "status": d.get("status"),
        "type": d.get("migration_type"),
        "source_compute": d.get("source_compute"),
        "dest_compute": d.get("dest_compute"),
        "created_at": d.get("created_at"),
        "updated_at": d.get("updated_at"),
    }


class NovaAdapter:
    """What the core needs from Nova, over ``conn.compute`` (openstacksdk's compute proxy)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.compute = conn.compute

    @_wrap
    def services(self) -> list[dict[str, Any]]:
        return [service_dict(s) for s in self.compute.services()]

    @_wrap
    def disable_service(self, service: dict[str, Any], reason: str) -> None:
        # openstacksdk uses PUT /os-services/{id} from microversion 2.53 on.
        self.compute.disable_service(
            service["id"], host=service["host"], binary=service["binary"], disabled_reason=reason
        )

    @_wrap
    def enable_service(self, service: dict[str, Any]) -> None:
        self.compute.enable_service(service["id"], host=service["host"], binary=service["binary"])

    @_wrap
    def force_down(self, service: dict[str, Any], forced: bool = True) -> None:
        self.compute.update_service_forced_down(
            service["id"], host=service["host"], binary=service["binary"], forced=forced
        )

    @_wrap
    def host_servers(self, host: str) -> list[dict[str, Any]]:
        # The host filter is admin-only and matches exactly; compare again to be sure.
        servers = self.compute.servers(details=True, all_projects=True, compute_host=host)
        return [server_dict(s) for s in servers if s.compute_host == host]

    @_wrap
    def get_server(self, server_id: str) -> dict[str, Any] | None:
        try:
            return server_dict(self.compute.get_server(server_id))
        except sdk_exc.NotFoundException:
            return None

    @_wrap
    def live_migrate(self, server_id: str, host: str | None, block_migration: Any) -> None:
        if sdk_utils.supports_microversion(self.compute, ASYNC_LIVE_MIGRATION):
            # From 2.34 Nova answers 202 before its pre-checks (async); openstacksdk pins 2.30,
            # where the request waits for the scheduler and both computes' checks. Failures of
            # the pre-checks show in the migration record, which the core reads.
            body = {"os-migrateLive": {"host": host, "block_migration": block_migration}}
            resp = self.compute.post(
                "/servers/%s/action" % server_id, json=body, microversion=ASYNC_LIVE_MIGRATION
            )
            sdk_exc.raise_from_response(resp)
        else:
            self.compute.live_migrate_server(server_id, host=host, block_migration=block_migration)

    @_wrap
    def cold_migrate(self, server_id: str, host: str | None) -> None:
        if host:
            self.compute.migrate_server(server_id, host=host)
        else:
            self.compute.migrate_server(server_id)

    @_wrap
    def confirm_resize(self, server_id: str) -> None:
        self.compute.confirm_server_resize(server_id)

    @_wrap
    def in_progress_migrations(self, server_id: str) -> list[dict[str, Any]]:
        return [_migration_dict(m) for m in self.compute.server_migrations(server_id)]

    @_wrap
    def last_migration(self, server_id: str) -> dict[str, Any] | None:
        migs = [_migration_dict(m) for m in self.compute.migrations(server_id=server_id)]
        if not migs:
            return None
        migs.sort(key=lambda m: (m.get("created_at") or "", m.get("id") or 0))
        return migs[-1]

    @_wrap
    def abort_migration(self, server_id: str, migration_id: Any) -> None:
        self.compute.abort_server_migration(migration_id, server_id, ignore_missing=False)

    @_wrap
    def force_complete_migration(self, server_id: str, migration_id: Any) -> None:
        self.compute.force_complete_server_migration(migration_id, server_id)

    @_wrap
    def server_groups(self) -> list[dict[str, Any]]:
        out = []
        for g in self.compute.server_groups(all_projects=True):
            policy = g.policy or ((g.policies or [None])[0])
            out.append({"id": g.id, "name": g.name, "policy": policy, "members": list(g.member_ids or [])})
        return out

    @_wrap
    def evacuate(self, server_id: str, host: str | None = None) -> None:
        self.compute.evacuate_server(server_id, host=host)

    @_wrap
    def evacuation_migrations(self, host: str) -> list[dict[str, Any]]:
        return [
            dict(_migration_dict(m), server_id=m.server_id)
            for m in self.compute.migrations(source_compute=host, migration_type="evacuation")
        ]

    @_wrap
    def provider_allocations(self, host: str) -> list[dict[str, Any]]:
        """Allocations held on the compute node resource provider(s) of ``host``."""
        names = {host}
        try:
            for hv in self.compute.hypervisors(details=True):
                svc = hv.service_details or {}
                if svc.get("host") == host and hv.name:
                    names.add(hv.name)
        except sdk_exc.HttpException:
            pass
        out = []
        for name in sorted(names):
            for rp in self.conn.placement.resource_providers(name=name):
                resp = self.conn.placement.get("/resource_providers/%s/allocations" % rp.id)
                sdk_exc.raise_from_response(resp)
                for consumer, alloc in (resp.json().get("allocations") or {}).items():
                    out.append({"provider": rp.id, "consumer": consumer, "resources": alloc.get("resources")})
        return out

    def server_diagnostics(self, server_id: str) -> dict[str, Any]:
        """The hypervisor's view of one guest (GET /servers/{id}/diagnostics, 2.48+, admin).

        Never raises for an API error: returns ``{"state": "running"|"shutdown"|..., "error":
        None|text, "not_running": bool}``; ``not_running`` is Nova's refusal for a guest its
        hypervisor does not run.
        """
        try:
            diag = self.compute.get_server_diagnostics(server_id)
        except Exception as exc:  # reported in the plan row; the caller falls back
            if (sdk_exc is None or not isinstance(exc, sdk_exc.SDKException)) and (
                ks_exc is None or not isinstance(exc, ks_exc.ClientException)
            ):
                raise
            code, message = _http_message(exc)
            return {
                "state": None,
                "error": "HTTP %s: %s" % (code, message),
                "not_running": diagnostics_refused_not_running(code, message),
            }
        state = getattr(diag, "state", None)
        return {
            "state": state,
            "error": None if state else "no state in the diagnostics (compute API older than 2.48?)",
            "not_running": False,
        }

    @_wrap
    def last_stop(self, server_id: str) -> dict[str, Any] | None:
        """The latest ``stop`` instance action of a server (newest first in Nova), or None."""
        for action in self.compute.server_actions(server_id):
            if action.action == "stop":
                return {
                    "user_id": action.user_id,
                    "project_id": action.project_id,
                    "at": action.start_time,
                    "request_id": action.request_id,
                }
        return None

    @_wrap
    def host_uptime(self, host: str) -> Any:
        """``uptime`` of the hypervisor of ``host`` as nova-compute reports it, or None."""
        for hv in self.compute.hypervisors(details=True, hypervisor_hostname_pattern=host):
            if (hv.service_details or {}).get("host") != host:
                continue  # the pattern matches substrings: compute1 finds compute10
            if hv.uptime:
                return hv.uptime
            if not sdk_utils.supports_microversion(self.compute, HYPERVISOR_UPTIME_IN_DETAIL):
                return self.compute.get_hypervisor_uptime(hv).uptime
        return None

    @_wrap
    def fault(self, server_id: str) -> str | None:
        """Nova's account of a server's last failure: its fault, else the failed event of its last action.

        A failed live migration leaves no fault on the server (it stays ACTIVE); the event of the
        action carries the exception (``details``, compute API 2.84+, else its traceback's last line).
        """
        srv = self.compute.get_server(server_id)
        fault = srv.fault if isinstance(srv.fault, dict) else {}
        if fault.get("message"):
            return "%s (code %s)" % (fault["message"], fault.get("code"))
        for action in self.compute.server_actions(server_id):
            full = self.compute.get_server_action(action.request_id, server_id, ignore_missing=True)
            for ev in (full.events if full else None) or []:
                ev = ev if isinstance(ev, dict) else ev.to_dict(computed=False)
                if (ev.get("result") or "").lower() == "error":
                    lines = (ev.get("traceback") or "").strip().splitlines()
                    why = ev.get("details") or (lines[-1].strip() if lines else None) or "Error"
                    return " ".join(("%s on %s: %s" % (ev.get("event"), ev.get("host") or "?", why)).split())[
                        :300
                    ]
            return None  # only the latest action
        return None

    @_wrap
    def start_server(self, server_id: str) -> None:
        self.compute.start_server(server_id)

    @_wrap
    def reboot_server(self, server_id: str, reboot_type: str = "HARD") -> None:
        self.compute.reboot_server(server_id, reboot_type)

    # -- pre-flight (preflight.py): what the scheduler will be asked, read-only ---------------
    @_wrap
    def planning_servers(self, host: str) -> list[dict[str, Any]]:
        """Servers on ``host`` with what a placement plan needs: the embedded flavor (compute API
        2.47+: vcpus, ram, disk, ephemeral, swap, extra_specs) and the pinned availability zone
        (2.96+; None when the server may move to any zone)."""
        out = []
        for s in self.compute.servers(details=True, all_projects=True, compute_host=host):
            if s.compute_host != host:
                continue
            d = server_dict(s)
            flavor = s.flavor if isinstance(s.flavor, dict) else {}
            d["flavor_details"] = {
                "name": flavor.get("original_name") or flavor.get("name"),
                "vcpus": flavor.get("vcpus") or 0,
                "ram": flavor.get("ram") or 0,
                "disk": flavor.get("disk") or 0,
                "ephemeral": flavor.get("ephemeral") or 0,
                "swap": flavor.get("swap") or 0,
                "extra_specs": dict(flavor.get("extra_specs") or {}),
            }
            d["pinned_availability_zone"] = getattr(s, "pinned_availability_zone", None)
            d["availability_zone"] = s.availability_zone
            out.append(d)
        return out

    @_wrap
    def consumer_allocations(self, consumer: str) -> dict[str, dict[str, Any]]:
        """``{provider uuid: {resource class: amount}}`` that Placement holds for one consumer."""
        resp = self.conn.placement.get("/allocations/%s" % consumer)
        sdk_exc.raise_from_response(resp)
        allocs = resp.json().get("allocations") or {}
        return {rp: dict(a.get("resources") or {}) for rp, a in allocs.items()}

    @_wrap
    def allocation_candidates(self, query: list[tuple[str, Any]], microversion: str) -> Any:
        """``GET /allocation_candidates`` with ``query`` (a list of (key, value)); the JSON answer."""
        resp = self.conn.placement.get("/allocation_candidates", params=query, microversion=microversion)
        sdk_exc.raise_from_response(resp)
        return resp.json()

    @_wrap
    def compute_nodes(self) -> list[dict[str, Any]]:
        """Compute nodes: ``{"uuid", "name", "host"}`` (the node's UUID is its resource provider's)."""
        resp = self.compute.get("/os-hypervisors/detail", microversion="2.53")
        sdk_exc.raise_from_response(resp)
        return [
            {
                "uuid": hv.get("id"),
                "name": hv.get("hypervisor_hostname"),
                "host": (hv.get("service") or {}).get("host"),
            }
            for hv in resp.json().get("hypervisors") or []
        ]

    @_wrap
    def aggregates(self) -> list[dict[str, Any]]:
        return [
            {
                "name": a.name,
                "uuid": a.uuid,
                "hosts": list(a.hosts or []),
                "metadata": dict(a.metadata or {}),
                "availability_zone": a.availability_zone,
            }
            for a in self.compute.aggregates()
        ]

    @_wrap
    def image_properties(self, image_id: str) -> dict[str, Any]:
        """The image's properties (``trait:*`` asks for traits), or {} when it is gone."""
        try:
            img = self.conn.image.get_image(image_id)
        except sdk_exc.NotFoundException:
            return {}
        return dict(getattr(img, "properties", None) or {})
