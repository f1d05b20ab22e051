#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drain a compute host for maintenance and bring it back."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: compute_host
short_description: Drain a Nova compute host for maintenance, evacuate a dead one, enable it again
version_added: 0.1.0
description:
  - With O(state=drained), disables the nova-compute service of O(host) with a reason naming the
    operation, the time, the user and O(reason), then moves every instance off the host and keeps
    re-listing it until nothing movable remains, so instances that land during the drain are caught.
  - Each instance is classified first. C(live) (ACTIVE or PAUSED) is live-migrated with
    block migration O(block_migration); C(cold) (SHUTOFF) is cold-migrated and the resize confirmed;
    C(blocked) instances (ERROR, busy with another task, carrying a metadata key listed in
    O(blocked_metadata), or in a server group whose policy no destination can satisfy) are
    reported and left alone; instances still building are waited for.
  - Moves run in a window of O(max_concurrent) at once, at most O(max_per_destination) per
    destination. Each move is judged by what Nova reports afterwards (the server's host changed, its
    status settled, the migration record), never by the request being accepted.
  - A live migration that runs longer than O(migration_timeout) is aborted or force-completed
    (O(timeout_action)); the clock starts when Nova starts running it, not while it waits in Nova's
    queue behind C(max_concurrent_live_migrations).
  - Progress is written to a JSON state file after every change, so a run interrupted by Ctrl-C, a
    controller crash or an API outage is resumed by running the task again; every instance is
    accounted for. Progress lines go to O(log_file) (C(tail -f) it while the task runs); the events
    are also returned.
  - Short Nova API outages (for example a restart of nova-api) are waited out for up to
    O(api_retry_timeout) seconds.
  - The task fails when instances remain on the host (blocked, failed, or not started after a
    failure with O(failure_policy=stop)); the report says which and why.
  - With O(state=enabled), enables the service (which clears the disabled reason) and, with
    O(move_back=true), live- or cold-migrates the instances the last drain moved away back to
    the host, from the state file.
  - With O(state=evacuated), rebuilds the instances of a B(dead) host elsewhere through Nova's evacuate
    API. It refuses unless the service is down (stale heartbeat), O(fenced=true) confirms the host is
    powered off or isolated, and no more than O(max_down_hosts) / O(max_down_share) of the compute
    services are down (a network partition looks like many dead hosts). It then forces the service
    down (compute API 2.53+, by service id) and disables it with a reason, and evacuates in the same
    window, tracking each instance to its previous power state on a new host (servers evacuated with
    microversion 2.95+ arrive stopped and are started again when they were running). Instances whose
    root disk is local are blocked unless O(allow_local_disk_loss=true) or O(shared_storage=true).
  - Nova reports every forced-down service as C(down), even one whose nova-compute still runs and
    heartbeats (C(openstack compute service set --down) on a live host). So when the service is
    already forced down and the state file does not record that this module forced it down after
    seeing it dead, O(state=evacuated) is refused unless the service's last heartbeat (its
    C(updated_at)) is older than O(service_down_time); the refusal names the host and the
    heartbeat's age, and nothing is changed.
  - O(state=enabled) refuses while evacuations from the host are unfinished (nova-compute on the host
    completes them when it starts), unsets C(forced_down), and reports the allocations Nova left on
    the host's resource provider for instances now elsewhere (C(stale_allocations), also returned with
    the refusal; while the host is down they are the evacuated instances' source allocations, which
    nova-compute removes when it starts).
  - Option values outside their range (O(max_concurrent) below 1, O(migration_timeout) or
    O(poll_interval) not above 0, a negative O(max_per_destination), O(max_down_share) outside 0-1,
    and so on) fail before anything is asked of Nova, naming the option, the value and the accepted
    range.
  - With O(state=recovered), for a host back from an unplanned reboot (its nova-compute service up
    again), decides per instance from evidence and restores what ran before, then waits until each
    runs. Each plan row says the action, the reason in words and the evidence.
  - An ACTIVE instance that Nova still records RUNNING is checked against the hypervisor with one
    server diagnostics request (compute API 2.48+, admin). When the hypervisor does not run it
    (diagnostics state C(shutdown), C(crashed) or C(pending), or nova-compute refuses diagnostics
    with HTTP 409 because its driver does not report the guest running) it is hard-rebooted, since
    Nova's power-state sync has not run since the reboot and Nova refuses a start for an ACTIVE server.
    When diagnostics fail otherwise (driver without diagnostics, API error) the row notes it and
    Nova's power state stands. Paused or suspended guests are left alone and flagged.
  - A SHUTOFF instance is started when its latest C(stop) instance action has no user, i.e. Nova's
    power-state sync stopped it ("Instance shutdown by itself") after the host came up (the host's
    boot time comes from the hypervisor's uptime; a stop well before it means the guest was off
    before the reboot and it stays off). One stopped by a user stays off. O(running_before) wins
    over this evidence.
  - Instances in ERROR, or ACTIVE with a power state other than RUNNING in Nova, are hard-rebooted;
    instances busy with a task are left alone.
  - The plan costs one diagnostics request per ACTIVE instance and one instance-action list per
    SHUTOFF instance, plus the host's uptime when a stop by Nova needs dating (C(plan_requests)).
    nova-compute logs each refused diagnostics request as an ERROR with a traceback
    (C(Exception during message handling ... InstanceInvalidState)); that is expected.
  - Before disabling a host (O(state=drained), O(state=evacuated)) the task refuses when its availability
    zone or aggregates would be left with fewer than O(min_enabled_hosts) enabled, up hosts, or its zone
    with more than O(max_disabled_share) of its hosts disabled; the refusal names the hosts and the
    numbers and changes nothing (check mode refuses too). O(allow_empty_zone=true) overrides it.
  - The task fails when any instance row of the report is a failure, also when the instance is no
    longer on the host.
  - Pre-flight (O(state=drained) and O(state=evacuated), unless O(preflight=false)) before anything
    changes, even before the state file is written or the service disabled or forced down, for every
    instance to move (of O(host) and of the O(batch_hosts)) it asks Placement
    (C(GET /allocation_candidates), microversion 1.36) for the resources the instance holds now (VCPU or
    PCPU, MEMORY_MB, DISK_GB, custom resource classes, nested providers; the flavor when Placement holds
    none), the flavor's and image's required and forbidden traits (C(trait:*), numbered groups
    C(resourcesN:)/C(traitN:)), C(member_of) the aggregates of its pinned availability zone (compute API
    2.96 C(pinned_availability_zone)) and C(in_tree) the O(target_host). It then applies what Nova checks
    and Placement does not know, on each host offered, outside O(host) and the O(batch_hosts), namely the
    nova-compute service enabled and up, the availability zone, C(aggregate_instance_extra_specs:*)
    (AggregateInstanceExtraSpecsFilter, with Nova's operators) and server group affinity and
    anti-affinity.
  - The pre-flight packs the instances largest memory first, each on the fitting host with the most free
    memory (as Nova's default RAM weigher spreads), subtracting what the instances planned before it take
    from each provider's free capacity (C(provider_summaries)), so two instances never both take the
    last slot. NUMA and huge-page fit (C(hw:numa_nodes), C(hw:mem_page_size), C(hw:cpu_policy=dedicated)
    beyond PCPU totals) and the hypervisors' live-migration checks are not modelled; the plan row notes
    them.
  - When an instance has no destination, O(unplaceable) decides. C(fail) (default) fails the task before
    any change, naming each instance, its host and why (the hosts Placement offered and the reason each
    was refused, or that Placement offered none). C(stop) changes nothing and returns C(changed=false)
    with the plan. C(skip) moves the others and leaves these on the host, reported C(blocked) (the task
    then fails at the end as for any instance left on the host). Check mode returns the plan in
    C(preflight) whatever O(unplaceable) says.
  - Check mode returns the plan and changes nothing; a host with nothing left to do reports
    C(changed=false).
  - A drained or evacuated host reports C(changed=false); check mode returns the plan without touching
    anything.
  - Runs on the controller (usually with C(delegate_to) C(localhost)); needs admin credentials.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  host:
    description:
      - The compute host, exactly as Nova names its nova-compute service (C(openstack compute service
        list)). C(compute1) never matches C(compute10); an unknown name fails and lists the known hosts.
    type: str
    required: true
  state:
    description:
      - C(drained) disables the service and moves every instance away; C(evacuated) rebuilds the
        instances of a dead host elsewhere; C(enabled) enables it again; C(recovered) restarts what
        should run on a host back from an unplanned reboot.
    type: str
    choices: [drained, enabled, evacuated, recovered]
    default: drained
  reason:
    description:
      - Operator's reason, appended to the disabled reason written on the service.
    type: str
  user:
    description:
      - Name recorded in the disabled reason. Defaults to the login name on the controller.
    type: str
  target_host:
    description:
      - Send every instance to this host (still validated by the scheduler). Default is the
        scheduler's choice.
    type: str
  max_concurrent:
    description:
      - Migrations requested at once (global window), at least 1. Nova itself runs at most
        C(max_concurrent_live_migrations) (default 1) live migrations per source host; a window
        somewhat larger than that keeps Nova's queue full without flooding it.
    type: int
    default: 3
  max_per_destination:
    description:
      - At most this many migrations in flight towards one destination host; C(0) means no limit.
        Negative values are refused.
        When the scheduler chooses destinations, no new migration starts until it has chosen for the
        ones in flight, and none while a destination is at the limit.
    type: int
    default: 0
  block_migration:
    description:
      - Block migration for live migrations; C(auto) lets Nova decide from the storage.
    type: str
    choices: [auto, "true", "false"]
    default: auto
  retries:
    description:
      - How many times to retry a migration that ended with the instance still on its source (for
        example because a nova-compute restarted meanwhile) before counting it as failed. Aborted
        migrations (O(migration_timeout)) and requests Nova refuses are not retried.
    type: int
    default: 1
  migration_timeout:
    description:
      - Seconds one migration may run before O(timeout_action) is taken; greater than 0.
    type: int
    default: 600
  timeout_action:
    description:
      - What to do with a live migration that exceeds O(migration_timeout). C(abort) cancels it (the
        instance stays on the host and counts as failed); C(force_complete) pauses the guest to
        finish the copy.
    type: str
    choices: [abort, force_complete]
    default: abort
  failure_policy:
    description:
      - C(stop) starts no new migration after the first failure but lets the running ones finish;
        C(continue) moves everything it can and reports the failures at the end.
    type: str
    choices: [stop, continue]
    default: stop
  blocked_metadata:
    description:
      - Server metadata that marks an instance as not to be migrated, as C(key) or C(key=value).
    type: list
    elements: str
    default: [kolla_ops_nova_no_migrate]
  fenced:
    description:
      - With O(state=evacuated), the operator's confirmation that the host is fenced (powered off or
        isolated from its storage and network), so its guests cannot keep running. Required.
    type: bool
    default: false
  max_down_hosts:
    description:
      - With O(state=evacuated), refuse when more compute services than this are down at once.
    type: int
    default: 1
  max_down_share:
    description:
      - With O(state=evacuated), refuse when more than this share (0-1) of the compute services are down.
        Values outside 0-1 are refused.
    type: float
    default: 0.5
  service_down_time:
    description:
      - With O(state=evacuated), Nova's C([DEFAULT] service_down_time) in seconds (Nova's and Kolla's
        default is 60). A service that is already forced down, and not by this module's evacuation,
        is evacuated only when its last heartbeat is older than this. Set it to the cloud's value
        (the playbooks pass C(kolla_ops_service_down_time)); greater than 0.
    type: int
    default: 60
  shared_storage:
    description:
      - With O(state=evacuated), instance disks live on shared storage (Ceph RBD ephemeral, NFS), so
        evacuation keeps their data.
    type: bool
    default: false
  allow_local_disk_loss:
    description:
      - With O(state=evacuated), also evacuate instances whose root disk is local to the dead host; they
        are rebuilt from their image and their disk data is lost. Each one is listed in
        C(local_disk_warnings).
    type: bool
    default: false
  running_before:
    description:
      - With O(state=recovered), IDs or names of instances that were running before the reboot
        (for example from a report taken earlier); stopped ones among them are started whoever
        stopped them. Entries not on the host are listed in C(running_before_unmatched).
      - An interrupted recovery remembers its list (plus what it set out to restart) in its state
        file and uses it when re-run without this option; a finished recovery's list is not reused.
    type: list
    elements: str
    default: []
  move_back:
    description:
      - With O(state=enabled), move the instances the last drain moved away back to this host.
    type: bool
    default: false
  poll_interval:
    description:
      - Seconds between checks of the instances in flight and re-listings of the host; greater than 0.
    type: float
    default: 2.0
  settle_time:
    description:
      - Seconds the host must stay empty before the drain is declared complete (catches instances
        that were being scheduled to the host when it was disabled).
    type: float
    default: 5.0
  pending_timeout:
    description:
      - Seconds to wait for an instance that is still building on the host before reporting it blocked.
    type: int
    default: 300
  api_retry_timeout:
    description:
      - Seconds to keep retrying while the Nova API is unreachable or answers 5xx, before the task
        fails (progress is saved; run it again to resume).
    type: int
    default: 300
  state_dir:
    description:
      - Directory of the state files, C(<cloud>-<host>.json).
      - Defaults to C(~/.ansible/kolla_ops_nova/state).
    type: path
  state_file:
    description:
      - Full path of the state file; overrides O(state_dir).
    type: path
  log_file:
    description:
      - Progress log appended while the task runs. Defaults to the state file with C(.log).
    type: path
