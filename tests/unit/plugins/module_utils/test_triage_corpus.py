"""Real-world log excerpts (tests/unit/corpus, sources in index.yml) are named correctly."""

from __future__ import annotations

import os

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.run import triage_inputs

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "corpus")
yaml = pytest.importorskip("yaml")

with open(os.path.join(CORPUS, "index.yml"), encoding="utf-8") as _fh:
    CASES = yaml.safe_load(_fh)


def test_every_case_has_a_source_and_a_directory():
    for case in CASES:
        assert case["source"].startswith("https://"), case["case"]
        assert os.path.isdir(os.path.join(CORPUS, case["case"])), case["case"]
    listed = {c["case"] for c in CASES}
    present = {d for d in os.listdir(CORPUS) if os.path.isdir(os.path.join(CORPUS, d))}
    assert listed == present


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case"])
def test_corpus_case(case):
    host = case.get("host")
    res = triage_inputs([os.path.join(CORPUS, case["case"])], host=None if host else case["case"])
    assert sorted({f["rule"] for f in res["findings"]}) == sorted(case["expect"])
    for f in res["findings"]:
        assert f["host"] == (host or case["case"])
    for rule, count in (case.get("count") or {}).items():
        assert sum(f["count"] for f in res["findings"] if f["rule"] == rule) == count
    unmatched = sum(u["count"] for u in res["unmatched"])
    if case.get("unmatched"):
        assert unmatched >= case["unmatched"]
        assert all(u["samples"] for u in res["unmatched"])
    else:
        assert unmatched == 0, res["unmatched"]
