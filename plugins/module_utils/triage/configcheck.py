# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config-side triage: problems a log cannot show.

Nova silently ignores an option it does not know (a typo, an option of another release
or service): no log line ever names it.  This pass validates INI files (Kolla's
override files under ``/etc/kolla/config`` or the rendered
``/etc/kolla/<service>/nova.conf``) against Nova's option schema
(``module_utils/nova_schema.py``) and turns what it finds into triage findings of the
config rules (``config-unknown-option``, ``config-invalid-value``,
``config-deprecated-option``), in the same shape as log findings.
"""

from __future__ import annotations

import datetime
import glob
import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import mask
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import crossfield_cloud

CODE_RULE = {
    "unknown_option": "config-unknown-option",
    "unknown_section": "config-unknown-option",
    "removed": "config-unknown-option",
    "not_yet_available": "config-unknown-option",
    "parse": "config-invalid-value",
    "type": "config-invalid-value",
    "range": "config-invalid-value",
    "choices": "config-invalid-value",
    "deprecated": "config-deprecated-option",
    "deprecated_name": "config-deprecated-option",
}


def expand(patterns):
    out = []
    for pat in patterns or []:
        matches = sorted(glob.glob(pat)) if any(c in pat for c in "*?[") else [pat]
        out.extend(p for p in matches if os.path.isfile(p) and p not in out)
    return out


def host_service_of(path, default_host):
    """Kolla layouts: ``config/nova/<host>/<service>.conf``, ``config/nova/<service>.conf``,
    ``config/nova.conf``, ``config/global.conf``, rendered ``/etc/kolla/<service>/nova.conf``."""
    parts = os.path.abspath(path).split(os.sep)
    name = parts[-1][:-5] if parts[-1].endswith(".conf") else parts[-1]
    parent = parts[-2] if len(parts) > 1 else ""
    grand = parts[-3] if len(parts) > 2 else ""  # noqa: PLR2004  the third path component from the end
    if grand == "nova" and parent not in ("", "nova"):
        return parent, name  # per-host override
    if name == "nova" and parent.startswith("nova-"):
        return default_host, parent  # rendered config of one service
    return default_host, name


def check_config_files(patterns, host, rules, release=None, max_samples=3):
    """Findings (log-finding shape, ``source: config``) for the config files matching ``patterns``."""
    by_id = {r.id: r for r in rules}
    paths = expand(patterns)
    if not paths:
        return [], {}, []
    errors = []
    try:
        problems = nova_schema.validate_files(paths, release)
        # Nova's cross-field rules on the merged config per host and service (nova_config_validate's)
        problems += crossfield_cloud.check_paths(paths)
    except nova_schema.SchemaError as exc:
        return [], {}, ["config check: %s" % exc]
    incidents = {}
    for p in problems:
        rule = by_id.get(p.get("triage_rule") or CODE_RULE.get(p.get("code"), ""))
        if rule is None:
            continue
        h, service = (
            (p["host"] or host, p["service"]) if p.get("service") else host_service_of(p["file"] or "", host)
        )
        key = (rule.id, h, service)
        mtime = datetime.datetime.fromtimestamp(os.path.getmtime(p["file"])).strftime("%Y-%m-%d %H:%M:%S")
        inc = incidents.get(key)
        if inc is None:
            inc = incidents[key] = {
                "rule": rule.id,
                "title": rule.title,
                "category": rule.category,
                "severity": rule.severity,
                "priority": rule.priority,
                "host": h,
                "service": service,
                "count": 0,
                "first_seen": mtime,
                "last_seen": mtime,
                "samples": [],
                "request_ids": [],
                "files": [],
                "source": "config",
            }
        inc["count"] += 1
        inc["first_seen"] = min(inc["first_seen"], mtime)
        inc["last_seen"] = max(inc["last_seen"], mtime)
        if len(inc["samples"]) < max_samples:
            inc["samples"].append(mask(nova_schema.format_finding(p)))
        if p["file"] not in inc["files"]:
            inc["files"].append(p["file"])
    findings = list(incidents.values())
    described = {f["rule"]: by_id[f["rule"]].describe() for f in findings}
    return findings, described, errors