extends_documentation_fragment:
  - kolla_ops.nova.compute_host_guards
  - openstack.cloud.openstack
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Returns the plan (each instance, its class and action) and changes nothing, not even the state file.
  diff_mode:
    support: none
  idempotent:
    description: A host already in the requested state reports C(changed=false).
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Drain compute1 for a kernel upgrade
  kolla_ops.nova.compute_host:
    cloud: mycloud
    host: compute1
    state: drained
    reason: kernel upgrade CHG-1234
    max_concurrent: 3
    migration_timeout: 900
    timeout_action: force_complete
  delegate_to: localhost
  register: drain

- name: Show what a drain would do
  kolla_ops.nova.compute_host:
    cloud: mycloud
    host: compute1
    state: drained
  check_mode: true
  delegate_to: localhost

- name: Evacuate compute3, which is dead and powered off through IPMI
  kolla_ops.nova.compute_host:
    cloud: mycloud
    host: compute3
    state: evacuated
    fenced: true
    shared_storage: true
    reason: PSU failure INC-42
  delegate_to: localhost

- name: Show what recovering compute2 after an unplanned reboot would do
  kolla_ops.nova.compute_host:
    cloud: mycloud
    host: compute2
    state: recovered
  check_mode: true
  delegate_to: localhost
  register: recover_plan

