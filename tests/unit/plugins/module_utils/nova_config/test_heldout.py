"""A held-out set of override trees, judged whole: every finding expected, nothing else.

Each ``heldout/<case>/config`` is a Kolla ``node_custom_config`` with one kind of problem
(schema or cross-field) or none (``01-valid``, a complete pinned/huge-page/TLS setup that
must produce no finding at all, not even a warning); ``expected.json`` lists
``[severity, code, option]`` of every finding and, when the case needs host facts, ``hosts``.
The cases were written after the rules, with values other than the rule tests'.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import validate_tree

HELDOUT = Path(__file__).parent / "heldout"
CASES = sorted(p.name for p in HELDOUT.iterdir() if (p / "expected.json").is_file())


def judge(case):
    spec = json.loads((HELDOUT / case / "expected.json").read_text())
    result = validate_tree.run(
        {
            "paths": None,
            "node_custom_config": str(HELDOUT / case / "config"),
            "release": "34",
            "hosts": spec.get("hosts"),
            "flavors": [],
        }
    )
    got = sorted([f["severity"], f["code"], f["option"]] for f in result["findings"])
    return got, sorted(spec["expected"], key=lambda e: [str(x) for x in e]), result


def test_sixteen_cases_one_valid():
    assert len(CASES) == 16 and CASES[0] == "01-valid"


@pytest.mark.parametrize("case", CASES)
def test_heldout_case_judged_right(case):
    got, expected, result = judge(case)
    assert sorted(got, key=lambda e: [str(x) for x in e]) == expected, [
        f["message"] for f in result["findings"]
    ]
    for f in result["findings"]:
        # every finding names the file (and the line when it is about a value) and what to do
        assert f["file"] and f["fix"]
        if f["option"]:
            assert f["line"]
