# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of ``compute_verify``, on plain data.

Each ``check_*`` function takes what the module gathered (lists of dicts, no SDK
objects) and adds named results to a :class:`report.Report`: ``pass``, ``warn``,
``fail`` or ``skip``, each with evidence and, when something is wrong, the fix.
Unit tests drive them without a cloud.
"""

from __future__ import annotations

import math
import re
import shlex

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services

CELL0_UUID = "00000000-0000-0000-0000-000000000000"
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
_SHORT = {"nova-compute": "compute", "nova-scheduler": "scheduler", "nova-conductor": "conductor"}


# --- how to run nova's commands, for fixes ------------------------------------------------
def command_text(commands, args, cell=False):
    """The command line an operator types to run ``nova-manage args``.

    ``commands``: a ``NovaCommands`` or None (then Kolla's docker form is shown).
    """
    if commands is None:
        argv = ["docker", "exec", "nova_conductor" if cell else "nova_api", "nova-manage"] + list(args)
    else:
        argv = commands.argv_nova_manage(args, cell=cell)
    return " ".join(shlex.quote(a) for a in argv)


def discover_hosts_command(commands, cell_uuid=None):
    args = ["cell_v2", "discover_hosts", "--by-service"]
    if cell_uuid:
        args += ["--cell_uuid", cell_uuid]
    return command_text(commands, args, cell=True)


def _restart_compute_hint(commands, host):
    if commands is not None and commands.mode == "sandbox":
        return "%s start-compute %s" % (commands.sandbox_command, host)
    engine = commands.engine if commands is not None else "docker"
    return "on %s: %s restart nova_compute (then check /var/log/kolla/nova/nova-compute.log)" % (host, engine)


def _service_fix(commands, svc):
    binary = svc.get("binary")
    host = svc.get("host")
    if commands is not None and commands.mode == "sandbox":
        if binary == "nova-compute":
            return "%s start-compute %s" % (commands.sandbox_command, host)
        return "%s start-service %s" % (commands.sandbox_command, binary)
    engine = commands.engine if commands is not None else "docker"
    container = (binary or "").replace("-", "_")
    return "on %s: %s ps -a --filter name=%s; %s restart %s; read /var/log/kolla/nova/%s.log" % (
        host,
        engine,
        container,
        engine,
        container,
        binary,
    )


MAX_LISTED = 10  # items named in a message or a fix; the evidence holds them all


def some(items, limit=MAX_LISTED, sep=", "):
    """Join at most ``limit`` items, then say how many more there are."""
    items = list(items)
    text = sep.join(str(i) for i in items[:limit])
    if len(items) > limit:
        text += "%s... and %d more (see evidence)" % (sep, len(items) - limit)
    return text


def _names(services):
    return some("%s@%s" % (s["binary"], s["host"]) for s in services)


# --- services -------------------------------------------------------------------------------
def check_services(report, services, commands=None, binaries=nova_services.MAIN_BINARIES):
    """Every service of each binary up and enabled; disabled ones listed with their reason.

    ``services``: output of :func:`nova_services.analyze`.
    """
    for binary in binaries:
        name = "services.%s" % _SHORT.get(binary, binary)
        rows = [s for s in services if s["binary"] == binary]
        evidence = [nova_services.describe(s) for s in rows]
        if not rows:
            report.add(
                name,
                "fail",
                "no %s service is registered" % binary,
                evidence,
                "deploy %s (kolla-ansible deploy -t nova) and check that it starts and reaches the database"
                % binary,
            )
            continue
        down = [s for s in rows if not s["up"]]
        disabled = [s for s in rows if not s["enabled"]]
        if down:
            fixes = ["%s is down: %s" % (_names([s]), _service_fix(commands, s)) for s in down]
            report.add(
                name,
                "fail",
                "%d of %d %s services down: %s"
                % (len(down), len(rows), binary, some(s["host"] for s in down)),
                evidence,
                some(fixes, sep="\n"),
            )
        elif disabled:
            reasons = some(
                "%s (%s)" % (s["host"], s["disabled_reason"] or "no reason given") for s in disabled
            )
            report.add(
                name,
                "warn",
                "%d of %d %s services up, %d disabled: %s"
                % (len(rows), len(rows), binary, len(disabled), reasons),
                evidence,
                "when the maintenance is over: openstack compute service set --enable HOST %s" % binary,
            )
        else:
            report.add(
                name, "pass", "%d of %d %s services up and enabled" % (len(rows), len(rows), binary), evidence
            )


def check_forced_down(report, services):
    forced = [s for s in services if s.get("forced_down")]
    if not forced:
        report.add("services.forced_down", "pass", "no service is forced down", [])
        return
    report.add(
        "services.forced_down",
        "fail",
        "forced down: %s" % _names(forced),
        [nova_services.describe(s) for s in forced],
        "once the host is fenced and its instances evacuated, or it is back: "
        + some("openstack compute service set --up %s %s" % (s["host"], s["binary"]) for s in forced),
    )


def check_heartbeats(report, services, down_time=nova_services.SERVICE_DOWN_TIME, skew=10):
    """Heartbeats older than ``down_time`` (fail) or from the future (clock skew, warn)."""
    stale = [s for s in services if s["heartbeat_age"] is None or s["heartbeat_age"] > down_time]
    future = [s for s in services if s["heartbeat_age"] is not None and s["heartbeat_age"] < -skew]
    evidence = {
        "service_down_time": down_time,
        "stale": [nova_services.describe(s) for s in stale],
        "future": [nova_services.describe(s) for s in future],
    }
    if stale:
        report.add(
            "services.heartbeat",
            "fail",
            "stale heartbeats (older than %ss): %s"
            % (
                down_time,
                some(
                    "%s@%s %s"
                    % (
                        s["binary"],
                        s["host"],
                        "never" if s["heartbeat_age"] is None else "%ds ago" % s["heartbeat_age"],
                    )
                    for s in stale
                ),
            ),
            evidence,
            "a service that stopped reporting is dead or cannot reach the database/RabbitMQ: check "
            "the container and its log on that host; a deleted host's record: "
            "openstack compute service delete ID",
        )
    elif future:
        report.add(
            "services.heartbeat",
            "warn",
            "heartbeats in the future (clock skew): %s" % _names(future),
            evidence,
            "synchronise the clocks (chrony) on the controllers and the named hosts",
        )
    else:
        report.add(
            "services.heartbeat",
            "pass",
            "every heartbeat younger than %ss" % down_time,
            {"service_down_time": down_time},
        )


def check_versions(report, spread):
    """``spread``: :func:`nova_services.version_spread` of the SQL rows; None: skipped."""
    if spread is None:
        report.add(
            "services.versions",
            "skip",
            "service versions need SQL on the nova database (set nova_commands)",
        )
        return
    if not spread["versions"]:
        report.add("services.versions", "skip", "no service row carries a version", spread)
        return
    if not spread["mixed"]:
        report.add("services.versions", "pass", "every service at version %s" % spread["versions"][0], spread)
        return
    pins = []
    dead_pins = []
    for binary, entry in spread["binaries"].items():
        for row in entry["pinning"]:
            pins.append("%s@%s v%s" % (binary, row["host"], row["version"]))
            if not row.get("up") or not row.get("enabled"):
                dead_pins.append("%s@%s" % (binary, row["host"]))
    fix = (
        "finish the upgrade of the hosts that pin the minimum, or delete records of hosts that are "
        "gone (openstack compute service delete ID); nova counts disabled and down rows, only "
        "forced-down rows are ignored"
    )
    message = "mixed service versions %s; minimum pinned by %s" % (
        ", ".join(str(v) for v in spread["versions"]),
        ", ".join(pins) or "rows of one binary only",
    )
    if dead_pins:
        message += "; down or disabled rows pin it: %s" % ", ".join(dead_pins)
    report.add("services.versions", "warn", message, spread, fix)


# --- cells ----------------------------------------------------------------------------------
def check_cells(report, cells, error=None):
    """``cells``: rows of ``nova-manage cell_v2 list_cells --verbose``."""
    if cells is None:
        report.add(
            "cells.present",
            "skip",
            error or "cells need nova-manage (set nova_commands)",
        )
        return
    evidence = [{"name": c.get("Name"), "uuid": c.get("UUID"), "disabled": c.get("Disabled")} for c in cells]
    has_cell0 = any(c.get("UUID") == CELL0_UUID or c.get("Name") == "cell0" for c in cells)
    others = [c for c in cells if c.get("UUID") != CELL0_UUID and c.get("Name") != "cell0"]
    disabled = [c for c in others if str(c.get("Disabled", "False")).lower() == "true"]
    if not has_cell0 or not others:
        missing = []
        if not has_cell0:
            missing.append("cell0")
        if not others:
            missing.append("a cell for computes")
        report.add(
            "cells.present",
            "fail",
            "missing: %s" % " and ".join(missing),
            evidence,
            "kolla-ansible deploy -t nova creates them (nova-manage cell_v2 map_cell0; "
            "nova-manage cell_v2 create_cell --name cell1)",
        )
    elif len(disabled) == len(others):
        report.add(
            "cells.present",
            "fail",
            "every cell is disabled: nothing can be scheduled",
            evidence,
            "nova-manage cell_v2 update_cell --cell_uuid UUID --enable",
        )
    elif disabled:
        report.add(
            "cells.present",
            "warn",
            "cell0 and %d cells, disabled: %s" % (len(others), ", ".join(c.get("Name") for c in disabled)),
            evidence,
            "nova-manage cell_v2 update_cell --cell_uuid UUID --enable",
        )
    else:
        report.add(
            "cells.present",
            "pass",
            "cell0 and %d cell(s): %s" % (len(others), ", ".join(c.get("Name") for c in others)),
            evidence,
        )


def check_host_mappings(report, compute_hosts, host_mappings, commands=None, cells=None, error=None):
    """Compute hosts without a host mapping (``discover_hosts`` was not run).

    ``compute_hosts``: hosts of nova-compute services; ``host_mappings``: rows of
    ``nova-manage cell_v2 list_hosts`` (``Cell Name``, ``Cell UUID``, ``Hostname``).
    """
    if host_mappings is None:
        report.add(
            "cells.host_mappings", "skip", error or "host mappings need nova-manage (set nova_commands)"
        )
        return
    mapped = {r.get("Hostname"): r.get("Cell Name") for r in host_mappings}
    unmapped = sorted(h for h in set(compute_hosts) if h not in mapped)
    stale = sorted(h for h in mapped if h not in set(compute_hosts))
    evidence = {"mapped": mapped, "unmapped": unmapped, "mappings_without_service": stale}
    if unmapped:
        cell_uuid = None
        if cells:
            others = [
                c.get("UUID") for c in cells if c.get("UUID") != CELL0_UUID and c.get("Name") != "cell0"
            ]
            if len(others) == 1:
                cell_uuid = others[0]
        report.add(
            "cells.host_mappings",
            "fail",
            "compute hosts not mapped to a cell (cannot be scheduled to): %s" % some(unmapped),
            evidence,
            discover_hosts_command(commands, cell_uuid),
        )
    elif stale:
        report.add(
            "cells.host_mappings",
            "warn",
            "host mappings without a nova-compute service: %s" % some(stale),
            evidence,
            "if those hosts are gone: %s"
            % command_text(
                commands, ["cell_v2", "delete_host", "--cell_uuid", "UUID", "--host", "HOST"], cell=True
            ),
        )
    else:
        report.add(
            "cells.host_mappings",
            "pass",
            "all %d compute hosts mapped to a cell" % len(set(compute_hosts)),
            evidence,
        )


# --- hypervisors, providers ----------------------------------------------------------------
def check_hosts(report, compute_hosts, hypervisors, providers, commands=None, ignore_providers=()):
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
                % (host, _restart_compute_hint(commands, host))
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
            % (host, some(nodes, limit=3), _restart_compute_hint(commands, host))
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


def expected_from_profile(profile):
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


def resolve_provider(host, providers, hypervisors):
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
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return a == b


def check_inventories(
    report, expected, inventories, providers, hypervisors, commands=None, config_dir="/etc/kolla/config"
):
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


_TOKEN = re.compile(r"(token(?:=|%3D|%3d))[^&%#\s]+")


def mask_console_url(url):
    """A console URL with its token masked (a token opens the console until it expires)."""
    if not isinstance(url, str):
        return url
    return _TOKEN.sub(lambda m: m.group(1) + "***", url)


# --- console ---------------------------------------------------------------------------------
def check_console(report, result):
    """``result``: {"skipped": reason} or {"server", "type", "url", "error", "probe":
    {"status", "error", "novnc"}} as the module gathered it."""
    name = "console.proxy"
    if not result or result.get("skipped"):
        report.add(name, "skip", (result or {}).get("skipped") or "console check not requested")
        return
    evidence = {k: result.get(k) for k in ("server", "type", "url", "probe")}
    fix_url = (
        "check that nova-novncproxy runs and listens where [vnc] novncproxy_base_url points "
        "(Kolla renders it from nova_novncproxy_fqdn and nova_novncproxy_public_port; a load "
        "balancer must forward that port), and that the URL's host resolves from where users "
        "open it"
    )
    if result.get("error"):
        report.add(
            name,
            "fail",
            "no console URL for server %s: %s" % ((result.get("server") or {}).get("name"), result["error"]),
            evidence,
            "check nova_console in globals.yml, [vnc] enabled on the computes, and nova-api's log",
        )
        return
    probe = result.get("probe") or {}
    if probe.get("error"):
        report.add(
            name,
            "fail",
            "console URL issued but the proxy does not answer (users see 'Failed to connect'): %s: %s"
            % (result.get("url"), probe["error"]),
            evidence,
            fix_url,
        )
    elif (
        probe.get("status") is not None
        and int(probe["status"]) >= 400
        # a serial console proxy speaks websocket only: any HTTP answer means it listens
        and result.get("type") != "serial"
    ):
        report.add(
            name,
            "fail",
            "console proxy answered HTTP %s for %s: wrong base URL or path"
            % (probe["status"], result.get("url")),
            evidence,
            fix_url,
        )
    elif probe.get("novnc") is False:
        report.add(
            name,
            "warn",
            "something answered at %s (HTTP %s) but it does not look like noVNC"
            % (result.get("url"), probe.get("status")),
            evidence,
            fix_url,
        )
    else:
        report.add(
            name,
            "pass",
            "%s console URL issued and the proxy answers (HTTP %s)"
            % (result.get("type"), probe.get("status")),
            evidence,
        )


# --- smoke test -------------------------------------------------------------------------------
def check_smoke(report, result):
    """``result``: {"skipped": reason} or {"server_id", "status", "seconds", "timeout",
    "error", "deleted", "fault"}."""
    name = "smoke.boot"
    if not result or result.get("skipped"):
        report.add(name, "skip", (result or {}).get("skipped") or "smoke test not requested")
        return
    evidence = dict(result)
    if result.get("error") or result.get("status") != "ACTIVE":
        # the SDK's error says only "transitioned to failure state ERROR"; Nova's fault names the cause
        causes = [c for c in (result.get("error"), result.get("fault")) if c]
        cause = "; fault: ".join(causes) or "status %s" % result.get("status")
        if result.get("deleted") is False:
            cause += "; the server could not be deleted: %s" % result.get("delete_error")
        elif result.get("deleted"):
            cause += "; the server was deleted"
        if not result.get("server_id"):
            message = "smoke test could not create a server (flavor %s, image %s): %s" % (
                result.get("flavor"),
                result.get("image"),
                cause,
            )
        else:
            message = "server %s did not become ACTIVE%s: %s" % (
                result["server_id"],
                " within %ss" % result["timeout"] if result.get("timeout") is not None else "",
                cause,
            )
        fix = (
            "openstack server show ID (fault); the scheduler and nova-compute logs name the reason "
            "(NoValidHost: see services.*, placement.*, inventories.*)"
        )
        if result.get("deleted") is False:
            fix = "openstack server delete %s; then %s" % (result["server_id"], fix)
        report.add(name, "fail", message, evidence, fix)
    elif result.get("deleted") is False:
        report.add(
            name,
            "warn",
            "server %s ACTIVE in %ss but could not be deleted: %s"
            % (result["server_id"], result.get("seconds"), result.get("delete_error")),
            evidence,
            "openstack server delete %s" % result["server_id"],
        )
    else:
        report.add(
            name,
            "pass",
            "server ACTIVE in %ss and deleted" % result.get("seconds"),
            evidence,
        )
