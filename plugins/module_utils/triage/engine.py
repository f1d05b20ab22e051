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

import re

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.masking import mask

BLOCK_SIZE = 4 * 1024 * 1024
MAX_LINE = 64 * 1024
SAMPLE_CHARS = 600

_OSLO = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)\s+(?:(?P<pid>\d+)\s+)?(?P<level>[A-Z]+)\s+"
    r"(?P<logger>\S+)\s?(?P<msg>.*)$"
)
# journald / syslog forwarding of oslo.log lines (devstack, RDO):
# "Jul 13 02:16:32 host nova-compute[80768]: ERROR nova.compute.manager [...] msg"
_SYSLOG = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d) \S+ (?P<svc>[\w.@-]+)\[(?P<pid>\d+)\]: "
    r"(?:(?P<ots>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \d+ )?(?P<level>[A-Z]+) (?P<logger>\S+)\s?(?P<msg>.*)$"
)
_LIBVIRT = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\S*: (?P<pid>\d+): (?P<level>[a-z]+) : (?P<msg>.*)$"
)
_REQ = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CONTEXT = re.compile(r"^\[[^\]]*\]\s?(?:\[instance: [0-9a-f-]+\]\s?)?")
_IDS = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{32}|0x[0-9a-f]+")
_NUMBERS = re.compile(r"\d+(?:\.\d+)*")

OSLO_LEVEL_NEEDLES = (
    (b" ERROR ", "ERROR"),
    (b" CRITICAL ", "CRITICAL"),
    (b" WARNING ", "WARNING"),
    (b" TRACE ", "ERROR"),
)
TRACE_NEEDLE = b" TRACE "
WARNING_NEEDLES = (b" WARNING ", b": warning : ")
LIBVIRT_LEVEL_NEEDLES = ((b": error : ", "ERROR"), (b": warning : ", "WARNING"))
_LEVEL_ALIASES = {"TRACE": "ERROR", "WARN": "WARNING", "FATAL": "CRITICAL", "AUDIT": "INFO"}
UNMATCHED_LEVELS = ("ERROR", "CRITICAL")


def service_from_filename(name):
    """``nova-compute.log.1.gz`` -> ``nova-compute``; ``libvirtd.log`` -> ``libvirtd``."""
    base = name.rsplit("/", 1)[-1]
    if base.endswith(".gz"):
        base = base[:-3]
    parts = base.split(".")
    while len(parts) > 1 and (parts[-1].isdigit() or parts[-1] in ("log", "txt")):
        parts.pop()
    return ".".join(parts) or name


_KNOWN_SERVICES = (
    "nova",
    "placement",
    "keystone",
    "glance",
    "neutron",
    "cinder",
    "libvirt",
    "virtlog",
    "virtqemud",
    "qemu",
    "mariadb",
    "mysql",
    "rabbitmq",
    "haproxy",
    "kolla",
    "openvswitch",
    "ovs",
    "ovn",
    "sandbox",
)


def service_is_known(service):
    """Whether a name taken from a file is a service the rules are written for."""
    return str(service).startswith(_KNOWN_SERVICES)


def log_format(service):
    if service.startswith(("libvirt", "virtlog", "virtqemud")):
        return "libvirt"
    return "oslo"


def normalize_ts(ts):
    """Timestamps compare as strings 'YYYY-MM-DD HH:MM:SS[.fff]'."""
    return ts.replace("T", " ", 1)


def _truncate(text, limit=SAMPLE_CHARS):
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


def _is_traceback(msg):
    return (
        not msg
        or msg[0] in " \t"
        or msg.startswith(("Traceback (most recent call last)", "During handling", "^"))
    )


_META = set(".^$*+?{}[]()|")
_QUANT = set("*+?{")


def literal_runs(pattern):
    """Top-level literal runs of a regex as ``(text, at_pattern_start, at_pattern_end)``.

    Groups, classes and escapes such as ``\\s`` end a run, a quantified character is
    dropped; None when the top level has a ``|`` (no literal is required then).
    """
    runs, cur, depth, i, n = [], [], 0, 0, len(pattern)
    cur_start = 0

    def close(at):
        runs.append(("".join(cur), cur_start == 0 and bool(cur), at))

    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if depth == 0 and not nxt.isalnum():
                if not cur:
                    cur_start = i
                cur.append(nxt)
            else:
                close(False)
                cur = []
            i += 2
            continue
        if c == "[":
            close(False)
            cur = []
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            depth += 1
            close(False)
            cur = []
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return None
        elif c in _QUANT:
            if cur and depth == 0:
                cur.pop()
            close(False)
            cur = []
            if c == "{":
                while i < n and pattern[i] != "}":
                    i += 1
        elif c in _META:
            close(False)
            cur = []
        elif depth == 0:
            if not cur:
                cur_start = i
            cur.append(c)
        i += 1
    close(True)
    return [r for r in runs if r[0]]


