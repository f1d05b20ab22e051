# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's profile: resolved (overrides merged), checked field by field, turned into INI settings."""

from __future__ import annotations

import difflib
from collections import OrderedDict

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import values
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.checks import cross_checks
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.fields import (
    HOST_PREP_FIELDS,
    HUGEPAGES_FIELDS,
    LIVE_MIGRATION_FIELDS,
    NUMA_FIELDS,
    PROFILE_FIELDS,
    SCALAR_FIELDS,
    SECTION_FIELDS,
    coerce,
    ini_value,
    parse_page_size_kib,
    unknown_keys,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.problems import Ctx


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


def resolve_host(plan, host, info, profiles):  # noqa: PLR0912  one branch per profile field
    info = info or {}
    name = info.get("profile")
    result = HostResult(host, name)
    plan.hosts[host] = result
    if name in (None, ""):
        return result
    ctx = Ctx(plan, host, name)
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
    unknown_keys(ctx, "", profile, PROFILE_FIELDS)

    for field, (section, option, kind) in SCALAR_FIELDS.items():
        value = coerce(ctx, field, profile.get(field), kind)
        if value is not None:
            result.values[field] = value
            result.set(section, option, ini_value(value), field)

    _nested(ctx, result, profile, "live_migration", LIVE_MIGRATION_FIELDS)
    _nested(ctx, result, profile, "numa", NUMA_FIELDS)
    _hugepages(ctx, result, profile.get("hugepages"), info)
    for field, kind in HOST_PREP_FIELDS.items():
        value = coerce(ctx, field, profile.get(field), kind)
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
                written = values.setting_value(ctx, plan.schema, section, option, value, label)
                if written is not None:
                    result.set(section, option, written, label)

    result.live_migration_group = info.get("live_migration_group") or result.values.get(
        "live_migration.group"
    )
    cross_checks(ctx, result, info)
    return result


def _nested(ctx, result, profile, name, fields):
    block = profile.get(name)
    if block is None:
        return
    if not isinstance(block, dict):
        ctx.error(name, block, "must be a mapping (fields: %s)" % ", ".join(fields))
        return
    unknown_keys(ctx, name + ".", block, list(fields))
    for field, (section, option, kind) in fields.items():
        value = coerce(ctx, "%s.%s" % (name, field), block.get(field), kind)
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
    unknown_keys(ctx, "hugepages.", block, list(HUGEPAGES_FIELDS))
    try:
        size_kib = parse_page_size_kib(block.get("size", "2M"))
    except ValueError as exc:
        ctx.error("hugepages.size", block.get("size"), str(exc), fix="use 2M or 1G")
        return
    count = coerce(ctx, "hugepages.count", block.get("count", 0), "int0")
    if count is None:
        return
    runtime = coerce(ctx, "hugepages.runtime", block.get("runtime"), "bool")
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
        unknown_keys(ctx, label + ".", item, ["node", "count", "size"])
        node = coerce(ctx, label + ".node", item["node"], "int0")
        n = coerce(ctx, label + ".count", item["count"], "int0")
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