- name: Restart what ran on compute2 before its crash, plus two servers known to have run
  kolla_ops.nova.compute_host:
    cloud: mycloud
    host: compute2
    state: recovered
    running_before: [db-1, 4b7e2c1a-0f3d-4d62-9d7e-1c5a8e2f9b10]
  delegate_to: localhost

- name: Enable compute1 again and bring its instances home
  kolla_ops.nova.compute_host:
    cloud: mycloud
    host: compute1
    state: enabled
    move_back: true
  delegate_to: localhost
"""

RETURN = r"""
host:
  description: The host acted on.
  returned: always
  type: str
  sample: compute1
service:
  description: The nova-compute service as found before the task changed it.
  returned: always
  type: dict
  sample: {"id": "5c1d...", "host": "compute1", "status": "enabled", "state": "up", "disabled_reason": null}
service_now:
  description:
    - When a drain or an evacuation fails, the nova-compute service as it is at the end (C(service) is
      the state found before the task changed it), so the failure shows that the host stays disabled.
  returned: when state is drained or evacuated and the task failed
  type: dict
  sample: {"id": "5c1d...", "host": "compute1", "status": "disabled", "state": "up",
           "disabled_reason": "kolla_ops.nova drain 2026-11-21T09:00Z by alice: kernel"}