def required_literal(pattern, minimum=4):
    """The longest literal run every match of ``pattern`` must contain (None if too short)."""
    best = best_literal(pattern, minimum)
    return best[0] if best else None


def best_literal(pattern, minimum=4):
    runs = literal_runs(pattern)
    if not runs:
        return None
    best = max(runs, key=lambda r: len(r[0]))
    return best if len(best[0]) >= minimum else None


_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_WORDS = bytes(c if c in _ALNUM or c == 10 else 32 for c in range(256))


# words too common in Nova logs to be a useful anchor
_COMMON = frozenset(
    "not the The for from was with failed Failed server data service could error Error connection "
    "found message instance host check open read match been option config number network requires "
    "expected failure while reading Unable unable Instance compute Connection Host Unexpected "
    "Image Live Lost Nova Some There This Timed Timeout Too Not Could Cannot Requested database device "
    "directory such internal dev End Domain configured client closed connect reset oslo".split()
)


def anchor_word(literal, at_start=False, at_end=False, minimum=3):
    """A word of ``literal`` that is a whole token of every line the literal occurs in.

    Lines are tokenised by turning every non-alphanumeric byte into a space.  A word
    qualifies when the literal has a non-word character on both sides of it, or when it
    begins (ends) the whole signature: signatures are read as starting and ending on word
    boundaries (``NoValidHost`` names the exception, not a longer identifier).  Uncommon
    words are preferred, then CamelCase or digits, then longer ones.
    """
    best = None
    i, n = 0, len(literal)
    while i < n:
        if literal[i].isascii() and literal[i].isalnum():
            j = i
            while j < n and literal[j].isascii() and literal[j].isalnum():
                j += 1
            left = i > 0 or at_start
            right = j < n or at_end
            if left and right and j - i >= minimum:
                word = literal[i:j]
                rare = any(c.isupper() or c.isdigit() for c in word[1:])  # CamelCase, digits
                key = (word not in _COMMON, rare, len(word))
                if best is None or key > best[0]:
                    best = (key, word)
            i = j
        else:
            i += 1
    return best[1] if best else None


class _Matcher:
    """Needles, anchor index and rules for one (service, format).

    ``needles`` find the candidate lines in a block (level tokens plus the needles of
    INFO/DEBUG rules for this service).  ``anchors`` maps an anchor word to the
    (literal, rule) pairs whose signature requires that literal; ``plain`` holds literals
    without a usable anchor word (substring test); ``always`` rules have a signature
    without any usable literal and are tried on every candidate line.
    """

    def __init__(self, rules, service, fmt):
        # a file saved under any name (paste.txt, cell.log.gz, conductor-node3.log) names no
        # service: then every rule may match, rather than none
        known = service_is_known(service)
        self.rules = sorted(
            (r for r in rules if not known or r.applies_to(service)), key=lambda r: -r.priority
        )
        level_needles = LIBVIRT_LEVEL_NEEDLES if fmt == "libvirt" else OSLO_LEVEL_NEEDLES
        needles = [pair[0] for pair in level_needles]
        for rule in self.rules:
            if rule.reads_low_levels_of(service):
                needles.extend(n for n in rule.needles if n not in needles)
        self.needles = needles
        self.anchors = {}
        self.plain = {}
        self.always = []
        for rule in self.rules:
            for sig in rule.signatures:
                best = best_literal(sig)
                if best is None:
                    if rule not in self.always:
                        self.always.append(rule)
                    continue
                lit = best[0]
                word = anchor_word(lit, best[1], best[2])
                if word is None:
                    self.plain.setdefault(lit.encode("utf-8"), set()).add(rule)
                else:
                    pairs = self.anchors.setdefault(word.encode("utf-8"), [])
                    if (lit.encode("utf-8"), rule) not in pairs:
                        pairs.append((lit.encode("utf-8"), rule))
        self.anchor_keys = frozenset(self.anchors)
        self.plain_items = list(self.plain.items())

    def candidates(self, raw):
        """Rules worth trying on a raw line: their anchor word is a token of the line and the
        whole literal their signature requires is in it."""
        found = None
        if self.anchor_keys:
            words = self.anchor_keys.intersection(raw.translate(_WORDS).split())
            if words:
                for w in words:
                    for lit, rule in self.anchors[w]:
                        if lit in raw:
                            if found is None:
                                found = {rule}
                            else:
                                found.add(rule)
        for lit, owners in self.plain_items:
            if lit in raw:
                if found is None:
                    found = set(owners)
                else:
                    found |= owners
        return found

    def match(self, level, line, candidates):
        """The highest-priority rule matching ``line`` among ``candidates`` (+ ``always``)."""
        if candidates is None:
            if not self.always:
                return None
            pool = self.always
        else:
            pool = candidates if not self.always else candidates | set(self.always)
            pool = sorted(pool, key=lambda r: -r.priority)
        for rule in pool:
            if level in rule.levels and rule.regex.search(line) is not None:
                return rule
        return None


