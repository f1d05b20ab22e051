"""The triage rule library: schema, categories, examples, grep portability, sync with YAML."""

from __future__ import annotations

import glob
import io
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import rules_data
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.engine import Engine, required_literal
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import (
    CATEGORIES,
    Rule,
    RuleError,
    compile_rules,
    load_default_rules,
    validate_rule,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
RULE_DIR = os.path.join(ROOT, "plugins", "module_utils", "triage_rules")
RULES = load_default_rules()
# the project's copy of the shared category list; the shared original is compared when present
CATEGORIES_DOC = os.path.join(ROOT, "docs", "triage_categories.md")
SHARED_CATEGORIES_DOC = os.path.join(ROOT, "..", "shared", "TRIAGE_CATEGORIES.md")


def _service_for(rule):
    pool = rule.needle_services if rule.levels & {"DEBUG", "INFO"} else rule.services
    concrete = [s for s in pool if "*" not in s]
    return concrete[0] if concrete else "nova-compute"


def test_at_least_40_rules_with_unique_ids():
    assert len(RULES) >= 40
    assert len({r.id for r in RULES}) == len(RULES)


def test_every_category_is_covered():
    assert {r.category for r in RULES} == set(CATEGORIES)


def _category_ids(path):
    with open(path, encoding="utf-8") as fh:
        return set(re.findall(r"^\| `([a-z_]+)` \|", fh.read(), re.MULTILINE))


def test_categories_match_the_documented_list():
    ids = _category_ids(CATEGORIES_DOC)
    assert len(ids) >= 10
    assert ids == set(CATEGORIES)


@pytest.mark.skipif(not os.path.exists(SHARED_CATEGORIES_DOC), reason="no shared list beside the checkout")
def test_documented_list_is_the_shared_one():
    assert _category_ids(SHARED_CATEGORIES_DOC) == _category_ids(CATEGORIES_DOC)


def test_embedded_rules_match_the_yaml_files():
    yaml = pytest.importorskip("yaml")
    from_yaml = []
    for path in sorted(glob.glob(os.path.join(RULE_DIR, "*.yml"))):
        with open(path, encoding="utf-8") as fh:
            for item in yaml.safe_load(fh):
                rule = dict(item)
                rule["source"] = os.path.basename(path)
                from_yaml.append(rule)
    assert from_yaml == rules_data.RULES, "rules_data.py is stale: run scripts/triage-rules-gen"


def test_every_rule_has_fix_config_and_explanation():
    for r in RULES:
        assert r.fix and r.explanation and len(r.explanation) > 40, r.id
        assert isinstance(r.config, list), r.id
        assert r.data["examples"], r.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_example_is_named_by_its_own_rule(rule):
    for example in rule.data["examples"]:
        engine = Engine(RULES)
        fmt = "libvirt" if ": error : " in example else None
        engine.scan_stream(io.BytesIO(example.encode() + b"\n"), "h", _service_for(rule), "x.log", fmt)
        assert [f["rule"] for f in engine.result()["findings"]] == [rule.id], example


@pytest.mark.parametrize("rule", [r for r in RULES if r.levels & {"DEBUG", "INFO"}], ids=lambda r: r.id)
def test_low_level_rules_have_needles_in_their_examples(rule):
    for example in rule.data["examples"]:
        if " INFO " in example or " DEBUG " in example:
            assert any(n.decode() in example for n in rule.needles), (rule.id, example)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_required_literals_are_in_every_example_the_signature_matches(rule):
    """The literal prefilter must never hide a line the signature matches."""
    for sig in rule.signatures:
        lit = required_literal(sig)
        for example in rule.data["examples"]:
            if lit is not None and re.search(sig, example):
                assert lit in example, (rule.id, sig, lit)


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("No valid host was found", "No valid host was found"),
        ("AMQP server on [^ ]+ is unreachable", "AMQP server on "),
        ("Timeout waiting for \\[\\('network-vif-plugged'", "Timeout waiting for [('network-vif-plugged'"),
        ("failed to initialize (kvm|KVM)", "failed to initialize "),
        ("Page size [0-9]+ is not", "Page size "),
        ("abcd?efgh", "efgh"),
        ("a|b", None),
        ("x{2,3}yz", None),
        ("ab\\sxyzw", "xyzw"),
    ],
)
def test_required_literal(pattern, literal):
    assert required_literal(pattern, minimum=3) == literal


@pytest.mark.skipif(shutil.which("grep") is None, reason="grep not installed")
def test_signatures_work_with_grep_extended_regexps():
    """The bench compares against `grep -E` with the same signatures: they must mean the same there."""
    for r in RULES:
        patterns = "\n".join(r.signatures)
        text = "\n".join(r.data["examples"]) + "\n"
        proc = subprocess.run(
            ["bash", "-c", 'grep -c -E -f <(printf "%s\\n" "$PATS")', "grep"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
            env={"PATS": patterns, "LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
        assert proc.returncode == 0, (r.id, proc.stderr)
        assert int(proc.stdout.strip()) == len(r.data["examples"]), r.id


BASE = {
    "id": "x-rule",
    "title": "t",
    "category": "disk_full",
    "severity": "high",
    "services": ["nova-compute"],
    "signatures": ["No space"],
    "explanation": "e",
    "fix": "f",
    "examples": ["x"],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "disk_is_full"}, "category"),
        ({"severity": "urgent"}, "severity"),
        ({"id": "Bad_ID"}, "id must be"),
        ({"fix": ""}, "'fix' is missing"),
        ({"levels": ["INFO"]}, "needles"),
        ({"levels": ["NOTICE"]}, "level"),
        ({"signatures": ["a\\d+"]}, "grep -E"),
        ({"signatures": ["(?:a)"]}, "grep -E"),
        ({"signatures": ["a(b"]}, "does not compile"),
        ({"assertions": [{"option": "libvirt connection_uri", "op": "present"}]}, "section"),
        ({"assertions": [{"option": "[libvirt] connection_uri", "op": "is"}]}, "op"),
    ],
)
def test_invalid_rules_are_refused_with_the_reason(change, message):
    rule = dict(BASE, **change)
    with pytest.raises(RuleError, match=re.escape(message) if "'" in message else message):
        validate_rule(rule)


def test_duplicate_ids_are_refused():
    with pytest.raises(RuleError, match="twice"):
        compile_rules([BASE, BASE])


def test_service_patterns():
    rule = Rule(dict(BASE, services=["nova-*", "libvirtd"]))
    assert rule.applies_to("nova-compute")
    assert rule.applies_to("libvirtd")
    assert not rule.applies_to("neutron-server")


def test_shipped_signatures_all_compile():
    # load_default_rules() does not compile them at start-up (0.1 s a run): this test does,
    # through the same check a site rule gets
    rules = compile_rules(rules_data.RULES, check_regex=True)
    assert len(rules) == len(RULES)
    bad = dict(rules_data.RULES[0], signatures=["unbalanced (group"])
    with pytest.raises(RuleError, match="does not compile"):
        compile_rules([bad])
