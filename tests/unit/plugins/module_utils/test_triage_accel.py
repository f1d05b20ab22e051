"""The optional hyperscan accelerator gives the engine exactly the answers of the bytes.find path.

Both paths run on the same input and their whole results (findings, unmatched, timeline, stats)
must be equal: the real corpus (tests/unit/corpus), the bench generator's Kolla lines (messages
taken from real Nova logs), and lines built to exercise the needle loop's corners (a needle twice
in a line, overlapping occurrences, a traceback body line, a line past the block's end).
Skipped where hyperscan is not installed (it is optional; requirements/runtime.txt pins it).
"""

from __future__ import annotations

import io
import os
import sys

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import accel
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import engine as engine_mod
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.engine import Engine
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import load_default_rules
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.run import triage_inputs

pytestmark = pytest.mark.skipif(not accel.available(), reason="hyperscan not installed (optional)")

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
)
CORPUS = os.path.join(ROOT, "tests", "unit", "corpus")
RULES = load_default_rules()
REQ = "req-0c9e1c1e-8d4e-4b9a-9b43-5a3fd2c4e001"


def _pure(monkeypatch):
    monkeypatch.setattr(accel, "scanner_for", lambda needles: None)


def _scan(data, service, block=None, monkeypatch=None, **kw):
    if block is not None:
        monkeypatch.setattr(engine_mod, "BLOCK_SIZE", block)
    eng = Engine(RULES, **kw)
    eng.scan_stream(io.BytesIO(data), "h", service, "/x/%s.log" % service)
    return eng.result()


def _bench_lines():
    sys.path.insert(0, os.path.join(ROOT, "bench", "triage"))
    try:
        import bench_triage
    finally:
        sys.path.pop(0)
    out = []
    pools = (
        ("DEBUG", bench_triage.DEBUG),
        ("INFO", bench_triage.INFO),
        ("WARNING", bench_triage.WARNING),
        ("ERROR", bench_triage.ERROR_MATCHED + bench_triage.ERROR_UNMATCHED),
    )
    n = 0
    for level, pool in pools:
        for msg in pool:
            n += 1
            ts = "2026-11-20 10:00:%02d.%03d" % (n % 60, n)
            text = msg.format(req=REQ, uuid="5f3c6a1e-2b7d-4c1e-9a57-0d6f2f1b9c3%d" % (n % 10), hex="ab" * 16)
            out.append("%s 7 %s %s" % (ts, level, text))
            if level == "ERROR":
                logger = text.split(" ", 1)[0]
                out.extend("%s 7 ERROR %s %s" % (ts, logger, tb) for tb in bench_triage.TRACE)
    return out


CORNERS = [
    # a level token twice in one line, and overlapping tokens (" ERROR ERROR ")
    "2026-11-20 10:01:00.001 7 ERROR nova.compute.manager [-] x ERROR ERROR y: No space left on device",
    "2026-11-20 10:01:00.002 7 WARNING nova.compute.manager [-] WARNING  WARNING twice",
    # a WARNING line that also holds an ERROR token: not a warning-only line
    "2026-11-20 10:01:00.003 7 WARNING nova.compute.manager [-] upstream said ERROR here",
    # traceback body lines with and without the request context
    '2026-11-20 10:01:00.004 7 ERROR nova.compute.manager [%s - - - - -]   File "/x.py", line 1' % REQ,
    "2026-11-20 10:01:00.004 7 ERROR nova.compute.manager Traceback (most recent call last):",
    "2026-11-20 10:01:00.004 7 ERROR nova.compute.manager During handling of the above exception",
    # an INFO needle of nova-compute, twice in one line
    "2026-11-20 10:01:00.005 7 INFO nova.compute.resource_tracker [-] Instance a has allocations against "
    "this compute host but is not found in the database. has allocations against this compute host",
    "2026-11-20 10:01:00.006 7 DEBUG nova.compute.manager [-] nothing to see",
]


@pytest.mark.parametrize("service", ["nova-compute", "nova-api", "nova-scheduler", "nova-conductor"])
@pytest.mark.parametrize("block", [None, 97, 4096])
def test_bench_and_corner_lines_same_result_both_paths(monkeypatch, service, block):
    lines = (_bench_lines() + CORNERS) * 3
    data = ("\n".join(lines) + "\n").encode()
    fast = _scan(data, service, block, monkeypatch)
    _pure(monkeypatch)
    pure = _scan(data, service, block, monkeypatch)
    assert fast == pure
    assert fast["findings"], "the bench lines must give findings"
    assert fast["stats"]["traceback_lines_skipped"] > 0


def test_request_timeline_same_result_both_paths(monkeypatch):
    data = ("\n".join(_bench_lines() + CORNERS) + "\n").encode()
    fast = _scan(data, "nova-compute", timeline_request_ids=[REQ])
    _pure(monkeypatch)
    pure = _scan(data, "nova-compute", timeline_request_ids=[REQ])
    assert fast == pure
    assert fast["timeline"]


def test_corpus_same_result_both_paths(monkeypatch):
    fast = triage_inputs([CORPUS])
    _pure(monkeypatch)
    pure = triage_inputs([CORPUS])
    assert fast["findings"] == pure["findings"]
    assert fast["unmatched"] == pure["unmatched"]
    assert fast["stats"] == pure["stats"]


def test_needles_with_a_newline_keep_the_find_path():
    assert accel.scanner_for([b" ERROR ", b"a\nb"]) is None
    assert accel.scanner_for([]) is None
    scanner = accel.scanner_for([b" ERROR ", b"RROR"])
    assert scanner.scan(b"x ERROR y\nz ERROR ", 12) == [(1, 3), (0, 1)]


def test_undated_lines_same_both_ways(monkeypatch):
    dated = "2026-11-20 10:00:00.000 7 INFO nova.x [-] m\n"
    blocks = [
        dated * 50,
        dated * 50 + "  continued\n" + dated,
        dated * 3 + "\n" + dated,  # an empty line
        dated * 3 + "21 not a date\n" + dated,
        dated * 3 + "2\n",  # the last bytes, which only the regex reads
        dated * 3 + "20",
        dated + "x",
        dated * 2 + "\n",
        "2026-11-20 10:00:00 no newline at all",
    ]
    rnd = __import__("random").Random(7)
    for _case in range(200):
        lines = [
            rnd.choice([dated, "20\n", "2\n", "\n", " x\n", "201\n", dated[:5]])
            for _line in range(rnd.randint(1, 9))
        ]
        blocks.append(dated + "".join(lines))
    for text in blocks:
        data = text.encode()
        for end in sorted({len(data), max(1, len(data) - 1), max(1, len(data) // 2)}):
            fast = engine_mod._undated_lines(data, end)
            monkeypatch.setattr(accel, "all_lines_dated", lambda block, end: None)
            pure = engine_mod._undated_lines(data, end)
            monkeypatch.undo()
            assert fast == pure, (text, end)
