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

:func:`sync_files` then writes the files atomically, idempotently, with diffs.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections import OrderedDict

from ansible_collections.kolla_ops.nova.plugins.module_utils import kolla_merge, nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.cpuset import CpuSetError, parse_cpuset

MARKER = "# kolla_ops.nova nova_config: generated from the inventory; edit the profiles, not this file."
NUMA_FILTER = "NUMATopologyFilter"

# Kolla-Ansible globals this collection may write (ansible/group_vars/all/nova.yml,
# roles/nova-cell/defaults/main.yml in kolla-ansible 20..23).
KOLLA_GLOBALS = {
    "enable_nova": "bool",
    "enable_cells": "bool",
    "enable_nova_ssh": "bool",
    "enable_nova_libvirt_container": "bool",
    "nova_compute_virt_type": ("kvm", "qemu"),
    "nova_backend_ceph": "bool",
    "nova_console": ("none", "novnc", "spice"),
    "nova_instance_datadir_volume": "str",
    "migration_interface": "str",
    "nova_libvirt_cpu_mode": ("host-model", "host-passthrough", "custom", "none", ""),
    "libvirt_tls": "bool",
    "migration_hostname": "str",
    "nova_ssh_port": "str",
    "nova_compute_availability_zone": "str",
    "nova_compute_aggregates": "list",
    "nova_cell_compute_provider_config": "dict",
}

# field -> (section, option, kind).  Kinds: ratio, int0, cpuset, list, choice, bool, int, any.
SCALAR_FIELDS = OrderedDict(
    [
        ("cpu_allocation_ratio", ("DEFAULT", "cpu_allocation_ratio", "ratio")),
        ("ram_allocation_ratio", ("DEFAULT", "ram_allocation_ratio", "ratio")),
        ("disk_allocation_ratio", ("DEFAULT", "disk_allocation_ratio", "ratio")),
        ("initial_cpu_allocation_ratio", ("DEFAULT", "initial_cpu_allocation_ratio", "ratio")),
        ("initial_ram_allocation_ratio", ("DEFAULT", "initial_ram_allocation_ratio", "ratio")),
        ("initial_disk_allocation_ratio", ("DEFAULT", "initial_disk_allocation_ratio", "ratio")),
        ("reserved_host_memory_mb", ("DEFAULT", "reserved_host_memory_mb", "int0")),
        ("reserved_host_cpus", ("DEFAULT", "reserved_host_cpus", "int0")),
        ("reserved_host_disk_mb", ("DEFAULT", "reserved_host_disk_mb", "int0")),
        ("cpu_dedicated_set", ("compute", "cpu_dedicated_set", "cpuset")),
        ("cpu_shared_set", ("compute", "cpu_shared_set", "cpuset")),
        ("virt_type", ("libvirt", "virt_type", ("kvm", "qemu"))),
        ("cpu_mode", ("libvirt", "cpu_mode", ("host-model", "host-passthrough", "custom", "none"))),
        ("cpu_models", ("libvirt", "cpu_models", "list")),
        ("cpu_model_extra_flags", ("libvirt", "cpu_model_extra_flags", "list")),
    ]
)
LIVE_MIGRATION_FIELDS = OrderedDict(
    [
        ("max_concurrent", ("DEFAULT", "max_concurrent_live_migrations", "int0")),
        ("permit_auto_converge", ("libvirt", "live_migration_permit_auto_converge", "bool")),
        ("permit_post_copy", ("libvirt", "live_migration_permit_post_copy", "bool")),
        ("completion_timeout", ("libvirt", "live_migration_completion_timeout", "int0")),
        ("timeout_action", ("libvirt", "live_migration_timeout_action", ("abort", "force_complete"))),
        ("native_tls", ("libvirt", "live_migration_with_native_tls", "bool")),
        ("bandwidth", ("libvirt", "live_migration_bandwidth", "int0")),
        ("group", (None, None, "str")),
    ]
)
NUMA_FIELDS = OrderedDict(
    [
        ("enabled", (None, None, "bool")),
        ("packing_strategy", ("compute", "packing_host_numa_cells_allocation_strategy", "bool")),
    ]
)
HUGEPAGES_FIELDS = ("size", "count", "reserved", "runtime")
# Read by the compute_host_prep role, not written to nova.conf (checked here all the same).
HOST_PREP_FIELDS = OrderedDict(
    [
        ("nested_virtualization", "bool"),
        ("isolate_dedicated_cpus", "bool"),
        ("kernel_modules", "list"),
    ]
)
NESTED_FIELDS = (*HOST_PREP_FIELDS, "nested")
SECTION_FIELDS = ("image_cache", "settings")
PROFILE_FIELDS = (
    list(SCALAR_FIELDS) + ["live_migration", "numa", "hugepages", "description"] + list(NESTED_FIELDS)
)
PROFILE_FIELDS += list(SECTION_FIELDS)

