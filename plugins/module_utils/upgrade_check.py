# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrade readiness: what to fix before moving Nova to the next release.

Pure Python: the module (``plugins/modules/nova_upgrade_check.py``) gathers files,
SQL rows, API rows and command outputs and hands them to the ``check_*``
functions here, which add results to a :class:`report.Report`.  Nothing here
changes anything; every fix named is the exact command the operator runs.

The release data below is copied from the released packages, each value with
the file and release it came from (``pip download --no-deps nova==<n>.0.0``).
"""

from __future__ import annotations

import os
import re

from ansible_collections.kolla_ops.nova.plugins.module_utils import (
    nova_schema,
    nova_services,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge

# --------------------------------------------------------------------------------------
# Release data
# --------------------------------------------------------------------------------------

# OpenStack series -> nova and kolla-ansible majors (KOLLA_NOVA_FACTS.md, "Releases").
# service_version: SERVICE_VERSION in nova/objects/service.py of that nova x.0.0
#   (31.0.0: 68, 32.0.0: 70, 33.0.0: 72, 34.0.0: 74).
# oldest_supported: OLDEST_SUPPORTED_SERVICE_VERSION in the same file
#   (31.0.0: 'Caracal', 32.0.0: 'Epoxy', 33.0.0: 'Epoxy', 34.0.0: 'Gazpacho').
# compute_rpc: SERVICE_VERSION_HISTORY[SERVICE_VERSION]['compute_rpc'] there.
# db_heads: alembic heads of nova/db/main/migrations/versions and
#   nova/db/api/migrations/versions in that release.
# ansible_core: the range kolla-ansible <kolla>.x supports (KOLLA_NOVA_FACTS.md).
RELEASES = {
    "2025.1": {
        "series": "2025.1",
        "codename": "Epoxy",
        "nova": "31",
        "kolla_ansible": "20",
        "service_version": 68,
        "oldest_supported": "Caracal",
        "compute_rpc": "6.4",
        "slurp": True,
        "db_heads": {"main": "2903cd72dc14", "api": "cdeec0c85668"},
        "ansible_core": ("2.17", "2.19"),
    },
    "2025.2": {
        "series": "2025.2",
        "codename": "Flamingo",
        "nova": "32",
        "kolla_ansible": "21",
        "service_version": 70,
        "oldest_supported": "Epoxy",
        "compute_rpc": "6.4",
        "slurp": False,
        "db_heads": {"main": "2903cd72dc14", "api": "cdeec0c85668"},
        "ansible_core": ("2.18", "2.20"),
    },
    "2026.1": {
        "series": "2026.1",
        "codename": "Gazpacho",
        "nova": "33",
        "kolla_ansible": "22",
        "service_version": 72,
        "oldest_supported": "Epoxy",
        "compute_rpc": "6.5",
        "slurp": True,
        "db_heads": {"main": "2903cd72dc14", "api": "cdeec0c85668"},
        "ansible_core": ("2.19", "2.21"),
    },
    "2026.2": {
        "series": "2026.2",
        "codename": "Hibiscus",
        "nova": "34",
        "kolla_ansible": "23",
        "service_version": 74,
        "oldest_supported": "Gazpacho",
        "compute_rpc": "6.5",
        "slurp": False,
        "db_heads": {"main": "ab450ba04102", "api": "cdeec0c85668"},
        "ansible_core": ("2.20", "2.22"),
    },
}
SERIES_ORDER = tuple(sorted(RELEASES))

# SERVICE_VERSION_ALIASES in nova/objects/service.py of nova 34.0.0 (release name -> the
# newest service version that release writes), with the OpenStack series of each name.
SERVICE_VERSION_ALIASES = {
    "Victoria": 52,
    "Wallaby": 54,
    "Xena": 57,
    "Yoga": 61,
    "Zed": 64,
    "Antelope": 66,
    "Bobcat": 66,
    "Caracal": 66,
    "Dalmatian": 67,
    "Epoxy": 68,
    "Flamingo": 70,
    "Gazpacho": 72,
    "Hibiscus": 74,
}
CODENAME_SERIES = {
    "Victoria": "2020.2",
    "Wallaby": "2021.1",
    "Xena": "2021.2",
    "Yoga": "2022.1",
    "Zed": "2022.2",
    "Antelope": "2023.1",
    "Bobcat": "2023.2",
    "Caracal": "2024.1",
    "Dalmatian": "2024.2",
    "Epoxy": "2025.1",
    "Flamingo": "2025.2",
    "Gazpacho": "2026.1",
    "Hibiscus": "2026.2",
}
# SERVICE_VERSION_HISTORY[v]['compute_rpc'] in nova/objects/service.py of nova 34.0.0:
# the compute RPC version that [upgrade_levels] compute = auto caps to when the oldest
# nova-compute reports service version v (nova/compute/rpcapi.py _determine_version_cap).
COMPUTE_RPC = {
    52: "5.11",
    53: "5.12",
    54: "5.13",
    55: "5.13",
    56: "6.0",
    57: "6.0",
    58: "6.0",
    59: "6.0",
    60: "6.0",
    61: "6.0",
    62: "6.0",
    63: "6.0",
    64: "6.1",
    65: "6.1",
    66: "6.2",
    67: "6.3",
    68: "6.4",
    69: "6.4",
    70: "6.4",
    71: "6.5",
    72: "6.5",
    73: "6.5",
    74: "6.5",
}
# Alembic revisions in order (oldest first), from nova 34.0.0's
# nova/db/main/migrations/versions and nova/db/api/migrations/versions.
DB_CHAINS = {
    "main": (
        "8f2f1571d55b",
        "16f1fbcab42b",
        "ccb0fa1a2252",
        "960aac0e09ea",
        "1b91788ec3a6",
        "1acf2c98e646",
        "13863f4e1612",
        "d60bddf7a903",
        "2903cd72dc14",
        "ab450ba04102",
    ),
    "api": ("d67eeaabee36", "b30f573d3377", "cdeec0c85668"),
}

# Binaries that do not heartbeat (their rows are never "up" by the DB driver).
NO_HEARTBEAT = ("nova-osapi_compute", "nova-metadata")

# nova-manage db online_data_migrations (nova/cmd/manage.py, nova 34.0.0, DbCommands.
# online_migrations) has no dry run: each function both counts and migrates.  These
# read-only queries repeat the filter of the migrations whose filter is one SELECT;
# fill_virtual_interface_list (Stein) and the quota moves (Pike) are not covered.
ONLINE_MIGRATION_QUERIES = {
    "cell": (
        # nova/objects/pci_device.py PciDevice.populate_dev_uuids
        ("populate_dev_uuids", "SELECT COUNT(*) FROM pci_devices WHERE uuid IS NULL"),
        # nova/objects/block_device.py BlockDeviceMapping.populate_uuids
        ("populate_uuids", "SELECT COUNT(*) FROM block_device_mapping WHERE uuid IS NULL"),
        # nova/db/main/api.py migration_migrate_to_uuid
        ("migration_migrate_to_uuid", "SELECT COUNT(*) FROM migrations WHERE uuid IS NULL"),
        # nova/objects/compute_node.py _get_node_empty_ratio (migrate_empty_ratio)
        (
            "migrate_empty_ratio",
            "SELECT COUNT(*) FROM compute_nodes WHERE deleted = 0 AND ("
            "ram_allocation_ratio = 0.0 OR cpu_allocation_ratio = 0.0 OR disk_allocation_ratio = 0.0 "
            "OR ram_allocation_ratio IS NULL OR cpu_allocation_ratio IS NULL "
            "OR disk_allocation_ratio IS NULL)",
        ),
        # nova/objects/instance.py populate_instance_compute_id (rows with a host only:
        # the others are found on every run and never migrated)
        (
            "populate_instance_compute_id",
            "SELECT COUNT(*) FROM instances WHERE compute_id IS NULL AND host IS NOT NULL "
            "AND node IS NOT NULL",
        ),
    ),
    "api": (
        # nova/objects/instance_mapping.py populate_queued_for_delete
        (
            "populate_queued_for_delete",
            "SELECT COUNT(*) FROM instance_mappings WHERE queued_for_delete IS NULL AND cell_id IS NOT NULL",
        ),
        # nova/objects/instance_mapping.py populate_user_id (FAKE_UUID of virtual_interface)
        (
            "populate_user_id",
            "SELECT COUNT(*) FROM instance_mappings WHERE user_id IS NULL "
            "AND project_id != '00000000-0000-0000-0000-000000000000'",
        ),
    ),
}


class UpgradeCheckError(ValueError):
    """Bad input: an unknown release, an unreadable file."""


def target_release(value):
    """``2026.2``, ``34``, ``34.0.1``, ``nova-34``, ``hibiscus``, ``kolla-ansible 23`` -> release dict."""
    text = str(value or "").strip()
    low = text.lower()
    if text in RELEASES:
        return dict(RELEASES[text])
    for rel in RELEASES.values():
        if low == rel["codename"].lower():
            return dict(rel)
    if low.startswith(("kolla-ansible", "kolla")):
        major = low.split()[-1].removeprefix("kolla-ansible").lstrip("-= ").split(".")[0]
        for rel in RELEASES.values():
            if rel["kolla_ansible"] == major:
                return dict(rel)
    try:
        major = nova_schema.release_major(text)
    except nova_schema.SchemaError:
        major = None
    for rel in RELEASES.values():
        if rel["nova"] == major:
            return dict(rel)
    raise UpgradeCheckError(
        "unknown target release %r: use one of %s (or nova %s)"
        % (value, ", ".join(SERIES_ORDER), ", ".join(r["nova"] for r in RELEASES.values()))
    )


def oldest_supported_version(release):
    """The lowest nova-compute service version the release starts with (see check_services)."""
    return SERVICE_VERSION_ALIASES[release["oldest_supported"]]


def release_of_version(version):
    """``"2025.1 (Epoxy)"`` for service version 68; ranges for versions several releases share."""
    if version is None:
        return None
    names = [n for n, v in SERVICE_VERSION_ALIASES.items() if v == version]
    if not names:
        newer = [n for n, v in SERVICE_VERSION_ALIASES.items() if v > version]
        if not newer:
            return "newer than %s" % CODENAME_SERIES["Hibiscus"]
        names = [newer[0]]
        prefix = "development of "
    else:
        prefix = ""
    if len(names) == 1:
        return "%s%s (%s)" % (prefix, CODENAME_SERIES[names[0]], names[0])
    return "%s%s..%s (%s..%s)" % (
        prefix,
        CODENAME_SERIES[names[0]],
        CODENAME_SERIES[names[-1]],
        names[0],
        names[-1],
    )


def current_release(versions):
    """The release (RELEASES entry) that writes the newest of ``versions``, or None when it is
    older than 2025.1 or unknown.  A version between two releases' SERVICE_VERSION belongs to
    the development of the later one."""
    versions = [v for v in versions if v]
    if not versions:
        return None
    top = max(versions)
    previous = SERVICE_VERSION_ALIASES["Dalmatian"]  # the release before 2025.1
    for series in SERIES_ORDER:
        release = RELEASES[series]
        if previous < top <= release["service_version"]:
            return dict(release)
        previous = release["service_version"]
    return None


# --------------------------------------------------------------------------------------
# Commands the fixes name
# --------------------------------------------------------------------------------------


class Commands:
    """Exact command lines for fixes, in the form of the place Nova's commands run.

    ``nova`` is a :class:`nova_cli.NovaCommands` or None (then Kolla's docker form).
    """

    def __init__(self, nova=None):
        self.nova = nova

    def nova_manage(self, *args, cell=False):
        args = " ".join(args).split()
        if self.nova is None:
            container = "nova_conductor" if cell else "nova_api"
            return "docker exec %s nova-manage %s" % (container, " ".join(args))
        return self.nova.describe(self.nova.argv_nova_manage(list(args), cell=cell))

    def nova_status(self, *args):
        args = " ".join(args).split()
        if self.nova is None:
            return "docker exec nova_api nova-status %s" % " ".join(args)
        return self.nova.describe(self.nova.argv_nova_status(list(args)))

    def openstack(self, *args):
        if self.nova is not None and self.nova.mode == "sandbox":
            return "%s openstack %s" % (self.nova.sandbox_command, " ".join(args))
        return "openstack %s" % " ".join(args)

    def sql(self, database, query):
        """A mysql command line with the query in double quotes (queries here have none)."""
        if self.nova is None:
            # -it: mysql asks for the password on the terminal (never on the command line)
            prefix = "docker exec -it mariadb mysql -u root -p %s -e" % database
        else:
            prefix = self.nova.describe(self.nova.argv_sql(database, "")[:-1])
        return '%s "%s"' % (prefix, query)

    def soft_delete_row(self, svc):
        """Nova's own soft delete (deleted = id) of a services row the API cannot delete."""
        uuid = str(svc.get("id") or "")
        if not _SAFE_ID.match(uuid):
            return "soft-delete services row %r in %s" % (uuid, svc.get("cell_database") or "nova")
        query = "UPDATE services SET deleted = id, deleted_at = NOW() WHERE uuid = '%s' AND deleted = 0"
        return self.sql(svc.get("cell_database") or "nova", query % uuid)


_SAFE_ID = re.compile(r"^[0-9A-Za-z_-]+$")


# --------------------------------------------------------------------------------------
# Override files
# --------------------------------------------------------------------------------------


def override_files(node_custom_config):
    """Override files Kolla-Ansible reads for Nova services, as ``[(relpath, path)]``.

    global.conf, nova.conf, nova/<service>.conf, nova/<host>/nova.conf and
    nova/<host>/<service>.conf (kolla_merge.kolla_sources for every service and host).
    """
    base = node_custom_config
    found = []
    for rel in ("global.conf", "nova.conf"):
        found.append(rel)
    nova_dir = os.path.join(base, "nova")
    names = set(kolla_merge.SERVICES)
    if os.path.isdir(nova_dir):
        for entry in sorted(os.listdir(nova_dir)):
            path = os.path.join(nova_dir, entry)
            if os.path.isdir(path):
                for sub in sorted(os.listdir(path)):
                    if sub == "nova.conf" or (sub.endswith(".conf") and sub[:-5] in names):
                        found.append(os.path.join("nova", entry, sub))
            elif entry.endswith(".conf") and entry[:-5] in names:
                found.append(os.path.join("nova", entry))
    out = []
    for rel in found:
        path = os.path.join(base, rel)
        if os.path.isfile(path):
            out.append((rel, path))
    return out


def read_overrides(node_custom_config):
    """``[(relpath, text)]`` of the override files (unreadable files raise UpgradeCheckError)."""
    out = []
    for rel, path in override_files(node_custom_config):
        try:
            with open(path, encoding="utf-8") as handle:
                out.append((rel, handle.read()))
        except OSError as exc:
            raise UpgradeCheckError("cannot read override file %s: %s" % (path, exc)) from exc
    return out


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


def deprecation_fix(finding, target):
    """The fix for a deprecated option: its replacement where Nova names one."""
    if finding["code"] == "deprecated_name" and finding.get("fix"):
        return finding["fix"]
    if finding.get("option") == "vcpu_pin_set" and finding.get("fix"):
        return finding["fix"]
    key = (finding.get("section"), nova_schema.norm(finding.get("option") or ""))
    if key in REPLACEMENTS:
        return REPLACEMENTS[key]
    return "no replacement: remove it before a release drops it (nova %s still reads it)" % target["nova"]


def check_config(report, files, target, node_custom_config=None):
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


def upgrade_levels(files):
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


def check_upgrade_levels(report, files, target, node_custom_config=None):
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


# --------------------------------------------------------------------------------------
# Kolla-Ansible
# --------------------------------------------------------------------------------------


def _version_tuple(text):
    parts = []
    for piece in str(text).split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group(0)))
    return tuple(parts)


