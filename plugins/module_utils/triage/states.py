# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-file record state of the engine: the fast path's oslo.log records (``_RecordState``)
and the line reader's records of every other form (``_ReaderState``)."""

from __future__ import annotations

import re

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.matcher import service_is_known
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.reader import looks_like_error, parse_line
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.records import RecordBuilder

MAX_LINE = 64 * 1024

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

_LEVEL_ALIASES = {"TRACE": "ERROR", "WARN": "WARNING", "FATAL": "CRITICAL", "AUDIT": "INFO"}
UNMATCHED_LEVELS = ("ERROR", "CRITICAL")
_LOW_LEVELS = ("DEBUG", "INFO")


def log_format(service):
    if service.startswith(("libvirt", "virtlog", "virtqemud")):
        return "libvirt"
    return "oslo"


def normalize_ts(ts):
    """Timestamps compare as strings 'YYYY-MM-DD HH:MM:SS[.fff]'."""
    return ts.replace("T", " ", 1)


def _is_traceback(msg):
    return (
        not msg
        or msg[0] in " \t"
        or msg.startswith(("Traceback (most recent call last)", "During handling", "^"))
    )


class _RecordState:
    """Per-file state: the oslo.log record being assembled."""

    __slots__ = (
        "dropped",
        "engine",
        "fmt",
        "host",
        "key",
        "kind",
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
        self.kind = fmt
        self.dropped = False
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
                        p = parse_line(line)  # a form the quick patterns do not know
                        if p.level is None or p.ts is None:
                            return
                        ts, pid, level, logger, msg = p.ts, p.pid, p.level, p.logger, p.msg
                        ots = None
                    else:
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
                self.dropped = True
                return
        self.dropped = False
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

    def continuation(self, raw, candidates):
        """A line without a date inside an oslo.log file: part of the current record."""
        line = raw.decode("utf-8", "replace")
        if self.dropped:
            return  # its header is outside the time window
        if self.key is None:
            # its header is not known (it was cut off before the file began): a record of its own
            self.key = ("", None, None)
            self.ts, self.level, self.logger, self.line, self.msg = None, None, "(no header)", line, line
            self.matched = self.matched_line = None
        if candidates is not None or self.matcher.always:
            rule = self.matcher.match(self.level, line, candidates)
            if rule is not None and (self.matched is None or rule.priority > self.matched.priority):
                self.matched = rule
                self.matched_line = line

    def flush(self):
        if self.key is None:
            return
        engine = self.engine
        engine._count_lines(self.kind, 0, 1)
        level = self.level
        if level in ("ERROR", "CRITICAL"):
            engine.stats["error_records"] += 1
        elif level == "WARNING":
            engine.stats["warning_records"] += 1
        if self.matched is not None:
            engine.stats["matched_records"] += 1
            incident = engine._incident(self.matched, self.host, self.service)
            if len(incident.request_ids) >= engine.max_request_ids:
                req_ids = []  # the incident keeps no more of them
            else:
                req_ids = _REQ.findall(self.line) if "req-" in self.line else []
                if self.matched_line is not self.line and "req-" in self.matched_line:
                    req_ids.extend(r for r in _REQ.findall(self.matched_line) if r not in req_ids)
            incident.add(
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


class _ReaderState:
    """Per-file state of the line reader: records of every form, matched as they finish."""

    __slots__ = ("builder", "engine", "host", "path", "service", "service_known")

    def __init__(self, engine, host, service, path):
        self.engine = engine
        self.host = host
        self.service = service
        self.service_known = service_is_known(service)
        self.path = path
        self.builder = RecordBuilder(self.record)

    def read(self, block, end):
        engine = self.engine
        feed = self.builder.feed
        counts = {}
        text = block[:end].decode("utf-8", "replace")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for raw in lines:
            if len(raw) > MAX_LINE:
                raw = raw[:MAX_LINE]
                engine.stats["long_lines_capped"] += 1
            line = feed(raw)
            kind = line.kind if line is not None else "blank"
            counts[kind] = counts.get(kind, 0) + 1
        for kind, n in counts.items():
            engine._count_lines(kind, n)

    def flush(self):
        self.builder.flush()

    def record(self, rec):
        """Match one finished record and count it (as ``_RecordState.flush`` does)."""
        engine = self.engine
        engine._count_lines(rec.kind, 0, 1)
        ts = rec.ts
        if ts is None:
            engine.stats["undated_records"] += 1
            if engine.since or engine.until:
                engine.stats["undated_records_kept"] += 1
        elif (engine.since and ts < engine.since) or (engine.until and ts > engine.until):
            engine.stats["out_of_window_lines"] += rec.nlines
            return
        # the service a wrapper names (grep file, container, syslog ident) is where the line
        # was written; a logger's service only stands in for a file name that names none
        service = self.service
        if rec.services and (rec.named or not self.service_known):
            service = rec.services[0]
        level = rec.level
        text = rec.text
        if engine.timeline_ids and "req-" in text:
            engine._timeline_add(
                _REQ.findall(text), ts, self.host, service, level, rec.logger, rec.msg, self.path
            )
        if level in ("ERROR", "CRITICAL"):
            engine.stats["error_records"] += 1
        elif level == "WARNING":
            engine.stats["warning_records"] += 1
        rule = None
        if not engine.skip_rules:
            matcher = engine._matcher(service, log_format(service))
            if level not in _LOW_LEVELS or any(n in text for n in matcher.low_needles):
                rule = matcher.match(level, text, matcher.candidates(text.encode("utf-8", "replace")))
        if rule is not None:
            engine.stats["matched_records"] += 1
            req_ids = _REQ.findall(text) if "req-" in text else []
            engine._incident(rule, self.host, service).add(
                ts, text, req_ids, self.path, engine.max_samples, engine.max_request_ids
            )
        elif level in UNMATCHED_LEVELS or (level is None and looks_like_error(text)):
            engine.stats["unmatched_records"] += 1
            logger = rec.logger or "(%s)" % rec.kind
            engine._unmatched(self.host, service, ts, text, _CONTEXT.sub("", rec.msg, count=1), logger)