_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.I)
_UNIT_KIB = {"": 1, "k": 1, "m": 1024, "g": 1024**2, "t": 1024**3}


class ProfileError(ValueError):
    """Raised by :func:`raise_for_errors` with every error found."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(format_problem(p) for p in problems))


def problem(severity, message, host=None, profile=None, field=None, value=None, fix=None, code="profile"):
    return {
        "severity": severity,
        "code": code,
        "host": host,
        "profile": profile,
        "field": field,
        "value": value,
        "message": message,
        "fix": fix,
    }


def format_problem(p, severity=True):
    where = []
    if p.get("host"):
        where.append("host %s" % p["host"])
    if p.get("profile"):
        where.append("profile %r" % p["profile"])
    if p.get("field"):
        where.append("field %s" % p["field"])
    if p.get("value") is not None:
        where.append("value %r" % (p["value"],))
    text = "%s%s" % (", ".join(where) + ": " if where else "", p["message"])
    if severity:
        text = "%s: %s" % (p["severity"].upper(), text)
    if p.get("fix"):
        text += " (fix: %s)" % p["fix"]
    return text


def ini_value(value):
    """A Python value as Nova reads it from INI."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(ini_value(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def parse_page_size_kib(value):
    """``2M``/``2MB``/``2MiB``/``2048``/``1G`` -> KiB (a bare number is KiB, as in Nova)."""
    if isinstance(value, bool):
        raise ValueError("is not a page size")
    if isinstance(value, int):
        kib = value
    else:
        m = _SIZE.match(str(value))
        if not m:
            raise ValueError("is not a page size like 2M, 1G or 2048 (KiB)")
        kib = int(m.group(1)) * _UNIT_KIB[m.group(2).lower()]
    if kib <= 0 or kib % 4:
        raise ValueError("is not a page size (a positive multiple of 4 KiB)")
    return kib


class _Ctx:
    """Collects problems for one host/profile."""

    def __init__(self, plan, host, profile):
        self.plan = plan
        self.host = host
        self.profile = profile

    def add(self, severity, field, value, message, fix=None, code="profile"):
        self.plan.problems.append(
            problem(severity, message, self.host, self.profile, field, value, fix, code)
        )

    def error(self, field, value, message, fix=None, code="profile"):
        self.add("error", field, value, message, fix, code)

    def warn(self, field, value, message, fix=None, code="profile"):
        self.add("warning", field, value, message, fix, code)


def _coerce(ctx, field, value, kind):
    """Check one field value; return the value to write or None after an error."""
    if value is None:
        return None
    if kind == "ratio":
        if isinstance(value, bool):
            ctx.error(field, value, "is a boolean, expected a number such as 1.0 or 16.0")
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            ctx.error(field, value, "is not a number (expected e.g. 1.0 or 16.0)")
            return None
        if number < 0:
            ctx.error(field, value, "an allocation ratio cannot be below 0.0", fix="use 0.0 or more")
            return None
        return number
    if kind in ("int0", "int"):
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and re.match(r"^-?\d+$", value.strip()))
        ):
            ctx.error(field, value, "is not a whole number")
            return None
        number = int(value)
        if kind == "int0" and number < 0:
            ctx.error(field, value, "cannot be negative", fix="use 0 or more")
            return None
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        ctx.error(field, value, "is not a boolean (true or false)")
        return None
    if kind == "cpuset":
        try:
            parse_cpuset(value)
        except CpuSetError as exc:
            ctx.error(field, value, str(exc), fix="write CPU sets like '4-15,^8'", code="cpuset")
            return None
        return str(value).strip()
    if kind == "list":
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, list | tuple):
            items = [str(v).strip() for v in value]
        else:
            ctx.error(field, value, "is not a list")
            return None
        return items
    if kind == "str":
        return str(value)
    if isinstance(kind, tuple):
        if str(value) not in kind:
            close = difflib.get_close_matches(str(value), kind, n=1)
            ctx.error(
                field,
                value,
                "is not one of %s%s" % (", ".join(kind), " (did you mean %r?)" % close[0] if close else ""),
                fix="use one of %s" % ", ".join(kind),
            )
            return None
        return str(value)
    return value


