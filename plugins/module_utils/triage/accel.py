# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Optional multi-pattern accelerator for the engine's needle passes.

The fast path looks for a handful of literals (level tokens, the needles of INFO/DEBUG rules)
in every 4 MiB block.  In pure Python that is one ``bytes.find`` pass per literal (about
1-2 ms per 4 MiB each, 6-12 passes).  When the ``hyperscan`` package (PyPI, Intel
Hyperscan/Vectorscan bindings) is importable, all literals are found in one pass (about
2 ms per 4 MiB for all of them).  The engine's answer is the same either way; the pure-Python
path stays for hosts that have only the standard library.

``KOLLA_OPS_TRIAGE_ACCEL=off`` in the environment turns the accelerator off (the bench
records both paths that way).
"""

from __future__ import annotations

import importlib
import os
import re

ENV = "KOLLA_OPS_TRIAGE_ACCEL"


def _load():
    if os.environ.get(ENV, "").strip().lower() in ("off", "0", "no", "false", "python"):
        return None
    try:
        return importlib.import_module("hyperscan")
    except (ImportError, OSError):  # not installed, or its native library is broken
        return None


_HS = _load()
_DATABASES = {}


def available() -> bool:
    """Whether needle scans go through hyperscan in this process."""
    return _HS is not None


def name() -> str:
    return "hyperscan" if _HS is not None else "python"


class NeedleScanner:
    """All occurrences of a fixed tuple of literals in a block, in one hyperscan pass."""

    __slots__ = ("_db", "_lengths")

    def __init__(self, needles):
        hs = _HS
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(
            expressions=[re.escape(n) for n in needles],
            ids=list(range(len(needles))),
            elements=len(needles),
            flags=[0] * len(needles),
        )
        db.scratch = hs.Scratch(db)
        self._db = db
        self._lengths = [len(n) for n in needles]

    def scan(self, block, end):
        """``[(needle index, start offset), ...]`` of every occurrence ending at or before
        ``end``, in order of their end offsets (for one needle: in order of their starts)."""
        found = []
        append = found.append
        lengths = self._lengths

        def on_match(idx, _start, stop, _flags, _ctx):
            if stop <= end:
                append((idx, stop - lengths[idx]))

        self._db.scan(block, match_event_handler=on_match)
        return found


def scanner_for(needles):
    """A ``NeedleScanner`` for ``needles`` (cached per tuple), or None without the accelerator
    or when a needle is unusable (empty, or holding a newline: the engine's passes stop at line
    ends)."""
    if _HS is None or not needles:
        return None
    key = tuple(needles)
    if key in _DATABASES:
        return _DATABASES[key]
    scanner = None
    if all(n and b"\n" not in n for n in key):
        try:
            scanner = NeedleScanner(key)
        except Exception:  # pylint: disable=broad-except  # a pattern hyperscan refuses: bytes.find
            scanner = None
    _DATABASES[key] = scanner
    return scanner


_UNDATED_DB = []


def _undated_db():
    if not _UNDATED_DB:
        hs = _HS
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        # a newline not followed by "20" (the engine's ``\n(?!20)``, where both bytes are known)
        db.compile(expressions=[rb"\n(?:[^2]|2[^0])"], ids=[0], elements=1, flags=[0])
        db.scratch = hs.Scratch(db)
        _UNDATED_DB.append(db)
    return _UNDATED_DB[0]


def all_lines_dated(block, end):
    """True when no newline of ``block[:end - 1]`` is followed by a byte other than ``2`` or by
    ``2`` and a byte other than ``0`` (both inside ``block[:end - 1]``); False when one is; None
    without the accelerator.  The engine still reads the last three bytes itself."""
    if _HS is None:
        return None
    limit = end - 1
    found = []

    def on_match(_idx, _start, stop, _flags, _ctx):
        if stop <= limit:
            found.append(stop)
            return True  # one is enough
        return False

    try:
        _undated_db().scan(block, match_event_handler=on_match)
    except _HS.ScanTerminated:
        pass
    return not found
