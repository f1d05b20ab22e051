# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers of the files the upgrade check looks at: Kolla's override files and globals.yml."""

from __future__ import annotations

import os
import re
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.target import UpgradeCheckError


def override_files(node_custom_config: str) -> list[tuple[str, str]]:
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


def read_overrides(node_custom_config: str) -> list[tuple[str, str]]:
    """``[(relpath, text)]`` of the override files (unreadable files raise UpgradeCheckError)."""
    out = []
    for rel, path in override_files(node_custom_config):
        try:
            with open(path, encoding="utf-8") as handle:
                out.append((rel, handle.read()))
        except OSError as exc:
            raise UpgradeCheckError("cannot read override file %s: %s" % (path, exc)) from exc
    return out


_GLOBALS_RELEASE = re.compile(r"^openstack_release\s*:\s*(\S.*?)\s*(?:#.*)?$", re.M)


def globals_release(config_dir: str | None) -> dict[str, Any]:
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