def _unknown_keys(ctx, prefix, given, known):
    for key in given:
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            ctx.error(
                prefix + str(key),
                given[key],
                "is not a profile field%s" % (" (did you mean %r?)" % close[0] if close else ""),
                fix="valid fields: %s" % ", ".join(known),
                code="unknown_field",
            )


def merge_profile(profile, overrides):
    """Profile with host overrides applied (nested dicts merged one level deep)."""
    result = dict(profile or {})
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            merged = dict(result[key])
            merged.update(value)
            result[key] = merged
        else:
            result[key] = value
    return result


class UnknownProfileError(ValueError):
    """A host names a profile that is not in ``nova_config_compute_profiles``."""


def effective_profile(profiles, name, overrides=None):
    """The profile a host follows, resolved exactly as the renderer does.

    ``name`` is the host's profile choice, already defaulted the way every
    consumer does it in Jinja: ``nova_config_profile`` when the host sets it
    (null or empty: Kolla's defaults, no profile), else ``nova_config_default_profile``.
    Returns ``{}`` for no profile, else the profile with the host's
    ``nova_config_profile_overrides`` merged in (nested mappings one level deep)
    and the short alias ``nested`` copied to ``nested_virtualization``.
    Raises :class:`UnknownProfileError` for a name that is not a profile.
    """
    if name in (None, ""):
        return {}
    profiles = profiles or {}
    if not isinstance(profiles, dict):
        raise UnknownProfileError("nova_config_compute_profiles must be a mapping of profile names")
    if name not in profiles:
        close = difflib.get_close_matches(str(name), [str(p) for p in profiles], n=1)
        raise UnknownProfileError(
            "nova_config_profile %r is not in nova_config_compute_profiles%s: define it or use one of: %s"
            % (
                name,
                " (did you mean %r?)" % close[0] if close else "",
                ", ".join(sorted(str(p) for p in profiles)) or "(none defined)",
            )
        )
    profile = profiles[name]
    if not isinstance(profile, dict):
        raise UnknownProfileError("profile %r must be a mapping of fields, got %r" % (name, profile))
    if overrides is not None and not isinstance(overrides, dict):
        raise UnknownProfileError(
            "nova_config_profile_overrides must be a mapping of profile fields, got %r" % (overrides,)
        )
    profile = merge_profile(profile, overrides)
    if "nested" in profile and "nested_virtualization" not in profile:
        profile["nested_virtualization"] = profile["nested"]  # short alias
    return profile


class HostResult:
    def __init__(self, host, profile):
        self.host = host
        self.profile = profile
        self.settings = OrderedDict()  # (section, option) -> str or list of str (multi)
        self.fields = {}  # (section, option) -> profile field name
        self.values = {}  # field -> coerced value
        self.prepare = {}
        self.needs_numa = False
        self.live_migration_group = None

    def set(self, section, option, value, field):
        self.settings[(section, option)] = value
        self.fields[(section, option)] = field


class Plan:
    def __init__(self, release):
        self.release = nova_schema.release_major(release)
        self.schema = nova_schema.load_schema(self.release)
        self.hosts = OrderedDict()
        self.problems = []
        self.shared = OrderedDict()
        self.per_host = OrderedDict()
        self.scheduler = OrderedDict()
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