plan:
  description:
    - Per instance on the host when the task started, its class (live, cold, blocked, pending, moving),
      the intended action and why.
    - With O(state=recovered), per instance its C(status), C(power_state) and C(task_state) in Nova,
      C(hypervisor_state) (from server diagnostics, C(not running) when nova-compute refused them, null
      when not asked), C(action) (C(hard_reboot), C(start) or C(none)), C(reason) in words, C(evidence)
      (what Nova and the hypervisor said, that is the diagnostics state or error, the latest stop with
      its user and time, the host's boot time, the running_before source) and C(attention) (true when
      an operator should look, for example diagnostics failed, a task is running, a stopped instance
      with an unclear history).
  returned: when state is drained, evacuated or recovered
  type: list
  elements: dict
  sample:
    - {"id": "8a3f...", "name": "web-1", "status": "ACTIVE", "class": "live", "action": "live_migrate"}
    - {"id": "51c0...", "name": "db-1", "status": "SHUTOFF", "power_state": "SHUTDOWN",
       "action": "start", "attention": false,
       "reason": "stopped by Nova's power-state sync at 2026-11-21T09:28:24Z, not by a user, since the
                  host came up (at about 2026-11-21T09:27:37Z)",
       "evidence": {"nova": "SHUTOFF, power state SHUTDOWN", "host_booted_at": "2026-11-21T09:27:37Z",
                    "last_stop": {"user_id": null, "at": "2026-11-21T09:28:24.000000",
                                  "request_id": "req-2820..."}}}
