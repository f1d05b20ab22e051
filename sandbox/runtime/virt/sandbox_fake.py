"""Virt drivers of the sandbox: Nova's fake driver, made to behave like a host.

Loaded as ``compute_driver = sandbox_fake.SandboxFakeDriver`` through the
launcher (sandbox_compute.py), which adds this directory to ``nova.virt``.

What it changes on top of ``nova.virt.fake.FakeDriverWithoutFakeNodes``:

* The node UUID is stable across restarts (``<state_path>/compute_id``, from the base class).
* The guests it "runs" are kept in ``<state_path>/sandbox_instances.json``, so a restarted
  (or killed and restarted) nova-compute still finds its servers, as libvirt would, instead
  of Nova powering them off as vanished.
* After a live migration the source forgets the guest (the shipped driver keeps it, and a
  migration back fails with InstanceExists).
* ``get_host_uptime`` answers like ``uptime`` does.
* Power states are the guests' own and survive restarts: ``get_info`` and the server
  diagnostics (``get_instance_diagnostics``, legacy ``get_diagnostics``; Nova's fake says
  "running" whatever the guest does) report the persisted state; ``reboot`` (HARD and SOFT),
  ``power_on`` and ``resume_state_on_host_boot`` run the guest, ``power_off`` stops it, and
  each change is saved. ``sandbox reboot-compute HOST`` marks every guest of a killed
  compute powered off in the state file, as a host reboot leaves libvirt's domains: defined,
  not running.
* Live migrations take ``[sandbox] live_migration_seconds`` (or the server's metadata
  ``sandbox_migration_seconds``); abort and force-complete work while one runs.
* Servers carrying the metadata key ``sandbox_fail_migration`` fail to live-migrate: the
  driver logs ``Live Migration failure: ...`` at ERROR (as libvirt does) and rolls back.

``SandboxScaleFakeDriver`` reports ``[sandbox] scale_nodes`` nodes from one process, each with
a UUID derived from its name (restart-safe), for audit benchmarks.
"""

import json
import os
import threading
import time
import uuid

import nova.conf
from nova import exception
from nova.compute import power_state
from nova.objects import diagnostics as diagnostics_obj
from nova.virt import fake
from oslo_config import cfg
from oslo_log import log as logging

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)

FAIL_MIGRATION_KEY = "sandbox_fail_migration"
MIGRATION_SECONDS_KEY = "sandbox_migration_seconds"

sandbox_opts = [
    cfg.FloatOpt(
        "live_migration_seconds",
        default=0.0,
        min=0.0,
        help="How long a live migration takes on this sandbox host. A server's "
        "metadata key sandbox_migration_seconds overrides it.",
    ),
    cfg.IntOpt("scale_nodes", default=0, min=0, help="Nodes reported by SandboxScaleFakeDriver."),
]
CONF.register_opts(sandbox_opts, group="sandbox")

_NODE_NAMESPACE = uuid.UUID("6f0c3f55-6d2b-4a0e-9f43-5b1a9c3f7a10")


class _Migration:
    def __init__(self):
        self.event = threading.Event()
        self.action = None  # "abort" | "force"


