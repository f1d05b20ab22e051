# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Override files against the target: removed and deprecated options, [upgrade_levels] pins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


import os
import re

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge


def _where(finding):
    line = finding.get("line")
    return "%s:%s" % (finding["file"], line) if line else str(finding["file"])


# Replacements of options deprecated for removal in nova 31..34, from the help text and
# deprecation reason of each option in nova/conf/*.py (the schema keeps only the first line).
REPLACEMENTS = {
    ("libvirt", "live_migration_uri"): "use [libvirt] live_migration_scheme and [libvirt] "
    "live_migration_inbound_addr (Kolla-Ansible renders live_migration_inbound_addr itself)",
    ("libvirt", "live_migration_tunnelled"): "use [libvirt] live_migration_with_native_tls = true "
    "(with Kolla-Ansible: libvirt_tls: true in globals.yml)",
    ("glance", "api_servers"): "use the keystoneauth adapter options: [glance] endpoint_override, or "
    "nothing to take the endpoint from the service catalog",
    ("wsgi", "secure_proxy_ssl_header"): "use [oslo_middleware] enable_proxy_headers_parsing = true",
    ("wsgi", "wsgi_log_format"): "remove it: nova-api runs under a WSGI server, which logs requests",
    ("DEFAULT", "default_green_pool_size"): "remove it: it applies to eventlet mode only",
    ("os_vif_ovs", "ovsdb_interface"): "remove it: the native (python bindings) interface is the default",
    ("workarounds", "enable_numa_live_migration"): "remove it: NUMA-aware live migration is always on "
    "since nova 20",
    ("workarounds", "disable_fallback_pcpu_query"): "remove it once every compute reports PCPU "
    "inventory ([compute] cpu_dedicated_set set on the hosts of pinned instances)",
}


def deprecation_fix(finding: dict[str, Any], target: dict[str, Any]) -> str:
    """The fix for a deprecated option: its replacement where Nova names one."""
    if finding["code"] == "deprecated_name" and finding.get("fix"):
        return finding["fix"]
    if finding.get("option") == "vcpu_pin_set" and finding.get("fix"):
        return finding["fix"]
    key = (finding.get("section"), nova_schema.norm(finding.get("option") or ""))
    if key in REPLACEMENTS:
        return REPLACEMENTS[key]
    return "no replacement: remove it before a release drops it (nova %s still reads it)" % target["nova"]


def check_config(
    report: Report,
    files: list[tuple[str, str]],
    target: dict[str, Any],
    node_custom_config: str | None = None,
) -> None:
    """Options the target removed (fail) or deprecates (warn) in the override files.

    ``files``: ``[(relpath, text)]``.  Validation is nova_schema's, against the target's
    option schema (codes ``removed``, ``deprecated``, ``deprecated_name``).
    """
    if files is None:
        report.add(
            "config.overrides",
            "skip",
            "node_custom_config %s does not exist: no override files to check" % node_custom_config,
        )
        return
    report.add(
        "config.overrides",
        "pass",
        "%d override file(s) scanned under %s" % (len(files), node_custom_config or "node_custom_config"),
        evidence=[rel for rel, _text in files],
    )
    removed, deprecated = [], []
    for rel, text in files:
        for finding in nova_schema.validate_text(text, target["nova"], rel):
            if finding["code"] == "removed":
                removed.append(finding)
            elif finding["code"] in ("deprecated", "deprecated_name"):
                deprecated.append(finding)
            elif finding["code"] == "parse":
                report.add(
                    "config.parse",
                    "fail",
                    "%s: %s" % (_where(finding), finding["message"]),
                    evidence=finding,
                    fix=finding.get("fix"),
                )
    nova_version = "nova %s (%s)" % (target["nova"], target["series"])
    for f in removed:
        report.add(
            "config.removed",
            "fail",
            "%s: [%s] %s is not an option of %s any more (%s)"
            % (_where(f), f["section"], f["option"], nova_version, f["message"]),
            evidence=_finding_evidence(f),
            fix="delete '%s' from [%s] in %s%s before the upgrade"
            % (f["option"], f["section"], _abs(node_custom_config, f["file"]), _line(f)),
        )
    if not removed:
        report.add("config.removed", "pass", "no override option is removed in %s" % nova_version)
    for f in deprecated:
        fix = deprecation_fix(f, target)
        report.add(
            "config.deprecated",
            "warn",
            "%s: %s" % (_where(f), f["message"]),
            evidence=_finding_evidence(f),
            fix="%s (in %s%s)" % (fix, _abs(node_custom_config, f["file"]), _line(f)),
        )
    if not deprecated:
        report.add("config.deprecated", "pass", "no override option is deprecated in %s" % nova_version)


