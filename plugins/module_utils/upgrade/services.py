# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova service rows against the target: versions, the rows that pin the minimum, too-old and
behind computes, stale rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.releases import (
    CODENAME_SERIES,
    COMPUTE_RPC,
    RELEASES,
    SERIES_ORDER,
    current_release,
    oldest_supported_version,
    previous_release,
    release_of_version,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.commands import Commands

# Binaries that do not heartbeat (their rows are never "up" by the DB driver).
NO_HEARTBEAT = ("nova-osapi_compute", "nova-metadata")


def merge_services(
    sql_rows: list[dict[str, Any]] | None, api_rows: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """One list from ``nova.services`` rows (with ``cell_database``) and compute API rows.

    SQL gives the version, the API gives Nova's up/down verdict and the id the API and
    ``openstack compute service delete`` use (the uuid since microversion 2.53).
    """
    api_by_key = {}
    for row in api_rows or []:
        svc = nova_services.normalize_service(row)
        api_by_key[svc["uuid"] or svc["id"]] = svc
        api_by_key[(svc["host"], svc["binary"])] = svc
    merged = []
    seen_api = set()
    for row in sql_rows or []:
        svc = nova_services.normalize_service(row)
        svc["cell_database"] = row.get("cell_database")
        svc["db_id"] = svc["id"]
        api = api_by_key.get(svc["uuid"]) or api_by_key.get((svc["host"], svc["binary"]))
        if api:
            seen_api.add(id(api))
            svc["api_state"] = api["api_state"]
            svc["disabled_reason"] = svc["disabled_reason"] or api["disabled_reason"]
            svc["zone"] = api["zone"]
        svc["id"] = svc["uuid"] or svc["id"]
        merged.append(svc)
    for svc in {id(v): v for v in api_by_key.values()}.values():
        if id(svc) not in seen_api:
            svc = dict(svc, cell_database=None, db_id=None)
            merged.append(svc)
    return nova_services.analyze(merged)


def stale_services(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Disabled, down or forced-down rows (binaries that heartbeat only)."""
    return [
        s
        for s in services
        if s["binary"] not in NO_HEARTBEAT and (not s["enabled"] or not s["up"] or s["forced_down"])
    ]


def service_view(svc: dict[str, Any], instances: int | None = None) -> dict[str, Any]:
    view = nova_services.describe(svc)
    view["id"] = svc.get("id")
    view["release"] = release_of_version(svc.get("version"))
    if svc.get("cell_database"):
        view["cell_database"] = svc["cell_database"]
    if instances is not None:
        view["instances"] = instances
    return view


def _name(svc):
    return "%s on %s" % (svc["binary"], svc["host"])


def check_behind_target(
    report: Report, target: dict[str, Any], services: list[dict[str, Any]], commands: Commands | None = None
) -> None:
    """nova-compute services more than one release behind the target, that Nova still accepts.

    Nova itself only refuses computes older than the target's OLDEST_SUPPORTED_SERVICE_VERSION
    (``services.too_old``).  On a SLURP target (2025.1, 2026.1) that is two releases back, so a
    compute left on the previous SLURP release passes Nova's test, but it has to be upgraded in
    this upgrade: the next release accepts computes of the target's release only.  Warn with the
    exact fix.  Forced-down rows are left out, as Nova leaves them out of the minimum version.
    """
    commands = commands or Commands()
    oldest = oldest_supported_version(target)
    previous, previous_version = previous_release(target)
    behind = [
        s
        for s in services
        if s["binary"] == "nova-compute"
        and s.get("version")
        and oldest <= s["version"] < previous_version
        and not s["forced_down"]
    ]
    later = [RELEASES[x] for x in SERIES_ORDER if x > target["series"]]
    if later:
        after = "nova %s (%s) refuses nova-compute older than %s (%s)" % (
            later[0]["nova"],
            later[0]["series"],
            CODENAME_SERIES[later[0]["oldest_supported"]],
            later[0]["oldest_supported"],
        )
    else:
        after = "the release after %s accepts nova-compute from %s on only" % (
            target["series"],
            target["series"],
        )
    for s in behind:
        fix = (
            "upgrade nova-compute on %s to %s in this upgrade (kolla-ansible upgrade -i <inventory> "
            "--limit %s)"
            % (
                s["host"],
                target["series"],
                s["host"],
            )
        )
        if not s["up"] or not s["enabled"]:
            fix = "%s if %s is decommissioned, else %s" % (
                commands.openstack("compute service delete", str(s["id"])),
                s["host"],
                fix,
            )
        report.add(
            "services.behind_target",
            "warn",
            "%s reports service version %d (%s), more than one release behind %s (nova %s): nova %s still "
            "starts with it (%s is a SLURP release and accepts computes from %s on), but %s, so upgrade it "
            "to %s now"
            % (
                _name(s),
                s["version"],
                release_of_version(s["version"]),
                target["series"],
                target["nova"],
                target["nova"],
                target["series"],
                CODENAME_SERIES[target["oldest_supported"]],
                after,
                target["series"],
            ),
            evidence=dict(
                service_view(s),
                target=target["series"],
                one_release_behind="%s (%s, service version %d)"
                % (CODENAME_SERIES[previous], previous, previous_version),
            ),
            fix=fix,
        )
    if not behind:
        report.add(
            "services.behind_target",
            "pass",
            "no nova-compute more than one release behind %s (oldest accepted without warning: %s (%s), "
            "service version %d)" % (target["series"], CODENAME_SERIES[previous], previous, previous_version),
            evidence={"one_release_behind_version": previous_version},
        )
    return behind


def check_release_path(report: Report, target: dict[str, Any], services: list[dict[str, Any]]) -> None:
    """Whether the services' release may move to the target (Nova's oldest supported version)."""
    versions = [s["version"] for s in services if s.get("version")]
    oldest = oldest_supported_version(target)
    if not versions:
        report.add(
            "release.path",
            "skip",
            "no service versions known (nova_commands not given or no service rows): the current release "
            "is unknown",
        )
        return None
    top = max(versions)
    current = current_release(versions)
    running = current["series"] if current else release_of_version(top)
    evidence = {
        "current": running,
        "current_service_version": top,
        "target": target["series"],
        "target_service_version": target["service_version"],
        "target_oldest_supported": "%s (%s, service version %d)"
        % (CODENAME_SERIES[target["oldest_supported"]], target["oldest_supported"], oldest),
    }
    if top > target["service_version"]:
        status, message = (
            "fail",
            "services already run %s, newer than the target %s: Nova does not downgrade"
            % (
                running,
                target["series"],
            ),
        )
    elif current and current["series"] == target["series"]:
        status, message = (
            "pass",
            "services already run %s (service version %d): nothing to upgrade in Nova"
            % (
                running,
                top,
            ),
        )
    elif top < oldest:
        steps = [s for s in SERIES_ORDER if s < target["series"] and RELEASES[s]["service_version"] >= oldest]
        status, message = (
            "fail",
            "%s -> %s is not a supported upgrade: nova %s accepts services from %s (%s) on; "
            "upgrade to %s first"
            % (
                running,
                target["series"],
                target["nova"],
                CODENAME_SERIES[target["oldest_supported"]],
                target["oldest_supported"],
                steps[0] if steps else CODENAME_SERIES[target["oldest_supported"]],
            ),
        )
    else:
        skip = [s for s in SERIES_ORDER if running < s < target["series"]]
        status, message = (
            "pass",
            "%s -> %s%s is a supported upgrade"
            % (running, target["series"], " (skip-level, SLURP)" if skip else ""),
        )
    report.add("release.path", status, message, evidence=evidence)
    return current


def check_services(
    report: Report,
    target: dict[str, Any],
    services: list[dict[str, Any]],
    instances_by_host: dict[str, int] | None = None,
    commands: Commands | None = None,
    versions_known: bool = True,
) -> None:
    """Service versions, the rows that pin the minimum, too-old computes, computes more than one
    release behind the target, stale rows.

    ``services``: :func:`merge_services` output.  ``instances_by_host``: host -> number
    of instances (all projects) for the stale hosts.
    """
    commands = commands or Commands()
    check_release_path(report, target, services)
    if not versions_known:
        report.add(
            "services.versions",
            "skip",
            "service versions need nova_commands (SQL on nova.services): the compute API does not "
            "expose them",
            evidence=[service_view(s) for s in services],
        )
    else:
        report_versions(report, services)
        report_minimum_version(report, services, commands)
        report_too_old(report, target, services, commands)
        check_behind_target(report, target, services, commands)
    report_stale(report, services, instances_by_host or {}, commands)


def report_versions(report: Report, services: list[dict[str, Any]]) -> None:
    """``services.versions``: the distinct versions of each binary."""
    by_binary = {}
    for s in services:
        by_binary.setdefault(s["binary"], []).append(s.get("version"))
    summary = ", ".join(
        "%s %s" % (b, "/".join(str(v) for v in sorted({x for x in vs if x is not None})) or "?")
        for b, vs in sorted(by_binary.items())
    )
    report.add(
        "services.versions",
        "pass",
        "%d service row(s): %s" % (len(services), summary),
        evidence=[service_view(s) for s in services],
    )


def report_minimum_version(report: Report, services: list[dict[str, Any]], commands: Commands | None) -> None:
    """``services.minimum_version``: the rows that pin each binary's minimum version."""
    # Rows that pin the minimum: nova/db/main/api.py service_get_minimum_version (min over
    # deleted = 0 and forced_down = false rows), via nova_services.version_spread.
    rows = [
        {
            "id": s["id"],
            "host": s["host"],
            "binary": s["binary"],
            "version": s["version"],
            "enabled": s["enabled"],
            "disabled_reason": s["disabled_reason"],
            "forced_down": s["forced_down"],
            "api_state": s["api_state"],
            "heartbeat": s["heartbeat"],
            "uuid": s.get("uuid"),
            "zone": s.get("zone"),
        }
        for s in services
        if s.get("version")
    ]
    spread = nova_services.version_spread(rows)
    pinned = False
    for binary, entry in spread["binaries"].items():
        if not entry["pinning"]:
            continue
        pinned = True
        hosts = sorted({p["host"] for p in entry["pinning"]})
        rpc = ""
        if binary == "nova-compute" and entry["min"] in COMPUTE_RPC:
            rpc = (
                "; with [upgrade_levels] compute = auto, compute RPC is capped at %s "
                "(the newest speak %s)"
                % (
                    COMPUTE_RPC[entry["min"]],
                    COMPUTE_RPC.get(entry["max"], "?"),
                )
            )
        fixes = pinning_fixes(binary, entry, services, commands)
        report.add(
            "services.minimum_version",
            "warn",
            "%s minimum service version %d (%s) is pinned by %s; newest is %d%s"
            % (
                binary,
                entry["min"],
                release_of_version(entry["min"]),
                ", ".join(hosts),
                entry["max"],
                rpc,
            ),
            evidence=entry,
            fix="\n".join(fixes),
        )
    if not pinned:
        report.add(
            "services.minimum_version",
            "pass",
            "no binary has mixed service versions (versions: %s)" % ", ".join(map(str, spread["versions"])),
            evidence=spread,
        )


def pinning_fixes(
    binary: str, entry: dict[str, Any], services: list[dict[str, Any]], commands: Commands | None
) -> list[str]:
    """The fix of each row that pins ``binary``'s minimum version (``entry``: version_spread's)."""
    fixes = []
    for p in entry["pinning"]:
        svc = next(s for s in services if s["host"] == p["host"] and s["binary"] == binary)
        if binary in NO_HEARTBEAT:
            # the compute API neither lists nor deletes nova-osapi_compute rows
            fixes.append(
                "upgrade %s on %s; if that host is gone: %s"
                % (binary, svc["host"], commands.soft_delete_row(svc))
            )
        elif not svc["up"] or not svc["enabled"]:
            fixes.append(commands.openstack("compute service delete", str(svc["id"])))
        else:
            fixes.append(
                "upgrade %s on %s (kolla-ansible upgrade -i <inventory> --limit %s)"
                % (binary, svc["host"], svc["host"])
            )
    return fixes


def report_too_old(
    report: Report, target: dict[str, Any], services: list[dict[str, Any]], commands: Commands | None
) -> None:
    """``services.too_old``: nova-compute rows the target refuses to start with."""
    target_name = "%s (nova %s)" % (target["series"], target["nova"])
    # Too old: nova/utils.py raise_if_old_compute() (called from nova/service.py
    # Service.create() and nova-status's "Older than N-1 computes" check) takes the
    # minimum nova-compute version over all cells (objects/service.py
    # get_minimum_version_all_cells -> db service_get_minimum_version: deleted = 0,
    # forced_down = false, version > 0) and raises TooOldComputeService when it is below
    # SERVICE_VERSION_ALIASES[OLDEST_SUPPORTED_SERVICE_VERSION] of the new code: the
    # upgraded services refuse to start.  For non-SLURP targets that is "more than one
    # release behind"; a SLURP target (2026.1) also accepts the previous SLURP (2025.1):
    # check_behind_target warns about those computes (issue 12).
    oldest = oldest_supported_version(target)
    old = [
        s
        for s in services
        if s["binary"] == "nova-compute"
        and s.get("version")
        and s["version"] < oldest
        and not s["forced_down"]
    ]
    ignored = [
        s
        for s in services
        if s["binary"] == "nova-compute" and s.get("version") and s["version"] < oldest and s["forced_down"]
    ]
    for s in old:
        if not s["up"] or not s["enabled"]:
            fix = commands.openstack("compute service delete", str(s["id"]))
        else:
            fix = "upgrade nova-compute on %s to %s or newer first (kolla-ansible upgrade --limit %s)" % (
                s["host"],
                CODENAME_SERIES[target["oldest_supported"]],
                s["host"],
            )
        report.add(
            "services.too_old",
            "fail",
            "%s reports service version %d (%s): nova %s refuses to start while a nova-compute is older "
            "than %d (%s, TooOldComputeService)"
            % (
                _name(s),
                s["version"],
                release_of_version(s["version"]),
                target["nova"],
                oldest,
                CODENAME_SERIES[target["oldest_supported"]],
            ),
            evidence=service_view(s),
            fix=fix,
        )
    if not old:
        report.add(
            "services.too_old",
            "pass",
            "no nova-compute older than service version %d (%s), the oldest %s accepts%s"
            % (
                oldest,
                CODENAME_SERIES[target["oldest_supported"]],
                target_name,
                "; forced-down rows %s are ignored by Nova" % ", ".join(s["host"] for s in ignored)
                if ignored
                else "",
            ),
            evidence={
                "oldest_supported_version": oldest,
                "forced_down_ignored": [service_view(s) for s in ignored],
            },
        )


def report_stale(
    report: Report,
    services: list[dict[str, Any]],
    instances_by_host: dict[str, int],
    commands: Commands | None,
) -> None:
    """``services.stale``: disabled or down rows, with what to do before deleting each."""
    stale = stale_services(services)
    for s in stale:
        count = instances_by_host.get(s["host"]) if s["binary"] == "nova-compute" else None
        state = []
        if not s["enabled"]:
            state.append("disabled%s" % (" (%s)" % s["disabled_reason"] if s["disabled_reason"] else ""))
        if s["forced_down"]:
            state.append("forced down")
        elif not s["up"]:
            state.append("down")
        what = "%s (id %s) is %s" % (_name(s), s["id"], " and ".join(state))
        if count:
            move = (
                "%s, or kolla_ops.nova.compute_host state=evacuated"
                % commands.openstack("server evacuate", "<server>")
                if not s["up"]
                else "%s, or kolla_ops.nova.compute_host state=drained"
                % commands.openstack("server migrate --live-migration", "<server>")
            )
            report.add(
                "services.stale",
                "warn",
                "%s and still has %d instance(s): move them before deleting the service" % (what, count),
                evidence=service_view(s, count),
                fix="%s (list: %s), then %s"
                % (
                    move,
                    commands.openstack("server list --all-projects --host", s["host"]),
                    commands.openstack("compute service delete", str(s["id"])),
                ),
            )
        else:
            report.add(
                "services.stale",
                "warn",
                "%s%s: if it is decommissioned, delete it before the upgrade (%s)"
                % (
                    what,
                    " and has no instances" if count == 0 else "",
                    "forced down: Nova leaves it out of the minimum service version"
                    if s["forced_down"]
                    else "it still counts for the minimum service version",
                ),
                evidence=service_view(s, count),
                fix=commands.openstack("compute service delete", str(s["id"])),
            )
    if not stale:
        report.add("services.stale", "pass", "no disabled or down service rows")
