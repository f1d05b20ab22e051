# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reader of the cloud: services, hypervisors, providers, allocations, servers,
migrations, ... in bulk, as plain dicts.

``CloudReader`` (``AuditCollector`` is its old name) wraps an openstacksdk connection (and optionally
``NovaCommands`` for SQL/nova-manage). Every list uses large pages
(``page_size``), every result is cached for the life of the collector, and
every HTTP request is counted (``requests`` / ``requests_by_service``) so a run
can prove how its cost grows.

Placement has no API that lists all allocations or all inventories: the API
path costs two requests per resource provider (allocations + inventories),
the database path (``placement_source='database'``, through ``nova_commands``)
costs three SQL queries whatever the size of the cloud. See docs/audit.md.

The audit cores (``audit/``), ``verify/`` and ``upgrade/`` take these dicts and never see
the connection.  Requests are counted by :class:`cloud.requests.RequestCounter` (one per
connection: a module and its reader share it).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.requests import RequestCounter
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError

PLACEMENT_MICROVERSION = "1.14"  # root_provider_uuid / parent_provider_uuid
PLACEMENT_USAGES_MICROVERSION = "1.9"  # GET /usages?project_id=
NOVA_RESOURCE_CLASSES = (
    "VCPU",
    "MEMORY_MB",
    "DISK_GB",
    "VGPU",
    "NET_BW_EGR_KILOBIT_PER_SEC",
    "NET_BW_IGR_KILOBIT_PER_SEC",
    "PCPU",
    "MEM_ENCRYPTION_CONTEXT",
)
PLACEMENT_SOURCES = ("auto", "api", "database")


class CloudError(KollaOpsError):
    """The data a check needs could not be read from the cloud."""


AuditError = CloudError  # the name the audits use


def _get(obj, *names, default=None):
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _iso(value):
    return None if value is None else str(value)


