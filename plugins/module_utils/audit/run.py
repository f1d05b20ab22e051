# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every audit module shares: options, the collector, the check-mode/fix flow.

An audit function takes the collector and the module parameters and returns
``(report, planned_actions, all_actions, extra)``; ``planned_actions`` is empty
unless ``fix`` is true. ``run_audit`` then

* in check mode, returns the plan (``changed`` true when there is one) and touches nothing;
* otherwise applies each action with ``apply(collector, action)`` and returns what it did.

A second run after a repair finds nothing to do and returns ``changed: false``.

Scope options (``hosts``, ``images``, ``flavors``, ``consumers``, ``ports``, ``projects``, ...)
go through :func:`check_scope` inside the audit function, before anything is repaired: a
value that names nothing the cloud knows is an error (:class:`ScopeError`), never an empty
"pass". Values a module may still accept although it cannot find them (a port or a consumer
that an earlier repair removed: a well-formed UUID) are returned, and :func:`report_not_found`
names them in the report.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (
    NOVA_COMMANDS_SPEC,
    NovaCommandError,
    nova_commands_from_params,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import (
    PLACEMENT_SOURCES,
    AuditCollector,
    AuditError,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError, fail_module

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report

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


KNOWN_LISTED = 20  # known names shown in a scope error; ``scope_error.known_count`` says how many


_MIN_PREFIX = 3  # a shorter value is too likely to prefix the wrong known name


def suggest(value: str, known: Iterable[Any]) -> str | None:
    """The known value ``value`` most likely is a typo of, or None: same letters in another case
    or order (``Compute1``, ``VPCU``), then a prefix (``cirros`` for ``cirros-0.6``), then
    difflib's closest match."""
    value = str(value)
    low = value.lower()
    for k in known:
        if k.lower() == low:
            return k
    for k in known:
        if sorted(k.lower()) == sorted(low):
            return k
    prefixed = [k for k in known if k.lower().startswith(low) or low.startswith(k.lower())]
    if len(low) >= _MIN_PREFIX and len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.75)
    return close[0] if close else None


class ScopeError(KollaOpsError, ValueError):
    """A scope option names something the cloud does not know.

    ``known``: every value the option accepts (close matches are looked up there);
    ``shown``: what the message lists (default ``known``; e.g. image names, not names and IDs).
    """

    def __init__(self, option, unknown, known, noun, fix, hints=None, shown=None):
        self.option = option
        self.unknown = list(unknown)
        accepted = sorted({str(k) for k in known})
        self.known = sorted({str(k) for k in (known if shown is None else shown)})
        hints = hints or {}
        named = []
        for value in self.unknown:
            hint = hints.get(value)
            if hint is None:
                close = suggest(value, accepted)
                hint = "did you mean %s?" % close if close else None
            named.append("%s (%s)" % (value, hint) if hint else str(value))
        listed = ", ".join(str(k) for k in self.known[:KNOWN_LISTED])
        if len(self.known) > KNOWN_LISTED:
            listed += ", ... and %d more" % (len(self.known) - KNOWN_LISTED)
        message = "%s: unknown %s %s; known %s (%d): %s. %s Nothing was changed." % (
            option,
            noun,
            ", ".join(named),
            noun + ("es" if noun.endswith("s") else "s"),
            len(self.known),
            listed or "none",
            fix,
        )
        super().__init__(message)

    result_key = "scope_error"

    def details(self):
        return {
            "option": self.option,
            "unknown": self.unknown,
            "known": self.known[:KNOWN_LISTED],
            "known_count": len(self.known),
        }


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def is_uuid(value: str) -> bool:
    """A UUID in its dashed form (the form Nova, Placement and Neutron return), any case."""
    return isinstance(value, str) and bool(_UUID.match(value))


def uuid_scope(values: Iterable[str] | None) -> list[str]:
    """``values`` with UUIDs lower-cased (as the APIs return them); other values unchanged."""
    return [v.lower() if is_uuid(v) else v for v in values or []]


def check_scope(
    option: str,
    values: Iterable[str] | None,
    known: Iterable[Any],
    noun: str,
    fix: str,
    accept_missing: Callable[[str], bool] | None = None,
    hints: dict[str, str] | None = None,
    shown: Iterable[Any] | None = None,
) -> list[str]:
    """Check the values of scope option ``option`` against ``known`` (what the cloud has).

    Raises :class:`ScopeError` naming the option, the unknown values (with a close match
    or ``hints[value]``), the known names (the first :data:`KNOWN_LISTED`) and ``fix``
    (what to do); ``shown`` replaces ``known`` in the message (e.g. names only where IDs are
    accepted too). A value that is not known but for which ``accept_missing(value)`` is true
    (e.g. a well-formed UUID of a port an earlier repair deleted, so that a second run stays
    a no-op) is accepted; those values are returned, in order, for :func:`report_not_found`.
    Empty ``values`` (the option not given) check nothing.
    """
    if not values:
        return []
    known = {str(k) for k in known if k is not None and k != ""}
    unknown = []
    for value in values:
        if value not in known and value not in unknown:
            unknown.append(value)
    missing = [v for v in unknown if accept_missing is not None and accept_missing(v)]
    bad = [v for v in unknown if v not in missing]
    if bad:
        raise ScopeError(option, bad, known, noun, fix, hints, shown)
    return missing


def select_by_name_or_id(
    option: str, wanted: Iterable[str] | None, items: list[dict[str, Any]], noun: str, fix: str
) -> list[dict[str, Any]]:
    """The ``items`` (dicts with ``name`` and ``id``) that scope option ``option`` names by name
    or ID; all of them when ``wanted`` is empty. An unknown value raises :class:`ScopeError`
    (see :func:`check_scope`) listing the known names (an ID where there is no name)."""
    if not wanted:
        return items
    check_scope(
        option,
        wanted,
        [i["name"] for i in items] + [i["id"] for i in items],
        noun,
        fix,
        shown=[i["name"] or i["id"] for i in items],
    )
    return [i for i in items if i["name"] in wanted or i["id"] in wanted]


def report_not_found(
    report: Report, check: str, option: str, missing: list[str], noun: str, why: str
) -> None:
    """A ``warn`` result for accepted scope values that matched nothing (see :func:`check_scope`)."""
    if not missing:
        return
    report.add(
        check,
        "warn",
        "%s: %d %s(s) not found, nothing audited for them: %s"
        % (option, len(missing), noun, ", ".join(missing)),
        evidence={"option": option, "not_found": list(missing)},
        fix=why,
    )


def _runner(ansible_module):
    def run(argv):
        return ansible_module.run_command(argv)

    return run


def run_audit(
    module: Any,
    audit: Callable[..., tuple[Any, ...]],
    apply: Callable[..., Any] | None = None,
    placement: bool = True,
) -> None:
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
    except (KollaOpsError, ValueError) as exc:  # ScopeError, AuditError, NovaCommandError, bad input
        fail_module(module, exc)
