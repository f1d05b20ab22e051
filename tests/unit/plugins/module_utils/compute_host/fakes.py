"""The simulated Nova shared by the compute_host unit tests, and helpers to run an operation on it.

``FakeNova`` behaves like the API as the cores see it: migrations queue on the source host
behind ``max_concurrent_live_migrations``, take time on a fake clock, can fail, be aborted or
force-completed; cold migrations stop in VERIFY_RESIZE until confirmed; an outage window
makes every call raise TransientError.
"""

from __future__ import annotations

import threading

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.evacuate import evacuate
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ConflictError,
    MoveOptions,
    TransientError,
)


class Interrupted(Exception):
    pass


class FakeNova:
    def __init__(self, hosts=("compute1", "compute2", "compute3"), nova_concurrency=1, duration=10.0):
        self.now = 0.0
        self.services_ = [
            {
                "id": "svc-%s" % h,
                "host": h,
                "binary": "nova-compute",
                "status": "enabled",
                "state": "up",
                "disabled_reason": None,
                "forced_down": False,
            }
            for h in hosts
        ]
        self.services_.append(
            {
                "id": "svc-cond",
                "host": "controller",
                "binary": "nova-conductor",
                "status": "enabled",
                "state": "up",
            }
        )
        self.servers = {}
        self.migrations = []
        self.groups = []
        self.nova_concurrency = nova_concurrency
        self.duration = duration
        self.down = None  # (start, end)
        self.calls = []
        self.max_running = 0
        self.interrupt_at = None
        self.on_tick = None
        self.lock = threading.RLock()  # requests may come from the mover's worker threads

    # -- simulation ------------------------------------------------------------------
    def add(self, sid, host="compute1", status="ACTIVE", task=None, metadata=None, duration=None):
        self.servers[sid] = {
            "id": sid,
            "name": "vm-%s" % sid,
            "status": status,
            "task_state": task,
            "host": host,
            "metadata": dict(metadata or {}),
            "project_id": "p1",
            "_duration": self.duration if duration is None else duration,
        }

    def clock(self):
        return self.now

    def sleep(self, dt):
        self.now += dt
        self.tick()
        if self.interrupt_at is not None and self.now >= self.interrupt_at:
            self.interrupt_at = None
            raise Interrupted()

    def tick(self):
        with self.lock:
            self._tick()

    def _tick(self):
        if self.on_tick:
            self.on_tick(self)
        for m in self.migrations:
            if m["status"] == "running" and (self.now - m["start"] >= m["duration"] or m.get("force")):
                self._complete(m)
        for host in {m["source"] for m in self.migrations}:
            running = [m for m in self.migrations if m["source"] == host and m["status"] == "running"]
            for m in self.migrations:
                if m["source"] == host and m["status"] == "queued" and len(running) < self.nova_concurrency:
                    m["status"] = "running"
                    m["start"] = self.now
                    running.append(m)
            self.max_running = max(self.max_running, len(running))

    def _complete(self, m):
        srv = self.servers.get(m["server"])
        if srv is None:
            m["status"] = "error"
            return
        if m["type"] == "live-migration":
            if "fail_once" in srv["metadata"] and not srv.get("_failed_once"):
                srv["_failed_once"] = True
                m["status"] = "error"
                srv.update(status="ACTIVE", task_state=None)
                return
            if "fail" in srv["metadata"]:
                m["status"] = "error"
                srv.update(status="ACTIVE", task_state=None)
                return
            srv.update(status="ACTIVE", task_state=None, host=m["dest"])
            m["status"] = "completed"
        elif m["type"] == "evacuation":
            # microversion 2.95: evacuated servers are stopped at the destination
            srv.update(status="SHUTOFF", task_state=None, host=m["dest"])
            m["status"] = "done"
        else:
            srv.update(status="VERIFY_RESIZE", task_state=None, host=m["dest"])
            m["status"] = "finished"

    def _guard(self, name, *args):
        self.calls.append((name, args))
        if self.down and self.down[0] <= self.now < self.down[1]:
            raise TransientError("connection refused")

    def _pick(self, source):
        enabled = [
            s["host"]
            for s in self.services_
            if s["binary"] == "nova-compute" and s["status"] == "enabled" and s["host"] != source
        ]
        return min(enabled, key=lambda h: sum(1 for v in self.servers.values() if v["host"] == h))

    # -- adapter API -----------------------------------------------------------------
    def services(self):
        self._guard("services")
        return [dict(s) for s in self.services_]

    def disable_service(self, service, reason):
        self._guard("disable_service", service["id"], reason)
        for s in self.services_:
            if s["id"] == service["id"]:
                s.update(status="disabled", disabled_reason=reason)

    def enable_service(self, service):
        self._guard("enable_service", service["id"])
        for s in self.services_:
            if s["id"] == service["id"]:
                s.update(status="enabled", disabled_reason=None)

    def host_servers(self, host):
        self._guard("host_servers", host)
        return [self._view(s) for s in self.servers.values() if s["host"] == host]

    def _view(self, s):
        return {k: v for k, v in s.items() if not k.startswith("_")} | {"metadata": dict(s["metadata"])}

    def get_server(self, sid):
        self._guard("get_server", sid)
        s = self.servers.get(sid)
        return self._view(s) if s else None

    def _new_migration(self, srv, dest, kind):
        m = {
            "id": len(self.migrations) + 1,
            "server": srv["id"],
            "status": "queued",
            "source": srv["host"],
            "dest": dest or self._pick(srv["host"]),
            "duration": srv["_duration"],
            "type": kind,
            "start": None,
        }
        self.migrations.append(m)
        self.tick()
        return m

    def live_migrate(self, sid, host, block_migration):
        with self.lock:
            self._live_migrate(sid, host, block_migration)

    def _live_migrate(self, sid, host, block_migration):
        self._guard("live_migrate", sid, host, block_migration)
        srv = self.servers[sid]
        if srv["status"] not in ("ACTIVE", "PAUSED") or srv["task_state"]:
            raise ConflictError("HTTP 409: Cannot 'os-migrateLive' instance in %s" % srv["status"])
        srv.update(status="MIGRATING", task_state="migrating")
        self._new_migration(srv, host, "live-migration")

    def cold_migrate(self, sid, host):
        with self.lock:
            self._cold_migrate(sid, host)

    def _cold_migrate(self, sid, host):
        self._guard("cold_migrate", sid, host)
        srv = self.servers[sid]
        if srv["status"] != "SHUTOFF" or srv["task_state"]:
            raise ConflictError("HTTP 409")
        srv.update(status="RESIZE", task_state="resize_prep")
        self._new_migration(srv, host, "migration")

    def confirm_resize(self, sid):
        self._guard("confirm_resize", sid)
        srv = self.servers[sid]
        if srv["status"] != "VERIFY_RESIZE":
            raise ConflictError("HTTP 409")
        srv.update(status="SHUTOFF", task_state=None)
        for m in self.migrations:
            if m["server"] == sid and m["status"] == "finished":
                m["status"] = "confirmed"

    def in_progress_migrations(self, sid):
        self._guard("in_progress_migrations", sid)
        return [
            {"id": m["id"], "status": m["status"], "dest_compute": m["dest"], "source_compute": m["source"]}
            for m in self.migrations
            if m["server"] == sid and m["status"] in ("queued", "running") and m["type"] == "live-migration"
        ]

    def last_migration(self, sid):
        self._guard("last_migration", sid)
        ms = [m for m in self.migrations if m["server"] == sid]
        return {"id": ms[-1]["id"], "status": ms[-1]["status"]} if ms else None

    def abort_migration(self, sid, mid):
        self._guard("abort_migration", sid, mid)
        m = next(m for m in self.migrations if m["id"] == mid)
        if m["status"] != "running":
            raise ConflictError("HTTP 400")
        m["status"] = "cancelled"
        self.servers[sid].update(status="ACTIVE", task_state=None)

    def force_complete_migration(self, sid, mid):
        self._guard("force_complete_migration", sid, mid)
        m = next(m for m in self.migrations if m["id"] == mid)
        m["force"] = True

    def evacuate(self, sid, host):
        with self.lock:
            self._guard("evacuate", sid, host)
            srv = self.servers[sid]
            if srv["task_state"]:
                raise ConflictError("HTTP 409")
            src = next(s for s in self.services_ if s["host"] == srv["host"])
            if src["state"] == "up" and not src.get("forced_down"):
                raise ConflictError("HTTP 409: Compute service of %s is still in use." % srv["host"])
            srv.update(task_state="rebuilding")
            m = self._new_migration(srv, host, "evacuation")
            m["was"] = srv["status"]

    def start_server(self, sid):
        self._guard("start_server", sid)
        srv = self.servers[sid]
        if srv["status"] != "SHUTOFF":
            raise ConflictError("HTTP 409")
        srv.update(status="ACTIVE")

    def force_down(self, service, forced=True):
        self._guard("force_down", service["id"], forced)
        for s in self.services_:
            if s["id"] == service["id"]:
                s["forced_down"] = forced
                if forced:
                    s["state"] = "down"

    def evacuation_migrations(self, host):
        self._guard("evacuation_migrations", host)
        return [
            {"id": m["id"], "server_id": m["server"], "status": m["status"]}
            for m in self.migrations
            if m["type"] == "evacuation" and m["source"] == host
        ]

    def provider_allocations(self, host):
        self._guard("provider_allocations", host)
        return [dict(a) for a in getattr(self, "allocations", {}).get(host, [])]

    def aggregates(self):
        self._guard("aggregates")
        return [dict(a) for a in getattr(self, "aggregates_", [])]

    def server_groups(self):
        self._guard("server_groups")
        return [dict(g) for g in self.groups]


def opts(**kw):
    base = {"max_concurrent": 3, "poll_interval": 1.0, "settle_seconds": 2.0, "timeout": 100}
    base.update(kw)
    return MoveOptions(**base)


def dead(nova, host="compute1"):
    for s in nova.services_:
        if s["host"] == host:
            s["state"] = "down"


def run_evacuate(nova, tmp_path, o=None, host="compute1", **kw):
    kw.setdefault("fenced", True)
    kw.setdefault("allow_local_disk_loss", True)
    return evacuate(
        nova,
        host,
        o or opts(),
        str(tmp_path / "state.json"),
        "sandbox",
        reason="PSU failure",
        user="alice",
        log_path=str(tmp_path / "evacuate.log"),
        clock=nova.clock,
        sleep=nova.sleep,
        **kw,
    )


def mutations(nova):
    return [c for c in nova.calls if c[0] in ("force_down", "disable_service", "evacuate", "start_server")]
