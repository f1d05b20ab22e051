# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The triage engine: scan Kolla log files, match rules, group incidents.

How it stays close to ``grep``'s speed: files are read in 4 MiB blocks and never split
into Python line objects.  ``bytes.find`` (C) looks for the few literals a candidate line
must contain (`` ERROR ``, `` WARNING ``, `` CRITICAL `` in oslo.log lines, plus the
``needles`` of rules that read INFO/DEBUG lines of that service); traceback body lines
are skipped right there.  For each candidate line the words of the line are intersected
with an index of *anchor words* (one per signature, from the literal the signature
requires), the literal itself is checked, and only then does a rule's regex run.  Only
lines that survive are decoded and parsed (timestamp, pid, level, logger).  Memory does
not grow with file size: incidents keep counts, first/last seen and a few samples.

One *record* is one oslo.log call: consecutive lines of a file with the same timestamp,
pid and level (a message and its traceback).  A record counts once per rule, and when
several rules match lines of the same record only the rule with the highest ``priority``
(the root cause) is kept.  ERROR/CRITICAL records that no rule explains are counted and
sampled under ``unmatched``; WARNING lines no rule can match are only counted.
"""

from __future__ import annotations

import io
import re

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import mask
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage import accel
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.incident import (
    SAMPLE_CHARS,
    Incident,
    truncate,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.matcher import (
    Matcher,
    anchor_word,
    best_literal,
    literal_runs,
    required_literal,
    service_is_known,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.reader import (
    service_from_name,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.states import (
    MAX_LINE,
    _ReaderState,
    _RecordState,
    log_format,
    normalize_ts,
)

# re-exported: callers and tests import these from the engine
__all__ = [
    "SAMPLE_CHARS",
    "Engine",
    "Incident",
    "anchor_word",
    "best_literal",
    "literal_runs",
    "log_format",
    "required_literal",
    "service_from_filename",
    "service_is_known",
]

BLOCK_SIZE = 4 * 1024 * 1024
COUNT_LINES_BELOW = 1024 * 1024

_IDS = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{32}|0x[0-9a-f]+")
_NUMBERS = re.compile(r"\d+(?:\.\d+)*")

TRACE_NEEDLE = b" TRACE "
_UPPER_LEVELS = (b" INFO ", b" DEBUG ", b" ERROR ", b" WARNING ", b" CRITICAL ", b" TRACE ")
WARNING_NEEDLES = (b" WARNING ", b": warning : ")


_MAX_GROUPS = 100  # distinct unmatched-message groups kept per service; the rest count as "(other messages)"


def service_from_filename(name):
    """``nova-compute.log.1.gz`` -> ``nova-compute``; ``libvirtd.log`` -> ``libvirtd``."""
    base = name.rsplit("/", 1)[-1]
    if base.endswith(".gz"):
        base = base[:-3]
    parts = base.split(".")
    while len(parts) > 1 and (parts[-1].isdigit() or parts[-1] in ("log", "txt")):
        parts.pop()
    return ".".join(parts) or name


_WRAP_RFC3339 = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) ", re.M)
_WRAP_SYSLOG = re.compile(rb"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ ([\w./@-]+)\[\d+\]: ", re.M)


_UNDATED = re.compile(rb"\n(?!20)")
MAX_UNDATED = 256


_TAIL = 4  # bytes the undated-line regex still reads after one hyperscan pass found none


def _undated_lines(block, end):
    """Starts of the lines of ``block[:end]`` that do not begin with a full date, when the
    block is an oslo.log/libvirt file's (its first line dated, at most ``MAX_UNDATED`` others:
    continuation lines of multi-line messages); None when the line reader must read it."""
    if not block.startswith(b"20") or block[10:11] == b"T":
        return None
    found = []
    start = 0
    if end > _TAIL and accel.all_lines_dated(block, end):
        # one hyperscan pass found no undated line up to the last three bytes: the regex
        # only reads those (it may match there: ``(?!20)`` does not see past ``end - 1``)
        start = end - _TAIL
    for m in _UNDATED.finditer(block, start, end - 1):  # the last newline starts no line
        found.append(m.start() + 1)
        if len(found) > MAX_UNDATED:
            return None
    return found


def _unwrap(block, end, nlines, service):
    """``block[:end]`` without the docker/kubectl time or the journald prefix of every line.

    Returns (block, end, kind), or (None, 0, None) when some line does not carry the prefix,
    or when the journald lines come from several processes or from another service than the
    file's (those keep their service: the line reader reads them).
    """
    if block[10:11] == b"T":
        out, n = _WRAP_RFC3339.subn(b"", block[:end])
        kind = "rfc3339+oslo"
    else:
        m = _WRAP_SYSLOG.match(block)
        if m is None:
            return None, 0, None
        ident = m.group(1)
        if block.count(b" " + ident + b"[", 0, end) != nlines:
            return None, 0, None
        named = service_from_name(ident.decode("ascii", "replace"))
        if named is not None and named != service and service_is_known(service):
            return None, 0, None
        out, n = _WRAP_SYSLOG.subn(b"", block[:end])
        kind = "syslog+oslo"
    if n != nlines:
        return None, 0, None
    return out, len(out), kind


_SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class Engine:
    """Scan log streams with a rule set; ``result()`` returns plain data."""

    def __init__(  # noqa: PLR0913, PLR0917  one parameter per triage option
        self,
        rules,
        since=None,
        until=None,
        max_samples=3,
        max_unmatched_samples=5,
        max_request_ids=5,
        timeline_request_ids=None,
        max_timeline_lines=50,
        skip_rules=False,
    ):
        self.rules = list(rules)
        self.since = normalize_ts(since) if since else None
        self.until = normalize_ts(until) if until else None
        self.max_samples = max_samples
        self.max_unmatched_samples = max_unmatched_samples
        self.max_request_ids = max_request_ids
        self.timeline_ids = [r.encode("ascii") for r in (timeline_request_ids or [])]
        self.max_timeline_lines = max_timeline_lines
        self.skip_rules = skip_rules
        self._matchers = {}
        self.incidents = {}
        self.unmatched = {}
        self.timeline = {}
        self.stats = {
            "files": 0,
            "files_skipped_by_time": 0,
            "bytes": 0,
            "candidate_lines": 0,
            "matched_records": 0,
            "unmatched_records": 0,
            "warning_records": 0,
            "error_records": 0,
            "out_of_window_lines": 0,
            "traceback_lines_skipped": 0,
            "lines": 0,
            "bytes_lines_not_counted": 0,
            "long_lines_capped": 0,
            "undated_records": 0,
            "undated_records_kept": 0,
            "scanned": {},
        }
        self.errors = []
        self.notes = []

    # -- matching ---------------------------------------------------------------------------
    def _matcher(self, service, fmt):
        key = (service, fmt)
        m = self._matchers.get(key)
        if m is None:
            m = Matcher([] if self.skip_rules else self.rules, service, fmt)
            self._matchers[key] = m
        return m

    def file_in_window(self, mtime_iso):
        """False when a file's last write is before ``since`` (it cannot hold newer lines)."""
        return not (self.since and mtime_iso and mtime_iso < self.since[:19])

    def scan_stream(self, fobj, host, service, path, fmt=None):
        """Scan a binary file object; ``path`` is only reported.

        A block whose every line starts with a full date (a Kolla oslo.log or libvirtd.log
        file) takes the fast path (``_scan_block``: level tokens and needles found with
        ``bytes.find``); any other block is read line by line (``_read_block``: every form of
        ``reader``, records of ``records``).  A line longer than ``MAX_LINE`` keeps its first
        ``MAX_LINE`` bytes (its header) and is counted in ``long_lines_capped``.
        """
        fmt = fmt or log_format(service)
        matcher = self._matcher(service, fmt)
        needles = ([] if self.skip_rules else list(matcher.needles)) + self.timeline_ids
        skip_tb = fmt == "oslo" and not self.timeline_ids
        state = _RecordState(self, matcher, host, service, path, fmt)
        reader = _ReaderState(self, host, service, path)
        carry = b""
        first = True
        force_reader = None
        dropping = False  # inside an over-long line whose head was kept
        # a plain file (or bytes) is read again from the start of its last, incomplete line,
        # rather than copying each 4 MiB block behind that line's head
        rewind = type(fobj) in (io.BufferedReader, io.BytesIO)
        reread = 0
        self.stats["files"] += 1
        while True:
            block = fobj.read(BLOCK_SIZE)
            if not block:
                break
            self.stats["bytes"] += len(block) - reread
            reread = 0
            if dropping:
                nl = block.find(b"\n")
                if nl < 0:
                    continue
                block = block[nl + 1 :]
                dropping = False
            if first:
                first = False
                # oslo.log stopped writing TRACE lines in 2015: only old logs need that needle
                if TRACE_NEEDLE in needles and TRACE_NEEDLE not in block:
                    needles.remove(TRACE_NEEDLE)
            if carry:
                block = carry + block
            cut = block.rfind(b"\n")
            tail = block[cut + 1 :]
            if len(tail) > MAX_LINE:
                # the start of a line longer than any block: keep its head, drop the rest
                block = block[: cut + 1] + tail[:MAX_LINE] + b"\n"
                cut = len(block) - 1
                carry = b""
                dropping = True
                self.stats["long_lines_capped"] += 1
            elif cut < 0:
                carry = block
                continue
            elif rewind and tail and len(block) - len(tail) > 0:
                fobj.seek(-len(tail), io.SEEK_CUR)
                reread = len(tail)
                carry = b""
            else:
                carry = tail
            if force_reader is None:
                # levels in lower case (some formatters): only the line reader sees them
                force_reader = fmt != "libvirt" and not any(block.find(t, 0, cut) >= 0 for t in _UPPER_LEVELS)
            self._dispatch(block, cut + 1, needles, state, reader, skip_tb, force_reader)
        if carry:
            self._dispatch(carry + b"\n", len(carry) + 1, needles, state, reader, skip_tb, bool(force_reader))
        state.flush()
        reader.flush()

    def _dispatch(self, block, end, needles, state, reader, skip_tb, force_reader):
        # lines are counted exactly where it is cheap (excerpts, small files, the line
        # reader); a big block on the fast path (every line dated) counts its bytes instead:
        # one more pass over 4 MiB costs a tenth of the engine's time there
        nlines = block.count(b"\n", 0, end) if end < COUNT_LINES_BELOW else None
        if not force_reader:
            fast, fend, kind = block, end, state.fmt
            if block[10:11] == b"T" or block[:1].isupper():
                # docker/podman/kubectl times or one process's journald prefix on every line:
                # removed in one pass, then the block may still take the fast path
                fast, fend, kind = _unwrap(block, end, nlines, state.service)
            undated = _undated_lines(fast, fend) if fast is not None else None
            # a few continuation lines among many dated ones (multi-line messages in a Kolla
            # file) stay on the fast path; a pasted excerpt, mostly wrapped, is read line by line
            if undated is not None and len(undated) * 16 <= (nlines or end // 64):
                reader.flush()
                if nlines is None:
                    self.stats["bytes_lines_not_counted"] += end
                    self._count_lines(kind, 0, 0, end)
                else:
                    self.stats["lines"] += nlines
                    self._count_lines(kind, nlines)
                state.kind = kind
                self._scan_block(fast, fend, needles, state, skip_tb, undated)
                return
        state.flush()
        self.stats["lines"] += block.count(b"\n", 0, end) if nlines is None else nlines
        reader.read(block, end)

    def _count_lines(self, kind, lines=0, records=0, uncounted=0):
        entry = self.stats["scanned"].get(kind)
        if entry is None:
            entry = self.stats["scanned"][kind] = {"lines": 0, "records": 0}
        entry["lines"] += lines
        entry["records"] += records
        if uncounted:
            entry["bytes_lines_not_counted"] = entry.get("bytes_lines_not_counted", 0) + uncounted

    def _scan_block(self, block, end, needles, state, skip_tb=False, undated=()):  # noqa: PLR0912, PLR0915  hot loop, one frame
        hits = {}
        find = block.find
        rfind = block.rfind
        startswith = block.startswith
        skipped = 0
        scanner = accel.scanner_for(needles)
        if scanner is not None:
            # one hyperscan pass for all needles; then, per needle, the same occurrences as
            # the find loop below (the first one at or after the end of the last line taken)
            skipped = self._accel_hits(scanner, block, end, needles, skip_tb, hits)
            needles = ()
        for needle in needles:
            nlen = len(needle)
            warn = needle in WARNING_NEEDLES
            pos = find(needle, 0, end)
            while pos != -1:
                stop = find(b"\n", pos, end)
                if stop == -1:
                    stop = end
                if skip_tb:
                    # traceback body lines ("  File ...", "Traceback (most ...") never carry a
                    # signature and belong to the record of the line before them
                    q = find(b" ", pos + nlen, stop)
                    if q != -1:
                        if startswith(b" [", q):
                            r = find(b"] ", q, stop)
                            if r != -1:
                                q = r + 1
                        if (
                            startswith(b"  ", q)
                            or startswith(b" Traceback (most", q)
                            or startswith(b" During handling", q)
                        ):
                            skipped += 1
                            pos = find(needle, stop, end)
                            continue
                start = rfind(b"\n", 0, pos) + 1
                prev = hits.get(start)
                hits[start] = (stop, warn and (prev is None or prev[1]))
                pos = find(needle, stop, end)
        self.stats["traceback_lines_skipped"] += skipped
        for u in undated:
            # a line without a date continues the record of the dated line above it: both
            # are read (the header even when it is INFO/DEBUG)
            stop = find(b"\n", u, end)
            hits[u] = (stop, None)
            h = u
            while h > 0:
                h = rfind(b"\n", 0, h - 1) + 1
                if startswith(b"20", h):
                    break
            if h not in hits and startswith(b"20", h):
                hits[h] = (find(b"\n", h, end), False)
        if not hits:
            return
        process = state.process
        matcher = state.matcher
        candidates = matcher.candidates
        # a WARNING line no rule can match is only counted (ERROR/CRITICAL ones are parsed:
        # they are counted and sampled as unmatched)
        skip_plain_warnings = not matcher.always and not self.timeline_ids
        quiet = 0
        for start in sorted(hits):
            stop, warn_only = hits[start]
            if stop - start > MAX_LINE:
                stop = start + MAX_LINE
                self.stats["long_lines_capped"] += 1
            raw = block[start:stop]
            cands = candidates(raw)
            if warn_only is None:
                state.continuation(raw, cands)
                continue
            if cands is None and warn_only and skip_plain_warnings:
                quiet += 1
                continue
            process(raw, cands)
        self.stats["warning_records"] += quiet

    def _accel_hits(self, scanner, block, end, needles, skip_tb, hits):
        """``_scan_block``'s needle loop on the occurrences one hyperscan pass found."""
        find = block.find
        rfind = block.rfind
        startswith = block.startswith
        lengths = [len(n) for n in needles]
        warns = [n in WARNING_NEEDLES for n in needles]
        nexts = [0] * len(needles)
        skipped = 0
        for idx, pos in scanner.scan(block, end):
            if pos < nexts[idx]:
                continue
            stop = find(b"\n", pos, end)
            if stop == -1:
                stop = end
            nexts[idx] = stop
            if skip_tb:
                q = find(b" ", pos + lengths[idx], stop)
                if q != -1:
                    if startswith(b" [", q):
                        r = find(b"] ", q, stop)
                        if r != -1:
                            q = r + 1
                    if (
                        startswith(b"  ", q)
                        or startswith(b" Traceback (most", q)
                        or startswith(b" During handling", q)
                    ):
                        skipped += 1
                        continue
            start = rfind(b"\n", 0, pos) + 1
            prev = hits.get(start)
            hits[start] = (stop, warns[idx] and (prev is None or prev[1]))
        return skipped

    # -- results ----------------------------------------------------------------------------
    def _incident(self, rule, host, service):
        key = (rule.id, host, service)
        inc = self.incidents.get(key)
        if inc is None:
            inc = self.incidents[key] = Incident(rule, host, service)
        return inc

    def _unmatched(self, host, service, ts, line, msg, logger):
        key = (host, service)
        entry = self.unmatched.get(key)
        if entry is None:
            entry = self.unmatched[key] = {
                "host": host,
                "service": service,
                "count": 0,
                "first_seen": None,
                "last_seen": None,
                "samples": [],
                "groups": {},
            }
        entry["count"] += 1
        if ts:
            if entry["first_seen"] is None or ts < entry["first_seen"]:
                entry["first_seen"] = ts
            if entry["last_seen"] is None or ts > entry["last_seen"]:
                entry["last_seen"] = ts
        if len(entry["samples"]) < self.max_unmatched_samples:
            entry["samples"].append(mask(truncate(line)))
        text = msg[:160]
        text = _NUMBERS.sub("N", _IDS.sub("N", text))
        group = "%s: %s" % (logger, text)
        groups = entry["groups"]
        if group in groups or len(groups) < _MAX_GROUPS:
            groups[group] = groups.get(group, 0) + 1
        else:
            groups["(other messages)"] = groups.get("(other messages)", 0) + 1

    def _timeline_add(self, req_ids, ts, host, service, level, logger, msg, path):
        for rid in req_ids:
            if rid.encode("ascii") not in self.timeline_ids:
                continue
            entries = self.timeline.setdefault(rid, [])
            if len(entries) < self.max_timeline_lines:
                entries.append(
                    {
                        "ts": ts,
                        "host": host,
                        "service": service,
                        "level": level,
                        "logger": logger,
                        "request_id": rid,
                        "message": mask(truncate(msg, 300)),
                        "file": path,
                    }
                )

    def result(self):
        findings = sorted(
            (i.as_dict() for i in self.incidents.values()),
            key=lambda f: (_SEV.get(f["severity"], 9), -f["count"], f["rule"], f["host"], f["service"]),
        )
        unmatched = []
        for entry in sorted(self.unmatched.values(), key=lambda e: -e["count"]):
            top = sorted(entry["groups"].items(), key=lambda kv: -kv[1])[:10]
            e = dict(entry)
            e["top_messages"] = [{"message": mask(k), "count": v} for k, v in top]
            del e["groups"]
            unmatched.append(e)
        timeline = []
        for entries in self.timeline.values():
            timeline.extend(entries)
        timeline.sort(key=lambda e: (e["ts"] or "", e["host"], e["service"]))
        rules = {}
        for f in findings:
            if f["rule"] not in rules:
                rules[f["rule"]] = self.incidents[(f["rule"], f["host"], f["service"])].rule.describe()
        return {
            "findings": findings,
            "rules": rules,
            "unmatched": unmatched,
            "timeline": timeline,
            "stats": dict(self.stats),
            "errors": list(self.errors),
            "notes": self._notes(),
        }

    def _notes(self):
        """What the report must say about lines it read differently (never silently)."""
        notes = list(self.notes)
        s = self.stats
        if s["long_lines_capped"]:
            notes.append(
                "%d line(s) longer than %d bytes were cut to their first %d bytes (header kept)"
                % (s["long_lines_capped"], MAX_LINE, MAX_LINE)
            )
        if s["undated_records_kept"]:
            notes.append(
                "%d record(s) without a date were kept although a time window was given (time unknown)"
                % s["undated_records_kept"]
            )
        return notes
