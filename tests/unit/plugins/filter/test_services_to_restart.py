"""Changed override files -> services that must restart (Kolla's merge order)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kolla_ops.nova.plugins.filter.services_to_restart import services_to_restart

HOSTS = ["compute1", "compute2", "compute10"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], {"computes": [], "scheduler": False, "api": False}),
        (["nova/compute2/nova-compute.conf"], {"computes": ["compute2"], "scheduler": False, "api": False}),
        (["nova/compute1/nova.conf"], {"computes": ["compute1"], "scheduler": False, "api": False}),
        (["nova/nova-compute.conf"], {"computes": HOSTS, "scheduler": False, "api": False}),
        (["nova/nova-scheduler.conf"], {"computes": [], "scheduler": True, "api": False}),
        (["nova.conf"], {"computes": HOSTS, "scheduler": True, "api": True}),
        (
            ["/etc/kolla/config/nova/compute10/nova-compute.conf"],
            {"computes": ["compute10"], "scheduler": False, "api": False},
        ),
        (["/etc/kolla/globals.d/kolla_ops_nova.yml"], {"computes": HOSTS, "scheduler": True, "api": True}),
        (["nova/ctl1/nova-scheduler.conf"], {"computes": [], "scheduler": True, "api": False}),
    ],
)
def test_mapping(files, expected):
    assert services_to_restart(files, HOSTS) == expected


def test_not_a_list():
    with pytest.raises(AnsibleFilterError, match="expected a list"):
        services_to_restart("nova.conf", HOSTS)
