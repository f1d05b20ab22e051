"""Secrets never leave the triage engine."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import (
    is_secret_name,
    mask,
    mask_deep,
    mask_secret_value,
)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("transport_url = rabbit://openstack:Pw1@10.0.0.1:5672,openstack:Pw2@10.0.0.2:5672//", "Pw1"),
        ("transport_url = rabbit://openstack:Pw1@10.0.0.1:5672,openstack:Pw2@10.0.0.2:5672//", "Pw2"),
        ("connection = mysql+pymysql://nova:DbPw@10.0.0.1/nova", "DbPw"),
        ("AMQP server on amqp://u:Secret1@host:5672 is unreachable", "Secret1"),
        ("password = Hunter2", "Hunter2"),
        ("admin_password=Hunter3&x=1", "Hunter3"),
        ('{"password": "Hunter4", "user": "x"}', "Hunter4"),
        ("{'X-Auth-Token': 'abc123def456'}", "abc123def456"),
        ("X-Subject-Token: abcdef123456", "abcdef123456"),
        ("token gAAAAABl1x2y3z4-abcdefghijklmnopqrstuvwxyz_012345", "gAAAAABl1x2y3z4"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("memcache_secret_key = MemKey", "MemKey"),
        ("libvirt_sasl_password: SaslPw", "SaslPw"),
    ],
)
def test_secrets_are_masked(text, secret):
    out = mask(text)
    assert secret not in out
    assert "***" in out


@pytest.mark.parametrize(
    "text",
    [
        "AMQP server on 10.0.0.1:5672 is unreachable: [Errno 111] ECONNREFUSED",
        "Connection to libvirt failed: Failed to connect socket",
        "Lost connection to nova-conductor for reporting service status.",
        "transport_url = rabbit://10.0.0.1:5672//",
    ],
)
def test_harmless_text_is_kept(text):
    assert mask(text) == text


def test_mask_deep_and_non_strings():
    data = {"a": ["password=x1", 3, None], "b": {"c": "rabbit://u:p1@h//"}}
    assert mask_deep(data) == {"a": ["password=***", 3, None], "b": {"c": "rabbit://u:***@h//"}}
    assert mask(None) is None


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("host_password", True),
        ("metadata_proxy_shared_secret", True),
        ("memcache_secret_key", True),
        ("approle_secret_id", True),
        ("root_token_id", True),
        ("admin_token", True),
        ("hmac_keys", True),
        ("transport_url", True),
        ("slave_connection", True),
        ("database_password", True),
        ("password_length", False),
        ("rbd_secret_uuid", False),
        ("token_ttl", False),
        ("vencrypt_client_key", False),
        ("connection_uri", False),
        ("username", False),
    ],
)
def test_is_secret_name(name, secret):
    assert is_secret_name(name) is secret


def test_mask_secret_value_keeps_where_urls_point():
    assert mask_secret_value("hunter2") == "***"
    assert mask_secret_value("mysql+pymysql://nova:S3cret@db/nova") == "mysql+pymysql://nova:***@db/nova"
    assert mask_secret_value(["a", ""]) == ["***", ""]
    assert mask_secret_value(None) is None and mask_secret_value("") == ""


def test_mask_deep_masks_values_under_secret_keys():
    data = {"password": "x1", "user": "u", "nested": [{"option": "password", "value": "x2", "line": 1}]}
    assert mask_deep(data) == {
        "password": "***",
        "user": "u",
        "nested": [{"option": "password", "value": "***", "line": 1}],
    }
