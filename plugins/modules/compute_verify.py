#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove that a deployed Nova is right: services, cells, Placement, inventories, console, boot."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: compute_verify
short_description: Verify a deployed Nova and return a report of named checks
version_added: 0.1.0
description:
  - Compares what an operator otherwise compares by eye after C(kolla-ansible deploy)
    (C(openstack compute service list), C(nova-manage cell_v2 list_cells),
    C(openstack hypervisor list), C(openstack resource provider list)) and returns a report,
    one named result per check, C(pass), C(warn), C(fail) or C(skip), with the evidence and the fix.
  - "C(services.compute), C(services.scheduler), C(services.conductor): every service up and enabled;
    disabled services are listed with their reason."
  - "C(services.forced_down), C(services.heartbeat) (heartbeat older than O(service_down_time)),
    C(services.versions) (mixed versions and the rows that pin Nova's minimum; needs O(nova_commands))."
  - "C(cells.present) (cell0 and at least one cell) and C(cells.host_mappings) (compute hosts that
    C(discover_hosts) did not map), through C(nova-manage) (needs O(nova_commands))."
  - "C(hypervisors.services) and C(placement.providers): nova-compute services, hypervisors and root
    resource providers match one to one by name and UUID."
  - "C(inventories.<host>): VCPU, MEMORY_MB and DISK_GB inventories (total, reserved, allocation_ratio)
    match what the host's profile intended (O(expected_inventories) or O(expected_profiles));
    skipped when nothing is expected."
  - "C(console.proxy): a console URL is issued for a server and the proxy behind it answers."
  - "C(smoke.boot) (optional, O(smoke_test)): a server boots to ACTIVE within a time budget and is deleted."
  - The module never changes the cloud's configuration and always reports C(changed=false). The smoke
    test creates and deletes one server; it is skipped in check mode unless O(smoke_test.force) is set.
  - List calls are used where a list serves; inventories are read only for hosts with an expectation.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  checks:
    description:
      - Check groups to run. V(smoke) runs only when O(smoke_test) is given.
      - An unknown group name is an error (Ansible's argument check), before any check runs.
    type: list
    elements: str
    choices: [services, versions, cells, placement, inventories, console, smoke]
    default: [services, versions, cells, placement, inventories, console, smoke]
  binaries:
    description:
      - Service binaries that must be up and enabled.
    type: list
    elements: str
    default: [nova-compute, nova-scheduler, nova-conductor]
  service_down_time:
    description:
      - Seconds after which a heartbeat is stale; Nova's C([DEFAULT] service_down_time).
    type: int
    default: 60
  expected_inventories:
    description:
      - "Per host (inventory hostname, service host or provider name), the inventory fields Placement must
        show: C({compute1: {VCPU: {allocation_ratio: 4.0, reserved: 0}, MEMORY_MB: {reserved: 2048}}})."
      - Only the fields given are compared. Merged over what O(expected_profiles) gives.
    type: dict
    default: {}
  expected_profiles:
    description:
      - Per host, the compute profile of the configure role (keys C(cpu_allocation_ratio),
        C(ram_allocation_ratio), C(disk_allocation_ratio), C(reserved_host_cpus), C(reserved_host_memory_mb),
        C(reserved_host_disk_mb)), turned into expected inventories. C(reserved_host_disk_mb) becomes
        DISK_GB C(reserved) rounded up to whole GiB, as Nova does. Other keys are ignored.
    type: dict
    default: {}
  ignore_providers:
    description:
      - Names or UUIDs of root resource providers that are not compute nodes (sharing providers, ...).
    type: list
    elements: str
    default: []
  console_type:
    description:
      - Console type to ask for (compute API remote consoles, microversion 2.6 or later).
      - V(none) skips the check.
    type: str
    choices: [novnc, spice-html5, serial, none]
    default: novnc
  console_server:
    description:
      - Name or ID of the server whose console is requested. Defaults to the smoke test's server, else
        the first ACTIVE server of any project; without one the check is skipped.
      - A name or ID that matches no server (any project), or a name several servers share, is an
        error raised before any check runs or the smoke test boots anything.
    type: str
  console_timeout:
    description: Seconds to wait for the console proxy to answer.
    type: int
    default: 10
  smoke_test:
    description:
      - Boot a server, wait until ACTIVE, delete it. Omit to skip.
    type: dict
    suboptions:
      flavor:
        description: Flavor name or ID.
        type: str
        required: true
      image:
        description: Image name or ID.
        type: str
        required: true
      network:
        description: Network name or ID. Without it the server is booted with C(networks=none).
        type: str
      timeout:
        description:
          - Seconds allowed for the server to become ACTIVE, and again (at least 60) for it to be
            deleted.
          - The server is deleted whatever happened (ERROR, timeout, console failure); RV(report)
            says whether the deletion completed.
        type: int
        default: 300
      name:
        description: Server name.
        type: str
        default: kolla-ops-verify-smoke
      force:
        description: Run the smoke test in check mode too.
        type: bool
        default: false
  config_dir:
    description:
      - Kolla's C(node_custom_config) directory, named in fixes.
    type: str
    default: /etc/kolla/config
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - openstack.cloud.openstack
  - kolla_ops.nova.nova_commands
attributes:
  check_mode:
    support: full
    details: Every check runs; the smoke test is skipped unless O(smoke_test.force).
  diff_mode:
    support: none
  idempotent:
    description: Running the module twice gives the same result when the cloud did not change.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Verify Nova on a Kolla-Ansible cloud
  kolla_ops.nova.compute_verify:
    cloud: kolla-admin
    nova_commands:
      mode: kolla
      container_engine: docker
  delegate_to: "{{ groups['control'][0] }}"
  run_once: true
  register: verify_result

- name: Verify the sandbox, with inventories and a smoke test
  kolla_ops.nova.compute_verify:
    cloud: sandbox
    nova_commands:
      mode: sandbox
      sandbox_command: "{{ playbook_dir }}/../sandbox/sandbox"
    expected_inventories:
      compute1:
        VCPU: {allocation_ratio: 4.0, reserved: 0}
        MEMORY_MB: {reserved: 512}
    smoke_test:
      flavor: m1.tiny
      image: cirros
      timeout: 120
  register: verify_result

- name: Fail when a check failed
  ansible.builtin.assert:
    that: verify_result.failed_checks | length == 0
    fail_msg: "{{ verify_result.failed_checks }}"
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape); write it with M(kolla_ops.nova.check_report).
  returned: always
  type: dict
  sample:
    name: verify
    generated_at: "2026-11-21T06:30:00Z"
    summary: {pass: 9, warn: 1, fail: 1, skip: 1}
    results:
      - check: services.compute
        status: fail
        message: "1 of 3 nova-compute services down: compute2"
        evidence: []
        fix: "on compute2: docker restart nova_compute"