def check_kolla(report, target, installed=None, ansible_core=None, globals_release=None):
    """Kolla-Ansible matching the target vs the installed one (and ansible-core, globals)."""
    want = target["kolla_ansible"]
    pip_spec = "kolla-ansible>=%s.0.0,<%d" % (want, int(want) + 1)
    evidence = {"target": target["series"], "kolla_ansible": "%s.x" % want, "installed": installed}
    if not installed:
        report.add(
            "kolla_ansible.release",
            "skip",
            "kolla-ansible is not installed where this ran (and no version was given); %s needs "
            "kolla-ansible %s.x" % (target["series"], want),
            evidence=evidence,
            fix="pip install '%s'" % pip_spec,
        )
    else:
        have = _version_tuple(installed)
        if have and str(have[0]) == want:
            report.add(
                "kolla_ansible.release",
                "pass",
                "kolla-ansible %s matches %s (kolla-ansible %s.x)" % (installed, target["series"], want),
                evidence=evidence,
            )
        elif have and have[0] < int(want):
            report.add(
                "kolla_ansible.release",
                "warn",
                "kolla-ansible %s is installed; %s needs kolla-ansible %s.x: install it before "
                "'kolla-ansible upgrade'" % (installed, target["series"], want),
                evidence=evidence,
                fix="pip install '%s' && kolla-ansible install-deps" % pip_spec,
            )
        else:
            report.add(
                "kolla_ansible.release",
                "fail",
                "kolla-ansible %s is installed but %s is deployed by kolla-ansible %s.x"
                % (installed, target["series"], want),
                evidence=evidence,
                fix="pip install '%s' && kolla-ansible install-deps" % pip_spec,
            )
    if ansible_core:
        low, high = target["ansible_core"]
        have = _version_tuple(ansible_core)[:2]
        ok = _version_tuple(low) <= have < _version_tuple(high)
        report.add(
            "kolla_ansible.ansible_core",
            "pass" if ok else "warn",
            "ansible-core %s %s kolla-ansible %s.x's range >=%s,<%s"
            % (ansible_core, "is within" if ok else "is outside", want, low, high),
            evidence={"installed": ansible_core, "required": ">=%s,<%s" % (low, high)},
            fix=None if ok else "pip install 'ansible-core>=%s,<%s'" % (low, high),
        )
    for path, value in globals_release or []:
        ok = str(value).strip("'\" ") == target["series"]
        report.add(
            "kolla_ansible.openstack_release",
            "pass" if ok else "fail",
            "%s sets openstack_release: %s%s"
            % (
                path,
                value,
                ""
                if ok
                else " (images of another release would be deployed; %s needs %s)"
                % (target["series"], target["series"]),
            ),
            evidence={"file": path, "openstack_release": value},
            fix=None
            if ok
            else 'set openstack_release: "%s" in %s (or delete it: kolla-ansible %s.x defaults to %s)'
            % (target["series"], path, want, target["series"]),
        )


