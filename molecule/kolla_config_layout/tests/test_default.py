"""The override layout exists on the deploy host with restrictive modes."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/etc/kolla",
        "/etc/kolla/globals.d",
        "/etc/kolla/config",
        "/etc/kolla/config/nova",
        "/etc/kolla/config/nova/compute1",
        "/etc/kolla/config/nova/compute2",
    ],
)
def test_directory(host, path):
    d = host.file(path)
    assert d.is_directory
    assert d.user == "root"
    assert d.mode == 0o750


def test_no_directory_for_other_hosts(host):
    assert not host.file("/etc/kolla/config/nova/compute3").exists