class SandboxFakeDriver(fake.FakeDriverWithoutFakeNodes):
    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._started = time.time()
        self._migrations = {}
        self._save_lock = threading.Lock()

    # ---- persistence of the "hypervisor" state -------------------------------
    @property
    def _state_file(self):
        return os.path.join(CONF.state_path, "sandbox_instances.json")

    def _save(self):
        with self._save_lock:
            data = {
                u: {
                    "name": i.name,
                    "state": i.state,
                    "flavor": getattr(i, "sandbox_flavor", [0, 0, 0]),
                    "since": getattr(i, "sandbox_since", None),
                }
                for u, i in self.instances.items()
            }
            tmp = self._state_file + ".tmp"
            with open(tmp, "w") as fh:
                json.dump(data, fh)
            os.replace(tmp, self._state_file)

    def _load(self):
        try:
            with open(self._state_file) as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return
        for inst_uuid, d in data.items():
            inst = fake.FakeInstance(d["name"], d["state"], inst_uuid)
            inst.sandbox_flavor = d.get("flavor", [0, 0, 0])
            inst.sandbox_since = d.get("since")
            vcpus, mem, disk = inst.sandbox_flavor
            self.resources.claim(vcpus=vcpus, mem=mem, disk=disk)
            self.instances[inst_uuid] = inst
        off = sorted(u for u, i in self.instances.items() if i.state != power_state.RUNNING)
        LOG.info(
            "Sandbox: %d guest(s) still present on this host, %d of them not running%s",
            len(data),
            len(off),
            (": " + ", ".join(off)) if off else "",
        )

    def _remember_flavor(self, instance):
        inst = self.instances.get(instance.uuid)
        if inst is not None:
            try:
                flavor = instance.flavor
                inst.sandbox_flavor = [flavor.vcpus, flavor.memory_mb, flavor.root_gb]
            except Exception:
                inst.sandbox_flavor = [0, 0, 0]

    def init_host(self, host):
        super().init_host(host)
        self._load()

    def _power_of(self, instance):
        inst = self.instances.get(instance.uuid)
        return None if inst is None else inst.state

    def _set_power(self, instance, state, before):
        """Record a power change of a guest (and since when it is in that state), and save."""
        inst = self.instances.get(instance.uuid)
        if inst is None:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        if before != state or getattr(inst, "sandbox_since", None) is None:
            inst.sandbox_since = time.time()
        inst.state = state
        self._save()

    def spawn(self, context, instance, *args, **kwargs):
        super().spawn(context, instance, *args, **kwargs)
        self._remember_flavor(instance)
        inst = self.instances.get(instance.uuid)
        if inst is not None:
            inst.sandbox_since = time.time()
        self._save()

    def finish_revert_migration(self, context, instance, *args, **kwargs):
        super().finish_revert_migration(context, instance, *args, **kwargs)
        self._remember_flavor(instance)
        self._save()

    def destroy(self, context, instance, *args, **kwargs):
        super().destroy(context, instance, *args, **kwargs)
        self._save()

    def power_off(self, instance, *args, **kwargs):
        before = self._power_of(instance)
        super().power_off(instance, *args, **kwargs)
        self._set_power(instance, power_state.SHUTDOWN, before)

    def power_on(self, context, instance, *args, **kwargs):
        before = self._power_of(instance)
        super().power_on(context, instance, *args, **kwargs)
        self._set_power(instance, power_state.RUNNING, before)

    def reboot(self, context, instance, network_info, reboot_type, *args, **kwargs):
        # HARD and SOFT: the guest runs afterwards, whatever it did before (a HARD reboot of a
        # guest this host lost spawns it again, as libvirt redefines the domain).
        before = self._power_of(instance)
        super().reboot(context, instance, network_info, reboot_type, *args, **kwargs)
        if before == power_state.RUNNING:
            before = None  # a reboot restarts the guest: its uptime starts again
        self._set_power(instance, power_state.RUNNING, before)

    def resume_state_on_host_boot(self, context, instance, network_info, *args, **kwargs):
        # [DEFAULT] resume_guests_state_on_host_boot = true: libvirt hard-reboots the guest
        if instance.uuid in self.instances:
            self._set_power(instance, power_state.RUNNING, self._power_of(instance))

    # ---- what the hypervisor reports -----------------------------------------
    def get_info(self, instance, use_cache=True):
        # the base class reads self.instances, which holds the persisted state (kept explicit:
        # Nova's power-state sync and every "is it running?" check of nova-compute ask here)
        return super().get_info(instance, use_cache=use_cache)

    def _guest(self, instance):
        inst = self.instances.get(instance.uuid)
        if inst is None:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        state = power_state.STATE_MAP.get(inst.state, "pending")
        since = getattr(inst, "sandbox_since", None)
        uptime = int(time.time() - since) if state == "running" and since else 0
        return inst, state, uptime

    def get_instance_diagnostics(self, instance):
        # Nova's fake answers state='running' for any guest; this host says what the guest does
        _inst, state, uptime = self._guest(instance)
        diags = diagnostics_obj.Diagnostics(
            state=state,
            driver="libvirt",  # an enum without "fake"; Nova's fake driver says libvirt too
            hypervisor="fake",
            hypervisor_os="linux",
            uptime=uptime,
            config_drive=False,
        )
        vcpus, mem, _disk = getattr(_inst, "sandbox_flavor", [0, 0, 0])
        for i in range(vcpus or 0):
            diags.add_cpu(id=i, time=0, utilisation=0)
        diags.memory_details = diagnostics_obj.MemoryDiagnostics(maximum=mem or 0, used=0)
        return diags

    def get_diagnostics(self, instance):
        _inst, state, uptime = self._guest(instance)
        return {"state": state, "uptime": uptime}

    def confirm_migration(self, context, migration, instance, network_info):
        super().confirm_migration(context, migration, instance, network_info)
        self._save()

    # ---- host ----------------------------------------------------------------
    def get_host_uptime(self):
        up = int(time.time() - self._started)
        days, rest = divmod(up, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        try:
            load = "%.2f, %.2f, %.2f" % os.getloadavg()
        except OSError:
            load = "0.00, 0.00, 0.00"
        return (
            f" {time.strftime('%H:%M:%S')} up {days} days, {hours:2d}:{minutes:02d},"
            f"  1 user,  load average: {load}"
        )

    # ---- live migration ------------------------------------------------------
    @staticmethod
    def _metadata(instance):
        try:
            return dict(instance.metadata or {})
        except Exception:
            return {}

    def live_migration(
        self, context, instance, dest, post_method, recover_method, block_migration=False, migrate_data=None
    ):
        metadata = self._metadata(instance)
        seconds = CONF.sandbox.live_migration_seconds
        if MIGRATION_SECONDS_KEY in metadata:
            try:
                seconds = max(0.0, float(metadata[MIGRATION_SECONDS_KEY]))
            except ValueError:
                LOG.warning(
                    "Sandbox: ignoring metadata %s=%r (not a number)",
                    MIGRATION_SECONDS_KEY,
                    metadata[MIGRATION_SECONDS_KEY],
                    instance=instance,
                )
        control = _Migration()
        self._migrations[instance.uuid] = control
        try:
            if seconds > 0:
                LOG.info("Sandbox: live migration to %s takes %.1f s", dest, seconds, instance=instance)
                control.event.wait(seconds)
            if control.action == "abort":
                LOG.warning("Migration operation was cancelled", instance=instance)
                recover_method(context, instance, dest, migrate_data, migration_status="cancelled")
                return
            if FAIL_MIGRATION_KEY in metadata:
                LOG.error(
                    "Live Migration failure: sandbox fault injection: the server carries metadata %s=%r",
                    FAIL_MIGRATION_KEY,
                    metadata[FAIL_MIGRATION_KEY],
                    instance=instance,
                )
                recover_method(context, instance, dest, migrate_data)
                return
            post_method(context, instance, dest, block_migration, migrate_data)
        finally:
            self._migrations.pop(instance.uuid, None)

    def live_migration_force_complete(self, instance):
        control = self._migrations.get(instance.uuid)
        if control:
            control.action = "force"
            control.event.set()

    def live_migration_abort(self, instance):
        control = self._migrations.get(instance.uuid)
        if control:
            control.action = "abort"
            control.event.set()

    def post_live_migration(self, context, instance, block_device_info, migrate_data=None):
        # Runs on the source after the guest moved: forget it here.
        inst = self.instances.pop(instance.uuid, None)
        if inst is not None:
            vcpus, mem, disk = getattr(inst, "sandbox_flavor", [0, 0, 0])
            self.resources.release(vcpus=vcpus, mem=mem, disk=disk)
        self._save()

    def post_live_migration_at_destination(
        self, context, instance, network_info, block_migration=False, block_device_info=None
    ):
        # the base class spawns the guest here (and spawn() saves)
        if instance.uuid in self.instances:
            self.instances.pop(instance.uuid)
        super().post_live_migration_at_destination(
            context,
            instance,
            network_info,
            block_migration=block_migration,
            block_device_info=block_device_info,
        )


class SandboxScaleFakeDriver(SandboxFakeDriver):
    """One process, many nodes (``[sandbox] scale_nodes``), stable UUIDs."""

    def init_host(self, host):
        fake.FakeDriver.init_host(self, host)
        count = max(1, CONF.sandbox.scale_nodes)
        self._set_nodes([f"{host}-node{i:04d}" for i in range(1, count + 1)])
        self._load()

    @staticmethod
    def _node_uuid(nodename):
        return str(uuid.uuid5(_NODE_NAMESPACE, nodename))

    def get_available_resource(self, nodename):
        resources = fake.FakeDriver.get_available_resource(self, nodename)
        if resources:
            resources["uuid"] = self._node_uuid(nodename)
        return resources

    def get_nodenames_by_uuid(self, refresh=False):
        return {self._node_uuid(n): n for n in self.get_available_nodes()}
