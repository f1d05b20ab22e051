# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile field tables (field -> INI section/option/kind) and coercion of field values."""

from __future__ import annotations

import difflib
import math
import re
from collections import OrderedDict
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.cpuset import (
    CpuSetError,
    parse_cpuset,
)

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

# Allocation ratios: the highest this collection writes, and why. Nova's only bound is min=0.0
# (nova/conf/compute.py) and Placement takes any positive float, so 1e12 goes live and means
# "no limit at all". CPU: 64 is four times Nova's old default of 16.0 (initial ratio before
# Stein); beyond it a busy guest vCPU gets less than 1/64 of a core. RAM: past 1.0 guests are
# OOM-killed when they use what they were promised (a warning); 4.0 promises four times the
# memory. Disk: past 1.0 only thin images fit; 16 is generous even for copy-on-write backends.
RATIO_LIMITS = {"cpu": 64.0, "ram": 4.0, "disk": 16.0}
RATIO_OPTIONS = {
    "%s%s_allocation_ratio" % (prefix, res): res for res in RATIO_LIMITS for prefix in ("", "initial_")
}


def ratio_problem(option: str, number: float) -> tuple[str, str] | None:
    """(message, fix) when ratio ``option`` (``cpu_allocation_ratio``...) must not be ``number``."""
    res = RATIO_OPTIONS[option]
    if math.isnan(number) or math.isinf(number):
        return "is not a finite number", "use a ratio such as 1.0 or 4.0"
    if number < 0:
        return "an allocation ratio cannot be below 0", "use a positive ratio such as 1.0"
    if number == 0:
        if option.startswith("initial_"):
            return (
                "0 is not a usable %s: Nova treats 0.0 as unset (nova/compute/resource_tracker.py "
                "_copy_resources, nova/objects/compute_node.py _from_db_object), so a new host would "
                "start with a %s ratio of 0.0 and offer nothing" % (option, res),
                "drop the field to keep Nova's default, or give a positive ratio",
            )
        return (
            "0 does not mean 'no %s here': Nova reads 0.0 as unset (nova/compute/resource_tracker.py "
            "_copy_resources keeps the host's current ratio; a new host gets initial_%s, %s by default)"
            % (res, option, {"cpu": "4.0", "ram": "1.0", "disk": "1.0"}[res]),
            "drop the field to leave it unset, or give the ratio you want (1.0: no overcommit); to stop "
            "scheduling to the host, disable its compute service",
        )
    limit = RATIO_LIMITS[res]
    if number > limit:
        return (
            "is far beyond any real %s overcommit: this collection writes at most %s (a ratio this high "
            "means the scheduler stops counting %s)" % (res.upper() if res != "disk" else res, limit, res),
            "use at most %s" % limit,
        )
    return None


_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.I)
_UNIT_KIB = {"": 1, "k": 1, "m": 1024, "g": 1024**2, "t": 1024**3}


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


def _coerce_ratio(ctx, field, value):
    if isinstance(value, bool):
        ctx.error(field, value, "is a boolean, expected a number such as 1.0 or 16.0")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        ctx.error(field, value, "is not a number (expected e.g. 1.0 or 16.0)")
        return None
    found = ratio_problem(field, number)
    if found:
        ctx.error(field, value, found[0], fix=found[1], code="ratio")
        return None
    return number


def _coerce_int(ctx, field, value, non_negative):
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and re.match(r"^-?\d+$", value.strip()))
    ):
        ctx.error(field, value, "is not a whole number")
        return None
    number = int(value)
    if non_negative and number < 0:
        ctx.error(field, value, "cannot be negative", fix="use 0 or more")
        return None
    return number


def _coerce_bool(ctx, field, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    ctx.error(field, value, "is not a boolean (true or false)")
    return None


def _coerce_cpuset(ctx, field, value):
    try:
        parse_cpuset(value)
    except CpuSetError as exc:
        ctx.error(field, value, str(exc), fix="write CPU sets like '4-15,^8'", code="cpuset")
        return None
    return str(value).strip()


def _coerce_list(ctx, field, value):
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value]
    ctx.error(field, value, "is not a list")
    return None


def _coerce_choice(ctx, field, value, choices):
    if str(value) not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        ctx.error(
            field,
            value,
            "is not one of %s%s" % (", ".join(choices), " (did you mean %r?)" % close[0] if close else ""),
            fix="use one of %s" % ", ".join(choices),
        )
        return None
    return str(value)


_COERCERS = {
    "ratio": _coerce_ratio,
    "int0": lambda ctx, field, value: _coerce_int(ctx, field, value, non_negative=True),
    "int": lambda ctx, field, value: _coerce_int(ctx, field, value, non_negative=False),
    "bool": _coerce_bool,
    "cpuset": _coerce_cpuset,
    "list": _coerce_list,
    "str": lambda ctx, field, value: str(value),
}


def coerce(ctx: Any, field: str, value: Any, kind: str | tuple[str, ...]) -> Any:
    """Check one field value; return the value to write or None after an error.

    ``kind`` is a name in ``_COERCERS`` or a tuple of the allowed choices; any other kind passes
    the value through unchanged.
    """
    if value is None:
        return None
    if isinstance(kind, tuple):
        return _coerce_choice(ctx, field, value, kind)
    coercer = _COERCERS.get(kind)
    return coercer(ctx, field, value) if coercer else value


def unknown_keys(ctx, prefix, given, known):
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
