# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kolla-Ansible's INI override merge, reproduced for previews and checks.

Kolla-Ansible builds each Nova service's ``nova.conf`` with its ``merge_configs``
action plugin (``ansible/action_plugins/merge_configs.py``): a list of source files,
missing ones skipped, each rendered as Jinja, parsed by oslo.config's ``iniparser``
and merged section by section.  A key in a later file replaces the earlier value
whole; a key repeated inside one file becomes a multi-value; nothing can be
deleted.  This module follows that code line for line (parser, merge, writer) so
that :func:`merge_texts` returns byte for byte what Kolla writes, plus where each
key came from.  The unit tests prove the equality against the installed
kolla-ansible.

The merge order (``roles/nova-cell/tasks/config.yml`` and ``roles/nova/tasks/config.yml``):

1. the role's ``nova.conf.j2``
2. ``<node_custom_config>/global.conf``
3. ``<node_custom_config>/nova.conf``
4. ``<node_custom_config>/nova/<service>.conf``
5. ``<node_custom_config>/nova/<inventory_hostname>/nova.conf``
6. ``<node_custom_config>/nova/<inventory_hostname>/<service>.conf`` (nova-cell services only)
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

ORPHAN_SECTION = "TEMPORARY_ORPHAN_VARIABLE_SECTION"

# Services deployed by the nova-cell role read the per-host per-service file (step 6).
CELL_SERVICES = (
    "nova-compute",
    "nova-compute-ironic",
    "nova-conductor",
    "nova-novncproxy",
    "nova-serialproxy",
    "nova-spicehtml5proxy",
)
# Services deployed by the nova role stop at step 5.
API_SERVICES = ("nova-api", "nova-metadata", "nova-scheduler", "nova-super-conductor")
SERVICES = CELL_SERVICES + API_SERVICES


class IniParseError(ValueError):
    """An override file oslo.config's iniparser (and so Kolla) would refuse."""

    def __init__(self, message, lineno, line, source=None):
        self.msg = message
        self.lineno = lineno
        self.line = line
        self.source = source
        where = "%s:%d" % (source, lineno) if source else "line %d" % lineno
        super().__init__("%s: %s: %r" % (where, message, line))


def kolla_sources(node_custom_config: str, host: str, service: str) -> list[str]:
    """The override files Kolla merges for ``service`` on ``host``, in order (step 2 on)."""
    if service not in SERVICES:
        raise ValueError(
            "unknown Nova service %r: expected one of %s" % (service, ", ".join(sorted(SERVICES)))
        )
    base = node_custom_config.rstrip("/") or "/"
    paths = [
        os.path.join(base, "global.conf"),
        os.path.join(base, "nova.conf"),
        os.path.join(base, "nova", "%s.conf" % service),
        os.path.join(base, "nova", host, "nova.conf"),
    ]
    if service in CELL_SERVICES:
        paths.append(os.path.join(base, "nova", host, "%s.conf" % service))
    return paths


def iter_assignments(text: str, source: str | None = None) -> Iterator[tuple[str, str, Any, int]]:
    """Parse INI text the way oslo.config's ``iniparser.BaseParser`` does.

    Yields ``("section", name, None, lineno)`` for a section header and
    ``("key", key, value_lines, lineno)`` for each assignment, where
    ``value_lines`` is the list of value lines (continuations included) and
    ``lineno`` the line of the key.  Raises :class:`IniParseError`.
    """
    key = None
    value = []
    key_line = 0
    lineno = 0
    for raw in text.splitlines():
        lineno += 1
        line = raw.rstrip()
        if not line:
            if key:
                yield ("key", key, value, key_line)
                key, value = None, []
            continue
        if line.startswith((" ", "\t")):
            if key is None:
                raise IniParseError("Unexpected continuation line", lineno, line, source)
            value.append(line.lstrip())
            continue
        if key:
            yield ("key", key, value, key_line)
            key, value = None, []
        if line.startswith("["):
            if not line.endswith("]"):
                raise IniParseError("Invalid section (must end with ])", lineno, line, source)
            if len(line) <= len("[]"):
                raise IniParseError("Empty section name", lineno, line, source)
            yield ("section", line[1:-1], None, lineno)
        elif line.startswith(("#", ";")):
            continue
        else:
            key, value = _split_key_value(line, lineno, source)
            key_line = lineno
            if not key:
                raise IniParseError("Key cannot be empty", lineno, line, source)
    if key:
        yield ("key", key, value, key_line)