_GLOBALS_RELEASE = re.compile(r"^openstack_release\s*:\s*(\S.*?)\s*(?:#.*)?$", re.M)


def globals_release(config_dir):
    """``[(path, value)]`` of ``openstack_release`` set in globals.yml and globals.d/*.yml."""
    paths = [os.path.join(config_dir, "globals.yml")]
    gdir = os.path.join(config_dir, "globals.d")
    if os.path.isdir(gdir):
        paths += [os.path.join(gdir, n) for n in sorted(os.listdir(gdir)) if n.endswith((".yml", ".yaml"))]
    out = []
    for path in paths:
        text = kolla_merge.read_text(path)
        if text is None:
            continue
        for match in _GLOBALS_RELEASE.finditer(text):
            out.append((path, match.group(1).strip("'\"")))
    return out


# --------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------


def merge_services(sql_rows, api_rows):
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


def stale_services(services):
    """Disabled, down or forced-down rows (binaries that heartbeat only)."""
    return [
        s
        for s in services
        if s["binary"] not in NO_HEARTBEAT and (not s["enabled"] or not s["up"] or s["forced_down"])
    ]


def service_view(svc, instances=None):
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


def previous_release(target):
    """``(codename, service version)`` of the release right before the target (one release behind)."""
    names = list(CODENAME_SERIES)
    previous = names[names.index(target["codename"]) - 1]
    return previous, SERVICE_VERSION_ALIASES[previous]


