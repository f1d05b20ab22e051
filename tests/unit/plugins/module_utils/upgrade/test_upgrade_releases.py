"""Upgrade readiness: releases."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NovaCommands
from ansible_collections.kolla_ops.nova.plugins.module_utils.common import releases
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import commands as upgrade_commands
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import target
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import target as upgrade_target


@pytest.mark.parametrize(
    ("value", "series"),
    [
        ("2026.2", "2026.2"),
        ("34", "2026.2"),
        ("34.0.1", "2026.2"),
        ("nova-33", "2026.1"),
        ("Flamingo", "2025.2"),
        ("epoxy", "2025.1"),
        ("kolla-ansible 22", "2026.1"),
        (2025.1, "2025.1"),
    ],
)
def test_target_release(value, series):
    assert upgrade_target.target_release(value)["series"] == series


@pytest.mark.parametrize("value", ["2024.2", "30", "", None, "dalmatian"])
def test_target_release_unknown(value):
    with pytest.raises(target.UpgradeCheckError, match="unknown target release"):
        upgrade_target.target_release(value)


def test_release_table_is_consistent():
    assert set(releases.RELEASES) == set(nova_schema.SERIES)
    for series, rel in releases.RELEASES.items():
        assert nova_schema.SERIES[series] == rel["nova"]
        assert releases.SERVICE_VERSION_ALIASES[rel["codename"]] == rel["service_version"]
        assert releases.COMPUTE_RPC[rel["service_version"]] == rel["compute_rpc"]
        assert releases.CODENAME_SERIES[rel["codename"]] == series
        for kind, head in rel["db_heads"].items():
            assert head in releases.DB_CHAINS[kind]
    # nova/objects/service.py OLDEST_SUPPORTED_SERVICE_VERSION of each release
    assert {s: releases.oldest_supported_version(r) for s, r in releases.RELEASES.items()} == {
        "2025.1": 66,
        "2025.2": 68,
        "2026.1": 68,
        "2026.2": 72,
    }


@pytest.mark.parametrize(
    ("version", "text"),
    [
        (68, "2025.1 (Epoxy)"),
        (74, "2026.2 (Hibiscus)"),
        (66, "2023.1..2024.1 (Antelope..Caracal)"),
        (71, "development of 2026.1 (Gazpacho)"),
        (99, "newer than 2026.2"),
        (None, None),
    ],
)
def test_release_of_version(version, text):
    assert releases.release_of_version(version) == text


def test_current_release():
    assert releases.current_release([68, 70, 0])["series"] == "2025.2"
    assert releases.current_release([69])["series"] == "2025.2"
    assert releases.current_release([]) is None


def test_commands_forms():
    assert upgrade_commands.Commands().nova_manage("db", "sync") == "docker exec nova_api nova-manage db sync"
    kolla = NovaCommands(lambda argv: (0, "", ""), mode="kolla", container_engine="podman")
    assert (
        upgrade_commands.Commands(kolla).nova_status("upgrade", "check")
        == "podman exec nova_api nova-status upgrade check"
    )
    sandbox = NovaCommands(lambda argv: (0, "", ""), mode="sandbox", sandbox_command="/r/sandbox/sandbox")
    cmds = upgrade_commands.Commands(sandbox)
    assert (
        cmds.nova_manage("db online_data_migrations")
        == "/r/sandbox/sandbox nova-manage db online_data_migrations"
    )
    assert (
        cmds.openstack("compute service delete", "u1")
        == "/r/sandbox/sandbox openstack compute service delete u1"
    )
    assert (
        upgrade_commands.Commands().openstack("compute service delete", "u1")
        == "openstack compute service delete u1"
    )
