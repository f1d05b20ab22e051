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

from ansible.module_utils.urls import open_url
from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import ScopeError
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (
    NOVA_COMMANDS_SPEC,
    NovaCommandError,
    nova_commands_from_params,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report
from ansible_collections.kolla_ops.nova.plugins.module_utils.verify import checks as verify_checks

SMOKE_DELETE_WAIT = 60  # seconds the smoke test waits at least for its server to be deleted
CHECK_GROUPS = ["services", "versions", "cells", "placement", "inventories", "console", "smoke"]


class ComputeVerifyModule(OpenStackModule):
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

    # -- HTTP request counting ----------------------------------------------------------
    def _count_requests(self):
        self.api_requests = 0
        session = self.conn.session
        original = session.request

        def counting(*args, **kwargs):
            self.api_requests += 1
            return original(*args, **kwargs)

        session.request = counting

    # -- gathering -----------------------------------------------------------------------
    def _services(self):
        return [s.to_dict(computed=False) for s in self.conn.compute.services()]

    def _hypervisors(self):
        out = []
        for h in self.conn.compute.hypervisors(details=True):
            out.append({"id": h.id, "name": h.name, "service_host": (h.service_details or {}).get("host")})
        return out

    def _providers(self):
        return [
            {"id": p.id, "name": p.name, "parent_provider_id": p.parent_provider_id}
            for p in self.conn.placement.resource_providers()
        ]

    def _inventories(self, provider_ids):
        out = {}
        for rp_id in provider_ids:
            out[rp_id] = {
                inv.resource_class: {f: getattr(inv, f, None) for f in verify_checks.INVENTORY_FIELDS}
                for inv in self.conn.placement.resource_provider_inventories(rp_id)
            }
        return out

    def _expected(self):
        expected = {}
        for host, profile in (self.params["expected_profiles"] or {}).items():
            try:
                values = verify_checks.expected_from_profile(profile or {})
            except (TypeError, ValueError) as exc:
                self.fail_json(msg="expected_profiles[%s]: %s" % (host, exc))
            expected[host] = values
        for host, rcs in (self.params["expected_inventories"] or {}).items():
            merged = expected.setdefault(host, {})
            for rc, fields in (rcs or {}).items():
                merged.setdefault(rc, {}).update(fields or {})
        return expected

    # -- console ---------------------------------------------------------------------------
    def _find_console_server(self):
        """The server O(console_server) names; a name or ID that matches no server (or several)
        is an error, raised before the smoke test boots anything."""
        wanted = self.params["console_server"]
        try:
            server = self.conn.compute.find_server(wanted, ignore_missing=True, all_projects=True)
        except self.sdk.exceptions.DuplicateResource:
            self.fail_json(
                msg="console_server: %s names more than one server (any project); give the server's ID "
                "(openstack server list --all-projects --name %s). Nothing was changed." % (wanted, wanted),
            )
        if server is not None:
            return server
        names = {s.name for s in self.conn.compute.servers(all_projects=True, details=False) if s.name}
        exc = ScopeError(
            "console_server",
            [wanted],
            names,
            "server",
            "Give the name or ID of an existing server (openstack server list --all-projects), or leave "
            "console_server out to use the smoke test's server or the first ACTIVE one.",
        )
        self.fail_json(msg=str(exc), scope_error=exc.details())

    def _pick_console_server(self, smoke_server):
        if self.console_server is not None:
            return self.console_server, None
        if smoke_server is not None:
            return smoke_server, None
        for server in self.conn.compute.servers(all_projects=True, status="ACTIVE", limit=1):
            return server, None
        return None, "no ACTIVE server to ask a console for (give console_server or smoke_test)"

    def _console(self, smoke_server=None):
        ctype = self.params["console_type"]
        server, why = self._pick_console_server(smoke_server)
        if server is None:
            return {"skipped": why}
        result = {"server": {"id": server.id, "name": server.name}, "type": ctype, "url": None, "probe": None}
        try:
            console = self.conn.compute.create_server_remote_console(server, type=ctype)
            result["url"] = console.url
        except self.sdk.exceptions.SDKException as exc:
            result["error"] = str(exc)
            return result
        result["probe"] = self._probe(result["url"])
        result["url"] = verify_checks.mask_console_url(result["url"])
        result["probe"]["url"] = result["url"]
        return result

    def _probe(self, url):
        probe = {"url": url, "status": None, "error": None}
        if url.startswith("ws"):
            # serial consoles: a websocket URL; the HTTP port answers on http(s)
            url = "http" + url[2:]
        try:
            resp = open_url(url, method="GET", timeout=self.params["console_timeout"], validate_certs=False)
            probe["status"] = resp.getcode()
            body = resp.read(65536).decode("utf-8", "replace")
            if self.params["console_type"] == "novnc":
                probe["novnc"] = "novnc" in body.lower()
        except Exception as exc:  # HTTPError has a status; the rest: "does not answer"
            code = getattr(exc, "code", None)
            if code is not None:
                probe["status"] = code
            else:
                probe["error"] = "%s: %s" % (type(exc).__name__, getattr(exc, "reason", exc))
        return probe

    # -- smoke test --------------------------------------------------------------------------
    def _smoke(self, report_console):
        spec = self.params["smoke_test"]
        result = {
            "flavor": spec["flavor"],
            "image": spec["image"],
            "timeout": spec["timeout"],
            "server_id": None,
        }
        if self.check_mode and not spec["force"]:
            result["skipped"] = "check mode: the smoke test creates a server (set smoke_test.force)"
            return result, report_console(None)
        server = None
        console = None
        start = time.monotonic()
        try:
            flavor = self.conn.compute.find_flavor(spec["flavor"], ignore_missing=False)
            image = self.conn.image.find_image(spec["image"], ignore_missing=False)
            networks = "none"
            if spec["network"]:
                net = self.conn.network.find_network(spec["network"], ignore_missing=False)
                networks = [{"uuid": net.id}]
            server = self.conn.compute.create_server(
                name=spec["name"], flavorRef=flavor.id, imageRef=image.id, networks=networks
            )
            result["server_id"] = server.id
            server = self.conn.compute.wait_for_server(
                server, status="ACTIVE", failures=["ERROR"], interval=1, wait=spec["timeout"]
            )
            result["status"] = server.status
            result["host"] = getattr(server, "compute_host", None)
            result["seconds"] = round(time.monotonic() - start, 1)
            console = report_console(server)
        except self.sdk.exceptions.SDKException as exc:
            result["error"] = str(exc)
            if server is not None:
                try:
                    current = self.conn.compute.get_server(server.id)
                    result["status"] = current.status
                    result["fault"] = (current.fault or {}).get("message")
                except self.sdk.exceptions.SDKException:
                    pass
        finally:
            if server is not None:
                try:
                    self.conn.compute.delete_server(server.id, ignore_missing=True)
                    # a short boot budget must not cut the cleanup short: a server deleted
                    # while it builds takes a few seconds to go
                    self.conn.compute.wait_for_delete(
                        server, interval=1, wait=max(spec["timeout"], SMOKE_DELETE_WAIT)
                    )
                    result["deleted"] = True
                except self.sdk.exceptions.SDKException as exc:
                    result["deleted"] = False
                    result["delete_error"] = str(exc)
        if console is None:
            console = report_console(None)
        return result, console

    # -- main ----------------------------------------------------------------------------------
    def run(self):
        started = time.monotonic()
        self._count_requests()
        checks = set(self.params["checks"])
        down_time = self.params["service_down_time"]
        self.console_server = None
        if "console" in checks and self.params["console_type"] != "none" and self.params["console_server"]:
            self.console_server = self._find_console_server()
        commands = nova_commands_from_params(self.params["nova_commands"], self._run_command)
        report = Report("verify")

        services = nova_services.analyze(self._services(), down_time=down_time)
        compute_hosts = sorted({s["host"] for s in services if s["binary"] == "nova-compute"})

        if "services" in checks:
            verify_checks.check_services(report, services, commands, self.params["binaries"])
            verify_checks.check_forced_down(report, services)
            verify_checks.check_heartbeats(report, services, down_time)

        if "versions" in checks:
            spread = None
            if commands is not None:
                try:
                    spread = nova_services.version_spread(commands.service_versions(), down_time=down_time)
                except NovaCommandError as exc:
                    report.add(
                        "services.versions",
                        "fail",
                        "cannot read service versions: %s" % exc,
                        None,
                        "check nova_commands (container engine, database container, password)",
                    )
                else:
                    verify_checks.check_versions(report, spread)
            else:
                verify_checks.check_versions(report, None)

        if "cells" in checks:
            cells = mappings = None
            cells_error = mappings_error = None
            if commands is not None:
                try:
                    cells = commands.list_cells()
                except NovaCommandError as exc:
                    cells_error = "cannot list cells: %s" % exc
                try:
                    mappings = commands.list_hosts()
                except NovaCommandError as exc:
                    mappings_error = "cannot list host mappings: %s" % exc
            if cells_error:
                report.add(
                    "cells.present",
                    "fail",
                    cells_error,
                    None,
                    "check nova_commands and the nova_api container",
                )
            else:
                verify_checks.check_cells(report, cells)
            if mappings_error:
                report.add(
                    "cells.host_mappings",
                    "fail",
                    mappings_error,
                    None,
                    "check nova_commands and the nova_conductor container",
                )
            else:
                verify_checks.check_host_mappings(report, compute_hosts, mappings, commands, cells)

        hypervisors = providers = None
        if "placement" in checks or "inventories" in checks:
            hypervisors = self._hypervisors()
            providers = self._providers()
        if "placement" in checks:
            verify_checks.check_hosts(
                report, compute_hosts, hypervisors, providers, commands, self.params["ignore_providers"]
            )

        if "inventories" in checks:
            expected = self._expected()
            wanted = set()
            for host in expected:
                provider = verify_checks.resolve_provider(host, providers, hypervisors)
                if provider is not None:
                    wanted.add(provider["id"])
            inventories = self._inventories(sorted(wanted))
            verify_checks.check_inventories(
                report, expected, inventories, providers, hypervisors, commands, self.params["config_dir"]
            )

        want_console = "console" in checks and self.params["console_type"] != "none"

        def console_for(server):
            if not want_console:
                return {"skipped": "console check not requested (console_type=none or not in checks)"}
            return self._console(server)

        if "smoke" in checks and self.params["smoke_test"]:
            smoke, console = self._smoke(console_for)
        else:
            smoke = {"skipped": "no smoke_test given"}
            console = console_for(None)
        if "console" in checks:
            verify_checks.check_console(report, console)
        if "smoke" in checks:
            verify_checks.check_smoke(report, smoke)

        data = report.as_dict()
        self.exit_json(
            changed=False,
            report=data,
            summary=data["summary"],
            failed_checks=[r["check"] for r in data["results"] if r["status"] == "fail"],
            api_requests=self.api_requests,
            elapsed=round(time.monotonic() - started, 2),
        )

    def _run_command(self, argv):
        return self.ansible.run_command(argv)


def main():
    module = ComputeVerifyModule()
    module()


if __name__ == "__main__":
    main()
