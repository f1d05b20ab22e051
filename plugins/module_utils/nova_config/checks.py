# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-field checks of a resolved profile, Nova's option schema on its settings, live-migration groups."""

from __future__ import annotations

from collections import OrderedDict

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import values
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.cpuset import parse_cpuset
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.problems import Ctx, problem


def cross_checks(ctx, result, info):  # noqa: PLR0912  one branch per documented cross-check
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
    if "cpu_dedicated_set" in sets and "cpu_shared_set" in sets:
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


def schema_checks(plan, result):
    """Control characters (refused, issue 20.3), then Nova's option schema on every setting."""
    refused = values.check_written(Ctx(plan, result.host, result.profile), result.settings, result.fields)
    for (section, option), value in result.settings.items():
        if (section, option) in refused:
            continue
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


def live_migration_groups(plan):
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
