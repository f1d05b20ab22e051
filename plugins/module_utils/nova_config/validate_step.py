# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``nova_config_validate`` runs: which files, their findings, the check report."""

from __future__ import annotations

import datetime
import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema


def default_paths(base):
    paths = [os.path.join(base, "global.conf"), os.path.join(base, "nova.conf")]
    nova_dir = os.path.join(base, "nova")
    if os.path.isdir(nova_dir):
        for name in sorted(os.listdir(nova_dir)):
            full = os.path.join(nova_dir, name)
            if name.endswith(".conf") and os.path.isfile(full):
                paths.append(full)
            elif os.path.isdir(full):
                paths.extend(os.path.join(full, f) for f in sorted(os.listdir(full)) if f.endswith(".conf"))
    return [p for p in paths if os.path.isfile(p)]


def expand(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in sorted(os.walk(p)):
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".conf"))
        else:
            out.append(p)
    return out


def to_report(findings, files, release):
    results = [
        {
            "check": "nova_config.%s" % f["code"],
            "status": "fail" if f["severity"] == "error" else "warn",
            "message": nova_schema.format_finding(f),
            "evidence": {k: f[k] for k in ("file", "line", "section", "option", "value")},
            "fix": f["fix"],
        }
        for f in findings
    ]
    clean = [f for f in files if not any(x["file"] == f for x in findings)]
    results += [
        {
            "check": "nova_config.file",
            "status": "pass",
            "message": "%s: no finding against nova %s" % (f, release),
            "evidence": {"file": f},
            "fix": None,
        }
        for f in clean
    ]
    summary = {s: sum(1 for r in results if r["status"] == s) for s in ("pass", "warn", "fail", "skip")}
    return {
        "name": "nova_config_validate",
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),  # noqa: UP017 (py3.10 targets)
        "summary": summary,
        "results": results,
    }


def run(params):
    paths = expand(params["paths"]) if params["paths"] else default_paths(params["node_custom_config"])
    missing = [p for p in paths if not os.path.isfile(p)]
    schema = nova_schema.load_schema(params["release"])
    findings = nova_schema.validate_files([p for p in paths if p not in missing], params["release"])
    summary = nova_schema.summarize(findings)
    summary.update(
        {"files": [p for p in paths if p not in missing], "missing": missing, "nova": schema.version}
    )
    return {
        "changed": False,
        "findings": findings,
        "summary": summary,
        "report": to_report(findings, summary["files"], schema.version),
    }