def _resolve_host(plan, host, info, profiles):
    info = info or {}
    name = info.get("profile")
    result = HostResult(host, name)
    plan.hosts[host] = result
    if name in (None, ""):
        return result
    ctx = _Ctx(plan, host, name)
    if name not in profiles:
        close = difflib.get_close_matches(str(name), list(profiles), n=1)
        ctx.error(
            "nova_config_profile",
            name,
            "no such profile in nova_config_compute_profiles%s"
            % (" (did you mean %r?)" % close[0] if close else ""),
            fix="define it or use one of: %s" % (", ".join(sorted(profiles)) or "(none defined)"),
            code="unknown_profile",
        )
        return result
    if not isinstance(profiles[name], dict):
        ctx.error(None, profiles[name], "a profile must be a mapping of fields")
        return result
    overrides = info.get("overrides")
    if overrides is not None and not isinstance(overrides, dict):
        ctx.error("nova_config_profile_overrides", overrides, "must be a mapping of profile fields")
        return result
    profile = effective_profile(profiles, name, overrides)
    _unknown_keys(ctx, "", profile, PROFILE_FIELDS)

    for field, (section, option, kind) in SCALAR_FIELDS.items():
        value = _coerce(ctx, field, profile.get(field), kind)
        if value is not None:
            result.values[field] = value
            result.set(section, option, ini_value(value), field)

    _nested(ctx, result, profile, "live_migration", LIVE_MIGRATION_FIELDS)
    _nested(ctx, result, profile, "numa", NUMA_FIELDS)
    _hugepages(ctx, result, profile.get("hugepages"), info)
    for field, kind in HOST_PREP_FIELDS.items():
        value = _coerce(ctx, field, profile.get(field), kind)
        if value is not None:
            result.values[field] = value
            result.prepare[field] = value
    if result.values.get("isolate_dedicated_cpus") and not result.values.get("cpu_dedicated_set"):
        ctx.error(
            "isolate_dedicated_cpus",
            True,
            "has no CPUs to isolate: the profile sets no cpu_dedicated_set",
            fix="set cpu_dedicated_set or drop isolate_dedicated_cpus",
            code="cross_field",
        )

    for field in SECTION_FIELDS:
        block = profile.get(field)
        if block is None:
            continue
        if field == "image_cache":
            block = {"image_cache": block}
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            ctx.error(
                field,
                block,
                "must map option names to values"
                if field == "image_cache"
                else "must map section names to {option: value}",
            )
            continue
        for section, options in block.items():
            for option, value in options.items():
                label = (
                    "%s.%s" % (field, option)
                    if field == "image_cache"
                    else "settings.%s.%s" % (section, option)
                )
                if isinstance(value, list) and _is_multi(plan, section, option):
                    result.set(section, option, [ini_value(v) for v in value], label)
                else:
                    result.set(section, option, ini_value(value), label)

    result.live_migration_group = info.get("live_migration_group") or result.values.get(
        "live_migration.group"
    )
    _cross_checks(ctx, result, info)
    return result


def _is_multi(plan, section, option):
    opt = plan.schema.option(section, option)
    return bool(opt and opt.get("m"))


def _nested(ctx, result, profile, name, fields):
    block = profile.get(name)
    if block is None:
        return
    if not isinstance(block, dict):
        ctx.error(name, block, "must be a mapping (fields: %s)" % ", ".join(fields))
        return
    _unknown_keys(ctx, name + ".", block, list(fields))
    for field, (section, option, kind) in fields.items():
        value = _coerce(ctx, "%s.%s" % (name, field), block.get(field), kind)
        if value is None:
            continue
        result.values["%s.%s" % (name, field)] = value
        if section:
            result.set(section, option, ini_value(value), "%s.%s" % (name, field))


def _hugepages(ctx, result, block, info):
    if block is None:
        return
    if not isinstance(block, dict):
        ctx.error("hugepages", block, "must be a mapping with size, count and reserved")
        return
    _unknown_keys(ctx, "hugepages.", block, list(HUGEPAGES_FIELDS))
    try:
        size_kib = parse_page_size_kib(block.get("size", "2M"))
    except ValueError as exc:
        ctx.error("hugepages.size", block.get("size"), str(exc), fix="use 2M or 1G")
        return
    count = _coerce(ctx, "hugepages.count", block.get("count", 0), "int0")
    if count is None:
        return
    runtime = _coerce(ctx, "hugepages.runtime", block.get("runtime"), "bool")
    result.values["hugepages.size_kib"] = size_kib
    result.values["hugepages.count"] = count
    result.needs_numa = True
    result.prepare["hugepages"] = {"size_kib": size_kib, "count": count}
    if runtime is not None:
        result.prepare["hugepages"]["runtime"] = runtime
    reserved = block.get("reserved") or []
    if isinstance(reserved, dict):
        reserved = [{"node": k, "count": v} for k, v in reserved.items()]
    if not isinstance(reserved, list):
        ctx.error("hugepages.reserved", reserved, "must be a list of {node, count[, size]}")
        return
    lines = []
    total_reserved = 0
    for i, item in enumerate(reserved):
        label = "hugepages.reserved[%d]" % i
        if not isinstance(item, dict) or "node" not in item or "count" not in item:
            ctx.error(label, item, "must be a mapping with node and count (and optionally size)")
            continue
        _unknown_keys(ctx, label + ".", item, ["node", "count", "size"])
        node = _coerce(ctx, label + ".node", item["node"], "int0")
        n = _coerce(ctx, label + ".count", item["count"], "int0")
        try:
            isize = parse_page_size_kib(item.get("size", size_kib))
        except ValueError as exc:
            ctx.error(label + ".size", item.get("size"), str(exc))
            continue
        if node is None or n is None:
            continue
        if isize == size_kib:
            total_reserved += n
        lines.append("node:%d,size:%d,count:%d" % (node, isize, n))
    if total_reserved > count and count:
        ctx.error(
            "hugepages.reserved",
            reserved,
            "reserves %d pages but the host has only %d pages of %d KiB" % (total_reserved, count, size_kib),
        )
    if lines:
        result.set("DEFAULT", "reserved_huge_pages", lines, "hugepages.reserved")