def _split_key_value(line, lineno, source):
    colon = line.find(":")
    equal = line.find("=")
    if colon < 0 and equal < 0:
        raise IniParseError("No ':' or '=' found in assignment", lineno, line, source)
    if colon < 0 or (equal >= 0 and equal < colon):
        key, value = line[:equal], line[equal + 1 :]
    else:
        key, value = line[:colon], line[colon + 1 :]
    value = value.strip()
    if value and value[0] == value[-1] and value.startswith(('"', "'")):
        value = value[1:-1]
    return key.strip(), [value]


class KollaMerge:
    """Kolla's ``OverrideConfigParser``: feed texts in merge order, then :meth:`write`.

    ``sections`` maps section -> key -> list of values (one per assignment, each
    a list of lines); ``origin`` maps (section, key) -> list of (source, line) of
    the assignments that made the current value; ``history`` maps (section, key) ->
    list of (source, line, value) of every assignment fed, shadowed ones included,
    in merge order (provenance for findings that name each conflicting value).
    """

    def __init__(self, whitespace: bool = True) -> None:
        self.sections = OrderedDict()
        self.origin = {}
        self.history = OrderedDict()
        self._ws = " " if whitespace else ""

    def feed(self, text: str, source: str | None = None) -> None:
        cur_sections = OrderedDict()
        cur_origin = {}
        cur = None
        for kind, name, value, lineno in iter_assignments(text, source):
            if kind == "section":
                cur = cur_sections.get(name)
                if not cur:
                    cur = cur_sections[name] = OrderedDict()
                current_name = name
                continue
            if cur is None:
                cur = cur_sections.setdefault(ORPHAN_SECTION, OrderedDict())
                current_name = ORPHAN_SECTION
            if len(value) == 1 and value[0] == "":
                value = []
            self.history.setdefault((current_name, name), []).append((source, lineno, "\n".join(value)))
            if not cur.get(name):
                cur[name] = [value]
                cur_origin[(current_name, name)] = [(source, lineno)]
            else:
                cur[name].append(value)
                cur_origin[(current_name, name)].append((source, lineno))
        for section, values in cur_sections.items():
            target = self.sections.setdefault(section, OrderedDict())
            for key, value in values.items():
                target[key] = value
                self.origin[(section, key)] = cur_origin[(section, key)]

    def write(self) -> str:
        out = []
        for section, values in self.sections.items():
            if section != ORPHAN_SECTION:
                out.append("[%s]\n" % section)
            for key, assignments in values.items():
                for v in assignments:
                    if not v:
                        out.append("%s%s=\n" % (key, self._ws))
                    for index, line in enumerate(v):
                        if index == 0:
                            out.append("%s%s=%s%s\n" % (key, self._ws, self._ws, line))
                        else:
                            out.append(" " * (len(key) + len(self._ws) * 2 + 1) + line + "\n")
            out.append("\n")
        return "".join(out)

    def values(self) -> dict[str, dict[str, str | list[str]]]:
        """section -> key -> value: a str, or a list of str for a multi-value."""
        result = OrderedDict()
        for section, keys in self.sections.items():
            sect = result.setdefault(section, OrderedDict())
            for key, assignments in keys.items():
                joined = ["\n".join(v) for v in assignments]
                sect[key] = joined[0] if len(joined) == 1 else joined
        return result


# --- Jinja: Kolla renders every override file as a template -----------------------------

_JINJA_OPEN = re.compile(r"\{([{%#])")


