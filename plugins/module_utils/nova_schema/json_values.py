# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options Nova reads as JSON, and why Nova would refuse a value of one.

Used for what the collection renders (``nova_config.values``) and for operators' own override
files (``nova_schema.validate``): ``[pci] alias = {'name': 'a1'}`` (Python's repr, as hand-written
files and older renders have it) stops nova-compute and nova-api with ``PciInvalidAlias: ...
Expecting property name enclosed in double quotes``.
"""

from __future__ import annotations

import json
import re

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
_ALIAS_NAME_MAX = 256  # nova/pci/request.py alias schema: "name" has maxLength 256
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
