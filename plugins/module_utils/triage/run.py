# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry points shared by the module (one host) and the command line (files/tarballs)."""

from __future__ import annotations

import datetime
import re

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import assertions as _assertions
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.engine import Engine
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import (
    compile_rules,
    load_default_rules,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.sources import (
    DEFAULT_PATTERNS,
    scan_inputs,
    scan_kolla_root,
)

_RELATIVE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>[smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ABSOLUTE = re.compile(r"^\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?$")


class TriageError(ValueError):
    """Bad input to a triage run (time window, rules)."""


def parse_time(value, now=None):
    """``'2h'``/``'30m'``/``'1d'`` (before now, local time) or ISO ``'2026-11-21 06:00'`` -> string."""
    if value in (None, ""):
        return None
    value = str(value).strip()
    m = _RELATIVE.match(value)
    if m:
        now = now or datetime.datetime.now()
        t = now - datetime.timedelta(seconds=int(m.group("n")) * _UNITS[m.group("unit")])
        return t.strftime("%Y-%m-%d %H:%M:%S")
    if _ABSOLUTE.match(value):
        return value.replace("T", " ")
    raise TriageError("time %r is neither relative (30m, 2h, 1d, 1w) nor ISO (2026-11-21 06:00:00)" % value)


def build_rules(extra_rules=None, only_rules=None, use_default=True):
    rules = list(load_default_rules()) if use_default else []
    if extra_rules:
        extra = compile_rules(extra_rules)
        ids = {r.id for r in extra}
        rules = [r for r in rules if r.id not in ids] + extra  # site rules override shipped ones
    if only_rules:
        wanted = set(only_rules)
        rules = [r for r in rules if r.id in wanted or r.category in wanted]
    return rules


def _attach_assertions(result, rules, config_dir, timeout):
    by_id = {r.id: r for r in rules}
    cache = {}
    for finding in result["findings"]:
        rule = by_id.get(finding["rule"])
        if rule is not None and rule.assertions:
            finding["assertions"] = _assertions.evaluate_rule(
                rule, finding["service"], config_dir, timeout=timeout, cache=cache
            )


_SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _add_config_findings(result, config_files, host, rules, release, max_samples):
    if not config_files:
        return
    # imported here: the Nova option schema it loads costs 0.2 s, wasted on log-only runs
    from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.configcheck import (  # noqa: PLC0415
        check_config_files,
    )

    findings, described, errors = check_config_files(config_files, host, rules, release, max_samples)
    result["findings"] = sorted(
        result["findings"] + findings,
        key=lambda f: (_SEV.get(f["severity"], 9), -f["count"], f["rule"], f["host"], f["service"]),
    )
    result["rules"].update(described)
    result["errors"].extend(errors)


def triage_host(
    host,
    log_root="/var/log/kolla",
    patterns=DEFAULT_PATTERNS,
    include_rotated=True,
    since=None,
    until=None,
    rules=None,
    request_ids=None,
    config_dir=None,
    assertion_timeout=2.0,
    max_samples=3,
    timeline_only=False,
    config_files=None,
    nova_release=None,
):
    """Scan one host's Kolla logs; returns the compact per-host result."""
    rules = rules if rules is not None else build_rules()
    engine = Engine(
        rules,
        since=parse_time(since),
        until=parse_time(until),
        max_samples=max_samples,
        timeline_request_ids=request_ids,
        skip_rules=timeline_only,
    )
    scan_kolla_root(engine, log_root, host, patterns, include_rotated)
    result = engine.result()
    if config_dir and not timeline_only:
        _attach_assertions(result, rules, config_dir, assertion_timeout)
    if not timeline_only:
        _add_config_findings(result, config_files, host, rules, nova_release, max_samples)
    result["host"] = host
    result["window"] = {"since": engine.since, "until": engine.until}
    return result


def triage_inputs(
    inputs,
    host=None,
    since=None,
    until=None,
    rules=None,
    follow_requests=10,
    config_dir=None,
    assertion_timeout=2.0,
    max_samples=3,
    config_files=None,
    nova_release=None,
):
    """Scan plain files/directories/tarballs on this machine; follows up to ``follow_requests``
    request ids of the findings across every file in a second pass (their timeline)."""
    rules = rules if rules is not None else build_rules()
    since_s, until_s = parse_time(since), parse_time(until)
    engine = Engine(rules, since=since_s, until=until_s, max_samples=max_samples)
    scan_inputs(engine, inputs, host=host)
    result = engine.result()
    ids = request_ids_of(result["findings"], follow_requests)
    if ids:
        tl = Engine(rules, since=since_s, until=until_s, timeline_request_ids=ids, skip_rules=True)
        scan_inputs(tl, inputs, host=host)
        result["timeline"] = tl.result()["timeline"]
    if config_dir:
        _attach_assertions(result, rules, config_dir, assertion_timeout)
    _add_config_findings(result, config_files, host or "localhost", rules, nova_release, max_samples)
    result["window"] = {"since": since_s, "until": until_s}
    return result


def request_ids_of(findings, limit):
    """Request ids worth following: from the most severe, most frequent findings first."""
    out = []
    for f in findings:
        for rid in f.get("request_ids", []):
            if rid not in out:
                out.append(rid)
            if len(out) >= limit:
                return out
    return out
