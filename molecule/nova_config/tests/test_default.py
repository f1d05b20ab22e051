"""The files nova_config rendered on the deploy host (testinfra).

All files are read in one command (each testinfra call through Ansible costs seconds).
"""

from __future__ import annotations

import os

import pytest
import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]
).get_hosts("deployment")

BASE = "/etc/kolla/config"
MARKER = "# kolla_ops.nova nova_config"
DUMP = (
    "cd %s && find . -type f | sort | while read -r f; do "
    'printf "\\n=== %%s %%s\\n" "$f" "$(stat -c %%a "$f")"; cat "$f"; done' % BASE
)


@pytest.fixture(scope="module")
def files(host):
    out = {}
    for chunk in host.check_output(DUMP).split("\n=== ")[1:]:
        head, _, body = chunk.partition("\n")
        path, mode = head.rsplit(" ", 1)
        out[path[2:]] = (mode, body)
    return out


def test_exactly_these_files(files):
    assert sorted(files) == [
        "nova.conf",
        "nova/compute1/nova-compute.conf",
        "nova/compute2/nova-compute.conf",
        "nova/compute3/nova-compute.conf",
        "nova/nova-scheduler.conf",
    ]
    # compute4 has no profile: Kolla's defaults, so no per-host file, nothing shared by
    # every compute host (no nova/nova-compute.conf) and virt_type/cpu_mode are not
    # uniform (no globals.d file); no temporary files are left behind.


def test_per_host_files(files):
    mode, c1 = files["nova/compute1/nova-compute.conf"]
    assert mode == "640"
    assert c1.startswith("#\n# Ansible managed\n#\n" + MARKER)
    assert "[compute]\ncpu_dedicated_set = 4-15\ncpu_shared_set = 2-3\n" in c1
    assert (
        "reserved_huge_pages = node:0,size:2048,count:64\nreserved_huge_pages = node:1,size:2048,count:64\n"
        in c1
    )
    assert "max_concurrent_live_migrations = 2" in c1
    assert "live_migration_timeout_action = force_complete" in c1
    assert "cpu_dedicated_set = 6-15" in files["nova/compute2/nova-compute.conf"][1]
    c3 = files["nova/compute3/nova-compute.conf"][1]
    assert "[DEFAULT]\ncpu_allocation_ratio = 4.0" in c3
    assert "[image_cache]\nmanager_interval = 600" in c3


def test_scheduler_gets_the_full_filter_list(files):
    s = files["nova/nova-scheduler.conf"][1]
    assert (
        "enabled_filters = ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,"
        "ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,NUMATopologyFilter\n" in s
    )
    assert "ram_weight_multiplier = 2.0" in s


def test_operator_file_untouched(files):
    assert files["nova.conf"] == ("644", "[DEFAULT]\ndebug = true\n")
