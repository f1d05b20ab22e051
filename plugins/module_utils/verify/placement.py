# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of ``compute_verify`` on hypervisors, resource providers and inventories (plain data)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify.checks import restart_compute_hint, some

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NovaCommands
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

RESOURCE_CLASSES = ("VCPU", "MEMORY_MB", "DISK_GB")
INVENTORY_FIELDS = ("total", "reserved", "allocation_ratio", "min_unit", "max_unit", "step_size")

# profile field -> (resource class, inventory field, conversion)
PROFILE_INVENTORY_FIELDS = (
    ("cpu_allocation_ratio", "VCPU", "allocation_ratio", float),
    ("ram_allocation_ratio", "MEMORY_MB", "allocation_ratio", float),
    ("disk_allocation_ratio", "DISK_GB", "allocation_ratio", float),
    ("reserved_host_cpus", "VCPU", "reserved", int),
    ("reserved_host_memory_mb", "MEMORY_MB", "reserved", int),
    # nova: compute_utils.convert_mb_to_ceil_gb(reserved_host_disk_mb)
    ("reserved_host_disk_mb", "DISK_GB", "reserved", lambda mb: math.ceil(int(mb) / 1024.0)),
)
# profile field -> nova.conf option, for fixes
PROFILE_OPTIONS = {
    ("VCPU", "allocation_ratio"): "cpu_allocation_ratio",
    ("MEMORY_MB", "allocation_ratio"): "ram_allocation_ratio",
    ("DISK_GB", "allocation_ratio"): "disk_allocation_ratio",
    ("VCPU", "reserved"): "reserved_host_cpus",
    ("MEMORY_MB", "reserved"): "reserved_host_memory_mb",
    ("DISK_GB", "reserved"): "reserved_host_disk_mb",
}


# --- hypervisors, providers ----------------------------------------------------------------
_TOLERANCE = 1e-6  # ratios and sizes read back from Placement as floats


def check_hosts(
    report: Report,
    compute_hosts: list[str],
    hypervisors: list[dict[str, Any]],
    providers: list[dict[str, Any]],
    commands: NovaCommands | None = None,
    ignore_providers: Iterable[str] = (),
) -> None:
    """Compute services <-> hypervisors <-> root resource providers, one to one.

    ``hypervisors``: dicts ``id``, ``name``, ``service_host``; ``providers``: dicts ``id``,
    ``name``, ``parent_provider_id``.  Providers whose name or UUID is in
    ``ignore_providers`` (sharing providers, for instance) are left out.
    """
    ignore = set(ignore_providers or ())
    providers = [p for p in providers if p["id"] not in ignore and p["name"] not in ignore]
    cmp = nova_services.compare_hosts(compute_hosts, hypervisors, providers)

    # services <-> hypervisors
    if cmp["services_without_hypervisor"] or cmp["hypervisors_without_service"]:
        fixes = []
        for host in cmp["services_without_hypervisor"]:
            fixes.append(
                "%s has a nova-compute service but no compute node: its virt driver did not start; %s"
                % (host, restart_compute_hint(commands, host))
            )
        for name in cmp["hypervisors_without_service"]:
            fixes.append("hypervisor %s has no nova-compute service: a removed host's record" % name)
        report.add(
            "hypervisors.services",
            "fail",
            "nova-compute services without a hypervisor: %s; hypervisors without a service: %s"
            % (
                some(cmp["services_without_hypervisor"]) or "none",
                some(cmp["hypervisors_without_service"]) or "none",
            ),
            {k: cmp[k] for k in ("services_without_hypervisor", "hypervisors_without_service")},
            some(fixes, sep="\n"),
        )
    else:
        report.add(
            "hypervisors.services",
            "pass",
            "%d nova-compute services, %d hypervisors, each with its match"
            % (len(set(compute_hosts)), len(hypervisors)),
            {"hypervisors": len(hypervisors)},
        )

    # hypervisors <-> providers
    problems = []
    fixes = []
    missing_by_host = {}
    for h in cmp["hypervisors_without_provider"]:
        problems.append("hypervisor %s (%s) has no resource provider" % (h["name"], h["id"]))
        missing_by_host.setdefault(h.get("service_host") or h["name"], []).append(h["name"])
    for host, nodes in sorted(missing_by_host.items()):
        fixes.append(
            "%s (%s): nova-compute creates its providers on start and on its periodic update: %s"
            % (host, some(nodes, limit=3), restart_compute_hint(commands, host))
        )
    for p in cmp["providers_without_hypervisor"]:
        problems.append("provider %s (%s) has no hypervisor" % (p["name"], p["id"]))
        fixes.append(
            "provider %s: check it holds no allocations (openstack resource provider show --allocations %s), "
            "then openstack resource provider delete %s" % (p["name"], p["id"], p["id"])
        )
    for m in cmp["name_mismatches"]:
        problems.append(
            "hypervisor %s and provider %s share UUID %s but not the name"
            % (m["hypervisor"], m["provider"], m["id"])
        )
        fixes.append(
            "provider %s: the host was renamed; restart its nova-compute or rename the provider" % m["id"]
        )
    evidence = {
        k: cmp[k] for k in ("hypervisors_without_provider", "providers_without_hypervisor", "name_mismatches")
    }
    evidence["providers"] = len(providers)
    evidence["hypervisors"] = len(hypervisors)
    if problems:
        report.add("placement.providers", "fail", some(problems, sep="; "), evidence, some(fixes, sep="\n"))
    else:
        report.add(
            "placement.providers",
            "pass",
            "%d hypervisors and %d root resource providers match one to one (name and UUID)"
            % (
                len(hypervisors),
                len(
                    [
                        p
                        for p in providers
                        if not p.get("parent_provider_id") or p["parent_provider_id"] == p["id"]
                    ]
                ),
            ),
            evidence,
        )


