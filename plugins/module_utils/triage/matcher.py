# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which rules can match a line, cheaply: literal needles, anchor words, then the regex.

Every signature of a rule requires some literal text (``best_literal``); one word of it that
is a whole token of every matching line is its *anchor word*.  A line's tokens are
intersected with the anchor index, the whole literal is checked with ``in``, and only the
rules passing both run their regex.  Nothing here needs a new rule field: it is all derived
from the signatures, so the rule library can change freely.
"""

from __future__ import annotations

import re

OSLO_LEVEL_NEEDLES = (
    (b" ERROR ", "ERROR"),
    (b" CRITICAL ", "CRITICAL"),
    (b" WARNING ", "WARNING"),
    (b" TRACE ", "ERROR"),
)
LIBVIRT_LEVEL_NEEDLES = ((b": error : ", "ERROR"), (b": warning : ", "WARNING"))

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


_ANALYSED = {}


def _analysed(sig):
    """``(best_literal(sig), its anchor word)``, worked out once per signature and process."""
    found = _ANALYSED.get(sig)
    if found is None:
        best = best_literal(sig)
        found = (best, anchor_word(best[0], best[1], best[2]) if best else None)
        _ANALYSED[sig] = found
    return found


class Matcher:
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
        # the needles of the INFO/DEBUG rules, as text: a DEBUG/INFO record of the line reader
        # without any of them cannot match a rule
        self.low_needles = tuple(n.decode("utf-8", "replace") for n in needles[len(level_needles) :])
        self.anchors = {}
        self.plain = {}
        self.always = []
        for rule in self.rules:
            for sig in rule.signatures:
                best, word = _analysed(sig)
                if best is None:
                    if rule not in self.always:
                        self.always.append(rule)
                    continue
                lit = best[0]
                if word is None:
                    self.plain.setdefault(lit.encode("utf-8"), set()).add(rule)
                else:
                    pairs = self.anchors.setdefault(word.encode("utf-8"), [])
                    if (lit.encode("utf-8"), rule) not in pairs:
                        pairs.append((lit.encode("utf-8"), rule))
        self.anchor_keys = frozenset(self.anchors)
        self.plain_items = list(self.plain.items())
        self._checks = {}

    def _signature_checks(self, rule):
        """``(literal, regex)`` per signature of ``rule``, compiled when first needed: a
        signature is only searched in a line holding the literal it requires (None: always)."""
        checks = self._checks.get(rule)
        if checks is None:
            checks = []
            for sig in rule.signatures:
                best = _analysed(sig)[0]
                checks.append((best[0] if best else None, re.compile(sig)))
            self._checks[rule] = checks
        return checks

    def rule_matches(self, rule, line):
        """Whether a signature of ``rule`` matches ``line`` (the same answer as ``rule.regex``,
        without running the signatures whose literal is not in the line)."""
        for lit, regex in self._signature_checks(rule):
            if (lit is None or lit in line) and regex.search(line) is not None:
                return True
        return False

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
        """The highest-priority rule matching ``line`` among ``candidates`` (+ ``always``).

        ``level`` None (a record without a level: a bare exception, client output, a wrapped
        excerpt) accepts every rule's levels."""
        if candidates is None:
            if not self.always:
                return None
            pool = self.always
        else:
            pool = candidates if not self.always else candidates | set(self.always)
            pool = sorted(pool, key=lambda r: -r.priority)
        for rule in pool:
            if (level is None or level in rule.levels) and self.rule_matches(rule, line):
                return rule
        return None
