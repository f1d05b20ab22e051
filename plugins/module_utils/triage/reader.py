# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read one log line in any of the forms Nova logs reach an operator.

``parse_line`` peels off the wrappers a line may carry, outermost first, and then reads
the line itself.

Wrappers (``Line.prefixes``): ``grep`` (``nova-conductor.log:2018-...``, ``file.log:123:...``,
``grep -r`` output), ``rfc3339`` (``docker logs -t`` / ``podman logs -t`` / ``kubectl logs
--timestamps``), ``kubectl`` (``kubectl logs --prefix``: ``[pod/nova-compute-0/nova-compute]``),
``container`` (``docker compose logs``: ``nova_compute  | ...``), ``syslog`` (``Nov 20 10:00:00
host nova-compute[1234]: ...``, journald's short form).

The line itself (``Line.fmt``): ``oslo`` (``2026-11-20 10:00:00.123 7 ERROR nova.x [req] msg``,
the level in any case, ``TRACE`` read as ERROR), ``oslo-time`` (the date missing),
``oslo-date`` (a truncated year), ``oslo-bare`` (``ERROR nova.x msg``: no time at all),
``oslo-stub`` (a time and pid whose level and message were wrapped onto the next line),
``libvirt`` (``2026-...+0000: 1234: error : msg``), ``libvirt-bare`` (``error : msg``),
``qemu`` (``qemu-kvm: msg``), ``cli`` (``ERROR (Forbidden): ...``, ``Error: ...``), ``exception``
(a bare ``libvirtError: ...`` / ``HostMappingNotFound: ...`` line), ``json`` (a fault payload),
``table`` (an ``openstack server show`` row), ``daemon`` (a daemon's own message: sshd,
systemd, libvirtd through the journal) and ``text`` (anything else: traceback tails, HTTP
error bodies, lines wrapped by a mail client).

A line is *dated* (``Line.ts`` set) only when it carries a full ``YYYY-MM-DD`` date (its own,
or the one docker/kubectl put before it); the time text of an undated line stays in the line.
Grouping lines into records is ``records.RecordBuilder``.
"""

from __future__ import annotations

import re

_LEVELS = "trace|debug|info|audit|warning|warn|error|critical|fatal"
LEVEL_ALIASES = {"TRACE": "ERROR", "WARN": "WARNING", "FATAL": "CRITICAL", "AUDIT": "INFO"}
_LEVEL_WORDS = frozenset(("ERROR", "WARNING", "INFO", "DEBUG", "TRACE", "CRITICAL", "AUDIT"))

_GREP = re.compile(
    r"^(?P<file>(?:[^\s:|]*/)?[\w.@-]+\.(?:log|txt|out)(?:\.\d+)?(?:\.gz)?)(?::(?P<lineno>\d+)(?=:)|-\d+(?=-))?[:-](?=\S)"
)
_RFC3339 = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (?=\S)")
_KUBECTL = re.compile(r"^\[pod/(?P<pod>[^/\]\s]+)/(?P<container>[^\]\s]+)\] ")
_CONTAINER = re.compile(r"^(?P<name>[A-Za-z][\w.-]*)\s+\| ?")
_SYSLOG = re.compile(
    r"^(?:<\d+>)?(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>[\w.:-]+) "
    r"(?P<svc>[\w./@-]+?)(?:\[(?P<pid>\d+)\])?: ?"
)
# after an RFC 3339 time (rsyslog, journalctl -o short-iso): "host ident[pid]: "
_SYSLOG_NOTS = re.compile(r"^(?P<host>[\w.:-]+) (?P<svc>[\w./@-]+?)\[(?P<pid>\d+)\]: ?")
_OSLO = re.compile(
    r"^(?P<ts>(?:(?P<date>\d{2,4}-\d\d-\d\d)[ T])?\d\d:\d\d:\d\d(?:[.,]\d+)?)(?:\s+(?P<pid>\d+))?"
    r"(?:\s+(?P<level>(?i:" + _LEVELS + r"))\b(?:\s+(?P<logger>[A-Za-z_][\w.-]*)(?:\s(?P<msg>.*))?)?)?\s*$"
)
_OSLO_BARE = re.compile(
    r"^(?:(?P<pid>\d+) )?(?P<level>TRACE|DEBUG|INFO|AUDIT|WARNING|ERROR|CRITICAL)\s+"
    r"(?P<logger>[a-z_][\w-]*(?:\.[\w-]+)+|nova|oslo_\w+|placement)(?:\s(?P<msg>.*))?$"
)
_LIBVIRT = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\S*: (?P<pid>\d+): (?P<level>[a-z]+) : (?P<msg>.*)$"
)
_LIBVIRT_BARE = re.compile(r"^(?:(?P<pid>\d+): )?(?P<level>error|warning|info|debug) : (?P<msg>.*)$")
_QEMU = re.compile(r"^(?P<prog>qemu-kvm|qemu-system-[\w-]+|qemu-img|qemu): (?P<msg>.*)$")
_CLI = re.compile(r"^(?P<level>ERROR|CRITICAL|WARNING|Error|Warning)(?: \((?P<exc>[\w.]+)\))?: ?(?P<msg>.*)$")
_EXCEPTION = re.compile(
    r"^(?:[A-Za-z_]\w*\.)*(?P<exc>[A-Za-z_]\w*(?:Error|Exception|Failure|Fault|NotFound|error)"
    r"|[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+): "
)
_ERRORISH = re.compile(
    r"(?i:error|exception|traceback|fail|denied|refused|unable|cannot|can't|could not|not found|timed out"
    r"|timeout|forbidden|exceeded|no such|invalid)|HTTP [45]\d\d|\bcode\W{1,3}[45]\d\d"
)

# logger name -> the service that writes it (only loggers one service writes)
_LOGGER_SERVICES = (
    ("nova.conductor", "nova-conductor"),
    ("nova.scheduler.client", None),
    ("nova.scheduler", "nova-scheduler"),
    ("nova.compute.manager", "nova-compute"),
    ("nova.compute.resource_tracker", "nova-compute"),
    ("nova.compute.claims", "nova-compute"),
    ("nova.virt", "nova-compute"),
    ("os_vif", "nova-compute"),
    ("os_brick", "nova-compute"),
    ("nova.api.metadata", "nova-metadata"),
    ("nova.api", "nova-api"),
    ("nova.osapi_compute", "nova-api"),
    ("nova.console", "nova-novncproxy"),
    ("nova.cmd.novncproxy", "nova-novncproxy"),
)
# words in a file, container or syslog name -> service
_NAME_WORDS = (
    ("super-conductor", "nova-super-conductor"),
    ("superconductor", "nova-super-conductor"),
    ("conductor", "nova-conductor"),
    ("scheduler", "nova-scheduler"),
    ("novncproxy", "nova-novncproxy"),
    ("spicehtml5proxy", "nova-spicehtml5proxy"),
    ("serialproxy", "nova-serialproxy"),
    ("metadata", "nova-metadata"),
    ("nova-manage", "nova-manage"),
    ("libvirt", "libvirtd"),
    ("virtqemud", "libvirtd"),
    ("nova-compute", "nova-compute"),
    ("nova-api", "nova-api"),
    ("placement-api", "placement-api"),
)


class Line:
    """One parsed line.  ``level`` is None when the line has none (``text``, ``syslog``...)."""

    __slots__ = (
        "fmt",
        "indent",
        "level",
        "logger",
        "msg",
        "named",
        "pid",
        "prefixes",
        "rest",
        "services",
        "ts",
    )

    def __init__(self, fmt, rest, ts=None, pid=None, level=None, logger=None, msg=""):
        self.fmt = fmt
        self.rest = rest  # the line without its wrappers and indentation
        self.ts = ts  # 'YYYY-MM-DD HH:MM:SS[.fff]' or None (undated)
        self.pid = pid
        self.level = level
        self.logger = logger
        self.msg = msg
        self.indent = 0
        self.named = False  # services[0] comes from a wrapper (file, container, ident)
        self.prefixes = ()
        self.services = ()

    @property
    def has_level(self) -> bool:
        return self.level is not None

    @property
    def kind(self) -> str:
        """``grep+oslo``, ``syslog+text``, ``oslo``...: how the line arrived (for the report)."""
        return "+".join((*self.prefixes, self.fmt))


_LOGGER_CACHE: dict = {}
_NAME_CACHE: dict = {}


def service_from_logger(logger: str | None) -> str | None:
    """``nova.conductor.manager`` -> ``nova-conductor``; None when several services log it."""
    if not logger:
        return None
    try:
        return _LOGGER_CACHE[logger]
    except KeyError:
        pass
    found = None
    for prefix, service in _LOGGER_SERVICES:
        if logger == prefix or logger.startswith(prefix + "."):
            found = service
            break
    if len(_LOGGER_CACHE) < 4096:
        _LOGGER_CACHE[logger] = found
    return found


def service_from_name(name: str | None) -> str | None:
    """The service a file, container or syslog name stands for, or None when unknown.

    ``nova-compute.log`` and ``nova_compute`` -> ``nova-compute``; ``nova-conductor.log.1`` ->
    ``nova-conductor``; ``paste.txt`` -> None.
    """
    if not name:
        return None
    try:
        return _NAME_CACHE[name]
    except KeyError:
        pass
    found = _service_from_name(name)
    if len(_NAME_CACHE) < 4096:
        _NAME_CACHE[name] = found
    return found


def _service_from_name(name):
    base = name.rsplit("/", 1)[-1].lower().replace("_", "-")
    for word, service in _NAME_WORDS:
        if word in base:
            return service
    if base.startswith(("nova-", "placement", "neutron-", "keystone", "glance", "cinder", "sshd", "systemd")):
        return base.split(".", 1)[0]
    return None


def looks_like_error(text: str) -> bool:
    """Whether a line without a level reads as an error (for counting unexplained ones)."""
    return _ERRORISH.search(text) is not None


def _level(text):
    level = text.upper()
    return LEVEL_ALIASES.get(level, level)


def _strip_wrappers(line):
    """Remove grep / container / timestamp / syslog prefixes: (rest, prefixes, names, ts, pid)."""
    prefixes, names, outer_ts, pid = [], [], None, None
    for _depth in range(5):
        c = line[:1]
        if not c:
            break
        if c.isdigit():
            m = _RFC3339.match(line)
            if m is None:
                break
            outer_ts = outer_ts or m.group("ts")[:10] + " " + m.group("ts")[11:19]
            prefixes.append("rfc3339")
            line = line[m.end() :]
            m = _SYSLOG_NOTS.match(line)
            if m is not None:
                prefixes.append("syslog")
                names.append(m.group("svc"))
                pid = m.group("pid")
                line = line[m.end() :]
            continue
        if c == "[":
            m = _KUBECTL.match(line)
            if m is None:
                break
            prefixes.append("kubectl")
            names.append(m.group("container"))
            line = line[m.end() :]
            continue
        m = _SYSLOG.match(line) if (c.isupper() or c == "<") else None
        if m is not None and m.group("svc").upper() not in _LEVEL_WORDS:
            prefixes.append("syslog")
            names.append(m.group("svc"))
            pid = m.group("pid")
            line = line[m.end() :]
            continue
        m = _GREP.match(line)
        if m is not None:
            rest = line[m.end() :]
            lineno = m.group("lineno")
            if lineno and len(lineno) == 2 and rest[:2].isdigit() and rest[2:3] in ":.":
                # "file.log:12:05:33.840 ...": a time without a date, not a line number
                rest = line[m.start("lineno") :]
            prefixes.append("grep")
            names.append(m.group("file"))
            line = rest
            continue
        m = _CONTAINER.match(line)
        if m is not None and m.group("name").upper() not in _LEVEL_WORDS:
            prefixes.append("container")
            names.append(m.group("name"))
            line = line[m.end() :]
            continue
        break
    return line, prefixes, names, outer_ts, pid


def parse_line(line: str) -> Line:
    """Read one line (without its newline) in any known form; never fails."""
    line = line.rstrip("\r\n")
    stripped = line.lstrip()
    rest, prefixes, names, outer_ts, outer_pid = _strip_wrappers(stripped)
    inner = rest.lstrip() if prefixes else rest
    p = _parse_core(inner, outer_ts, outer_pid, "syslog" in prefixes)
    p.indent = len(line) - len(stripped) + len(rest) - len(inner)
    if prefixes:
        p.prefixes = tuple(prefixes)
    # wrapper names (a grep file name, a container, a syslog ident) say where the line was
    # written; a logger name only hints at it (``Line.services`` keeps them in that order)
    services = [s for s in (service_from_name(n) for n in names) if s]
    p.named = bool(services)
    logger_service = service_from_logger(p.logger)
    if logger_service:
        services.append(logger_service)
    if p.fmt in ("libvirt", "libvirt-bare") and not services:
        services.append("libvirtd")
    if services:
        p.services = tuple(dict.fromkeys(services))
    return p


def _libvirt_bare(rest: str, outer_ts) -> Line | None:
    """A libvirtd / virtqemud line without its own date (``1234: error : ...``), or None."""
    m = _LIBVIRT_BARE.match(rest)
    if m is None:
        return None
    return Line(
        "libvirt-bare", rest, outer_ts, m.group("pid"), _level(m.group("level")), "libvirt", m.group("msg")
    )


def _parse_core(rest, outer_ts, outer_pid, from_syslog):
    c = rest[:1]
    if c.isdigit():
        m = _LIBVIRT.match(rest)
        if m is not None:
            return Line(
                "libvirt",
                rest,
                m.group("ts"),
                m.group("pid"),
                _level(m.group("level")),
                "libvirt",
                m.group("msg"),
            )
        m = _OSLO.match(rest)
        if m is not None:
            date = m.group("date")
            ts = m.group("ts").replace("T", " ", 1).replace(",", ".")
            if date and len(date) == 10:
                fmt = "oslo"
            else:
                fmt = "oslo-date" if date else "oslo-time"
                ts = outer_ts  # docker/kubectl time stands in for a partial one (or None)
            level = m.group("level")
            if level is None:
                return Line("oslo-stub", rest, ts, m.group("pid"))
            return Line(fmt, rest, ts, m.group("pid"), _level(level), m.group("logger"), m.group("msg") or "")
        line = _libvirt_bare(rest, outer_ts)
        if line is not None:
            return line
    elif c.isupper():
        m = _OSLO_BARE.match(rest)
        if m is not None:
            level = _level(m.group("level"))
            return Line(
                "oslo-bare",
                rest,
                outer_ts,
                m.group("pid") or outer_pid,
                level,
                m.group("logger"),
                m.group("msg") or "",
            )
        m = _CLI.match(rest) if not from_syslog else None
        if m is not None:
            return Line(
                "cli", rest, outer_ts, None, _level(m.group("level")), m.group("exc") or "cli", m.group("msg")
            )
    elif c.islower():
        line = _libvirt_bare(rest, outer_ts)
        if line is not None:
            return line
        m = _QEMU.match(rest)
        if m is not None:
            return Line("qemu", rest, outer_ts, outer_pid, None, m.group("prog"), m.group("msg"))
    elif c == "{":
        return Line("json", rest, outer_ts, msg=rest)
    elif c == "|":
        return Line("table", rest, outer_ts, msg=rest)
    if from_syslog:
        return Line("daemon", rest, outer_ts, outer_pid, None, None, rest)
    m = _EXCEPTION.match(rest)
    if m is not None:
        return Line("exception", rest, outer_ts, None, None, m.group("exc"), rest)
    return Line("text", rest, outer_ts, msg=rest)


def is_traceback_structure(text: str) -> bool:
    """``Traceback (most recent call last):`` and ``  File "...", line N`` lines (not the error)."""
    s = text.lstrip()
    return s.startswith(('File "', "Traceback (most recent call last)", "During handling", "^"))
