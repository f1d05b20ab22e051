# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a rendered setting value may be: no control characters, JSON where Nova reads JSON.

* A value is written on one INI line. A newline (or any control character) in it either breaks
  Kolla's merge (oslo.config's iniparser: "No ':' or '=' found in assignment") or starts a new
  assignment that no check saw (``"az1\\ndebug = true"``): :func:`control_problem` refuses it.
* A mapping is written in the syntax the option's type reads: JSON for the options Nova parses
  with ``jsonutils.loads`` (:data:`JSON_OPTIONS`), ``key:value,...`` for oslo.config ``Dict``
  options, and refused for any other option (it used to be Python's ``repr``, which Nova refuses:
  ``PciInvalidAlias: ... Expecting property name enclosed in double quotes``).
* JSON values are validated as Nova does before anything is written (:func:`json_problem`).
"""

from __future__ import annotations

import json
import re
import unicodedata

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.fields import (
    RATIO_OPTIONS,
    ini_value,
    ratio_problem,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.problems import Ctx

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators (Python's
# str.splitlines() splits on them, and so would a reader of the file).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Characters that end a key or a section name in oslo.config's iniparser.
_NAME_BREAKERS = re.compile(r"[=:\[\]]")

# Options whose values Nova parses as JSON (nova 34), with their deprecated names.
# [pci] alias: nova/pci/request.py get_alias_from_config (jsonutils.loads + _ALIAS_SCHEMA);
# [pci] device_spec: nova/pci/whitelist.py Whitelist._parse_white_list_from_config.
JSON_OPTIONS = {
    ("pci", "alias"): "alias",
    ("default", "pci_alias"): "alias",
    ("pci", "device_spec"): "device_spec",
    ("pci", "passthrough_whitelist"): "device_spec",
    ("default", "pci_passthrough_whitelist"): "device_spec",
}

# nova/pci/request.py _ALIAS_SCHEMA (nova 34.0.0): properties, additionalProperties false,
# name required. PCI_VENDOR_PATTERN is nova/pci/utils.py's; the enums are
# nova/objects/fields.py PciDeviceType (vdpa excluded, as in Nova) and PCINUMAAffinityPolicy.
_HEX4 = re.compile(r"^[\da-fA-F]{4}$")
ALIAS_PROPERTIES = {
    "name": None,
    "capability_type": ("pci",),
    "product_id": _HEX4,
    "vendor_id": _HEX4,
    "device_type": ("type-PCI", "type-PF", "type-VF"),
    "numa_policy": ("required", "legacy", "preferred", "socket"),
    "resource_class": None,
    "traits": None,
    "live_migratable": None,
}


_ALIAS_NAME_MAX = 256  # nova/pci/request.py alias schema: "name" has maxLength 256


def control_problem(value: object) -> str | None:
    """A description of the first control character in ``value`` (recursing into lists and
    mappings, keys too), or None."""
    if isinstance(value, dict):
        for k, v in value.items():
            found = control_problem(k) or control_problem(v)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for v in value:
            found = control_problem(v)
            if found:
                return found
        return None
    if not isinstance(value, str):
        return None
    m = _CONTROL.search(value)
    if not m:
        return None
    ch = m.group(0)
    name = unicodedata.name(ch, "") or {"\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "TAB"}.get(
        ch, "control character"
    )
    return "contains a control character (U+%04X %s) at position %d: a setting is one line of nova.conf" % (
        ord(ch),
        name,
        m.start(),
    )


def name_problem(name: str) -> str | None:
    """Why a section or option name cannot be written as one, or None."""
    found = control_problem(name)
    if found:
        return found
    if _NAME_BREAKERS.search(name) or name != name.strip() or not name:
        return (
            "is not a usable section or option name (it is empty, has surrounding spaces or one of = : [ ])"
        )
    return None


def json_kind(section: str, option: str) -> str | None:
    """``"alias"`` or ``"device_spec"`` when Nova reads ``[section] option`` as JSON."""
    return JSON_OPTIONS.get((section.lower(), option.lower()))


def _alias_problem(spec) -> str | None:
    if not isinstance(spec, dict):
        return "an alias must be a JSON object, got %s" % type(spec).__name__
    if "name" not in spec:
        return "'name' is required in a PCI alias"
    for key, value in spec.items():
        if key not in ALIAS_PROPERTIES:
            return "%r is not a PCI alias property (Nova allows: %s)" % (key, ", ".join(ALIAS_PROPERTIES))
        if not isinstance(value, str):
            return "alias property %s must be a string, got %r" % (key, value)
        rule = ALIAS_PROPERTIES[key]
        if key == "name" and not 1 <= len(value) <= _ALIAS_NAME_MAX:
            return "alias name must be 1 to %d characters" % _ALIAS_NAME_MAX
        if isinstance(rule, tuple) and value not in rule:
            return "alias %s %r is not one of %s" % (key, value, ", ".join(rule))
        if hasattr(rule, "match") and not rule.match(value):
            return "alias %s %r is not 4 hexadecimal digits" % (key, value)
    return None


def _device_spec_problem(spec) -> str | None:
    specs = spec if isinstance(spec, list) else [spec]
    if not isinstance(spec, dict | list):
        return "a device_spec must be a JSON object or a list of them, got %s" % type(spec).__name__
    for item in specs:
        if not isinstance(item, dict):
            return "each device_spec entry must be a JSON object, got %r" % (item,)
        if "address" in item and "devname" in item:
            return "a device_spec entry takes address or devname, not both (PciDeviceInvalidDeviceName)"
        for key in ("vendor_id", "product_id"):
            if key in item and not (
                isinstance(item[key], str) and (item[key] == "*" or _HEX4.match(item[key]))
            ):
                return "device_spec %s %r is not 4 hexadecimal digits or *" % (key, item[key])
    return None


def json_problem(kind: str, text: str) -> str | None:
    """Why Nova would refuse ``text`` as a ``kind`` ("alias"/"device_spec") value, or None."""
    try:
        spec = json.loads(text)
    except ValueError as exc:
        return "is not JSON (%s); Nova parses this option with json" % exc
    if kind == "alias":
        return _alias_problem(spec)
    return _device_spec_problem(spec)


def _mapping_text(value: dict) -> str:
    """oslo.config ``types.Dict`` syntax: ``key:value,key:value``."""
    return ",".join("%s:%s" % (k, ini_value(v)) for k, v in value.items())


def _one(ctx, label, schema_opt, kind, value):
    """One INI value for one item; None after an error."""
    if isinstance(value, dict):
        opt_type = (schema_opt or {}).get("t")
        if kind or schema_opt is None:
            text = json.dumps(value)
        elif opt_type == "dict":
            return _mapping_text(value)
        else:
            ctx.error(
                label,
                value,
                "is a mapping, but this option takes a %s" % opt_type,
                fix="give a %s value (only dict options and JSON options such as [pci] alias "
                "take a mapping)" % opt_type,
                code="value_type",
            )
            return None
    elif isinstance(value, list | tuple) and any(isinstance(v, dict | list) for v in value):
        ctx.error(label, value, "is a list of lists or mappings, but this option takes one value per line")
        return None
    else:
        text = ini_value(value)
    if kind:
        why = json_problem(kind, text)
        if why:
            ctx.error(
                label,
                value,
                why,
                fix="write it as a YAML mapping (written as JSON) or as JSON with double quotes",
                code="json",
            )
            return None
    return text


def setting_value(
    ctx: Ctx, schema, section: str, option: str, value: object, label: str
) -> str | list | None:
    """The INI value (str, or list of str for a multi-valued option) for a ``settings:`` entry;
    None after an error (named by ``label``)."""
    for name in (section, option):
        why = name_problem(str(name))
        if why:
            ctx.error(label, name, why, fix="use the section and option names of nova.conf", code="control")
            return None
    why = control_problem(value)
    if why:
        ctx.error(label, value, why, fix="remove the line break or control character", code="control")
        return None
    opt = schema.option(section, option)
    kind = json_kind(section, option)
    multi = bool(opt and opt.get("m"))
    if isinstance(value, list | tuple) and multi:
        items = [_one(ctx, label, opt, kind, v) for v in value]
        return None if any(i is None for i in items) else items
    text = _one(ctx, label, opt, kind, value)
    if text is not None and option.lower() in RATIO_OPTIONS and section.lower() == "default":
        try:
            number = float(text)
        except ValueError:
            return text  # the schema check names it
        found = ratio_problem(option.lower(), number)
        if found:
            ctx.error(label, value, found[0], fix=found[1], code="ratio")
            return None
    return text


def check_written(ctx: Ctx, settings: dict, fields: dict) -> set:
    """Control characters in what is about to be written (every path into ``settings``):
    one error per setting; returns the keys refused."""
    refused = set()
    for (section, option), value in settings.items():
        label = fields.get((section, option)) or "%s.%s" % (section, option)
        why = name_problem(str(section)) or name_problem(str(option)) or control_problem(value)
        if why:
            ctx.error(label, value, why, fix="remove the line break or control character", code="control")
            refused.add((section, option))
    return refused