def check_behind_target(report, target, services, commands=None):
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


def check_release_path(report, target, services):
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


def check_services(report, target, services, instances_by_host=None, commands=None, versions_known=True):
    """Service versions, the rows that pin the minimum, too-old computes, computes more than one
    release behind the target, stale rows.

    ``services``: :func:`merge_services` output.  ``instances_by_host``: host -> number
    of instances (all projects) for the stale hosts.
    """
    commands = commands or Commands()
    instances_by_host = instances_by_host or {}
    target_name = "%s (nova %s)" % (target["series"], target["nova"])
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
                "no binary has mixed service versions (versions: %s)"
                % ", ".join(map(str, spread["versions"])),
                evidence=spread,
            )

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
            if s["binary"] == "nova-compute"
            and s.get("version")
            and s["version"] < oldest
            and s["forced_down"]
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
        check_behind_target(report, target, services, commands)

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


# --------------------------------------------------------------------------------------
# nova-status, database schema, online data migrations
# --------------------------------------------------------------------------------------

_RESULTS = {"success": "pass", "warning": "warn", "failure": "fail"}


def parse_nova_status(text):
    """``nova-status upgrade check`` table -> ``[{"check", "result", "details"}]``."""
    checks = []
    current = None
    field = None
    for raw in text.splitlines():
        line = raw.strip()
        if not (line.startswith("|") and line.endswith("|")):
            continue
        cell = line[1:-1].strip()
        if cell.startswith("Check:"):
            current = {"check": cell[len("Check:") :].strip(), "result": None, "details": ""}
            checks.append(current)
            field = "check"
        elif current is None:
            continue
        elif cell.startswith("Result:"):
            current["result"] = cell[len("Result:") :].strip()
            field = "result"
        elif cell.startswith("Details:"):
            current["details"] = cell[len("Details:") :].strip()
            field = "details"
        elif field == "details" and cell:
            sep = "" if current["details"].endswith("-") and not current["details"].endswith(" -") else " "
            current["details"] = (current["details"] + sep + cell).strip()
    for c in checks:
        if c["details"] in ("None", ""):
            c["details"] = None
    return checks


