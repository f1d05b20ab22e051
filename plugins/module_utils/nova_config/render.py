# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""INI and globals rendering of a plan, the files it owns, and writing them atomically."""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.io import atomic_write
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.problems import problem

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.plan import Plan

MARKER = "# kolla_ops.nova nova_config: generated from the inventory; edit the profiles, not this file."


def _section_order(section):
    return (0 if section == "DEFAULT" else 1, section)


def render_ini(settings: dict[tuple[str, str], Any], header: str, comment: str | None = None) -> str:
    """INI text for ``{(section, option): value}`` with the header, values Jinja-escaped."""
    by_section = OrderedDict()
    for (section, option), value in settings.items():
        by_section.setdefault(section, []).append((option, value))
    lines = [*_header_lines(header), MARKER]
    if comment:
        lines.append("# " + comment)
    for section in sorted(by_section, key=_section_order):
        lines.append("[%s]" % section)
        for option, value in by_section[section]:
            for v in value if isinstance(value, list) else [value]:
                lines.append("%s = %s" % (option, kolla_merge.escape_jinja(v)))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_globals(values: dict[str, Any], header: str) -> str:
    lines = [*_header_lines(header), MARKER, "---"]
    for key, value in values.items():
        lines.append("%s: %s" % (key, _yaml_scalar(value)))
    return "\n".join(lines) + "\n"


def _yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | dict):
        import json  # noqa: PLC0415

        return json.dumps(value)
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def _header_lines(header):
    out = []
    for line in (header or "Ansible managed").splitlines():
        line = line.rstrip()
        if not line.strip():
            continue
        out.append(kolla_merge.escape_jinja(line if line.lstrip().startswith("#") else "# " + line))
    return out


def desired_files(plan: Plan, header: str) -> dict[str, str]:
    """relative path -> content for everything the plan writes."""
    files = OrderedDict()
    if plan.shared:
        files["nova/nova-compute.conf"] = render_ini(
            plan.shared, header, "shared by every compute host (nova-compute)"
        )
    for host, settings in plan.per_host.items():
        files["nova/%s/nova-compute.conf" % host] = render_ini(
            settings, header, "host %s, profile %s (nova-compute)" % (host, plan.hosts[host].profile)
        )
    if plan.scheduler:
        files["nova/nova-scheduler.conf"] = render_ini(
            plan.scheduler, header, "cloud-wide scheduler settings"
        )
    for service, settings in getattr(plan, "services", {}).items():
        files["nova/%s.conf" % service] = render_ini(
            settings, header, "scheduler settings %s reads too" % service
        )
    return files


# Service files the scheduler settings may add (plan.ALSO_READ_BY); listed so that one this
# collection wrote is removed when the setting goes.
SERVICE_FILES = ("nova/nova-api.conf", "nova/nova-conductor.conf", "nova/nova-super-conductor.conf")


# The Kolla variables file, under Kolla's CONFIG_DIR: kolla-ansible passes
# ``-e @CONFIG_DIR/globals.d/*.yml`` (kolla_ansible/ansible.py _get_vars_files); it never
# reads ``node_custom_config/globals.d``, where releases before this fix wrote it.
GLOBALS_FILE = "globals.d/kolla_ops_nova.yml"


def desired_globals(plan: Plan, header: str) -> dict[str, str]:
    """relative path (under CONFIG_DIR) -> content of the Kolla variables file, if any."""
    if plan.kolla_globals:
        return {GLOBALS_FILE: render_globals(plan.kolla_globals, header)}
    return {}


def managed_candidates(base: str) -> list[str]:
    """Every path this collection may own under node_custom_config ``base`` (relative).

    ``globals.d/kolla_ops_nova.yml`` there is the old, wrong place: a copy this collection
    wrote is removed."""
    out = ["nova/nova-compute.conf", "nova/nova-scheduler.conf", *SERVICE_FILES, GLOBALS_FILE]
    nova_dir = os.path.join(base, "nova")
    if os.path.isdir(nova_dir):
        for name in sorted(os.listdir(nova_dir)):
            if os.path.isfile(os.path.join(nova_dir, name, "nova-compute.conf")):
                out.append("nova/%s/nova-compute.conf" % name)
    return out


def is_ours(text: str | None) -> bool:
    return text is not None and MARKER in text


def plan_files(
    base: str, desired: dict[str, str], take_over: bool = False, candidates: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Compare ``desired`` with the disk: list of actions, and problems for foreign files.

    ``candidates``: the relative paths this collection may own under ``base`` (default:
    :func:`managed_candidates`); ours and not desired any more -> removed."""
    actions = []
    problems = []
    if candidates is None:
        candidates = managed_candidates(base)
    for rel in sorted(set(desired) | set(candidates)):
        path = os.path.join(base, rel)
        current = kolla_merge.read_text(path) if os.path.exists(path) else None
        want = desired.get(rel)
        if current is not None and not is_ours(current) and not take_over:
            if want is not None:
                problems.append(
                    problem(
                        "error",
                        "%s exists and was not written by kolla_ops.nova: refusing to overwrite it" % path,
                        field="nova_config_node_custom_config",
                        value=path,
                        fix="move its settings into a profile's settings: (or "
                        "nova_config_scheduler.settings) and delete it, or set "
                        "nova_config_take_over_existing: true",
                        code="foreign_file",
                    )
                )
            continue
        if want is None:
            if current is not None:
                actions.append({"path": path, "rel": rel, "state": "absent", "before": current, "after": ""})
            continue
        if current != want:
            actions.append(
                {"path": path, "rel": rel, "state": "present", "before": current or "", "after": want}
            )
    return actions, problems


def apply_actions(actions: list[dict[str, Any]], mode: int = 0o640, dir_mode: int = 0o755) -> None:
    """Write (atomically: temp file + rename in the same directory) or remove files."""
    for action in actions:
        path = action["path"]
        if action["state"] == "absent":
            os.unlink(path)
            parent = os.path.dirname(path)
            try:
                if not os.listdir(parent) and os.path.basename(os.path.dirname(parent)) == "nova":
                    os.rmdir(parent)
            except OSError:
                pass
            continue
        parent = os.path.dirname(path)
        os.makedirs(parent, mode=dir_mode, exist_ok=True)
        atomic_write(path, action["after"], mode=mode)


def diffs(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "before_header": a["path"] if a["before"] else "%s (absent)" % a["path"],
            "after_header": a["path"] if a["state"] == "present" else "%s (absent)" % a["path"],
            "before": a["before"],
            "after": a["after"],
        }
        for a in actions
    ]