def escape_jinja(value: Any) -> str:
    """Escape ``{{``, ``{%`` and ``{#`` so Kolla's Jinja pass gives back ``value``."""
    return _JINJA_OPEN.sub(lambda m: "{{ '{%s' }}" % m.group(1), str(value))


_OWN_ESCAPE = re.compile(r"\{\{ '\{([{%#])' \}\}")


def has_jinja(text: str) -> bool:
    return bool(_JINJA_OPEN.search(text))


def render_jinja(text: str, variables: dict[str, Any] | None = None) -> tuple[str, list[str]]:
    """Render an override file as Kolla would, as far as the controller can.

    With jinja2 importable, the text is rendered; a variable that is not in
    ``variables`` stays as ``{{ name }}`` in the output instead of failing.
    Without jinja2, only this collection's own escapes are undone.
    Returns ``(text, unresolved)`` where ``unresolved`` lists the names left as-is.
    """
    if not has_jinja(text):
        return text, []
    try:
        import jinja2  # noqa: PLC0415  (optional: present on controllers)
    except ImportError:
        return _OWN_ESCAPE.sub(lambda m: "{" + m.group(1), text), []
    unresolved = []

    class _Keep(jinja2.Undefined):
        def __str__(self):
            unresolved.append(self._undefined_name)
            return "{{ %s }}" % self._undefined_name

    # Not HTML: autoescape stays off, as in Ansible.
    env = jinja2.Environment(  # noqa: S701
        undefined=_Keep, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    try:
        rendered = env.from_string(text).render(**(variables or {}))
    except jinja2.TemplateError:
        return _OWN_ESCAPE.sub(lambda m: "{" + m.group(1), text), ["<template error>"]
    return rendered, sorted(set(unresolved))


def read_text(path: str) -> str | None:
    """Text of ``path`` or None when Kolla would skip it (missing or unreadable)."""
    if not os.access(path, os.R_OK) or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def merge_texts(
    sources: list[tuple[str, str | None]], whitespace: bool = True, variables: dict[str, Any] | None = None
) -> tuple[KollaMerge, list[str]]:
    """Merge ``[(name, text or None), ...]`` in order; returns (KollaMerge, unresolved vars)."""
    merge = KollaMerge(whitespace=whitespace)
    unresolved = set()
    for name, text in sources:
        if text is None:
            continue
        rendered, names = render_jinja(text, variables)
        unresolved.update(names)
        merge.feed(rendered, name)
    return merge, sorted(unresolved)


def merge_files(
    paths: list[str], whitespace: bool = True, variables: dict[str, Any] | None = None
) -> tuple[KollaMerge, list[str]]:
    """Merge files in order, skipping missing ones, as ``merge_configs`` does."""
    return merge_texts([(p, read_text(p)) for p in paths], whitespace=whitespace, variables=variables)


def preview(
    node_custom_config: str,
    host: str,
    service: str,
    base: str | None = None,
    variables: dict[str, Any] | None = None,
    whitespace: bool = True,
) -> dict[str, Any]:
    """The nova.conf Kolla would write for ``service`` on ``host``.

    ``base`` is an optional first file standing in for the role template
    (for example a rendered ``nova.conf.j2`` or the deployed nova.conf).
    Returns a dict: content, sources (in order, with ``present``), origin
    (``[section, key, source, line]`` for each key), unresolved variables.
    """
    paths = kolla_sources(node_custom_config, host, service)
    if base:
        paths.insert(0, base)
    merge, unresolved = merge_files(paths, whitespace=whitespace, variables=variables)
    origin = [
        {"section": s, "option": k, "file": src[-1][0], "line": src[-1][1]}
        for (s, k), src in merge.origin.items()
        if k in merge.sections.get(s, {})
    ]
    return {
        "content": merge.write(),
        "sources": [{"path": p, "present": read_text(p) is not None} for p in paths],
        "origin": origin,
        "values": merge.values(),
        "unresolved": unresolved,
    }
