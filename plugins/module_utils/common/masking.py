# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mask secrets in log lines and config values before anything leaves the collection.

The one masker of the collection (``report.mask_secrets`` and the config modules use it).
Covers what shows up in Nova, oslo.messaging, keystonemiddleware and libvirt logs:
passwords in URLs (``rabbit://openstack:SECRET@10.0.0.1:5672//``,
``mysql+pymysql://nova:SECRET@db/nova``), ``password = ...`` style assignments
(INI, JSON, Python reprs), ``X-Auth-Token`` / ``X-Subject-Token`` headers,
``token=...`` query strings, Fernet tokens (``gAAAAA...``) and ``Bearer`` tokens.

For config options, where the name and not the text says what is secret,
:func:`is_secret_name` is the name rule and :func:`mask_secret_value` masks the value
of a secret option (``nova_schema.is_secret_option`` adds oslo.config's own
``secret=True`` flags from the shipped schema).
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

_URL_CREDENTIALS = re.compile(
    r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s,]*:)(?P<secret>[^@/\s]+)(?P<post>@)"
)
# further hosts of a multi-host URL: rabbit://u:p@h1:5672,u:p@h2:5672//
_URL_MORE_CREDENTIALS = re.compile(r"(?P<pre>,[^:/@\s,]+:)(?P<secret>[^@/\s,]+)(?P<post>@)")
# Key names whose value is a secret, in `key = v`, `key: v`, `"key": "v"`, `'key': 'v'`, `key=v`.
_KEY_VALUE = re.compile(
    r"(?P<pre>(?:[\"']?)\b(?:[a-z_]*password|[a-z_]*passwd|[a-z_]*secret|[a-z_]*secret_key|auth_key|"
    r"[a-z_]*token|"
    r"x-auth-token|x-subject-token|x-service-token|admin_token|memcache_secret_key|"
    r"rabbit_password|transport_url|connection)[\"']?\s*(?:=|:)\s*[\"']?)"
    r"(?P<secret>[^\s\"',;}\]]+)(?P<post>)",
    re.IGNORECASE,
)
_FERNET = re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}")
_BEARER = re.compile(r"(?P<pre>\bBearer\s+)(?P<secret>[A-Za-z0-9._\-=]{8,})(?P<post>)")
_SHA_TOKEN = re.compile(r"(?P<pre>\{SHA256\})(?P<secret>[0-9a-f]{16,})(?P<post>)")


def _keep_url(match):
    """For ``transport_url``/``connection`` keys only the credentials in the URL are secret."""
    value = match.group("secret")
    if "://" in value:
        value = _URL_MORE_CREDENTIALS.sub(_sub_secret, _URL_CREDENTIALS.sub(_sub_secret, value))
        return match.group("pre") + value
    key = match.group("pre").lower()
    if "connection" in key or "transport_url" in key:
        return match.group(0)
    return match.group("pre") + MASK


def _sub_secret(match):
    return match.group("pre") + MASK + match.group("post")


def mask(text: Any) -> Any:
    """Return ``text`` with secrets replaced by ``***`` (non-strings pass through)."""
    if not isinstance(text, str) or not text:
        return text
    if "://" in text and "@" in text:
        text = _URL_CREDENTIALS.sub(_sub_secret, text)
        text = _URL_MORE_CREDENTIALS.sub(_sub_secret, text)
    text = _KEY_VALUE.sub(_keep_url, text)
    if "gAAAAA" in text:
        text = _FERNET.sub(MASK, text)
    if "Bearer" in text:
        text = _BEARER.sub(_sub_secret, text)
    return text


# Option (or variable) names whose value is a credential: *password, *passwd, *secret,
# *secret_key, *secret_id, *token, *token_id, *api_key, *access_key, *private_key, auth_key,
# fixed_key, hmac_keys, *credential(s), and the URL options that carry credentials
# (transport_url, [database] connection and its siblings, [cache] backend_argument).
# Not: rbd_secret_uuid, vencrypt_client_key (a path), token_ttl, password_length.
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:password|passwd|secret|secret_key|secret_id|token|token_id|api_key|access_key|"
    r"private_key|auth_key|fixed_key|hmac_keys?|credentials?)$"
    r"|^(?:transport_url|(?:asyncio_)?(?:slave_)?connection|backend_argument)$",
    re.IGNORECASE,
)


def is_secret_name(name: Any) -> bool:
    """True when an option or variable called ``name`` holds a credential (by its name alone)."""
    return bool(name) and bool(_SECRET_NAME.search(str(name).strip().replace("-", "_")))


def mask_secret_value(value: Any) -> Any:
    """The value of a secret option, masked.

    A URL keeps its scheme, hosts and path (only the ``user:password@`` parts and
    ``password=``-style query parameters go), so ``transport_url`` and ``connection``
    still show where they point; anything else becomes ``***``.  Empty values and
    non-strings (``None``, numbers) stay as they are; lists and dicts are masked item by item.
    """
    if isinstance(value, (list, tuple)):
        return [mask_secret_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_secret_value(v) for k, v in value.items()}
    if not isinstance(value, str) or not value.strip():
        return value
    if "://" in value:
        return mask(value)
    return MASK


def mask_deep(value: Any) -> Any:
    """Mask every string inside dicts/lists (keys are kept).

    Values under a secret-named key (``{"database_password": ...}``) and the ``value`` of a
    dict that names a secret ``option`` (``{"option": "password", "value": ...}``, the shape
    of config findings) are masked whole with :func:`mask_secret_value`.
    """
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        secret_option = isinstance(value.get("option"), str) and is_secret_name(value["option"])
        out = {}
        for k, v in value.items():
            if (isinstance(k, str) and is_secret_name(k)) or (secret_option and k == "value"):
                out[k] = mask_deep(mask_secret_value(v))
            else:
                out[k] = mask_deep(v)
        return out
    if isinstance(value, (list, tuple)):
        return [mask_deep(v) for v in value]
    return value
