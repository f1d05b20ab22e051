# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's side of compute_host: its argument spec and one ``run`` from parameters to result.

``plugins/modules/compute_host.py`` parses the arguments, calls ``run`` and reports; every
decision is made in the cores (drain, evacuate, enable, recover).
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud_check import CloudError, check_cloud
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.drain import drain
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.enable import enable
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.evacuate import evacuate
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import match_host
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import (
    ComputeHostError,
    MoveOptions,
    TransientError,
    check_evacuate_limits,
    service_view,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.preflight import PreflightOptions
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.recover import recover
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import (
    default_state_dir,
    state_basename,
)

try:
    from keystoneauth1 import exceptions as _ks_exc
    from openstack import exceptions as _sdk_exc

    # what a cloud that cannot be used raises before (or instead of) any answer from Nova
    CLOUD_ERRORS: tuple = (TransientError, _ks_exc.ClientException, _sdk_exc.ConfigException)
except ImportError:  # pragma: no cover - the module reports missing openstacksdk itself
    CLOUD_ERRORS = (TransientError,)


def explain_cloud_error(cloud: Any, error: str) -> str:
    """An error reaching the cloud, with the clouds.yaml path, the cloud and the user (never a secret).

    ``cloud_check.check_cloud`` (Keystone, the compute endpoint) says what is wrong; when it finds
    nothing the error is returned with the same three facts appended.
    """
    clouds_yaml = os.environ.get("OS_CLIENT_CONFIG_FILE")
    name = cloud if isinstance(cloud, str) and cloud else os.environ.get("OS_CLOUD")
    if not name:
        return "%s (no cloud named: set cloud, or kolla_ops_cloud in the playbooks)" % error
    try:
        found = check_cloud(name, clouds_yaml, services=("compute",), require_admin=False)
    except CloudError as exc:
        return str(exc)
    except Exception as exc:
        found = {"cloud": name, "clouds_yaml": clouds_yaml, "user": None, "check": repr(exc)[:200]}
    return "%s (cloud %r in %s, user %r)" % (
        error,
        found.get("cloud"),
        found.get("clouds_yaml") or "no clouds.yaml",
        found.get("user"),
    )


ARGUMENT_SPEC = dict(
    host=dict(type="str", required=True),
    state=dict(type="str", default="drained", choices=["drained", "enabled", "evacuated", "recovered"]),
    reason=dict(type="str"),
    user=dict(type="str"),
    target_host=dict(type="str"),
    max_concurrent=dict(type="int", default=3),
    max_per_destination=dict(type="int", default=0),
    block_migration=dict(type="str", default="auto", choices=["auto", "true", "false"]),
    retries=dict(type="int", default=1),
    migration_timeout=dict(type="int", default=600),
    timeout_action=dict(type="str", default="abort", choices=["abort", "force_complete"]),
    failure_policy=dict(type="str", default="stop", choices=["stop", "continue"]),
    blocked_metadata=dict(type="list", elements="str", default=["kolla_ops_nova_no_migrate"]),
    fenced=dict(type="bool", default=False),
    max_down_hosts=dict(type="int", default=1),
    max_down_share=dict(type="float", default=0.5),
    service_down_time=dict(type="int", default=60),
    shared_storage=dict(type="bool", default=False),
    allow_local_disk_loss=dict(type="bool", default=False),
    running_before=dict(type="list", elements="str", default=[]),
    move_back=dict(type="bool", default=False),
    poll_interval=dict(type="float", default=2.0),
    settle_time=dict(type="float", default=5.0),
    pending_timeout=dict(type="int", default=300),
    api_retry_timeout=dict(type="int", default=300),
    min_enabled_hosts=dict(type="int", default=1),
    max_disabled_share=dict(type="float", default=0.5),
    allow_empty_zone=dict(type="bool", default=False),
    state_dir=dict(type="path"),
    state_file=dict(type="path"),
    log_file=dict(type="path"),
    preflight=dict(type="bool", default=True),
    unplaceable=dict(type="str", default="fail", choices=["fail", "stop", "skip"]),
    batch_hosts=dict(type="list", elements="str", default=[]),
)


def paths(params: dict[str, Any], cloud: str) -> tuple[str, str]:
    """The state file and the progress log of this host (options win over the defaults)."""
    state_path = params["state_file"] or os.path.join(
        params["state_dir"] or default_state_dir(), state_basename(cloud, params["host"]) + ".json"
    )
    return state_path, params["log_file"] or os.path.splitext(state_path)[0] + ".log"


def move_options(params: dict[str, Any]) -> MoveOptions:
    """The mover's options from the module's parameters (each range checked: ComputeHostError)."""
    opts = MoveOptions(
        max_concurrent=params["max_concurrent"],
        max_per_destination=params["max_per_destination"],
        target_host=params["target_host"],
        block_migration={"auto": "auto", "true": True, "false": False}[params["block_migration"]],
        timeout=params["migration_timeout"],
        timeout_action=params["timeout_action"],
        failure_policy=params["failure_policy"],
        poll_interval=params["poll_interval"],
        settle_seconds=params["settle_time"],
        pending_timeout=params["pending_timeout"],
        api_retry_timeout=params["api_retry_timeout"],
        blocked_metadata=params["blocked_metadata"],
        request_workers=params["max_concurrent"],
        retries=params["retries"],
        min_enabled_hosts=params["min_enabled_hosts"],
        max_disabled_share=params["max_disabled_share"],
        allow_empty_zone=params["allow_empty_zone"],
    )
    if params["state"] == "evacuated":
        check_evacuate_limits(params["max_down_hosts"], params["max_down_share"], params["service_down_time"])
    return opts


def run(
    params: dict[str, Any], nova_factory: Any, cloud: str, state_path: str, log_path: str, check_mode: bool
) -> dict[str, Any]:
    """Reach ``params["state"]`` on the host; ``nova_factory()`` builds the adapter once options are valid.

    A drain or evacuation whose report has a failed instance row fails (``failed``), also when
    nothing remains on the host (a server moved but not started again, a move that went wrong).
    """
    made = []
    result = _run(
        params, lambda: made.append(nova_factory()) or made[-1], cloud, state_path, log_path, check_mode
    )
    if params["state"] not in ("drained", "evacuated"):
        return result
    bad = [r for r in (result.get("report") or {}).get("results", []) if r.get("status") == "fail"]
    if bad and not result.get("failed"):
        result["failed"] = True
        result["msg"] = "%d instance(s) of %s failed: %s. Fix them and re-run to resume (state file %s)" % (
            len(bad),
            params["host"],
            "; ".join(r["message"] for r in bad[:5]),
            state_path,
        )
    if result.get("failed") and made and not check_mode:
        service_now(made[0], params["host"], result)
    return result


def service_now(nova: Any, host: str, result: dict[str, Any]) -> None:
    """A failed drain or evacuation shows the service as it is now (``service`` is from before)."""
    try:
        svc = match_host(nova.services(), host)
    except (ComputeHostError, TransientError):
        return
    result["service_now"] = service_view(svc)
    result["msg"] += " nova-compute on %s is now %s%s." % (
        host,
        svc.get("status"),
        " (reason: %s)" % svc["disabled_reason"] if svc.get("disabled_reason") else "",
    )


def _run(params, nova_factory, cloud, state_path, log_path, check_mode):
    p = params
    opts = move_options(p)
    nova = nova_factory()
    log = None if check_mode else log_path
    user = p["user"] or _login()
    preflight = PreflightOptions(p["unplaceable"], p["batch_hosts"]) if p["preflight"] else None
    if p["state"] == "drained":
        return drain(
            nova,
            p["host"],
            opts,
            state_path,
            cloud,
            reason=p["reason"],
            user=user,
            check_mode=check_mode,
            log_path=log,
            preflight=preflight,
        )
    if p["state"] == "evacuated":
        return evacuate(
            nova,
            p["host"],
            opts,
            state_path,
            cloud,
            fenced=p["fenced"],
            max_down_hosts=p["max_down_hosts"],
            max_down_share=p["max_down_share"],
            service_down_time=p["service_down_time"],
            shared_storage=p["shared_storage"],
            allow_local_disk_loss=p["allow_local_disk_loss"],
            reason=p["reason"],
            user=user,
            check_mode=check_mode,
            log_path=log,
            preflight=preflight,
        )
    if p["state"] == "recovered":
        # its own record: a recovery must not replace a drain's or an evacuation's
        return recover(
            nova,
            p["host"],
            os.path.splitext(state_path)[0] + ".recover.json",
            cloud,
            running_before=p["running_before"],
            check_mode=check_mode,
            log_path=log,
            timeout=p["migration_timeout"],
            poll_interval=p["poll_interval"],
        )
    return enable(
        nova,
        p["host"],
        opts,
        state_path,
        cloud,
        move_back=p["move_back"],
        check_mode=check_mode,
        log_path=log,
    )


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
