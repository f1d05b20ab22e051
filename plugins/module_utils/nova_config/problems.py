# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problems found while planning: one dict shape, formatting, the error that stops a run."""

from __future__ import annotations


class ProfileError(ValueError):
    """Raised by :func:`raise_for_errors` with every error found."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(format_problem(p) for p in problems))


def problem(severity, message, host=None, profile=None, field=None, value=None, fix=None, code="profile"):
    return {
        "severity": severity,
        "code": code,
        "host": host,
        "profile": profile,
        "field": field,
        "value": value,
        "message": message,
        "fix": fix,
    }


def format_problem(p, severity=True):
    where = []
    if p.get("host"):
        where.append("host %s" % p["host"])
    if p.get("profile"):
        where.append("profile %r" % p["profile"])
    if p.get("field"):
        where.append("field %s" % p["field"])
    if p.get("value") is not None:
        where.append("value %r" % (p["value"],))
    text = "%s%s" % (", ".join(where) + ": " if where else "", p["message"])
    if severity:
        text = "%s: %s" % (p["severity"].upper(), text)
    if p.get("fix"):
        text += " (fix: %s)" % p["fix"]
    return text


class Ctx:
    """Collects problems for one host/profile."""

    def __init__(self, plan, host, profile):
        self.plan = plan
        self.host = host
        self.profile = profile

    def add(self, severity, field, value, message, fix=None, code="profile"):
        self.plan.problems.append(
            problem(severity, message, self.host, self.profile, field, value, fix, code)
        )

    def error(self, field, value, message, fix=None, code="profile"):
        self.add("error", field, value, message, fix, code)

    def warn(self, field, value, message, fix=None, code="profile"):
        self.add("warning", field, value, message, fix, code)


def collapse(problems):
    """Merge problems that differ only by host ("host compute1, compute4"), keeping order."""
    out = []
    index = {}
    for p in problems:
        key = (p["severity"], p["code"], p["profile"], p["field"], repr(p["value"]), p["message"], p["fix"])
        if p["host"] is not None and key in index:
            first = out[index[key]]
            first["host"] = "%s, %s" % (first["host"], p["host"])
            continue
        index[key] = len(out)
        out.append(dict(p))
    return out