def expected_from_profile(profile: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Placement inventory fields a compute profile determines (only the fields it sets)."""
    expected = {}
    for field, rc, inv_field, convert in PROFILE_INVENTORY_FIELDS:
        value = (profile or {}).get(field)
        if value is None or value == "":
            continue
        if field.endswith("_allocation_ratio") and float(value) == 0.0:
            continue  # 0.0 means "keep what placement has", like None
        expected.setdefault(rc, {})[inv_field] = convert(value)
    return expected


def resolve_provider(
    host: str, providers: list[dict[str, Any]], hypervisors: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The root provider of an inventory host: by provider name, by the hypervisor's
    service host, then by short name.  None when not found."""
    by_name = {p["name"]: p for p in providers}
    if host in by_name:
        return by_name[host]
    by_id = {p["id"]: p for p in providers}
    for h in hypervisors:
        if h.get("service_host") == host and h["id"] in by_id:
            return by_id[h["id"]]
    short = nova_services.short_name(host)
    for p in providers:
        if nova_services.short_name(p["name"]) == short:
            return p
    return None


def _same(a, b):
    try:
        return abs(float(a) - float(b)) < _TOLERANCE
    except (TypeError, ValueError):
        return a == b


def check_inventories(
    report: Report,
    expected: dict[str, dict[str, dict[str, Any]]],
    inventories: dict[str, dict[str, dict[str, Any]]],
    providers: list[dict[str, Any]],
    hypervisors: list[dict[str, Any]],
    commands: NovaCommands | None = None,
    config_dir: str = "/etc/kolla/config",
) -> None:
    """Placement inventories against the profile each host should have.

    ``expected``: {host: {resource class: {field: value}}} (empty: skipped);
    ``inventories``: {provider uuid: {resource class: {total, reserved, allocation_ratio, ...}}}.
    """
    if not expected:
        report.add(
            "inventories",
            "skip",
            "no expected inventories: no host has a compute profile (nova_config_profile) "
            "or expected_inventories",
        )
        return
    for host in sorted(expected):
        name = "inventories.%s" % host
        want = expected[host] or {}
        if not want:
            report.add(name, "skip", "%s: its profile sets nothing Placement shows" % host)
            continue
        provider = resolve_provider(host, providers, hypervisors)
        if provider is None:
            report.add(
                name,
                "fail",
                "%s: no resource provider found for this host" % host,
                {"expected": want},
                "check the host's nova-compute (services.compute, placement.providers)",
            )
            continue
        have = inventories.get(provider["id"])
        if have is None:
            report.add(
                name, "skip", "%s: inventories of provider %s were not read" % (host, provider["name"])
            )
            continue
        mismatches = []
        options = []
        for rc in sorted(want):
            for field, value in sorted(want[rc].items()):
                actual = (have.get(rc) or {}).get(field)
                if actual is None or not _same(actual, value):
                    mismatches.append("%s %s is %s, expected %s" % (rc, field, actual, value))
                    opt = PROFILE_OPTIONS.get((rc, field))
                    if opt:
                        options.append("[DEFAULT] %s" % opt)
        evidence = {
            "provider": {"name": provider["name"], "uuid": provider["id"]},
            "expected": want,
            "placement": {
                rc: {f: v for f, v in (have.get(rc) or {}).items() if f in INVENTORY_FIELDS}
                for rc in RESOURCE_CLASSES
                if rc in have
            },
        }
        if mismatches:
            report.add(
                name,
                "fail",
                "%s: the profile did not land in Placement: %s" % (host, "; ".join(mismatches)),
                evidence,
                "check %s in %s/nova/%s/nova-compute.conf and %s/nova/nova-compute.conf "
                "(a later file in Kolla's merge order may override it), then kolla-ansible "
                "reconfigure -t nova --limit %s; nova-compute updates Placement on start and on "
                "its periodic update"
                % (", ".join(sorted(set(options))) or "the options", config_dir, host, config_dir, host),
            )
        else:
            report.add(
                name,
                "pass",
                "%s: %s match the profile"
                % (host, ", ".join("%s %s" % (rc, "/".join(sorted(want[rc]))) for rc in sorted(want))),
                evidence,
            )
