# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check flavors and their extra specs before any API call.

Extra specs are checked with Nova's own validator table (dumped from
nova/api/validation/extra_specs by scripts/gen_extra_specs.py into
flavor_spec_data.py), reproducing ``validators.validate``: a known name is
checked for type, enum, pattern and range; an unknown name in a namespace Nova
knows (``hw:``, ``hw_rng:``, ``quota:``, ``trait:`` ...) is refused; a name in
a namespace Nova does not know is accepted (other services' specs).
Messages name the flavor, the key and the value, and suggest a close key.
"""

from __future__ import annotations

import difflib
import re

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.flavor_spec_data import DATA

_TRUE = {"1", "t", "true", "on", "y", "yes"}
_FALSE = {"0", "f", "false", "off", "n", "no"}
_FLAVOR_NAME = re.compile(r"^[\w\.\- ]{1,255}$")
_VALIDATORS = {v["name"]: v for v in DATA["validators"]}
_COMPILED = [(re.compile(v["name_regex"]), v) for v in DATA["validators"]]
_NAMESPACES = [re.compile(ns) for ns in DATA["namespaces"]]

NOVA_VERSION = DATA["nova"]


def _find(name):
    if name in _VALIDATORS:
        return _VALIDATORS[name]
    for regex, validator in _COMPILED:
        if regex.fullmatch(name):
            return validator
    return None


def _value_error(validator, value):  # noqa: PLR0911  one return per validator kind of Nova's extra-spec schema
    spec = validator["value"]
    text = str(value)
    kind = spec["type"]
    if isinstance(value, bool):
        text = "true" if value else "false"
    if kind == "int":
        try:
            number = int(text)
        except ValueError:
            return "is not an integer"
        if "max" in spec and number > spec["max"]:
            return "is above the maximum %s" % spec["max"]
        if "min" in spec and number < spec["min"]:
            return "is below the minimum %s" % spec["min"]
        return None
    if kind == "bool":
        if text.strip().lower() not in _TRUE | _FALSE:
            return "is not a boolean (true/false, yes/no, 1/0)"
        return None
    if validator.get("value_regex"):
        if not re.fullmatch(validator["value_regex"], text):
            return "does not match %s" % validator["value_regex"]
    elif "enum" in spec and text not in [str(x) for x in spec["enum"]]:
        return "is not one of: %s" % ", ".join(str(x) for x in spec["enum"])
    return None


def check_extra_spec(name, value):
    """Return None when Nova would accept ``name=value``, else a message."""
    validator = _find(name)
    if validator is not None:
        problem = _value_error(validator, value)
        if problem:
            return "extra spec %s=%r %s" % (name, value, problem)
        if validator.get("deprecated"):
            return None
        return None
    if ":" not in name:
        return None
    namespace = name.split(":", 1)[0]
    if not any(ns.fullmatch(namespace) for ns in _NAMESPACES):
        return None
    close = difflib.get_close_matches(name, list(_VALIDATORS), n=1, cutoff=0.75)
    hint = " (did you mean %s?)" % close[0] if close else ""
    return "extra spec %s is not a key Nova knows in the '%s:' namespace%s" % (name, namespace, hint)


def deprecated_specs(extra_specs):
    return sorted(k for k in extra_specs if (_find(k) or {}).get("deprecated"))


def _positive_int(flavor, field, errors, minimum=1):
    value = flavor.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            errors.append("%s=%r is not an integer" % (field, flavor.get(field)))
            return
    if value < minimum:
        errors.append("%s=%s is below %d" % (field, value, minimum))


def check_flavor(flavor, known_projects=None):
    """All problems with one flavor definition, as messages (empty when fine)."""
    errors = []
    name = flavor.get("name")
    if not name or not isinstance(name, str) or not _FLAVOR_NAME.match(name):
        errors.append("name %r must be 1-255 letters, digits, '.', '-', '_' or spaces" % (name,))
    for field in ("vcpus", "ram"):
        if flavor.get("state", "present") == "present" and flavor.get(field) is None:
            errors.append("%s is required" % field)
    _positive_int(flavor, "vcpus", errors)
    _positive_int(flavor, "ram", errors)
    _positive_int(flavor, "disk", errors, minimum=0)
    _positive_int(flavor, "ephemeral", errors, minimum=0)
    _positive_int(flavor, "swap", errors, minimum=0)
    extra_specs = flavor.get("extra_specs") or {}
    if not isinstance(extra_specs, dict):
        errors.append("extra_specs must be a mapping of key: value")
        extra_specs = {}
    for key in sorted(extra_specs):
        problem = check_extra_spec(key, extra_specs[key])
        if problem:
            errors.append(problem)
    policy = str(extra_specs.get("hw:cpu_policy", "shared"))
    if policy == "mixed" and not any(
        k in extra_specs for k in ("hw:cpu_dedicated_mask", "hw:cpu_realtime_mask", "resources:PCPU")
    ):
        errors.append("hw:cpu_policy=mixed needs hw:cpu_dedicated_mask (or resources:PCPU)")
    nodes = extra_specs.get("hw:numa_nodes")
    vcpus = flavor.get("vcpus")
    if nodes is not None and vcpus is not None:
        try:
            if int(nodes) > int(vcpus):
                errors.append("hw:numa_nodes=%s is more than the flavor's %s vCPUs" % (nodes, vcpus))
        except ValueError:
            pass
    projects = flavor.get("projects") or []
    if projects and flavor.get("is_public", True):
        errors.append(
            "projects are given but is_public is true: project access applies to private flavors only"
        )
    if known_projects is not None:
        for project in projects:
            if project not in known_projects:
                errors.append("project %r does not exist" % project)
    return errors


def check_flavors(flavors, known_projects=None):
    """{flavor name: [messages]} for every flavor with a problem; duplicates too."""
    problems = {}
    seen = set()
    for index, flavor in enumerate(flavors):
        label = flavor.get("name") if isinstance(flavor, dict) else None
        label = label or "#%d" % index
        if not isinstance(flavor, dict):
            problems[label] = ["must be a mapping"]
            continue
        errors = check_flavor(flavor, known_projects)
        if label in seen:
            errors.append("defined twice")
        seen.add(label)
        if errors:
            problems[label] = errors
    return problems
