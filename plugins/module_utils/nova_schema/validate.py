# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings against the option schema: values, names, releases, deprecations (see ``schema``)."""

from __future__ import annotations

import difflib
import re
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_schema.json_values import (
    json_kind,
    json_problem,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_schema.schema import (
    _BOOL,
    _DYNAMIC_SECTIONS,
    AUTH_PLUGIN_OPTIONS,
    all_schemas,
    load_schema,
    norm,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_schema.secrets import mask_finding, mask_ini


def _finding(severity, code, message, where=None, fix=None, **extra):
    result = {"file": None, "line": None, "section": None, "option": None, "value": None}
    result.update(where or {})
    result.update(extra)
    result.update({"severity": severity, "code": code, "message": message, "fix": fix})
    return result


_PORT_MAX = 65535
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _type_problem(kind, text):  # noqa: PLR0911  one verdict per option type
    """Return ((code, message) or None, the number parsed for numeric kinds or None)."""
    if kind in ("integer", "port"):
        try:
            number = int(text)
        except ValueError:
            return ("type", "%r is not an integer" % text), None
        if kind == "port" and not 0 <= number <= _PORT_MAX:
            return ("range", "%d is not a port number (0-%d)" % (number, _PORT_MAX)), None
        return None, number
    if kind == "float":
        try:
            return None, float(text)
        except ValueError:
            return ("type", "%r is not a number" % text), None
    if kind == "boolean" and text.lower() not in _BOOL:
        return ("type", "%r is not a boolean (true/false, yes/no, on/off, 1/0)" % text), None
    if kind == "dict":
        for item in filter(None, (i.strip() for i in text.split(","))):
            if ":" not in item:
                return ("type", "%r is not a key:value list (item %r has no ':')" % (text, item)), None
    if kind == "uri" and not _URI.match(text):
        return ("type", "%r is not a URI (scheme://...)" % text), None
    return None, None


def _range_problem(opt, text, number):
    lo, hi = opt.get("min"), opt.get("max")
    if lo is not None and number < lo:
        return ("range", "%s is below the minimum %s" % (text, lo))
    if hi is not None and number > hi:
        return ("range", "%s is above the maximum %s" % (text, hi))
    return None


def check_value(opt: dict, value: Any) -> tuple[str, str] | None:
    """Return (code, message) when ``value`` is not acceptable for ``opt``, else None."""
    if value is None:
        return None
    text = str(value).strip()
    if text == "" or kolla_merge.has_jinja(text):
        return None
    kind = opt.get("t", "string")
    problem, number = _type_problem(kind, text)
    if problem:
        return problem
    if number is not None:
        problem = _range_problem(opt, text, number)
        if problem:
            return problem
    choices = opt.get("c")
    if choices and kind not in ("list", "boolean") and text not in [str(c) for c in choices]:
        close = difflib.get_close_matches(text, [str(c) for c in choices], n=1)
        hint = " (did you mean %r?)" % close[0] if close else ""
        return ("choices", "%r is not one of %s%s" % (text, ", ".join(map(str, choices)), hint))
    return None


def _did_you_mean(schema, section, name):
    hints = []
    names = list(schema.sections.get(section, {}))
    if schema.has_auth_plugin(section):
        names += sorted(AUTH_PLUGIN_OPTIONS)
    for m in difflib.get_close_matches(name, names, n=2, cutoff=0.75):
        hints.append("[%s] %s" % (section, m))
    for other, opts in schema.sections.items():
        if other != section and name in opts:
            hints.append("[%s] %s" % (other, name))
    return hints[:3]


def _other_releases(section, name, major):
    present = [m for m, s in all_schemas().items() if m != major and s.option(section, name) is not None]
    return present


def vcpu_pin_set_fix(value):
    return (
        "replace [DEFAULT] vcpu_pin_set = %s with [compute] cpu_dedicated_set = %s if this host runs "
        "pinned (hw:cpu_policy=dedicated) instances, or with [compute] cpu_shared_set = %s if it runs "
        "unpinned ones; never both vcpu_pin_set and cpu_dedicated_set" % (value, value, value)
    )


def validate_entries(entries, release=None, file=None):
    """Validate ``[(section, option, value, line), ...]``.

    For an option repeated in one file, value is the list of its values and line may be the list
    of their lines (a finding on one value names its own line).
    """
    schema = load_schema(release)
    findings = []
    warned_sections = set()
    for section, option, value, line in entries:
        name = norm(option)
        lines = line if isinstance(line, list) else None  # a repeated option: the line of each value
        line = lines[0] if lines else line
        where = {"file": file, "line": line, "section": section, "option": option, "value": value}
        if section == kolla_merge.ORPHAN_SECTION:
            findings.append(
                _finding(
                    "error",
                    "parse",
                    "%s is set before any [section] header: oslo.config ignores it" % option,
                    fix="move it under the section it belongs to",
                    where=where,
                )
            )
            continue
        if section not in schema.sections and section != "DEFAULT":
            if _DYNAMIC_SECTIONS.match(section) or section in warned_sections:
                continue
            warned_sections.add(section)
            close = difflib.get_close_matches(section, list(schema.sections), n=1, cutoff=0.75)
            severity = "error" if close else "warning"
            findings.append(
                _finding(
                    severity,
                    "unknown_section",
                    "section [%s] is not known to nova %s%s"
                    % (section, schema.version, " (did you mean [%s]?)" % close[0] if close else ""),
                    fix=("rename it to [%s]" % close[0]) if close else "remove it unless a plugin reads it",
                    where=dict(where, option=None, value=None),
                )
            )
            continue
        opt = schema.option(section, name)
        if opt is None and schema.known(section, name):
            continue
        if opt is None:
            alias = schema.aliases.get((section, name))
            if alias:
                findings.append(
                    _finding(
                        "warning",
                        "deprecated_name",
                        "[%s] %s is a deprecated name for [%s] %s" % (section, option, alias[0], alias[1]),
                        fix="use [%s] %s instead" % alias,
                        where=where,
                    )
                )
                opt = schema.option(*alias)
            else:
                others = _other_releases(section, name, schema.major)
                if others:
                    older = [m for m in others if m < schema.major]
                    if older:
                        findings.append(
                            _finding(
                                "error",
                                "removed",
                                "[%s] %s was removed from nova after release %s; nova %s does not have it"
                                % (section, option, max(older), schema.version),
                                fix="remove it (see the nova %s release notes)" % schema.version,
                                where=where,
                            )
                        )
                    else:
                        findings.append(
                            _finding(
                                "error",
                                "not_yet_available",
                                "[%s] %s does not exist in nova %s yet (added in nova %s)"
                                % (section, option, schema.version, min(others)),
                                fix="remove it or target a newer release",
                                where=where,
                            )
                        )
                    continue
                hints = _did_you_mean(schema, section, name)
                findings.append(
                    _finding(
                        "error",
                        "unknown_option",
                        "nova %s has no option [%s] %s%s"
                        % (
                            schema.version,
                            section,
                            option,
                            " (did you mean %s?)" % " or ".join(hints) if hints else "",
                        ),
                        fix=("use %s" % hints[0]) if hints else "remove it",
                        where=where,
                    )
                )
                continue
        if opt.get("dep"):
            fix = vcpu_pin_set_fix(value) if name == "vcpu_pin_set" else (opt.get("why") or None)
            findings.append(
                _finding(
                    "warning",
                    "deprecated",
                    "[%s] %s is deprecated for removal%s%s"
                    % (
                        section,
                        option,
                        " since %s" % opt["since"] if opt.get("since") else "",
                        ": %s" % opt["why"] if opt.get("why") else "",
                    ),
                    fix=fix,
                    where=where,
                )
            )
        values = value if isinstance(value, list) else [value]
        if len(values) > 1 and not opt.get("m"):
            findings.append(
                _finding(
                    "warning",
                    "repeated",
                    "[%s] %s is set %d times but is not multi-valued: Nova uses the last value"
                    % (section, option, len(values)),
                    fix="keep one assignment",
                    where=where,
                )
            )
        findings.extend(_value_findings(opt, section, option, values, lines, where))
    return [mask_finding(f) for f in findings]


def _value_findings(opt, section, option, values, lines, where):
    """Errors for the values of one option (its type, range and choices; JSON where Nova reads
    JSON), each naming its own line when ``lines`` has one per value."""
    kind = json_kind(section, option)
    out = []
    for i, v in enumerate(values):
        bad = check_value(opt, v)
        if not bad and kind and isinstance(v, str):
            problem = json_problem(kind, v)
            bad = ("invalid_json", problem) if problem else None
        if bad:
            out.append(
                _finding(
                    "error",
                    bad[0],
                    "[%s] %s: %s" % (section, option, bad[1]),
                    fix=_fix_for(opt, bad[0]),
                    where=dict(where, value=v, line=lines[i] if lines and i < len(lines) else where["line"]),
                )
            )
    return out


def _fix_for(opt, code):
    if code == "invalid_json":
        return (
            'write one JSON object per assignment, with double quotes (e.g. {"name": "a1", "vendor_id": '
            '"8086", "product_id": "0443"}); Nova refuses the value when nova-compute or nova-api starts'
        )
    if code == "choices":
        return "use one of %s" % ", ".join(map(str, opt.get("c", [])))
    if code == "range":
        lo, hi = opt.get("min"), opt.get("max")
        return "use a value%s%s" % (
            " >= %s" % lo if lo is not None else "",
            " <= %s" % hi if hi is not None else "",
        )
    kind = opt.get("t", "string")
    return "use %s %s value" % ("an" if kind[0] in "aeiou" else "a", kind)


def entries_from_text(text, file=None, line_lists=False):
    """Parse one override file into validate_entries() input (repeats in one file grouped).

    ``line_lists``: a repeated option's line is the list of its values' lines (else the first).
    """
    entries = []
    index = {}
    section = kolla_merge.ORPHAN_SECTION
    for kind, name, value, line in kolla_merge.iter_assignments(text, file):
        if kind == "section":
            section = name
            continue
        joined = "\n".join(value)
        key = (section, name)
        if key in index:
            entry = entries[index[key]]
            entry[2] = ([*entry[2], joined]) if isinstance(entry[2], list) else [entry[2], joined]
            if line_lists:
                entry[3] = [*entry[3], line] if isinstance(entry[3], list) else [entry[3], line]
        else:
            index[key] = len(entries)
            entries.append([section, name, joined, line])
    return [tuple(e) for e in entries]


def validate_text(text, release=None, file=None):
    try:
        entries = entries_from_text(text, file, line_lists=True)
    except kolla_merge.IniParseError as exc:
        return [
            _finding(
                "error",
                "parse",
                "%s (oslo.config and Kolla refuse this file)" % exc.msg,
                file=file,
                line=exc.lineno,
                value=mask_ini(exc.line),
                fix="fix the INI syntax",
            )
        ]
    return validate_entries(entries, release, file)


def validate_files(paths, release=None):
    findings = []
    for path in paths:
        text = kolla_merge.read_text(path)
        if text is None:
            continue
        findings.extend(validate_text(text, release, path))
    return findings


def summarize(findings):
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = sum(1 for f in findings if f["severity"] == "warning")
    return {"errors": errors, "warnings": warnings}


def format_finding(f):
    where = f["file"] or "<input>"
    if f.get("line"):
        where += ":%s" % f["line"]
    return "%s: %s: %s%s" % (
        where,
        f["severity"],
        f["message"],
        " -> %s" % f["fix"] if f.get("fix") else "",
    )
