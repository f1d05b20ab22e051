# Copyright: kolla_ops.nova contributors
# Apache License 2.0 (see LICENSE)
"""Mask secrets in log lines and config values before anything leaves the engine.

Covers what shows up in Nova, oslo.messaging, keystonemiddleware and libvirt logs:
passwords in URLs (``rabbit://openstack:SECRET@10.0.0.1:5672//``,
``mysql+pymysql://nova:SECRET@db/nova``), ``password = ...`` style assignments
(INI, JSON, Python reprs), ``X-Auth-Token`` / ``X-Subject-Token`` headers,
``token=...`` query strings, Fernet tokens (``gAAAAA...``) and ``Bearer`` tokens.
"""

from __future__ import annotations

import re

MASK = "***"

_URL_CREDENTIALS = re.compile(
    r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s,]*:)(?P<secret>[^@/\s]+)(?P<post>@)"
)
# further hosts of a multi-host URL: rabbit://u:p@h1:5672,u:p@h2:5672//
_URL_MORE_CREDENTIALS = re.compile(r"(?P<pre>,[^:/@\s,]+:)(?P<secret>[^@/\s,]+)(?P<post>@)")
# Key names whose value is a secret, in `key = v`, `key: v`, `"key": "v"`, `'key': 'v'`, `key=v`.
_KEY_VALUE = re.compile(
    r"(?P<pre>(?:[\"']?)\b(?:[a-z_]*password|passwd|secret|[a-z_]*secret_key|auth_key|token|"
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


def mask(text):
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


def mask_deep(value):
    """Mask every string inside dicts/lists (keys are left alone)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_deep(v) for v in value]
    return value
