# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``nova_config_validate`` runs: the schema check of each file plus, on a Kolla
``node_custom_config`` tree, the cross-field rules on the merged config of every host and service."""

from __future__ import annotations

import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import (
    crossfield_cloud,
    effective,
    validate_step,
)


def _hosts_and_facts(hosts):
    """``hosts``: None (infer from nova/<host>/), a list of names, or {name: {vcpus, memory_mb}}."""
    if hosts is None:
        return None, {}
    if isinstance(hosts, dict):
        facts = {}
        for h, v in hosts.items():
            v = v or {}
            facts[h] = {k: _int(v.get(k)) for k in ("vcpus", "memory_mb") if _int(v.get(k)) is not None}
        return sorted(hosts), facts
    if isinstance(hosts, (list, tuple)) and all(isinstance(h, str) for h in hosts):
        return list(hosts), {}
    raise ValueError(
        "hosts must be a list of host names or a mapping of host name to {vcpus, memory_mb}, not %r"
        % (hosts,)
    )


def _int(v):
    if isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def scope(path, base):
    """(host, service) a Kolla override file reaches, from its place under ``base``."""
    if not path or not base:
        return None, None
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base)).split(os.sep)
    name = rel[-1][:-5] if rel[-1].endswith(".conf") else rel[-1]
    if len(rel) == 3 and rel[0] == "nova":  # noqa: PLR2004  path depth under the override tree: nova/<host>/<file>
        return rel[1], "every Nova service" if name == "nova" else name
    if len(rel) == 2 and rel[0] == "nova":  # noqa: PLR2004  path depth under the override tree: nova/<file>
        return "every host", name
    if len(rel) == 1 and name in ("global", "nova"):
        return "every host", "every Nova service"
    return None, None


def format_finding(f: dict) -> str:
    """One line naming every file and line involved, the Nova function and the fix."""
    where = f.get("file") or "<input>"
    if f.get("line"):
        where += ":%s" % f["line"]
    text = "%s: %s: %s" % (where, f["severity"], f["message"])
    if f.get("nova_ref"):
        text += " [%s]" % f["nova_ref"]
    if f.get("fix"):
        text += " -> %s" % f["fix"]
    return text


def run(params: dict) -> dict:
    """``params``: the module's (paths, node_custom_config, release, hosts, flavors, cross_field,
    show_effective)."""
    result = validate_step.run(params)
    base = params.get("node_custom_config")
    cross = []
    if params.get("cross_field", True) and not params.get("paths") and base and os.path.isdir(base):
        compute_hosts, facts = _hosts_and_facts(params.get("hosts"))
        cross = [
            nova_schema.mask_finding(f)
            for f in crossfield_cloud.check_tree(base, compute_hosts, facts, params.get("flavors"))
        ]
    for f in result["findings"]:
        if "service" not in f:
            host, service = scope(f.get("file"), None if params.get("paths") else base)
            if service:
                f["host"], f["service"] = host, service
                f["message"] = "%s on %s: %s" % (service, host, f["message"])
    findings = result["findings"] + cross
    summary = dict(result["summary"])
    summary.update(nova_schema.summarize(findings))
    summary["cross_field"] = nova_schema.summarize(cross)
    report = validate_step.to_report(findings, summary["files"], summary["nova"])
    for r, f in zip(report["results"], findings):
        r["message"] = format_finding(f)
        if f.get("service"):
            r["evidence"] = dict(r["evidence"], host=f.get("host"), service=f.get("service"))
        if f.get("sources"):
            r["evidence"]["sources"] = f["sources"]
    result = {"changed": False, "findings": findings, "summary": summary, "report": report}
    if params.get("show_effective") and base and os.path.isdir(base):
        compute_hosts, _facts = _hosts_and_facts(params.get("hosts"))
        configs, _errors = effective.effective_configs(base, compute_hosts)
        result["effective"] = [effective.describe(c) for c in configs]
    return result
