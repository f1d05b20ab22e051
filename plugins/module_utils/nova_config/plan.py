# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute profiles -> Kolla-Ansible override files for Nova.

An operator names profiles (``nova_config_compute_profiles``) and picks one per
host or group (``nova_config_profile``).  :func:`build_plan` turns that into:

* the INI settings each compute host needs, split into what every compute host
  shares (``nova/nova-compute.conf``) and what is host-specific
  (``nova/<inventory_hostname>/nova-compute.conf``);
* scheduler settings (``nova/nova-scheduler.conf``): the full ``enabled_filters``
  list (Nova's defaults + what the profiles need, NUMATopologyFilter when any host
  pins CPUs or uses huge pages), weights;
* real Kolla-Ansible globals (``globals.d/kolla_ops_nova.yml``) where a setting is
  uniform across the compute hosts;
* host-preparation data (huge pages, nested virtualisation) for the host roles;
* problems: every check (field types, CPU sets, huge pages against memory,
  cross-field rules, Nova's option schema) as dicts naming host, profile, field
  and value.  Nothing may be written while an ``error`` remains.

``render`` then writes the files atomically, idempotently, with diffs.
"""

from __future__ import annotations

import difflib
from collections import OrderedDict

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge, values
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.checks import (
    live_migration_groups,
    schema_checks,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.fields import (
    KOLLA_GLOBALS,
    NUMA_FILTER,
    unknown_keys,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.problems import (
    Ctx,
    ProfileError,
    problem,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.profile import (
    HostResult,
    resolve_host,
)


class Plan:
    def __init__(self, release):
        self.release = nova_schema.release_major(release)
        self.schema = nova_schema.load_schema(self.release)
        self.hosts = OrderedDict()
        self.problems = []
        self.shared = OrderedDict()
        self.per_host = OrderedDict()
        self.scheduler = OrderedDict()
        # service -> settings of the scheduler's that it reads too (ALSO_READ_BY)
        self.services = OrderedDict()
        self.kolla_globals = OrderedDict()
        self.needs_numa = False

    @property
    def errors(self):
        return [p for p in self.problems if p["severity"] == "error"]

    @property
    def warnings(self):
        return [p for p in self.problems if p["severity"] == "warning"]

    def host_preparation(self):
        return {h: r.prepare for h, r in self.hosts.items() if r.prepare}

    def summary(self):
        return {
            h: {
                "profile": r.profile,
                "settings": {"%s/%s" % k: v for k, v in r.settings.items()},
                "needs_numa_filter": r.needs_numa,
            }
            for h, r in self.hosts.items()
        }


def _split_shared(plan, compute_hosts):
    """Settings identical on every compute host go to the shared file."""
    results = [plan.hosts[h] for h in compute_hosts]
    shared = OrderedDict()
    if results and all(r.profile for r in results):
        first = results[0].settings
        for key, value in first.items():
            if all(r.settings.get(key) == value for r in results[1:]):
                shared[key] = value
    plan.shared = shared
    for r in results:
        own = OrderedDict((k, v) for k, v in r.settings.items() if k not in shared)
        if own:
            plan.per_host[r.host] = own


# Kolla's nova.conf.j2 (kolla-ansible 23.0.0 roles/nova/templates) sets, with enable_blazar,
# available_filters += blazarnova's BlazarFilter and an enabled_filters ending in BlazarFilter;
# an enabled_filters written here replaces Kolla's, so it must keep the filter.
BLAZAR_FILTER = "BlazarFilter"

# Scheduler settings other services read too, so they are written for them as well
# (nova/<service>.conf), only what each reads:
# [scheduler] max_attempts: nova-conductor and the super conductor build the retry list
#   (nova/conductor/manager.py build_instances, schedule_and_build_instances and
#   nova/conductor/tasks/migrate.py through nova/scheduler/utils.py populate_retry);
# [filter_scheduler] pci_in_placement: "needs to be set in the configuration of nova-api,
#   nova-scheduler, and all nova-conductor services" (nova/conf/scheduler.py).
ALSO_READ_BY = {
    ("scheduler", "max_attempts"): ("nova-conductor", "nova-super-conductor"),
    ("filter_scheduler", "pci_in_placement"): ("nova-api", "nova-conductor", "nova-super-conductor"),
}


def kolla_bool(value) -> bool | None:
    """Ansible's ``| bool`` for a Kolla variable; None when it cannot be told (Jinja, junk)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "on", "1", "y"):
        return True
    if text in ("no", "false", "off", "0", "n", ""):
        return False
    return None


def _blazar(ctx, kolla_vars):
    if "enable_blazar" not in (kolla_vars or {}):
        return False
    on = kolla_bool(kolla_vars["enable_blazar"])
    if on is None:
        ctx.warn(
            "enable_blazar",
            kolla_vars["enable_blazar"],
            "cannot be evaluated here, so %s is not added to enabled_filters" % BLAZAR_FILTER,
            fix="set enable_blazar to yes or no in globals.yml, "
            "or add %s to nova_config_scheduler.extra_filters" % BLAZAR_FILTER,
            code="blazar",
        )
    return bool(on)


def _scheduler(plan, scheduler, kolla_vars=None):  # noqa: PLR0912  one branch per scheduler option
    scheduler = scheduler or {}
    ctx = Ctx(plan, None, None)
    unknown_keys(
        ctx, "nova_config_scheduler.", scheduler, ["enabled_filters", "extra_filters", "weights", "settings"]
    )
    explicit = scheduler.get("enabled_filters")
    extra = list(scheduler.get("extra_filters") or [])
    weights = scheduler.get("weights") or {}
    settings = scheduler.get("settings") or {}
    if not (plan.needs_numa or explicit or extra or weights or settings):
        return
    filters = (
        list(explicit) if explicit else list(plan.schema.default("filter_scheduler", "enabled_filters") or [])
    )
    for f in extra:
        if f not in filters:
            filters.append(f)
    needed = [(NUMA_FILTER, plan.needs_numa, "a profile pins CPUs or uses huge pages")]
    needed.append((BLAZAR_FILTER, _blazar(ctx, kolla_vars), "Kolla's enable_blazar is on"))
    for name, wanted, why in needed:
        if not wanted or name in filters:
            continue
        if explicit:
            ctx.warn(
                "nova_config_scheduler.enabled_filters",
                explicit,
                "lacks %s although %s: added" % (name, why),
                code="numa_filter" if name == NUMA_FILTER else "blazar",
            )
        filters.append(name)
    out = OrderedDict()
    fields = {}
    if (
        explicit
        or extra
        or plan.needs_numa
        or filters != list(plan.schema.default("filter_scheduler", "enabled_filters") or [])
    ):
        out[("filter_scheduler", "enabled_filters")] = ",".join(filters)
        fields[("filter_scheduler", "enabled_filters")] = "nova_config_scheduler.enabled_filters"
    for option, value in weights.items():
        label = "nova_config_scheduler.weights.%s" % option
        written = values.setting_value(ctx, plan.schema, "filter_scheduler", option, value, label)
        if written is not None:
            out[("filter_scheduler", option)] = written
            fields[("filter_scheduler", option)] = label
    for section, options in settings.items():
        if not isinstance(options, dict):
            ctx.error("nova_config_scheduler.settings.%s" % section, options, "must map options to values")
            continue
        for option, value in options.items():
            label = "nova_config_scheduler.settings.%s.%s" % (section, option)
            written = values.setting_value(ctx, plan.schema, section, option, value, label)
            if written is not None:
                out[(section, option)] = written
                fields[(section, option)] = label
    plan.scheduler = out
    for key, services in ALSO_READ_BY.items():
        if key in out:
            for service in services:
                plan.services.setdefault(service, OrderedDict())[key] = out[key]
    fake = HostResult(None, None)
    fake.settings, fake.fields = out, fields
    schema_checks(plan, fake)


def _kolla_globals(plan, compute_hosts, extra):
    ctx = Ctx(plan, None, None)
    results = [plan.hosts[h] for h in compute_hosts]
    for field, var in (("virt_type", "nova_compute_virt_type"), ("cpu_mode", "nova_libvirt_cpu_mode")):
        vals = {r.values.get(field) for r in results}
        if results and len(vals) == 1 and None not in vals:
            plan.kolla_globals[var] = vals.pop()
        elif len(vals - {None}) > 1 or (vals - {None} and None in vals):
            ctx.warn(
                field,
                sorted(str(v) for v in vals),
                "differs between compute hosts, so %s (a cloud-wide Kolla global) is not written; "
                "each host gets [libvirt] %s in its own nova-compute.conf" % (var, field),
                code="kolla_global",
            )
    tls = {bool(r.values.get("live_migration.native_tls")) for r in results if r.profile}
    if tls == {True} and all(r.profile for r in results):
        plan.kolla_globals["libvirt_tls"] = True
    elif len(tls) > 1:
        ctx.warn(
            "live_migration.native_tls",
            None,
            "only some compute hosts use native TLS for live migration; Kolla's libvirt_tls is cloud-wide "
            "and migrations between TLS and non-TLS hosts fail",
            fix="use native_tls on every compute host or on none",
            code="kolla_global",
        )
    for var, value in (extra or {}).items():
        kind = KOLLA_GLOBALS.get(var)
        if kind is None:
            close = difflib.get_close_matches(var, list(KOLLA_GLOBALS), n=1)
            ctx.error(
                "nova_config_kolla_globals.%s" % var,
                value,
                "is not a Kolla-Ansible Nova variable%s (allocation ratios, CPU sets and huge pages "
                "are not Kolla variables: put them in a profile)"
                % (" (did you mean %r?)" % close[0] if close else ""),
                code="kolla_global",
            )
            continue
        if isinstance(kind, tuple) and value not in kind:
            ctx.error("nova_config_kolla_globals.%s" % var, value, "is not one of %s" % ", ".join(kind))
            continue
        why = values.control_problem(value)
        if why:
            ctx.error(
                "nova_config_kolla_globals.%s" % var, value, why, fix="remove the line break", code="control"
            )
            continue
        if isinstance(value, str) and kolla_merge.has_jinja(value):
            ctx.error("nova_config_kolla_globals.%s" % var, value, "must not contain Jinja")
            continue
        plan.kolla_globals[var] = value


def build_plan(profiles, hosts, scheduler=None, kolla_globals=None, release=None, kolla_vars=None):
    """Resolve every host's profile, run every check; returns a :class:`Plan`.

    ``kolla_vars``: Kolla-Ansible variables as kolla-ansible will see them (globals.yml and
    globals.d); only ``enable_blazar`` is read.

    ``hosts``: inventory_hostname -> {profile, overrides, vcpus, memory_mb,
    live_migration_group} for every compute host (profile None: Kolla defaults).
    """
    plan = Plan(release)
    profiles = profiles or {}
    if not isinstance(profiles, dict):
        plan.problems.append(
            problem("error", "nova_config_compute_profiles must be a mapping", value=profiles)
        )
        return plan
    compute_hosts = list(hosts or {})
    for host in compute_hosts:
        result = resolve_host(plan, host, (hosts or {}).get(host), profiles)
        if result.needs_numa:
            plan.needs_numa = True
        schema_checks(plan, result)
    # A profile no host uses yet is checked too (without host facts).
    used = {r.profile for r in plan.hosts.values()}
    for name in profiles:
        if name in used:
            continue
        probe = Plan(plan.release)
        result = resolve_host(probe, "(no host yet)", {"profile": name}, profiles)
        schema_checks(probe, result)
        plan.problems.extend(probe.problems)
    live_migration_groups(plan)
    _split_shared(plan, compute_hosts)
    _scheduler(plan, scheduler, kolla_vars)
    _kolla_globals(plan, compute_hosts, kolla_globals)
    return plan


def raise_for_errors(plan):
    if plan.errors:
        raise ProfileError(plan.errors)
