# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which options hold credentials, and masking them in values, findings and whole files."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.common import masking
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_schema.schema import all_schemas, norm

# Option types that never hold a credential, whatever the name says
# (send_service_user_token, inject_password, enable_instance_password, password_length).
_NOT_SECRET_TYPES = frozenset(("boolean", "integer", "float", "port"))
_SECRETS = {}


def _secret_index():
    """{(section, option): True/False} from every shipped schema: True where oslo.config declares
    ``secret=True`` in any release, False where the option is typed as a non-string."""
    if not _SECRETS:
        index = {}
        for schema in all_schemas().values():
            for section, opts in schema.sections.items():
                for name, opt in opts.items():
                    if opt.get("s"):
                        index[(section, name)] = True
                    elif opt.get("t") in _NOT_SECRET_TYPES:
                        index.setdefault((section, name), False)
            for old, new in schema.aliases.items():
                if schema.option(*new) and schema.option(*new).get("s"):
                    index[old] = True
        _SECRETS.update(index)
    return _SECRETS


def is_secret_option(section, option):
    """True when ``[section] option`` holds a credential.

    oslo.config's own ``secret=True`` (in the schema of any shipped release) decides
    first; options the schema types as booleans or numbers are never secret; for the
    rest (the schema does not list options keystoneauth registers at runtime, such as
    ``[keystone_authtoken] password``, nor plugin options) the name decides
    (``masking.is_secret_name``: ``*password``, ``*secret``, ``*token``, ``transport_url``,
    ``connection``, ...).
    """
    if not option:
        return False
    key = ("DEFAULT" if section in (None, "", kolla_merge.ORPHAN_SECTION) else section, norm(option))
    known = _secret_index().get(key)
    if known is not None:
        return known
    return masking.is_secret_name(key[1])


def mask_option(section, option, value):
    """``value`` (a str, a list of str for a multi-value, or None) as it may be shown.

    A secret option's value is masked whole (URLs keep scheme, hosts and path); any other
    value only loses credentials it carries in a URL (``qemu+ssh://user:pw@host/system``).
    """
    if is_secret_option(section, option):
        return masking.mask_secret_value(value)
    if isinstance(value, (list, tuple)):
        return [masking.mask(v) for v in value]
    return masking.mask(value)


def mask_settings(settings):
    """``{section: {option: value}}`` with :func:`mask_option` applied to every value."""
    return {
        section: {option: mask_option(section, option, value) for option, value in options.items()}
        for section, options in settings.items()
    }


def mask_finding(finding, section=None, option=None):
    """A finding with its value (and the value quoted in its message and fix) masked.

    ``section``/``option`` name the setting when the finding has no such keys (the
    problems of ``nova_config``, whose ``field`` names it).
    """
    value = finding.get("value")
    if value in (None, "", []):
        return dict(
            finding, message=masking.mask(finding.get("message")), fix=masking.mask(finding.get("fix"))
        )
    section = finding.get("section") if section is None else section
    option = (finding.get("option") if option is None else option) or ""
    masked = mask_option(section, option, value)
    out = dict(finding, value=masked)
    pairs = list(zip(value, masked)) if isinstance(value, list) else [(value, masked)]
    for key in ("message", "fix"):
        text = out.get(key)
        if not isinstance(text, str):
            continue
        for raw, hidden in pairs:
            if isinstance(raw, str) and raw and raw != hidden:
                text = text.replace(repr(raw), repr(hidden)).replace(raw, str(hidden))
        out[key] = masking.mask(text)
    return out


def mask_ini(text):
    """INI text (a Nova config file, a merged preview, a diff side) with every secret masked.

    The layout is kept line for line: only the value of a secret option (and its
    continuation lines) is replaced; other lines lose only credentials inside URLs or
    ``password = ...`` text (commented-out lines included).
    """
    if not isinstance(text, str) or not text:
        return text
    out = []
    section = "DEFAULT"
    in_secret = False
    for line in text.splitlines(True):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        if not body.strip():
            in_secret = False
            out.append(line)
            continue
        if body[0] in " \t":
            if in_secret:
                indent = body[: len(body) - len(body.lstrip())]
                out.append(indent + masking.MASK + end)
            else:
                out.append(masking.mask(body) + end)
            continue
        in_secret = False
        stripped = body.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            out.append(line)
            continue
        if stripped.startswith(("#", ";")):
            out.append(masking.mask(body) + end)
            continue
        # oslo.config's iniparser: the key ends at the first '=' or ':' (whichever comes first).
        colon, equal = body.find(":"), body.find("=")
        cut = equal if colon < 0 or (0 <= equal < colon) else colon
        key = body[:cut].strip() if cut >= 0 else ""
        if key and is_secret_option(section, key):
            in_secret = True
            value = body[cut + 1 :]
            lead = value[: len(value) - len(value.lstrip())]
            raw = value.strip()
            quote = raw[0] if len(raw) > 1 and raw[0] == raw[-1] and raw[0] in "\"'" else ""
            inner = raw[1:-1] if quote else raw
            hidden = masking.mask_secret_value(inner) if inner else inner
            out.append(body[: cut + 1] + lead + quote + hidden + quote + end)
            continue
        out.append(masking.mask(body) + end)
    return "".join(out)
