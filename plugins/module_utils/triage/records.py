# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Group parsed lines (``reader.parse_line``) into records: one log call, or one pasted message.

A record starts at a line with a header (a level: oslo.log in any of its forms, libvirt,
client errors) or at a line without one that follows a blank line or nothing.  It takes in:

* oslo.log lines with the same time, pid and level (a traceback logged line by line);
* lines that continue it: indented lines, traceback structure, the exception line that ends
  a traceback, and, for lines without any wrapper, every following line up to a blank line
  or the next header (mail clients and web pages wrap one message over several lines);
* syslog / docker / container lines of the same process that are indented, traceback
  structure or the end of a traceback.

A time-and-pid line whose level was wrapped onto the next line (``oslo-stub``) gives its time
to that next header.  ``Record.text`` is the message unwrapped: continuation lines joined with
a space (a trailing ``\\`` joins without one inside a hex id), without their own prefixes.
"""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.reader import (
    Line,
    is_traceback_structure,
    parse_line,
)

MAX_RECORD_LINES = 400
MAX_TEXT = 64 * 1024
_HEXISH = frozenset("0123456789abcdef-")


class Record:
    """One record; ``text`` is what rules are matched against."""

    __slots__ = (
        "head",
        "kind",
        "level",
        "logger",
        "named",
        "nlines",
        "parts",
        "pid",
        "services",
        "size",
        "tb",
        "ts",
    )

    def __init__(self, head: Line) -> None:
        self.head = head
        self.ts = head.ts
        self.pid = head.pid
        self.level = head.level
        self.logger = head.logger
        self.services = head.services
        self.named = head.named
        self.kind = head.kind
        self.parts = [head.rest]
        self.size = len(head.rest)
        self.nlines = 1
        self.tb = head.msg.lstrip().startswith("Traceback (most recent call last)") or head.rest.startswith(
            "Traceback (most recent call last)"
        )

    @property
    def stub(self) -> bool:
        return self.head.fmt == "oslo-stub"

    @property
    def msg(self) -> str:
        return self.head.msg if self.head.level is not None else self.head.rest

    def add(self, line: Line) -> None:
        part = line.msg if line.level is not None and line.fmt.startswith("oslo") else line.rest
        self.nlines += 1
        if part and self.size < MAX_TEXT:
            self.parts.append(part)
            self.size += len(part) + 1
        if is_traceback_structure(part):
            self.tb = part.lstrip().startswith(("Traceback", "File", "During")) or self.tb
        elif self.tb and not line.indent and not part[:1].isspace():
            self.tb = False  # the exception line ends the traceback
        if line.services and (not self.services or (line.named and not self.named)):
            self.services = line.services
            self.named = line.named

    def adopt(self, line: Line) -> None:
        """A stub's header continues on ``line``: take its level and logger, keep the time."""
        self.level = line.level
        self.logger = line.logger
        self.head = line
        if line.services and (line.named or not self.named):
            self.services = line.services
            self.named = line.named
        self.parts.append(line.rest)
        self.size += len(line.rest) + 1
        self.nlines += 1
        if line.ts and not self.ts:
            self.ts = line.ts

    @property
    def text(self) -> str:
        out = []
        for part in self.parts:
            part = part.strip()
            if not part:
                continue
            if out and out[-1].endswith("\\"):
                prev = out[-1][:-1]
                if prev[-1:] in _HEXISH and part[:1] in _HEXISH:
                    out[-1] = prev + part
                    continue
                out[-1] = prev
            out.append(part)
        return " ".join(out)


class RecordBuilder:
    """Feed lines in order; ``emit(record)`` is called for each finished record."""

    def __init__(self, emit) -> None:
        self.emit = emit
        self.cur: Record | None = None
        self.blank = True

    def feed(self, text: str) -> Line | None:
        """Add one line (without its newline); returns the parsed line (None for a blank one)."""
        if not text.strip():
            self.blank = True
            if self.cur is not None and not self.cur.tb:
                self.flush()
            return None
        line = parse_line(text)
        cur = self.cur
        if cur is not None and self._continues(cur, line):
            cur.add(line)
        elif cur is not None and cur.stub and line.level is not None and line.ts is None and not self.blank:
            cur.adopt(line)
        else:
            if cur is not None:
                self.emit(cur)
            self.cur = Record(line)
        self.blank = False
        return line

    def flush(self) -> None:
        if self.cur is not None:
            self.emit(self.cur)
            self.cur = None

    def _continues(self, cur: Record, line: Line) -> bool:
        if cur.nlines >= MAX_RECORD_LINES:
            return False
        if line.level is not None:
            # an oslo.log traceback: every line carries the record's time, pid and level
            if line.ts is not None and line.ts == cur.ts and line.pid == cur.pid and line.level == cur.level:
                return True
            return (
                line.ts is None
                and line.level == cur.level
                and line.logger == cur.logger
                and cur.head.fmt == line.fmt
                and is_traceback_structure(line.msg)
            )
        if line.fmt == "oslo-stub":
            return False
        if self.blank and not cur.tb:
            return False
        rest = line.rest
        indented = line.indent > 0
        if line.prefixes:
            if line.prefixes != cur.head.prefixes or line.services != cur.head.services:
                return False
            if line.pid is not None and cur.pid is not None and line.pid != cur.pid:
                return False
            return indented or cur.tb or is_traceback_structure(rest) or line.fmt == "text"
        return not cur.head.prefixes or indented or cur.tb or is_traceback_structure(rest)
