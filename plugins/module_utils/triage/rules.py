# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules: validation and compilation.

A rule is plain data (YAML in ``plugins/module_utils/triage_rules/*.yml``, embedded
for remote hosts in ``triage/rules_data.py``)::

    id: messaging-amqp-unreachable
    title: RabbitMQ not reachable from a nova service
    category: messaging_rpc_failure        # docs/triage_categories.md, the root cause
    severity: critical                     # critical | high | medium | low
    priority: 60                           # a record matching several rules keeps the highest
    services: [nova-*]                     # fnmatch patterns on the log file's service name
    levels: [ERROR]                        # default WARNING, ERROR, CRITICAL
    needles: []                            # literal substrings, required for INFO/DEBUG rules
    needle_services: [nova-api]            # optional: where INFO/DEBUG lines are searched (default: services)
    signatures: ['AMQP server on [^ ]+ is unreachable']   # portable regexes (Python and grep -E)
    explanation: ...
    config: ['[DEFAULT] transport_url', 'kolla: rabbitmq_...']
    fix: |
      exact commands
    assertions: [{option: '[DEFAULT] transport_url', op: unreachable_hosts}]
    examples: ['2024-01-01 ... ERROR oslo.messaging._drivers.impl_rabbit [-] AMQP server on ...']
    references: ['https://...']            # the public cases (tests/unit/corpus) the rule was written from

Rules match the message text of a record whatever file it came from: ``services: ['*']``
unless the text is only meaningful for one service; ``priority`` also ranks findings in
the report (root cause before symptom, ``aggregate.rank_key``).
"""

from __future__ import annotations

import fnmatch
import re

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules_data import RULES as _DEFAULT_RULES

CATEGORIES = (
    "novalidhost_scheduling",
    "auth_policy",
    "libvirt_connection",
    "cell_mapping_missing",
    "quota_exceeded",
    "messaging_rpc_failure",
    "migration_failure",
    "rpc_version_mismatch",
    "placement_orphan_allocation",
    "db_schema_mismatch",
    "config_invalid",
    "image_unavailable",
    "vif_plugging_failure",
    "disk_full",
    "kvm_unavailable",
    "cpu_numa_hugepages",
    "console_proxy",
    "service_down_heartbeat",
    "host_dependency_missing",
)
SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LEVELS = ("WARNING", "ERROR", "CRITICAL")
ASSERTION_OPS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "matches",
    "not_matches",
    "present",
    "absent",
    "unreachable_hosts",
)
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_OPTION = re.compile(r"^\[(?P<section>[A-Za-z0-9_.-]+)\]\s+(?P<option>[A-Za-z0-9_.-]+)$")
# Constructs that Python's re and GNU grep -E do not share.
_NOT_PORTABLE = (
    ("(?", "inline flags / non-capturing groups"),
    ("\\d", "\\d (use [0-9])"),
    ("*?", "lazy quantifier"),
    ("+?", "lazy quantifier"),
    ("??", "lazy quantifier"),
    ("\\A", "\\A"),
    ("\\Z", "\\Z"),
)
REQUIRED = ("id", "title", "category", "severity", "services", "signatures", "explanation", "fix", "examples")


class RuleError(ValueError):
    """A rule that cannot be used; the message names the rule and the field."""


def parse_option(text):
    """``'[libvirt] connection_uri'`` -> ``('libvirt', 'connection_uri')``; None when not that form."""
    m = _OPTION.match(text.strip())
    if not m:
        return None
    return m.group("section"), m.group("option")


def validate_rule(rule, check_regex=True):  # noqa: PLR0912  one branch per rule key checked
    """Raise RuleError when ``rule`` (a dict) is not a usable rule; return it with defaults filled.

    ``check_regex=False`` skips compiling the signatures (the shipped library: its unit tests
    compile every one; the engine compiles a signature when a line first needs it)."""
    if not isinstance(rule, dict):
        raise RuleError("a rule must be a mapping, got %s" % type(rule).__name__)
    rid = rule.get("id", "<no id>")
    for key in REQUIRED:
        if not rule.get(key):
            raise RuleError("rule %s: field %r is missing or empty" % (rid, key))
    if not _ID.match(str(rid)):
        raise RuleError("rule %s: id must be lower-case words joined by '-'" % rid)
    if rule["category"] not in CATEGORIES:
        raise RuleError(
            "rule %s: category %r is not one of %s" % (rid, rule["category"], ", ".join(CATEGORIES))
        )
    if rule["severity"] not in SEVERITIES:
        raise RuleError(
            "rule %s: severity %r is not one of %s" % (rid, rule["severity"], ", ".join(SEVERITIES))
        )
    out = dict(rule)
    out.setdefault("priority", 50)
    out.setdefault("levels", list(DEFAULT_LEVELS))
    out.setdefault("needles", [])
    out.setdefault("needle_services", list(out.get("services") or []))
    out.setdefault("config", [])
    out.setdefault("assertions", [])
    out.setdefault("references", [])
    for level in out["levels"]:
        if level not in LEVELS:
            raise RuleError("rule %s: level %r is not one of %s" % (rid, level, ", ".join(LEVELS)))
    low = [lv for lv in out["levels"] if lv in ("DEBUG", "INFO")]
    if low and not out["needles"]:
        raise RuleError(
            "rule %s: levels %s need 'needles' (literal substrings that every matching line contains)"
            % (rid, ", ".join(low))
        )
    for sig in out["signatures"]:
        for bad, what in _NOT_PORTABLE:
            if bad in sig:
                raise RuleError(
                    "rule %s: signature %r uses %s, which grep -E does not share" % (rid, sig, what)
                )
        if not check_regex:
            continue
        try:
            re.compile(sig)
        except re.error as exc:
            raise RuleError("rule %s: signature %r does not compile: %s" % (rid, sig, exc)) from exc
    for a in out["assertions"]:
        if a.get("op") not in ASSERTION_OPS:
            raise RuleError(
                "rule %s: assertion op %r is not one of %s" % (rid, a.get("op"), ", ".join(ASSERTION_OPS))
            )
        if not parse_option(a.get("option", "")):
            raise RuleError("rule %s: assertion option %r is not '[section] option'" % (rid, a.get("option")))
    return out


class Rule:
    """A validated rule with its compiled signature regex."""

    __slots__ = (
        "_regex",
        "assertions",
        "category",
        "config",
        "data",
        "explanation",
        "fix",
        "id",
        "levels",
        "needle_services",
        "needles",
        "priority",
        "services",
        "severity",
        "signatures",
        "title",
    )

    def __init__(self, data, check_regex=True):
        data = validate_rule(data, check_regex)
        self.data = data
        self.id = data["id"]
        self.title = data["title"]
        self.category = data["category"]
        self.severity = data["severity"]
        self.priority = int(data["priority"])
        self.services = list(data["services"])
        self.levels = frozenset(data["levels"])
        self.needles = [n.encode("utf-8") for n in data["needles"]]
        self.needle_services = list(data["needle_services"])
        self.signatures = list(data["signatures"])
        self._regex = None  # compiled when first asked for: the engine searches signature by signature
        self.explanation = data["explanation"].strip()
        self.config = list(data["config"])
        self.fix = data["fix"].strip()
        self.assertions = list(data["assertions"])

    @property
    def regex(self):
        """All signatures as one regex (each one compiles: ``validate_rule`` checked them)."""
        if self._regex is None:
            self._regex = re.compile("|".join("(?:%s)" % s for s in self.signatures))
        return self._regex

    def applies_to(self, service):
        return any(fnmatch.fnmatchcase(service, pat) for pat in self.services)

    def reads_low_levels_of(self, service):
        """Whether INFO/DEBUG lines of ``service`` are searched for this rule's needles."""
        return bool(self.levels & {"DEBUG", "INFO"}) and any(
            fnmatch.fnmatchcase(service, pat) for pat in self.needle_services
        )

    def describe(self):
        """What a report carries about the rule (no signatures/examples)."""
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "priority": self.priority,
            "explanation": self.explanation,
            "config_options": self.config,
            "fix": self.fix,
            "references": list(self.data.get("references") or []),
        }


def compile_rules(rule_dicts, check_regex=True):
    """Validate and compile rules; ids must be unique.  Returns a list of Rule."""
    rules, seen = [], set()
    for data in rule_dicts:
        rule = Rule(data, check_regex)
        if rule.id in seen:
            raise RuleError("rule %s: id defined twice" % rule.id)
        seen.add(rule.id)
        rules.append(rule)
    return rules


def load_default_rules():
    """The shipped rule library (embedded Python data, so it travels with AnsiballZ)."""
    # its signatures are compiled by the unit tests (test_shipped_signatures_all_compile), not
    # at every start (272 regexes, 0.1 s); site rules (compile_rules) are still checked
    return compile_rules(_DEFAULT_RULES, check_regex=False)