class CloudReader:
    def __init__(
        self,
        conn,
        nova_commands=None,
        page_size=1000,
        placement_source="auto",
        placement_database="placement",
        cell_databases=("nova",),
        counter=None,
    ):
        if placement_source not in PLACEMENT_SOURCES:
            raise AuditError(
                "placement_source %r is not one of %s" % (placement_source, ", ".join(PLACEMENT_SOURCES))
            )
        if placement_source == "database" and nova_commands is None:
            raise AuditError("placement_source=database needs nova_commands (where to run SQL)")
        if placement_source == "auto":
            placement_source = "database" if nova_commands is not None else "api"
        self.conn = conn
        self.nova = nova_commands
        self.page_size = page_size
        self.placement_source = placement_source
        self.placement_database = placement_database
        self.cell_databases = tuple(cell_databases)
        self.counter = counter or RequestCounter.for_session(conn.session)
        self.sql_queries = 0
        self._cache = {}

    # -- helpers --------------------------------------------------------------
    def _cached(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def invalidate(self, *keys: str) -> None:
        for key in keys or list(self._cache):
            self._cache.pop(key, None)

    def _sql(self, database, query):
        self.sql_queries += 1
        return self.nova.sql(database, query)

    def _placement_json(self, path, microversion=PLACEMENT_MICROVERSION):
        resp = self.conn.placement.get(path, microversion=microversion)
        if resp.status_code >= HTTPStatus.BAD_REQUEST:
            raise AuditError("placement GET %s: HTTP %s %s" % (path, resp.status_code, resp.text[:300]))
        return resp.json()

    def stats(self) -> dict[str, Any]:
        return {
            "api_requests": self.counter.total,
            "api_requests_by_service": self.counter.as_dict()["by_service"],
            "sql_queries": self.sql_queries,
            "placement_source": self.placement_source,
            "page_size": self.page_size,
        }

    # -- Nova ---------------------------------------------------------------------
    def servers(self) -> list[dict[str, Any]]:
        def load():
            out = []
            for s in self.conn.compute.servers(details=True, all_projects=True, limit=self.page_size):
                flavor = _get(s, "flavor") or {}
                fault = _get(s, "fault")
                out.append(
                    {
                        "id": s.id,
                        "name": s.name,
                        "status": s.status,
                        "vm_state": _get(s, "vm_state"),
                        "task_state": _get(s, "task_state"),
                        "host": _get(s, "compute_host"),
                        "node": _get(s, "hypervisor_hostname"),
                        "project_id": _get(s, "project_id"),
                        "user_id": _get(s, "user_id"),
                        "created_at": _iso(_get(s, "created_at")),
                        "updated_at": _iso(_get(s, "updated_at")),
                        "fault": dict(fault) if fault else None,
                        "flavor": {
                            "name": _get(flavor, "original_name", "name"),
                            "vcpus": _get(flavor, "vcpus", default=0),
                            "ram": _get(flavor, "ram", default=0),
                            "disk": _get(flavor, "disk", default=0),
                            "ephemeral": _get(flavor, "ephemeral", default=0),
                            "swap": _get(flavor, "swap", default=0) or 0,
                            "extra_specs": dict(_get(flavor, "extra_specs", default={}) or {}),
                        },
                        "metadata": dict(_get(s, "metadata", default={}) or {}),
                    }
                )
            return out

        return self._cached("servers", load)

    def count_servers(self, host: str) -> int:
        """How many servers (all projects) Nova places on compute host ``host``."""
        servers = self.conn.compute.servers(details=False, all_projects=True, compute_host=host)
        return sum(1 for _server in servers)

    def server_exists(self, server_id: str) -> bool:
        """One GET, used to confirm an orphan right before a repair."""
        return self.conn.compute.find_server(server_id, ignore_missing=True, all_projects=True) is not None

    def _compute_paged(self, path, key, microversion, marker_key="uuid"):
        """GET a Nova list page by page (openstacksdk's migrations pager uses the integer id
        as marker, which Nova refuses: Nova pages migrations by uuid)."""
        marker = None
        while True:
            params = {"limit": self.page_size}
            if marker:
                params["marker"] = marker
            resp = self.conn.compute.get(path, params=params, microversion=microversion)
            if resp.status_code >= HTTPStatus.BAD_REQUEST:
                raise AuditError("compute GET %s: HTTP %s %s" % (path, resp.status_code, resp.text[:300]))
            items = resp.json().get(key) or []
            yield from items
            if len(items) < self.page_size or not items[-1].get(marker_key):
                return
            marker = items[-1][marker_key]

    def migrations(self) -> list[dict[str, Any]]:
        def load():
            out = []
            for m in self._compute_paged("/os-migrations", "migrations", "2.80"):
                out.append(
                    {
                        "id": m.get("id"),
                        "uuid": m.get("uuid"),
                        "status": m.get("status"),
                        "instance_uuid": m.get("instance_uuid"),
                        "migration_type": m.get("migration_type"),
                        "source_compute": m.get("source_compute"),
                        "source_node": m.get("source_node"),
                        "dest_compute": m.get("dest_compute"),
                        "dest_node": m.get("dest_node"),
                        "updated_at": m.get("updated_at"),
                    }
                )
            return out

        return self._cached("migrations", load)

    def services(self) -> list[dict[str, Any]]:
        def load():
            return [
                {
                    "id": s.id,
                    "host": s.host,
                    "binary": s.binary,
                    "zone": _get(s, "availability_zone"),
                    "status": s.status,
                    "state": s.state,
                    "disabled_reason": _get(s, "disabled_reason"),
                    "forced_down": bool(_get(s, "is_forced_down", default=False)),
                    "updated_at": _iso(_get(s, "updated_at")),
                }
                for s in self.conn.compute.services()
            ]

        return self._cached("services", load)

    def service_versions(self) -> list[dict[str, Any]]:
        """``nova.services`` rows (with ``version``) of every cell database; [] without nova_commands."""

        def load():
            rows = []
            if self.nova is None:
                return rows
            for database in self.cell_databases:
                self.sql_queries += 1
                for row in self.nova.service_versions(database):
                    rows.append(dict(row, cell_database=database))
            return rows

        return self._cached("service_versions", load)

    def hypervisors(self) -> list[dict[str, Any]]:
        """Compute nodes (id = node uuid = root provider uuid, name, service host).

        With the database source they come from the cell databases in one query each:
        Nova's ``GET /os-hypervisors/detail`` is a single request but costs Nova a service
        lookup per node (27 s for 501 nodes on the loaded sandbox).
        """

        def load():
            if self.placement_source == "database":
                rows = []
                for database in self.cell_databases:
                    rows.extend(
                        self._sql(
                            database,
                            "SELECT uuid, hypervisor_hostname, host FROM compute_nodes WHERE deleted = 0",
                        )
                    )
                return [
                    {
                        "id": r["uuid"],
                        "name": r["hypervisor_hostname"],
                        "host": r["host"],
                        "state": None,
                        "status": None,
                    }
                    for r in rows
                ]
            out = []
            for h in self.conn.compute.hypervisors(details=True, limit=self.page_size):
                svc = _get(h, "service_details") or {}
                out.append(
                    {
                        "id": h.id,
                        "name": _get(h, "name", "hypervisor_hostname"),
                        "host": _get(svc, "host"),
                        "state": _get(h, "state"),
                        "status": _get(h, "status"),
                    }
                )
            return out

        return self._cached("hypervisors", load)

    def aggregates(self) -> list[dict[str, Any]]:
        def load():
            return [
                {
                    "name": a.name,
                    "hosts": list(a.hosts or []),
                    "availability_zone": a.availability_zone,
                    "metadata": dict(a.metadata or {}),
                }
                for a in self.conn.compute.aggregates()
            ]

        return self._cached("aggregates", load)

    def flavors(self) -> list[dict[str, Any]]:
        def load():
            out = []
            for f in self.conn.compute.flavors(details=True, is_public=None, limit=self.page_size):
                out.append(
                    {
                        "id": f.id,
                        "name": f.name,
                        "vcpus": f.vcpus,
                        "ram": f.ram,
                        "disk": f.disk,
                        "ephemeral": _get(f, "ephemeral", default=0),
                        "swap": _get(f, "swap", default=0) or 0,
                        "extra_specs": dict(_get(f, "extra_specs", default={}) or {}),
                        "is_public": _get(f, "is_public"),
                    }
                )
            return out

        return self._cached("flavors", load)

    def last_action(self, server_id: str) -> dict[str, Any] | None:
        """The newest instance action of a server (one request a server)."""
        actions = list(self.conn.compute.server_actions(server_id))
        if not actions:
            return None
        newest = max(actions, key=lambda a: str(_get(a, "start_time", default="")))
        return {
            "action": _get(newest, "action"),
            "start_time": _iso(_get(newest, "start_time")),
            "message": _get(newest, "message"),
            "request_id": _get(newest, "request_id"),
        }

    def quota_usage(self, project_id: str) -> dict[str, Any]:
        """Nova's own limits and in-use counts for a project (one request a project)."""
        q = self.conn.compute.get_quota_set(project_id, usage=True)
        usage = dict(_get(q, "usage", default={}) or {})
        limits = {k: _get(q, k) for k in ("instances", "cores", "ram")}
        return {"limits": limits, "in_use": {k: usage.get(k, 0) for k in ("instances", "cores", "ram")}}

    # -- Placement ------------------------------------------------------------------
    def providers(self) -> list[dict[str, Any]]:
        def load():
            if self.placement_source == "database":
                rows = self._sql(
                    self.placement_database,
                    "SELECT rp.uuid, rp.name, rp.generation, root.uuid AS root_provider_uuid, "
                    "parent.uuid AS parent_provider_uuid FROM resource_providers rp "
                    "LEFT JOIN resource_providers root ON rp.root_provider_id = root.id "
                    "LEFT JOIN resource_providers parent ON rp.parent_provider_id = parent.id",
                )
                return [
                    {
                        "uuid": r["uuid"],
                        "name": r["name"],
                        "generation": int(r["generation"] or 0),
                        "root_provider_uuid": r["root_provider_uuid"] or r["uuid"],
                        "parent_provider_uuid": r["parent_provider_uuid"],
                    }
                    for r in rows
                ]
            data = self._placement_json("/resource_providers")
            return [
                {
                    "uuid": p["uuid"],
                    "name": p["name"],
                    "generation": p.get("generation"),
                    "root_provider_uuid": p.get("root_provider_uuid") or p["uuid"],
                    "parent_provider_uuid": p.get("parent_provider_uuid"),
                }
                for p in data.get("resource_providers", [])
            ]

        return self._cached("providers", load)

    def resource_classes(self) -> list[str]:
        """Names of every resource class Placement knows (standard and custom)."""

        def load():
            data = self._placement_json("/resource_classes", microversion="1.2")
            return [rc["name"] for rc in data.get("resource_classes") or []]

        return self._cached("resource_classes", load)

    def delete_allocations(self, consumer: str) -> int | None:
        """Delete every allocation of ``consumer``; the HTTP status, None when it had none (404)."""
        path = "/allocations/%s" % consumer
        resp = self.conn.placement.delete(path, microversion=PLACEMENT_MICROVERSION)
        if resp.status_code == HTTPStatus.NOT_FOUND:
            return None
        if resp.status_code >= HTTPStatus.BAD_REQUEST:
            raise AuditError("DELETE %s: HTTP %s %s" % (path, resp.status_code, resp.text[:300]))
        return resp.status_code

    def allocations(self) -> dict[str, dict[str, dict[str, int]]]:
        """provider uuid -> consumer uuid -> {resource class: used}."""

        def load():
            out = {p["uuid"]: {} for p in self.providers()}
            if self.placement_source == "database":
                for r in self._allocation_rows():
                    out.setdefault(r["provider"], {}).setdefault(r["consumer"], {})[r["resource_class"]] = (
                        int(r["used"])
                    )
                return out
            for p in self.providers():
                data = self._placement_json("/resource_providers/%s/allocations" % p["uuid"])
                for consumer, alloc in (data.get("allocations") or {}).items():
                    out[p["uuid"]][consumer] = dict(alloc.get("resources") or {})
            return out

        return self._cached("allocations", load)

    def _allocation_rows(self):
        def load():
            return self._sql(
                self.placement_database,
                "SELECT rp.uuid AS provider, a.consumer_id AS consumer, rc.name AS resource_class, a.used, "
                "p.external_id AS project_id FROM allocations a "
                "JOIN resource_providers rp ON a.resource_provider_id = rp.id "
                "JOIN resource_classes rc ON a.resource_class_id = rc.id "
                "LEFT JOIN consumers c ON c.uuid = a.consumer_id "
                "LEFT JOIN projects p ON c.project_id = p.id",
            )

        return self._cached("allocation_rows", load)

    def inventories(self) -> dict[str, dict[str, dict[str, Any]]]:
        """provider uuid -> resource class -> inventory dict."""

        def load():
            out = {p["uuid"]: {} for p in self.providers()}
            if self.placement_source == "database":
                rows = self._sql(
                    self.placement_database,
                    "SELECT rp.uuid AS provider, rc.name AS resource_class, i.total, i.reserved, i.min_unit, "
                    "i.max_unit, i.step_size, i.allocation_ratio FROM inventories i "
                    "JOIN resource_providers rp ON i.resource_provider_id = rp.id "
                    "JOIN resource_classes rc ON i.resource_class_id = rc.id",
                )
                for r in rows:
                    out.setdefault(r["provider"], {})[r["resource_class"]] = {
                        "total": int(r["total"]),
                        "reserved": int(r["reserved"]),
                        "min_unit": int(r["min_unit"]),
                        "max_unit": int(r["max_unit"]),
                        "step_size": int(r["step_size"]),
                        "allocation_ratio": float(r["allocation_ratio"]),
                    }
                return out
            out.update(self.provider_inventories([p["uuid"] for p in self.providers()]))
            return out

        return self._cached("inventories", load)

    def provider_inventories(self, provider_uuids: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """provider uuid -> resource class -> inventory dict, for a few providers (one request each)."""
        out = {}
        for uuid in provider_uuids:
            data = self._placement_json("/resource_providers/%s/inventories" % uuid)
            out[uuid] = dict(data.get("inventories") or {})
        return out

    def usages(self) -> dict[str, dict[str, int]]:
        """provider uuid -> resource class -> used (summed from the allocations)."""
        out = {}
        for rp, consumers in self.allocations().items():
            totals = out.setdefault(rp, {})
            for resources in consumers.values():
                for rc, used in resources.items():
                    totals[rc] = totals.get(rc, 0) + used
        return out

    def provider_usages(self, provider_uuids: list[str]) -> dict[str, dict[str, int]]:
        """provider uuid -> {rc: used} for a few providers (API: one request each)."""
        if not provider_uuids:
            return {}
        if self.placement_source == "database" or "allocations" in self._cache:
            usages = self.usages()
            return {u: usages.get(u, {}) for u in provider_uuids}
        out = {}
        for u in provider_uuids:
            resp = self.conn.placement.get(
                "/resource_providers/%s/usages" % u, microversion=PLACEMENT_MICROVERSION
            )
            out[u] = dict(resp.json().get("usages") or {}) if resp.status_code == HTTPStatus.OK else {}
        return out

    def project_usages(self, project_ids: list[str]) -> dict[str, dict[str, int]]:
        """project id -> resource class -> used, as Placement counts it."""
        if self.placement_source == "database":
            out = {pid: {} for pid in project_ids}
            seen = set()
            for r in self._allocation_rows():
                pid = r.get("project_id")
                if pid not in out:
                    continue
                out[pid][r["resource_class"]] = out[pid].get(r["resource_class"], 0) + int(r["used"])
                seen.add((pid, r["consumer"]))
            for pid, usage in out.items():
                usage["_consumers"] = len({c for p, c in seen if p == pid})
            return out
        out = {}
        for pid in project_ids:
            data = self._placement_json(
                "/usages?project_id=%s" % pid, microversion=PLACEMENT_USAGES_MICROVERSION
            )
            out[pid] = dict(data.get("usages") or {})
        return out

    # -- Neutron / Glance ------------------------------------------------------------
    def ports(self) -> list[dict[str, Any]]:
        def load():
            return [
                {
                    "id": p.id,
                    "name": p.name,
                    "device_owner": p.device_owner or "",
                    "device_id": p.device_id or "",
                    "status": p.status,
                    "project_id": p.project_id,
                    "network_id": p.network_id,
                    "binding_host_id": _get(p, "binding_host_id"),
                    "fixed_ips": [dict(ip) for ip in (p.fixed_ips or [])],
                }
                for p in self.conn.network.ports(limit=self.page_size)
            ]

        return self._cached("ports", load)

    def images(self) -> list[dict[str, Any]]:
        def load():
            out = []
            for i in self.conn.image.images(limit=self.page_size):
                props = dict(_get(i, "properties", default={}) or {})
                for key in ("hw_scsi_model", "hw_disk_bus", "os_type", "os_distro"):
                    value = _get(i, key)
                    if value is not None:
                        props[key] = value
                out.append(
                    {
                        "id": i.id,
                        "name": i.name,
                        "disk_format": i.disk_format,
                        "container_format": i.container_format,
                        "status": i.status,
                        "visibility": i.visibility,
                        "owner": _get(i, "owner", "owner_id"),
                        "properties": props,
                    }
                )
            return out

        return self._cached("images", load)

    # -- cells ------------------------------------------------------------------------
    def mapped_hosts(self) -> list[dict[str, Any]] | None:
        def load():
            if self.nova is None:
                return None
            return [
                {"cell": r.get("Cell Name"), "cell_uuid": r.get("Cell UUID"), "host": r.get("Hostname")}
                for r in self.nova.list_hosts()
            ]

        return self._cached("mapped_hosts", load)


AuditCollector = CloudReader  # the name the audits use