class Incident:
    __slots__ = (
        "count",
        "files",
        "first_seen",
        "host",
        "last_seen",
        "request_ids",
        "rule",
        "samples",
        "service",
    )

    def __init__(self, rule, host, service):
        self.rule = rule
        self.host = host
        self.service = service
        self.count = 0
        self.first_seen = None
        self.last_seen = None
        self.samples = []
        self.request_ids = []
        self.files = []

    def add(self, ts, line, req_ids, path, max_samples, max_req):
        self.count += 1
        if ts:
            if self.first_seen is None or ts < self.first_seen:
                self.first_seen = ts
            if self.last_seen is None or ts > self.last_seen:
                self.last_seen = ts
        if len(self.samples) < max_samples:
            self.samples.append(mask(_truncate(line)))
        for rid in req_ids:
            if rid not in self.request_ids and len(self.request_ids) < max_req:
                self.request_ids.append(rid)
        if path not in self.files and len(self.files) < 10:
            self.files.append(path)

    def as_dict(self):
        return {
            "rule": self.rule.id,
            "title": self.rule.title,
            "category": self.rule.category,
            "severity": self.rule.severity,
            "priority": self.rule.priority,
            "host": self.host,
            "service": self.service,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "samples": self.samples,
            "request_ids": self.request_ids,
            "files": self.files,
        }


class Engine:
    """Scan log streams with a rule set; ``result()`` returns plain data."""

    def __init__(
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
        }
        self.errors = []

    # -- matching ---------------------------------------------------------------------------
    def _matcher(self, service, fmt):
        key = (service, fmt)
        m = self._matchers.get(key)
        if m is None:
            m = _Matcher([] if self.skip_rules else self.rules, service, fmt)
            self._matchers[key] = m
        return m

    def file_in_window(self, mtime_iso):
        """False when a file's last write is before ``since`` (it cannot hold newer lines)."""
        return not (self.since and mtime_iso and mtime_iso < self.since[:19])

    def scan_stream(self, fobj, host, service, path, fmt=None):
        """Scan a binary file object; ``path`` is only reported."""
        fmt = fmt or log_format(service)
        matcher = self._matcher(service, fmt)
        needles = ([] if self.skip_rules else list(matcher.needles)) + self.timeline_ids
        skip_tb = fmt == "oslo" and not self.timeline_ids
        state = _RecordState(self, matcher, host, service, path, fmt)
        carry = b""
        first = True
        self.stats["files"] += 1
        while True:
            block = fobj.read(BLOCK_SIZE)
            if not block:
                break
            self.stats["bytes"] += len(block)
            if first:
                first = False
                # oslo.log stopped writing TRACE lines in 2015: only old logs need that needle
                if TRACE_NEEDLE in needles and TRACE_NEEDLE not in block:
                    needles.remove(TRACE_NEEDLE)
            if carry:
                block = carry + block
            cut = block.rfind(b"\n")
            if cut < 0:
                carry = block[-MAX_LINE:]
                continue
            carry = block[cut + 1 :]
            if len(carry) > MAX_LINE:
                carry = carry[-MAX_LINE:]
            self._scan_block(block, cut + 1, needles, state, skip_tb)
        if carry:
            self._scan_block(carry + b"\n", len(carry) + 1, needles, state, skip_tb)
        state.flush()

    def _scan_block(self, block, end, needles, state, skip_tb=False):
        hits = {}
        find = block.find
        rfind = block.rfind
        startswith = block.startswith
        skipped = 0
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
            raw = block[start:stop]
            cands = candidates(raw)
            if cands is None and warn_only and skip_plain_warnings:
                quiet += 1
                continue
            process(raw, cands)
        self.stats["warning_records"] += quiet

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
            entry["samples"].append(mask(_truncate(line)))
        text = msg[:160]
        text = _NUMBERS.sub("N", _IDS.sub("N", text))
        group = "%s: %s" % (logger, text)
        groups = entry["groups"]
        if group in groups or len(groups) < 100:
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
                        "message": mask(_truncate(msg, 300)),
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
        }


_SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class _RecordState:
    """Per-file state: the oslo.log record being assembled."""

    __slots__ = (
        "engine",
        "fmt",
        "host",
        "key",
        "level",
        "line",
        "logger",
        "matched",
        "matched_line",
        "matcher",
        "msg",
        "path",
        "service",
        "ts",
    )

    def __init__(self, engine, matcher, host, service, path, fmt):
        self.engine = engine
        self.matcher = matcher
        self.host = host
        self.service = service
        self.path = path
        self.fmt = fmt
        self.key = None
        self.matched = None
        self.line = None

    def process(self, raw, candidates=None):
        engine = self.engine
        engine.stats["candidate_lines"] += 1
        line = raw.decode("utf-8", "replace")
        if self.fmt == "libvirt":
            m = _LIBVIRT.match(line)
            if m is None:
                return
            ts, pid, level, msg = m.groups()
            level = level.upper()
            logger = "libvirt"
        else:
            parts = line.split(" ", 5)
            if len(parts) == 6 and len(parts[0]) == 10 and parts[2].isdigit() and parts[0][4] == "-":
                # the common case, without a regex: "date time pid LEVEL logger message"
                ts = parts[0] + " " + parts[1]
                _d, _t, pid, level, logger, msg = parts
            else:
                m = _OSLO.match(line)
                if m is None:
                    m = _SYSLOG.match(line)
                    if m is None:
                        return
                    ts, _svc, pid, ots, level, logger, msg = m.groups()
                    ts = ots or ts  # the oslo.log time inside a journald line, when present
                else:
                    ts, pid, level, logger, msg = m.groups()
                    if ts[10] == "T":
                        ts = normalize_ts(ts)
        level = _LEVEL_ALIASES.get(level, level)
        if (engine.since or engine.until) and ts[:1].isdigit():
            if (engine.since and ts < engine.since) or (engine.until and ts > engine.until):
                engine.stats["out_of_window_lines"] += 1
                return
        key = (ts, pid, level)
        if key != self.key:
            self.flush()
            self.key = key
            self.ts = ts
            self.level = level
            self.logger = logger
            self.line = line
            self.msg = msg
            self.matched = None
            self.matched_line = None
        elif _is_traceback(_CONTEXT.sub("", self.msg, count=1)) and not _is_traceback(
            _CONTEXT.sub("", msg, count=1)
        ):
            # keep the most telling line of the record as its representative
            self.line = line
            self.msg = msg
        if engine.timeline_ids and "req-" in line:
            engine._timeline_add(
                _REQ.findall(line), ts, self.host, self.service, level, logger, msg, self.path
            )
        if candidates is not None or self.matcher.always:
            rule = self.matcher.match(level, line, candidates)
            if rule is not None and (self.matched is None or rule.priority > self.matched.priority):
                self.matched = rule
                self.matched_line = line

    def flush(self):
        if self.key is None:
            return
        engine = self.engine
        level = self.level
        if level in ("ERROR", "CRITICAL"):
            engine.stats["error_records"] += 1
        elif level == "WARNING":
            engine.stats["warning_records"] += 1
        if self.matched is not None:
            engine.stats["matched_records"] += 1
            req_ids = _REQ.findall(self.line) if "req-" in self.line else []
            if self.matched_line is not self.line and "req-" in self.matched_line:
                req_ids.extend(r for r in _REQ.findall(self.matched_line) if r not in req_ids)
            engine._incident(self.matched, self.host, self.service).add(
                self.ts,
                self.matched_line,
                req_ids,
                self.path,
                engine.max_samples,
                engine.max_request_ids,
            )
        elif level in UNMATCHED_LEVELS:
            engine.stats["unmatched_records"] += 1
            engine._unmatched(
                self.host, self.service, self.ts, self.line, _CONTEXT.sub("", self.msg, count=1), self.logger
            )
        self.key = None
        self.matched = None