def _finding_evidence(f):
    return {k: f.get(k) for k in ("file", "line", "section", "option", "value", "code")}


def _abs(base, rel):
    return os.path.join(base, rel) if base else rel


def _line(f):
    return " line %s" % f["line"] if f.get("line") else ""


_RPC_VERSION = re.compile(r"^\d+\.\d+$")


def upgrade_levels(files: list[tuple[str, str]] | None) -> list[dict[str, Any]]:
    """``[{"file", "line", "option", "value"}]`` of every ``[upgrade_levels]`` assignment."""
    out = []
    for rel, text in files or []:
        try:
            entries = nova_schema.entries_from_text(text, rel)
        except kolla_merge.IniParseError:
            continue
        for section, option, value, line in entries:
            if section != "upgrade_levels":
                continue
            values = value if isinstance(value, list) else [value]
            out.append({"file": rel, "line": line, "option": option, "value": values[-1]})
    return out


def check_upgrade_levels(
    report: Report,
    files: list[tuple[str, str]],
    target: dict[str, Any],
    node_custom_config: str | None = None,
) -> None:
    """``[upgrade_levels]`` pins in the overrides and whether to remove them after the upgrade.

    Kolla-Ansible's own nova.conf.j2 (roles nova and nova-cell, every release) already
    writes ``[upgrade_levels] compute = auto``: Nova then caps compute RPC to what the
    oldest nova-compute speaks and lifts the cap by itself once all are upgraded.  A fixed
    value (a version such as ``6.4`` or a release name) keeps the cap after the upgrade.
    """
    if files is None:
        report.add("upgrade_levels.overrides", "skip", "no override directory to scan")
        return []
    pins = upgrade_levels(files)
    if not pins:
        report.add(
            "upgrade_levels.overrides",
            "pass",
            "no [upgrade_levels] setting in the overrides (Kolla's template sets compute = auto)",
        )
        return pins
    for pin in pins:
        where = "%s:%s" % (pin["file"], pin["line"])
        path = _abs(node_custom_config, pin["file"])
        value = str(pin["value"]).strip()
        option = pin["option"].strip()
        if option == "compute" and value.lower() == "auto":
            pin["remove_after_upgrade"] = False
            report.add(
                "upgrade_levels.%s" % option,
                "pass",
                "%s: [upgrade_levels] compute = auto: the compute RPC cap follows the oldest nova-compute "
                "and lifts itself after the upgrade; Kolla's nova.conf.j2 sets the same, so this override "
                "is redundant but need not be removed" % where,
                evidence=pin,
                fix=None,
            )
            continue
        pin["remove_after_upgrade"] = True
        if value.lower() == "auto":
            why = "'auto' is only implemented for compute; for %s it is not a version" % option
        elif _RPC_VERSION.match(value):
            why = "RPC version %s is a fixed cap: after the upgrade the %s RPC API stays at %s" % (
                value,
                option,
                value,
            )
        else:
            why = "the release alias %r is a fixed cap that outlives the upgrade" % value
        report.add(
            "upgrade_levels.%s" % option,
            "warn",
            "%s: [upgrade_levels] %s = %s pins RPC: %s; keep it during the rolling upgrade to %s, "
            "remove it when every service runs nova %s"
            % (where, option, value, why, target["series"], target["nova"]),
            evidence=pin,
            fix="after the upgrade, delete '%s = %s' from [upgrade_levels] in %s, then "
            "kolla-ansible reconfigure -i <inventory> -t nova" % (option, value, path),
        )
    return pins
