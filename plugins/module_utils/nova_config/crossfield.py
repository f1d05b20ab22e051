# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-field rules Nova enforces on the merged config of one host and service.

Each rule cites the Nova 34.0.0 function it reproduces (read from the released wheel,
``pip download --no-deps nova==34.0.0``).  The rules run on :class:`effective.EffectiveConfig`
objects, so a finding names the host, the service and the file and line of every value
involved.  Severity ``error``: Nova refuses to start, or the option cannot do what it is
set for; ``warning``: Nova starts but ignores or overrides what the file asks.
Cloud-wide rules (scheduler filters, options in files a service never reads) are in
:mod:`crossfield_cloud`.
"""

from __future__ import annotations

import re

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.cpuset import (
    CpuSetError,
    format_cpuset,
    parse_cpuset,
)

HW = "nova.virt.hardware"
DRV = "nova.virt.libvirt.driver.LibvirtDriver"
CPU_SETS = (("DEFAULT", "vcpu_pin_set"), ("compute", "cpu_dedicated_set"), ("compute", "cpu_shared_set"))
SET_REF = {
    "vcpu_pin_set": HW + ".get_vcpu_pin_set",
    "cpu_dedicated_set": HW + ".get_cpu_dedicated_set",
    "cpu_shared_set": HW + ".get_cpu_shared_set",
}
# Triage rules (rules_data) a finding maps to in the triage CLI's --config-files.
TRIAGE_ERROR = "config-invalid-value"
TRIAGE_WARNING = "config-unknown-option"


def name(s) -> str:
    return "[%s] %s" % (s.section, s.option)


def shown(s) -> str:
    """``[section] option = value (file:line)`` for a message (a secret's value masked)."""
    return "%s = %s (%s)" % (name(s), nova_schema.mask_option(s.section, s.option, s.text()), s.where())


def finding(
    severity: str, code: str, cfg, message: str, fix: str, settings: list, nova_ref: str, facts=None
) -> dict:
    """A finding in nova_schema's shape plus host, service, every source and the Nova function."""
    first = settings[0] if settings else None
    sources = [_masked(s.source()) for s in settings]
    return {
        "severity": severity,
        "code": code,
        "host": cfg.host if cfg is not None else None,
        "hosts": [cfg.host] if cfg is not None else [],
        "service": cfg.service if cfg is not None else None,
        "services": [cfg.service] if cfg is not None else [],
        "file": first.file if first else None,
        "line": first.line if first else None,
        "section": first.section if first else None,
        "option": first.option if first else None,
        "value": sources[0]["value"] if first else None,
        "sources": sources,
        "message": message,
        "fix": fix,
        "nova_ref": nova_ref,
        "facts": facts,
        "triage_rule": TRIAGE_ERROR if severity == "error" else TRIAGE_WARNING,
    }


def _masked(source: dict) -> dict:
    return dict(
        source, value=nova_schema.mask_option(source["section"], source["option"] or "", source["value"])
    )


def _parsed_sets(cfg, out):
    """{option: (Setting, ids)} of the CPU sets that parse; errors appended to ``out``."""
    sets = {}
    for section, option in CPU_SETS:
        s = cfg.get(section, option)
        # Nova: "if not CONF.compute.cpu_dedicated_set: return None" (empty string = unset)
        if s is None or not s.text().strip():
            continue
        try:
            ids = set(parse_cpuset(s.text(), allow_empty=True))
        except CpuSetError as exc:
            out.append(
                finding(
                    "error",
                    "cpuset_syntax",
                    cfg,
                    "%s: %s item %r %s; nova-compute refuses to start (Invalid range expression)"
                    % (shown(s), name(s), exc.part, exc.reason),
                    "write %s as comma-separated CPUs, ranges N-M and exclusions ^N, e.g. 4-15,^8" % name(s),
                    [s],
                    HW + ".parse_cpu_spec",
                )
            )
            continue
        if not ids:
            out.append(
                finding(
                    "error",
                    "cpuset_empty",
                    cfg,
                    "%s selects no CPU at all; nova-compute refuses to start" % shown(s),
                    "list the CPUs to use, or remove %s" % name(s),
                    [s],
                    SET_REF[option],
                )
            )
            continue
        sets[option] = (s, ids)
    return sets


def check_cpu_sets(cfg, facts, out) -> None:
    """vcpu_pin_set / cpu_dedicated_set / cpu_shared_set / reserved_host_cpus, as
    ``LibvirtDriver._check_cpu_set_configuration`` (called first in ``init_host``)."""
    sets = _parsed_sets(cfg, out)
    vcpu = sets.get("vcpu_pin_set")
    ded = sets.get("cpu_dedicated_set")
    shr = sets.get("cpu_shared_set")
    ref = DRV + "._check_cpu_set_configuration"
    if vcpu and ded:
        out.append(
            finding(
                "error",
                "vcpu_pin_set_with_dedicated",
                cfg,
                "%s and %s are both set: nova-compute refuses to start ('vcpu_pin_set' cannot be defined "
                "alongside '[compute] cpu_dedicated_set')" % (shown(vcpu[0]), shown(ded[0])),
                "remove vcpu_pin_set from %s (cpu_dedicated_set replaces it for pinned guests; put the "
                "CPUs of unpinned guests in [compute] cpu_shared_set)" % vcpu[0].file,
                [vcpu[0], ded[0]],
                ref,
            )
        )
    elif vcpu and shr:
        out.append(
            finding(
                "warning",
                "vcpu_pin_set_with_shared",
                cfg,
                "%s and %s are both set: Nova keeps using vcpu_pin_set for VCPU inventory and uses "
                "cpu_shared_set only for emulator threads (legacy behaviour)"
                % (shown(vcpu[0]), shown(shr[0])),
                "remove vcpu_pin_set from %s and keep cpu_shared_set" % vcpu[0].file,
                [vcpu[0], shr[0]],
                ref,
            )
        )
    if not vcpu and ded and shr and ded[1] & shr[1]:
        both = sorted(ded[1] & shr[1])
        out.append(
            finding(
                "error",
                "cpuset_overlap",
                cfg,
                "%s and %s overlap on CPUs %s: nova-compute refuses to start (the two sets must be disjoint)"
                % (shown(ded[0]), shown(shr[0]), _fmt(both)),
                "a CPU is either dedicated (PCPU) or shared (VCPU): take %s out of one of the sets"
                % _fmt(both),
                [ded[0], shr[0]],
                ref,
            )
        )
    reserved = cfg.get("DEFAULT", "reserved_host_cpus")
    if not vcpu and (ded or shr) and reserved is not None and _nonzero(reserved.text()):
        other = (ded or shr)[0]
        out.append(
            finding(
                "error",
                "reserved_host_cpus_with_cpusets",
                cfg,
                "%s and %s are both set: nova-compute refuses to start ('reserved_host_cpus' cannot be "
                "defined alongside cpu_shared_set or cpu_dedicated_set)" % (shown(reserved), shown(other)),
                "remove reserved_host_cpus from %s: the CPUs outside both sets are already the host's"
                % reserved.file,
                [reserved, other],
                ref,
            )
        )
    vcpus = (facts or {}).get("vcpus")
    if isinstance(vcpus, int) and vcpus > 0:
        for option, (s, ids) in sets.items():
            outside = sorted(c for c in ids if c >= vcpus)
            if outside:
                func = "._get_pcpu_available" if option == "cpu_dedicated_set" else "._get_vcpu_available"
                out.append(
                    finding(
                        "error",
                        "cpuset_beyond_host",
                        cfg,
                        "%s names CPUs %s but the host has %d CPUs (0-%d): nova-compute fails "
                        "('one or more of the configured CPUs is not available')"
                        % (shown(s), _fmt(outside), vcpus, vcpus - 1),
                        "use CPUs within 0-%d in %s" % (vcpus - 1, s.file),
                        [s],
                        DRV + func,
                        facts={"vcpus": vcpus},
                    )
                )


def _nonzero(text) -> bool:
    try:
        return int(str(text).strip()) != 0
    except ValueError:
        return bool(str(text).strip())


def _fmt(ids) -> str:
    return format_cpuset(ids)


# oslo_utils.strutils.string_to_bytes, unit_system "IEC" (what numa_get_reserved_huge_pages calls
# when the size is not a plain integer of KiB): "2MB", "1GiB", "2048KB"; "2M", "1gb" are refused.
_IEC = re.compile(r"(^[-+]?\d*\.?\d+)([KMGTPEZYRQ]i?)?(b|bit|B)$")
_EXP = {p: i + 1 for i, p in enumerate("KMGTPEZYRQ")}


def _page_kib(size: str) -> int:
    """Page size in KiB as ``numa_get_reserved_huge_pages`` reads it (ValueError: Nova refuses it)."""
    size = size.strip()
    try:
        return int(size)
    except ValueError:
        pass
    m = _IEC.match(size)
    if not m:
        raise ValueError(size)
    value = float(m.group(1)) * 1024 ** _EXP.get((m.group(2) or " ")[0], 0)
    if m.group(3) in ("b", "bit"):
        value /= 8
    return int(value) // 1024


def check_huge_pages(cfg, facts, out) -> None:
    """``[DEFAULT] reserved_huge_pages`` syntax (``hardware.numa_get_reserved_huge_pages``, run in
    ``LibvirtDriver.__init__``) and, with the host's memory known, pages plus
    ``reserved_host_memory_mb`` beyond its RAM."""
    s = cfg.get("DEFAULT", "reserved_huge_pages")
    reserved_mem = cfg.get("DEFAULT", "reserved_host_memory_mb")
    total_kib = 0
    if s is not None:
        for item in s.values():
            try:
                d = dict(p.split(":", 1) for p in item.split(",") if p.strip())
                d = {k.strip(): v.strip() for k, v in d.items()}
                int(d["node"])
                total_kib += _page_kib(d["size"]) * int(d["count"])
            except (ValueError, KeyError):
                out.append(
                    finding(
                        "error",
                        "reserved_huge_pages_syntax",
                        cfg,
                        "[DEFAULT] reserved_huge_pages = %s (%s) is not node:N,size:KiB,count:N: "
                        "nova-compute refuses to start (InvalidReservedMemoryPagesOption)"
                        % (item, s.where()),
                        "write one line per node and size, e.g. "
                        "reserved_huge_pages = node:0,size:2048,count:64",
                        [s],
                        HW + ".numa_get_reserved_huge_pages",
                    )
                )
                return
    memory_mb = (facts or {}).get("memory_mb")
    if not (isinstance(memory_mb, int) and memory_mb > 0):
        return
    host_mb = 512 if reserved_mem is None else int(cfg.number("DEFAULT", "reserved_host_memory_mb", 512))
    pages_mb = total_kib // 1024
    if pages_mb + host_mb > memory_mb:
        used = [x for x in (s, reserved_mem) if x is not None]
        out.append(
            finding(
                "error",
                "memory_reserved_beyond_ram",
                cfg,
                "%s reserve %d MiB of huge pages plus %d MiB for the host, but the host has %d MiB of RAM"
                % (" and ".join(shown(x) for x in used) or "the defaults", pages_mb, host_mb, memory_mb),
                "reserve less than %d MiB in total" % memory_mb,
                used,
                "nova.compute.resource_tracker.ResourceTracker._get_compute_node / "
                + DRV
                + "._get_host_numa_topology",
                facts={"memory_mb": memory_mb},
            )
        )


def check_libvirt(cfg, out) -> None:
    """CPU model and live-migration options (``LibvirtDriver.init_host``)."""
    mode = cfg.get("libvirt", "cpu_mode")
    models = cfg.get("libvirt", "cpu_models")
    mode_v = mode.text().strip() if mode is not None else None
    has_models = bool(cfg.items("libvirt", "cpu_models"))
    ref = DRV + "._check_cpu_compatibility"
    if mode_v == "custom" and not has_models:
        out.append(
            finding(
                "error",
                "cpu_mode_custom_without_models",
                cfg,
                "%s without [libvirt] cpu_models: nova-compute refuses to start ('The cpu_models option "
                "is required when cpu_mode=custom')" % shown(mode),
                "add [libvirt] cpu_models (e.g. cpu_models = Cascadelake-Server-noTSX) next to cpu_mode in %s"
                % mode.file,
                [mode],
                ref,
            )
        )
    elif has_models and mode_v != "custom":
        used = [models] + ([mode] if mode is not None else [])
        # No cpu_mode in any override file: Kolla's template writes cpu_mode from nova_libvirt_cpu_mode
        # (roles/nova-cell/templates/nova.conf.d/libvirt.conf.j2), which this check cannot see.
        out.append(
            finding(
                "error" if mode is not None else "warning",
                "cpu_models_without_custom",
                cfg,
                "%s with %s: nova-compute refuses to start ('The cpu_models option is not "
                "required when cpu_mode!=custom')%s"
                % (
                    shown(models),
                    shown(mode) if mode is not None else "no cpu_mode in the override files",
                    ""
                    if mode is not None
                    else " unless Kolla's nova_libvirt_cpu_mode is custom (its template writes cpu_mode)",
                ),
                "set [libvirt] cpu_mode = custom next to cpu_models in %s, or remove cpu_models"
                % models.file,
                used,
                ref,
            )
        )
    virt = cfg.get("libvirt", "virt_type")
    if virt is not None and virt.text().strip() not in ("kvm", "qemu") and mode_v not in (None, "none"):
        out.append(
            finding(
                "error",
                "cpu_mode_unsupported_virt_type",
                cfg,
                "%s with %s: nova-compute refuses to start (this hypervisor cannot select CPU models)"
                % (shown(mode), shown(virt)),
                "remove cpu_mode (or set it to none)",
                [mode, virt],
                ref,
            )
        )
    post = cfg.get("libvirt", "live_migration_permit_post_copy")
    auto = cfg.get("libvirt", "live_migration_permit_auto_converge")
    if cfg.boolean("libvirt", "live_migration_permit_post_copy") and cfg.boolean(
        "libvirt", "live_migration_permit_auto_converge"
    ):
        out.append(
            finding(
                "warning",
                "post_copy_overrides_auto_converge",
                cfg,
                "%s and %s: post-copy wins, auto-converge is never used" % (shown(post), shown(auto)),
                "keep one: remove live_migration_permit_auto_converge from %s (or post-copy, if guests "
                "must not risk a failed post-copy)" % auto.file,
                [post, auto],
                DRV + "._handle_live_migration_auto_converge",
            )
        )
    tls = cfg.get("libvirt", "live_migration_with_native_tls")
    tun = cfg.get("libvirt", "live_migration_tunnelled")
    if cfg.boolean("libvirt", "live_migration_with_native_tls") and cfg.boolean(
        "libvirt", "live_migration_tunnelled"
    ):
        out.append(
            finding(
                "error",
                "native_tls_with_tunnelled",
                cfg,
                "%s and %s: nova-compute refuses to start ('Setting both ... at the same time is invalid')"
                % (shown(tls), shown(tun)),
                "remove live_migration_tunnelled from %s (deprecated; native TLS replaces it)" % tun.file,
                [tls, tun],
                DRV + ".init_host",
            )
        )
    power = cfg.get("libvirt", "cpu_power_management")
    if cfg.boolean("libvirt", "cpu_power_management") and not (
        cfg.get("compute", "cpu_dedicated_set") and cfg.text("compute", "cpu_dedicated_set").strip()
    ):
        out.append(
            finding(
                "warning",
                "cpu_power_management_without_dedicated",
                cfg,
                "%s without [compute] cpu_dedicated_set: Nova only powers down dedicated CPUs, so this "
                "does nothing" % shown(power),
                "set [compute] cpu_dedicated_set on this host, or remove cpu_power_management from %s"
                % power.file,
                [power],
                "nova.virt.libvirt.cpu.api.API.power_down_all_dedicated_cpus",
            )
        )
    images = cfg.get("libvirt", "images_type")
    raw = cfg.get("DEFAULT", "force_raw_images")
    if images is not None and images.text().strip() == "rbd" and raw is not None:
        if not cfg.boolean("DEFAULT", "force_raw_images", True):
            out.append(
                finding(
                    "error",
                    "rbd_without_force_raw_images",
                    cfg,
                    "%s with %s: nova-compute refuses to start" % (shown(raw), shown(images)),
                    "remove force_raw_images = False from %s" % raw.file,
                    [raw, images],
                    DRV + ".init_host",
                )
            )


def check_compute(cfg, facts=None) -> list:
    """Every per-host rule on a nova-compute :class:`EffectiveConfig`."""
    out = []
    check_cpu_sets(cfg, facts, out)
    check_huge_pages(cfg, facts, out)
    check_libvirt(cfg, out)
    return out
