# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One table of OpenStack series, Nova, Kolla-Ansible and service versions.

Copied from the released packages, each value with the file and release it came from
(``pip download --no-deps nova==<n>.0.0``).  The option schema's own release mapping
(``nova_schema``: which nova major a schema file describes) stays with the schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


def oldest_supported_version(release: dict[str, Any]) -> int:
    """The lowest nova-compute service version the release starts with (see check_services)."""
    return SERVICE_VERSION_ALIASES[release["oldest_supported"]]


def release_of_version(version: int | None) -> str | None:
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


def current_release(versions: Iterable[int | None]) -> dict[str, Any] | None:
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


def previous_release(target: dict[str, Any]) -> tuple[str, int]:
    """``(codename, service version)`` of the release right before the target (one release behind)."""
    names = list(CODENAME_SERIES)
    previous = names[names.index(target["codename"]) - 1]
    return previous, SERVICE_VERSION_ALIASES[previous]
