# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova CPU set strings (``[compute] cpu_dedicated_set = 4-15,^8``).

Same grammar as ``nova.virt.hardware.parse_cpu_spec``: comma-separated items,
each a CPU number, an inclusive range ``N-M``, or an exclusion ``^N`` / ``^N-M``
removed from what the other items include.  Unlike Nova, which reports only
"Invalid range expression", the errors here name the offending item and its
position so an operator can fix the inventory without guessing.
"""

from __future__ import annotations

import re

_INT = re.compile(r"^\d+$")


class CpuSetError(ValueError):
    """A CPU set string that Nova would reject."""

    def __init__(self, spec, part, reason):
        self.spec = spec
        self.part = part
        self.reason = reason
        super().__init__(
            "invalid CPU set %r: item %r %s (expected items like '4', '4-15' or '^8', "
            "separated by commas)" % (spec, part, reason)
        )


def _number(spec, part, text):
    text = text.strip()
    if not _INT.match(text):
        if text.startswith("-") and _INT.match(text[1:]):
            raise CpuSetError(spec, part, "has a negative CPU number")
        raise CpuSetError(spec, part, "is not a CPU number or range")
    return int(text)


def parse_cpuset(spec, allow_empty=False):
    """Parse a Nova CPU set string into a sorted list of CPU ids.

    Raises CpuSetError naming the bad item.  An empty result (``""`` or ``"0,^0"``)
    is an error unless ``allow_empty`` is true, as Nova refuses an empty
    ``cpu_dedicated_set``.
    """
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec = str(spec)
    if not isinstance(spec, str):
        raise CpuSetError(spec, spec, "is not a string")
    include = set()
    exclude = set()
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            # Nova skips empty items ("4,,5"), so do we.
            continue
        reject = part.startswith("^")
        body = part[1:] if reject else part
        if body.count("-") > 1 or (body.startswith("-") and "-" in body[1:]):
            raise CpuSetError(spec, part, "is not a CPU number or range")
        if "-" in body and not body.startswith("-"):
            lo_s, hi_s = body.split("-", 1)
            lo, hi = _number(spec, part, lo_s), _number(spec, part, hi_s)
            if lo > hi:
                raise CpuSetError(spec, part, "is a range whose start is above its end")
            ids = set(range(lo, hi + 1))
        else:
            ids = {_number(spec, part, body)}
        (exclude if reject else include).update(ids)
    result = sorted(include - exclude)
    if not result and not allow_empty:
        raise CpuSetError(spec, spec, "selects no CPU at all")
    return result


def format_cpuset(cpus):
    """Format CPU ids as Nova's canonical string: ``[0, 1, 2, 5]`` -> ``"0-2,5"``."""
    ids = sorted({_check_id(c) for c in cpus})
    parts = []
    start = prev = None
    for cpu in ids:
        if start is None:
            start = prev = cpu
        elif cpu == prev + 1:
            prev = cpu
        else:
            parts.append(_span(start, prev))
            start = prev = cpu
    if start is not None:
        parts.append(_span(start, prev))
    return ",".join(parts)


def _check_id(cpu):
    if isinstance(cpu, bool) or not isinstance(cpu, int):
        if isinstance(cpu, str) and _INT.match(cpu.strip()):
            return int(cpu)
        raise CpuSetError(str(cpu), cpu, "is not a CPU number")
    if cpu < 0:
        raise CpuSetError(str(cpu), cpu, "has a negative CPU number")
    return cpu


def _span(lo, hi):
    return str(lo) if lo == hi else "%d-%d" % (lo, hi)
