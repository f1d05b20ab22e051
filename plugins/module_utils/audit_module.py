# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every audit module shares: options, the collector, the check-mode/fix flow.

An audit function takes the collector and the module parameters and returns
``(report, planned_actions, all_actions, extra)``; ``planned_actions`` is empty
unless ``fix`` is true. ``run_audit`` then

* in check mode, returns the plan (``changed`` true when there is one) and touches nothing;
* otherwise applies each action with ``apply(collector, action)`` and returns what it did.

A second run after a repair finds nothing to do and returns ``changed: false``.
"""

from __future__ import annotations

import datetime

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit_collect import (
    PLACEMENT_SOURCES,
    AuditCollector,
    AuditError,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_cli import (
    NOVA_COMMANDS_SPEC,
    NovaCommandError,
    nova_commands_from_params,
)

COMMON_SPEC = {
    "fix": {"type": "bool", "default": False},
    "page_size": {"type": "int", "default": 1000},
    "nova_commands": NOVA_COMMANDS_SPEC,
}
PLACEMENT_SPEC = {
    "placement_source": {"type": "str", "choices": list(PLACEMENT_SOURCES), "default": "auto"},
    "placement_database": {"type": "str", "default": "placement"},
    "cell_databases": {"type": "list", "elements": "str", "default": ["nova"]},
}


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def _runner(ansible_module):
    def run(argv):
        return ansible_module.run_command(argv)

    return run


def run_audit(module, audit, apply=None, placement=True):
    """Drive one audit inside an OpenStackModule (``module``) and exit."""
    params = module.params
    try:
        nova = nova_commands_from_params(params.get("nova_commands"), _runner(module.ansible))
        collector = AuditCollector(
            module.conn,
            nova_commands=nova,
            page_size=params["page_size"],
            placement_source=params.get("placement_source", "auto") if placement else "api",
            placement_database=params.get("placement_database") or "placement",
            cell_databases=params.get("cell_databases") or ["nova"],
        )
        report, planned, all_actions, extra = audit(collector, params)
        done, failed = [], []
        changed = False
        if planned:
            changed = True
            if not module.check_mode:
                for action in planned:
                    try:
                        outcome = apply(collector, action)
                    except (AuditError, NovaCommandError) as exc:
                        failed.append(dict(action, error=str(exc)))
                        continue
                    except module.sdk.exceptions.SDKException as exc:
                        failed.append(dict(action, error=str(exc)))
                        continue
                    if outcome is False:  # re-checked and found nothing to do
                        continue
                    done.append(dict(action, **(outcome or {})))
                changed = bool(done)
        result = {
            "changed": changed,
            "report": report.as_dict(),
            "actions": planned if module.check_mode else done,
            "proposed_actions": all_actions,
            "stats": collector.stats(),
        }
        result.update(extra or {})
        if failed:
            module.fail_json(
                msg="%d repair(s) failed: %s" % (len(failed), "; ".join(f["error"] for f in failed)),
                failed_actions=failed,
                **result,
            )
        module.exit_json(**result)
    except (AuditError, NovaCommandError, ValueError) as exc:
        module.fail_json(msg=str(exc))