failed_checks:
  description: Names of the checks that failed.
  returned: always
  type: list
  elements: str
  sample: [services.compute, services.heartbeat]
summary:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 9, warn: 1, fail: 1, skip: 1}
api_requests:
  description: Number of HTTP requests made to OpenStack APIs.
  returned: always
  type: int
  sample: 7
elapsed:
  description: Seconds the checks took.
  returned: always
  type: float
  sample: 1.8
scope_error:
  description:
    - When O(console_server) matches no server, the task fails before any check runs and this says
      which (C(option), C(unknown), C(known) server names (the first 20), C(known_count)).
  returned: on that failure
  type: dict
  sample: {"option": "console_server", "unknown": ["web-01"], "known": ["web-1"], "known_count": 1}
"""

import time

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NOVA_COMMANDS_SPEC
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.module import KollaOpsModule
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify.run import CHECK_GROUPS, Verify


class ComputeVerifyModule(KollaOpsModule):
    argument_spec = dict(
        checks=dict(type="list", elements="str", choices=CHECK_GROUPS, default=list(CHECK_GROUPS)),
        binaries=dict(type="list", elements="str", default=list(nova_services.MAIN_BINARIES)),
        service_down_time=dict(type="int", default=nova_services.SERVICE_DOWN_TIME),
        expected_inventories=dict(type="dict", default={}),
        expected_profiles=dict(type="dict", default={}),
        ignore_providers=dict(type="list", elements="str", default=[]),
        console_type=dict(type="str", choices=["novnc", "spice-html5", "serial", "none"], default="novnc"),
        console_server=dict(type="str"),
        console_timeout=dict(type="int", default=10),
        smoke_test=dict(
            type="dict",
            options=dict(
                flavor=dict(type="str", required=True),
                image=dict(type="str", required=True),
                network=dict(type="str"),
                timeout=dict(type="int", default=300),
                name=dict(type="str", default="kolla-ops-verify-smoke"),
                force=dict(type="bool", default=False),
            ),
        ),
        config_dir=dict(type="str", default="/etc/kolla/config"),
        nova_commands=NOVA_COMMANDS_SPEC,
    )
    module_kwargs = dict(supports_check_mode=True)

    def execute(self):
        started = time.monotonic()
        counter = self.counter  # every request from here on is counted
        # verify reads what the APIs show (never Placement's database)
        reader = self.reader(placement_source="api")
        verify = Verify(
            self.params, self.conn, self.sdk.exceptions, reader, self.nova_commands(), self.check_mode
        )
        result = verify.run()
        self.exit_json(api_requests=counter.total, elapsed=round(time.monotonic() - started, 2), **result)


def main():
    module = ComputeVerifyModule()
    module()


if __name__ == "__main__":
    main()