def _slug(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "check"


def check_nova_status(report, rc, stdout, stderr="", commands=None):
    commands = commands or Commands()
    cmd = commands.nova_status("upgrade", "check")
    checks = parse_nova_status(stdout or "")
    if not checks:
        report.add(
            "nova_status.run",
            "fail",
            "%s exited %s without a result table: %s" % (cmd, rc, ((stderr or stdout or "").strip()[-500:])),
            evidence={"rc": rc},
            fix="run '%s' by hand and fix what it reports" % cmd,
        )
        return checks
    for c in checks:
        status = _RESULTS.get((c["result"] or "").lower(), "fail")
        report.add(
            "nova_status.%s" % _slug(c["check"]),
            status,
            "%s: %s%s" % (c["check"], c["result"], " - %s" % c["details"] if c["details"] else ""),
            evidence=c,
            fix=None if status == "pass" else "see '%s'; the details name the command" % cmd,
        )
    return checks


def _revision_state(revision, kind, current):
    """(status, message) for one database's alembic revision."""
    chain = DB_CHAINS[kind]
    want = current["db_heads"][kind] if current else None
    if revision is None:
        return "fail", "has no alembic revision (never synced)"
    if revision not in chain:
        return "warn", "is at %s, a revision nova %s does not know" % (
            revision,
            RELEASES[SERIES_ORDER[-1]]["nova"],
        )
    if want is None:
        return "pass", "is at %s" % revision
    if chain.index(revision) < chain.index(want):
        return "fail", "is at %s, behind %s, the head of nova %s that runs now" % (
            revision,
            want,
            current["nova"],
        )
    if chain.index(revision) > chain.index(want):
        return "warn", "is at %s, ahead of nova %s's head %s" % (revision, current["nova"], want)
    return "pass", "is at %s, the head of nova %s" % (revision, current["nova"])


def check_database(report, target, revisions, current=None, commands=None):
    """Alembic revisions (``{database: (kind, revision)}``) vs the running release's heads.

    ``kind`` is ``api`` or ``main``.  A database behind the running code means a skipped
    ``nova-manage db sync`` / ``api_db sync``; kolla-ansible upgrade then syncs to the
    target's heads (``target['db_heads']``).
    """
    commands = commands or Commands()
    for database, (kind, revision) in sorted(revisions.items()):
        status, message = _revision_state(revision, kind, current)
        sync = commands.nova_manage("api_db sync") if kind == "api" else commands.nova_manage("db sync")
        report.add(
            "database.%s" % _slug(database),
            status,
            "database %s %s; %s migrates it to %s"
            % (database, message, target["series"], target["db_heads"][kind]),
            evidence={
                "database": database,
                "kind": kind,
                "revision": revision,
                "target_head": target["db_heads"][kind],
            },
            fix=None if status == "pass" else sync,
        )


def check_online_migrations(report, counts, commands=None):
    """Pending online data migrations, as far as read-only SQL can tell.

    ``counts``: ``{database: {migration: rows}}`` or None (no SQL access).
    """
    commands = commands or Commands()
    # Kolla-Ansible runs them at the end of `kolla-ansible upgrade` (ansible/nova.yml, plays
    # "Run Nova API/cell online data migrations"): in nova_api, then in each cell's conductor.
    cmds = [commands.nova_manage("db online_data_migrations")]
    cell_cmd = commands.nova_manage("db online_data_migrations", cell=True)
    if cell_cmd not in cmds:
        cmds.append(cell_cmd + "   # on a conductor host of each cell")
    cmd = "\n".join(cmds)
    if counts is None:
        report.add(
            "online_migrations.pending",
            "skip",
            "not checked (needs nova_commands); nova-manage has no read-only mode for online data "
            "migrations: run them (they only complete work the running release started) before upgrading",
            fix=cmd,
        )
        return
    pending = {db: {m: n for m, n in rows.items() if n} for db, rows in counts.items()}
    pending = {db: rows for db, rows in pending.items() if rows}
    if pending:
        text = "; ".join(
            "%s: %s" % (db, ", ".join("%s %d row(s)" % (m, n) for m, n in sorted(rows.items())))
            for db, rows in sorted(pending.items())
        )
        report.add(
            "online_migrations.pending",
            "warn",
            "online data migrations are pending (%s): run them until they report nothing left, "
            "before the upgrade" % text,
            evidence=counts,
            fix=cmd,
        )
        return
    report.add(
        "online_migrations.pending",
        "skip",
        "no pending rows found by read-only SQL for %s; nova-manage db online_data_migrations has no dry run "
        "(it migrates while it counts) and fill_virtual_interface_list and the quota moves cannot be checked "
        "by one query; confirm by running it (it only finishes what the running release started): "
        "without --max-count it repeats batches until nothing is left and exits 0, or 2 when a "
        "migration fails" % ", ".join(sorted({m for rows in counts.values() for m in rows})),
        evidence=counts,
        fix=cmd,
    )


def online_migration_sql(kind):
    """One SELECT returning one row with one column per migration (kind: cell or api)."""
    parts = ["(%s) AS %s" % (query, name) for name, query in ONLINE_MIGRATION_QUERIES[kind]]
    return "SELECT " + ", ".join(parts)


def parse_counts(rows):
    if not rows:
        return {}
    return {k: int(v) if v not in (None, "") else 0 for k, v in rows[0].items()}