preflight:
  description:
    - The pre-flight plan (O(state=drained) or O(state=evacuated), with O(preflight=true)). C(ok) is true
      when every instance has a destination. C(instances) has per instance to move its C(id), C(name),
      C(host) (the one it leaves), C(flavor), C(resources), C(required_traits), C(forbidden_traits),
      C(availability_zone) (pinned, or null), C(candidates) (hosts passing every filter before packing,
      at most 10) and C(candidate_count), C(destination) (planned host, null when none fits), C(reason)
      (why none fits) and C(notes) (what the plan could not check).
    - C(unplaceable) lists the instances without destination with their reason; C(excluded_hosts) maps
      each excluded host to why; C(requests) counts the API requests by kind; C(seconds) the time spent;
      C(unplaceable_action) is O(unplaceable).
  returned: when state is drained or evacuated and preflight is true (also with the refusal)
  type: dict
  sample:
    ok: false
    excluded_hosts: {"compute1": "the host being emptied", "compute2": "out in the same batch"}
    unplaceable:
      - {"id": "8a3f...", "name": "db-1", "host": "compute2",
         "reason": "no destination for DISK_GB:20,MEMORY_MB:2048,VCPU:1: Placement offers 1 host(s), refused:
                    compute3: full once the 1 instance(s) planned there before it move (web-1)"}
instances:
  description:
    - Per instance handled by this drain (across resumed runs), the action, source, destination,
      duration in seconds, status, outcome (moved, failed, blocked, skipped, gone) and a message.
    - With O(state=recovered), the plan rows with, for those acted on, C(outcome) (running, failed,
      gone), C(duration) in seconds and C(message).
  returned: when state is drained, evacuated or recovered
  type: list
  elements: dict
  sample: [{"id": "8a3f...", "name": "web-1", "action": "live_migrate", "source": "compute1",
            "destination": "compute2", "duration": 4.1, "outcome": "moved", "attempts": 1}]
summary:
  description:
    - Count of instances per outcome.
    - With O(state=recovered), count per action (C(hard_reboot), C(start), C(none)) and C(failed).
  returned: when state is drained, evacuated or recovered
  type: dict
  sample: {"moved": 12, "blocked": 1}
plan_requests:
  description:
    - With O(state=recovered), the API requests the plan made, by kind (C(diagnostics) one per ACTIVE
      instance Nova records running, C(instance_actions) one per SHUTOFF instance not in
      O(running_before), C(host_uptime) 0 or 1).
  returned: when state is recovered
  type: dict
  sample: {"services": 1, "server_list": 1, "diagnostics": 2, "instance_actions": 1, "host_uptime": 0}
host_booted_at:
  description:
    - With O(state=recovered), the earliest time the host can have come up (now minus the hypervisor's
      uptime), when a stop by Nova had to be dated; null otherwise.
  returned: when state is recovered
  type: str
  sample: "2026-11-21T09:27:37Z"
running_before_unmatched:
  description: With O(state=recovered), entries of O(running_before) that name no instance on the host.
  returned: when state is recovered
  type: list
  elements: str
remaining:
  description: Instances still on the host at the end.
  returned: when state is drained or evacuated, not in check mode
  type: list
  elements: dict
events:
  description:
    - Progress events (disabled, queued, started, done, failed, timeout, api_unavailable, ...) with times.
  returned: always
  type: list
  elements: dict
report:
  description:
    - The per-instance results in the collection's report shape, for M(kolla_ops.nova.check_report).
    - With O(state=recovered), C(pass) for an instance running (again), C(skip) for one left stopped on
      purpose, C(warn) for one needing attention, C(fail) for one that did not start.
  returned: when state is drained, evacuated or recovered
  type: dict
returned:
  description: With O(move_back), per instance moved back, its outcome.
  returned: when state is enabled
  type: list
  elements: dict
local_disk_warnings:
  description:
    - With O(state=evacuated), per instance with a local root disk, that its data is lost by evacuation.
  returned: when state is evacuated
  type: list
  elements: str
down_hosts:
  description: With O(state=evacuated), the compute hosts Nova reports down.
  returned: when state is evacuated
  type: list
  elements: str
stale_allocations:
  description:
    - With O(state=enabled), allocations on the host's resource provider held for instances now on
      another host (Nova did not clean them up after an evacuation), each with C(consumer) (the
      instance's ID), C(name), C(now_on) (its host now) and C(resources).
    - Also returned with the refusal while evacuations are unfinished; then they are the evacuated
      instances' allocations on the dead host, which nova-compute removes when it starts again.
      Once it started and completed the evacuations the list is empty; an entry left then can be
      removed with C(nova-manage placement audit --delete --resource_provider PROVIDER).
  returned: when state is enabled (also when it is refused for unfinished evacuations)
  type: list
  elements: dict
state_file:
  description: Path of the state file.
  returned: always
  type: str
log_file:
  description: Path of the progress log.
  returned: always
  type: str
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host import module as core
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import ComputeHostError
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.nova import NovaAdapter


class ComputeHostModule(OpenStackModule):
    argument_spec = core.ARGUMENT_SPEC
    module_kwargs = dict(supports_check_mode=True)

    def _cloud_name(self):
        name = getattr(getattr(self.conn, "config", None), "name", None)
        return name if isinstance(name, str) and name else "default"

    def openstack_cloud_from_module(self):
        # a cloud that cannot be loaded: say which clouds.yaml, cloud and user (never the password)
        fail, cloud = self.fail_json, self.params.get("cloud")  # the base class pops "cloud"
        self.fail_json = lambda msg, **kw: fail(msg=core.explain_cloud_error(cloud, msg), **kw)
        try:
            return super().openstack_cloud_from_module()
        finally:
            self.fail_json = fail

    def run(self):
        p = self.params
        cloud = self._cloud_name()
        state_path, log_path = core.paths(p, cloud)
        try:
            result = core.run(p, lambda: NovaAdapter(self.conn), cloud, state_path, log_path, self.check_mode)
        except ComputeHostError as exc:
            self.fail_json(
                msg=exc.msg, host=p["host"], state_file=state_path, log_file=log_path, **exc.details
            )
        except core.CLOUD_ERRORS as exc:
            self.fail_json(
                msg=core.explain_cloud_error(cloud, "%s: %s" % (type(exc).__name__, exc)),
                host=p["host"],
                state_file=state_path,
            )
        result.setdefault("log_file", log_path)
        if result.pop("failed", False):
            self.fail_json(**result)
        self.exit_json(**result)


def main():
    module = ComputeHostModule()
    module()


if __name__ == "__main__":
    main()