def _cross_checks(ctx, result, info):
    v = result.values
    vcpus = info.get("vcpus")
    memory_mb = info.get("memory_mb")
    sets = {}
    for field in ("cpu_dedicated_set", "cpu_shared_set"):
        if field in v:
            sets[field] = set(parse_cpuset(v[field]))
            if isinstance(vcpus, int) and vcpus > 0:
                outside = sorted(c for c in sets[field] if c >= vcpus)
                if outside:
                    ctx.error(
                        field,
                        v[field],
                        "CPUs %s are not on this host (it has %d CPUs: 0-%d)" % (outside, vcpus, vcpus - 1),
                        fix="use CPUs within 0-%d (set nova_config_profile_overrides on this host)"
                        % (vcpus - 1),
                        code="cpuset",
                    )
    if "cpu_dedicated_set" in sets:
        result.needs_numa = True
    if len(sets) == 2:
        both = sets["cpu_dedicated_set"] & sets["cpu_shared_set"]
        if both:
            ctx.error(
                "cpu_shared_set",
                v["cpu_shared_set"],
                "overlaps cpu_dedicated_set %s on CPUs %s" % (v["cpu_dedicated_set"], sorted(both)),
                fix="a CPU is either dedicated (PCPU) or shared (VCPU), not both",
                code="cpuset",
            )
        if (
            isinstance(vcpus, int)
            and vcpus > 0
            and len(sets["cpu_dedicated_set"] | sets["cpu_shared_set"]) >= vcpus
        ):
            ctx.warn(
                "cpu_dedicated_set",
                v["cpu_dedicated_set"],
                "with cpu_shared_set %s every host CPU goes to guests: none is left for the host"
                % v["cpu_shared_set"],
                fix="leave a few CPUs (e.g. 0-1) out of both sets",
            )
    if sets and v.get("reserved_host_cpus"):
        ctx.error(
            "reserved_host_cpus",
            v["reserved_host_cpus"],
            "cannot be used together with cpu_dedicated_set/cpu_shared_set (nova-compute refuses to start)",
            fix="drop reserved_host_cpus: CPUs outside both sets are already reserved for the host",
            code="cross_field",
        )
    for field in ("ram_allocation_ratio", "initial_ram_allocation_ratio"):
        if v.get(field, 0) > 1.0:
            ctx.warn(
                field,
                v[field],
                "overcommits memory: guests get OOM-killed when they use what was promised",
                fix="keep RAM ratios at 1.0 and add memory or hosts instead",
                code="ram_overcommit",
            )
    if "cpu_models" in v and v.get("cpu_mode") != "custom":
        ctx.error(
            "cpu_models",
            v["cpu_models"],
            "needs cpu_mode: custom (cpu_mode is %r); nova-compute refuses cpu_models otherwise"
            % v.get("cpu_mode"),
            fix="set cpu_mode: custom",
            code="cross_field",
        )
    if v.get("nested_virtualization") and v.get("virt_type") == "qemu":
        ctx.error(
            "nested_virtualization",
            True,
            "nested virtualisation needs virt_type kvm (this profile uses qemu, which emulates CPUs)",
            fix="set virt_type: kvm or nested_virtualization: false",
            code="cross_field",
        )
    count = v.get("hugepages.count")
    if count and isinstance(memory_mb, int) and memory_mb > 0:
        pages_mb = count * v["hugepages.size_kib"] // 1024
        reserved = v.get("reserved_host_memory_mb", 512)
        if pages_mb + reserved > memory_mb:
            ctx.error(
                "hugepages.count",
                count,
                "%d pages of %d KiB need %d MiB, plus %d MiB reserved for the host, but the host has %d MiB"
                % (count, v["hugepages.size_kib"], pages_mb, reserved, memory_mb),
                fix="use at most %d pages" % max(0, (memory_mb - reserved) * 1024 // v["hugepages.size_kib"]),
                code="hugepages",
            )
    if v.get("numa.enabled"):
        result.needs_numa = True


def _schema_checks(plan, result):
    for (section, option), value in result.settings.items():
        entries = [(section, option, value, None)]
        for f in nova_schema.validate_entries(entries, plan.release):
            field = result.fields.get((section, option))
            plan.problems.append(
                problem(
                    f["severity"],
                    f["message"],
                    result.host,
                    result.profile,
                    field,
                    f["value"] if f["value"] is not None else value,
                    f["fix"],
                    "schema_" + f["code"],
                )
            )


def _live_migration_groups(plan):
    groups = OrderedDict()
    for r in plan.hosts.values():
        if r.profile is None:
            continue
        groups.setdefault(r.live_migration_group, []).append(r)
    for group, members in groups.items():
        seen = OrderedDict()
        for r in members:
            key = (r.values.get("cpu_mode"), tuple(r.values.get("cpu_models") or ()))
            seen.setdefault(key, []).append(r.host)
        if len(seen) > 1:
            detail = "; ".join(
                "cpu_mode=%s cpu_models=%s on %s" % (k[0], ",".join(k[1]) or "-", ", ".join(h))
                for k, h in seen.items()
            )
            plan.problems.append(
                problem(
                    "error" if group else "warning",
                    "hosts in live-migration group %s differ in CPU model: %s; "
                    "live migration between them fails"
                    % (repr(group) if group else "(all compute hosts)", detail),
                    field="cpu_mode",
                    fix="give hosts that migrate to each other the same cpu_mode/cpu_models, "
                    "or put them in different nova_config_live_migration_group",
                    code="live_migration_group",
                )
            )


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


def _scheduler(plan, scheduler):
    scheduler = scheduler or {}
    ctx = _Ctx(plan, None, None)
    _unknown_keys(
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
    if plan.needs_numa and NUMA_FILTER not in filters:
        if explicit:
            ctx.warn(
                "nova_config_scheduler.enabled_filters",
                explicit,
                "lacks %s although a profile pins CPUs or uses huge pages: added" % NUMA_FILTER,
                code="numa_filter",
            )
        filters.append(NUMA_FILTER)
    out = OrderedDict()
    out[("filter_scheduler", "enabled_filters")] = ",".join(filters)
    fields = {("filter_scheduler", "enabled_filters"): "nova_config_scheduler.enabled_filters"}
    for option, value in weights.items():
        out[("filter_scheduler", option)] = ini_value(value)
        fields[("filter_scheduler", option)] = "nova_config_scheduler.weights.%s" % option
    for section, options in settings.items():
        if not isinstance(options, dict):
            ctx.error("nova_config_scheduler.settings.%s" % section, options, "must map options to values")
            continue
        for option, value in options.items():
            out[(section, option)] = ini_value(value)
            fields[(section, option)] = "nova_config_scheduler.settings.%s.%s" % (section, option)
    plan.scheduler = out
    fake = HostResult(None, None)
    fake.settings, fake.fields = out, fields
    _schema_checks(plan, fake)


def _kolla_globals(plan, compute_hosts, extra):
    ctx = _Ctx(plan, None, None)
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
        if isinstance(value, str) and kolla_merge.has_jinja(value):
            ctx.error("nova_config_kolla_globals.%s" % var, value, "must not contain Jinja")
            continue
        plan.kolla_globals[var] = value


def build_plan(profiles, hosts, scheduler=None, kolla_globals=None, release=None):
    """Resolve every host's profile, run every check; returns a :class:`Plan`.

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
        result = _resolve_host(plan, host, (hosts or {}).get(host), profiles)
        if result.needs_numa:
            plan.needs_numa = True
        _schema_checks(plan, result)
    # A profile no host uses yet is checked too (without host facts).
    used = {r.profile for r in plan.hosts.values()}
    for name in profiles:
        if name in used:
            continue
        probe = Plan(plan.release)
        result = _resolve_host(probe, "(no host yet)", {"profile": name}, profiles)
        _schema_checks(probe, result)
        plan.problems.extend(probe.problems)
    _live_migration_groups(plan)
    _split_shared(plan, compute_hosts)
    _scheduler(plan, scheduler)
    _kolla_globals(plan, compute_hosts, kolla_globals)
    return plan


def collapse(problems):
    """Merge problems that differ only by host ("host compute1, compute4"), keeping order."""
    out = []
    index = {}
    for p in problems:
        key = (p["severity"], p["code"], p["profile"], p["field"], repr(p["value"]), p["message"], p["fix"])
        if p["host"] is not None and key in index:
            first = out[index[key]]
            first["host"] = "%s, %s" % (first["host"], p["host"])
            continue
        index[key] = len(out)
        out.append(dict(p))
    return out


def raise_for_errors(plan):
    if plan.errors:
        raise ProfileError(plan.errors)


# --- existing operator overrides ---------------------------------------------------------


def check_operator_overrides(plan, node_custom_config, owned_paths):
    """Checks on the files Kolla merges that this collection does not own.

    * ``vcpu_pin_set`` anywhere: warning with the cpu_dedicated_set/cpu_shared_set
      it should become (error where the host's profile sets cpu_dedicated_set);
    * ``reserved_host_cpus`` reaching a host whose profile sets CPU sets: error;
    * a later file that overrides ``enabled_filters`` without NUMATopologyFilter
      while it is needed: error.
    """
    owned = {os.path.normpath(p) for p in owned_paths}
    seen_vcpu = set()
    for host, r in plan.hosts.items():
        if host is None:
            continue
        sources = kolla_merge.kolla_sources(node_custom_config, host, "nova-compute")
        for path in sources:
            if os.path.normpath(path) in owned:
                continue
            text = kolla_merge.read_text(path)
            if text is None:
                continue
            try:
                rendered = kolla_merge.render_jinja(text)[0]
                entries = nova_schema.entries_from_text(rendered, path)
            except kolla_merge.IniParseError as exc:
                plan.problems.append(
                    problem("error", str(exc), host=host, field=path, code="operator_override_parse")
                )
                continue
            for section, option, value, line in entries:
                where = "%s:%s" % (path, line)
                if section == "DEFAULT" and option == "vcpu_pin_set":
                    if r.values.get("cpu_dedicated_set"):
                        plan.problems.append(
                            problem(
                                "error",
                                "%s sets [DEFAULT] vcpu_pin_set = %s and the profile sets cpu_dedicated_set: "
                                "nova-compute refuses both" % (where, value),
                                host,
                                r.profile,
                                "vcpu_pin_set",
                                value,
                                "remove vcpu_pin_set from %s" % path,
                                "vcpu_pin_set",
                            )
                        )
                    elif (path, line) not in seen_vcpu:
                        seen_vcpu.add((path, line))
                        plan.problems.append(
                            problem(
                                "warning",
                                "%s uses deprecated [DEFAULT] vcpu_pin_set = %s" % (where, value),
                                host,
                                r.profile,
                                "vcpu_pin_set",
                                value,
                                nova_schema.vcpu_pin_set_fix(value),
                                "vcpu_pin_set",
                            )
                        )
                if (
                    section == "DEFAULT"
                    and option == "reserved_host_cpus"
                    and str(value).strip() not in ("", "0")
                    and (r.values.get("cpu_dedicated_set") or r.values.get("cpu_shared_set"))
                ):
                    plan.problems.append(
                        problem(
                            "error",
                            "%s sets reserved_host_cpus = %s and the profile sets CPU sets: "
                            "nova-compute refuses both" % (where, value),
                            host,
                            r.profile,
                            "reserved_host_cpus",
                            value,
                            "remove reserved_host_cpus from %s" % path,
                            "cross_field",
                        )
                    )
    if plan.needs_numa:
        base = node_custom_config.rstrip("/")
        nova_dir = os.path.join(base, "nova")
        candidates = []
        if os.path.isdir(nova_dir):
            for name in sorted(os.listdir(nova_dir)):
                path = os.path.join(nova_dir, name, "nova.conf")
                if os.path.isfile(path):
                    candidates.append(path)
        if not plan.scheduler:
            candidates = [os.path.join(base, "global.conf"), os.path.join(base, "nova.conf"), *candidates]
        for path in candidates:
            text = kolla_merge.read_text(path)
            if text is None or "enabled_filters" not in text:
                continue
            try:
                entries = nova_schema.entries_from_text(kolla_merge.render_jinja(text)[0], path)
            except kolla_merge.IniParseError:
                continue
            for section, option, value, line in entries:
                if (section, option) == ("filter_scheduler", "enabled_filters") and NUMA_FILTER not in str(
                    value
                ):
                    plan.problems.append(
                        problem(
                            "error",
                            "%s:%s sets [filter_scheduler] enabled_filters without %s, which pinned CPUs and "
                            "huge pages need; it overrides nova/nova-scheduler.conf"
                            % (path, line, NUMA_FILTER),
                            field="enabled_filters",
                            value=value,
                            fix="add %s there or remove enabled_filters from that file" % NUMA_FILTER,
                            code="numa_filter",
                        )
                    )


# --- files --------------------------------------------------------------------------------


def _section_order(section):
    return (0 if section == "DEFAULT" else 1, section)


def render_ini(settings, header, comment=None):
    """INI text for ``{(section, option): value}`` with the header, values Jinja-escaped."""
    by_section = OrderedDict()
    for (section, option), value in settings.items():
        by_section.setdefault(section, []).append((option, value))
    lines = [*_header_lines(header), MARKER]
    if comment:
        lines.append("# " + comment)
    for section in sorted(by_section, key=_section_order):
        lines.append("[%s]" % section)
        for option, value in by_section[section]:
            for v in value if isinstance(value, list) else [value]:
                lines.append("%s = %s" % (option, kolla_merge.escape_jinja(v)))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_globals(values, header):
    lines = [*_header_lines(header), MARKER, "---"]
    for key, value in values.items():
        lines.append("%s: %s" % (key, _yaml_scalar(value)))
    return "\n".join(lines) + "\n"


def _yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | dict):
        import json  # noqa: PLC0415

        return json.dumps(value)
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def _header_lines(header):
    out = []
    for line in (header or "Ansible managed").splitlines():
        line = line.rstrip()
        if not line.strip():
            continue
        out.append(kolla_merge.escape_jinja(line if line.lstrip().startswith("#") else "# " + line))
    return out


def desired_files(plan, header):
    """relative path -> content for everything the plan writes."""
    files = OrderedDict()
    if plan.shared:
        files["nova/nova-compute.conf"] = render_ini(
            plan.shared, header, "shared by every compute host (nova-compute)"
        )
    for host, settings in plan.per_host.items():
        files["nova/%s/nova-compute.conf" % host] = render_ini(
            settings, header, "host %s, profile %s (nova-compute)" % (host, plan.hosts[host].profile)
        )
    if plan.scheduler:
        files["nova/nova-scheduler.conf"] = render_ini(
            plan.scheduler, header, "cloud-wide scheduler settings"
        )
    if plan.kolla_globals:
        files["globals.d/kolla_ops_nova.yml"] = render_globals(plan.kolla_globals, header)
    return files


def managed_candidates(base):
    """Every path this collection may own under ``base`` (relative)."""
    out = ["nova/nova-compute.conf", "nova/nova-scheduler.conf", "globals.d/kolla_ops_nova.yml"]
    nova_dir = os.path.join(base, "nova")
    if os.path.isdir(nova_dir):
        for name in sorted(os.listdir(nova_dir)):
            if os.path.isfile(os.path.join(nova_dir, name, "nova-compute.conf")):
                out.append("nova/%s/nova-compute.conf" % name)
    return out


def is_ours(text):
    return text is not None and MARKER in text


def plan_files(base, desired, take_over=False):
    """Compare ``desired`` with the disk: list of actions, and problems for foreign files."""
    actions = []
    problems = []
    for rel in sorted(set(desired) | set(managed_candidates(base))):
        path = os.path.join(base, rel)
        current = kolla_merge.read_text(path) if os.path.exists(path) else None
        want = desired.get(rel)
        if current is not None and not is_ours(current) and not take_over:
            if want is not None:
                problems.append(
                    problem(
                        "error",
                        "%s exists and was not written by kolla_ops.nova: refusing to overwrite it" % path,
                        field="nova_config_node_custom_config",
                        value=path,
                        fix="move its settings into a profile's settings: (or "
                        "nova_config_scheduler.settings) and delete it, or set "
                        "nova_config_take_over_existing: true",
                        code="foreign_file",
                    )
                )
            continue
        if want is None:
            if current is not None:
                actions.append({"path": path, "rel": rel, "state": "absent", "before": current, "after": ""})
            continue
        if current != want:
            actions.append(
                {"path": path, "rel": rel, "state": "present", "before": current or "", "after": want}
            )
    return actions, problems


def apply_actions(actions, mode=0o640, dir_mode=0o755):
    """Write (atomically: temp file + rename in the same directory) or remove files."""
    for action in actions:
        path = action["path"]
        if action["state"] == "absent":
            os.unlink(path)
            parent = os.path.dirname(path)
            try:
                if not os.listdir(parent) and os.path.basename(os.path.dirname(parent)) == "nova":
                    os.rmdir(parent)
            except OSError:
                pass
            continue
        parent = os.path.dirname(path)
        os.makedirs(parent, mode=dir_mode, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".%s." % os.path.basename(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(action["after"])
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def diffs(actions):
    return [
        {
            "before_header": a["path"] if a["before"] else "%s (absent)" % a["path"],
            "after_header": a["path"] if a["state"] == "present" else "%s (absent)" % a["path"],
            "before": a["before"],
            "after": a["after"],
        }
        for a in actions
    ]
