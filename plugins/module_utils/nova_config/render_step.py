# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``nova_config_render`` runs: plan, check, mask what is returned, write (not in check mode)."""

from __future__ import annotations

import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.common import masking
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import (
    kolla_merge,
    operator_files,
    problems,
    render,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import plan as nova_plan


def _mask_problem(p):
    """A problem with secrets masked; its field names the setting (``settings.<section>.<option>``,
    ``nova_config_scheduler.settings.<section>.<option>``) or a variable (``...kolla_globals.<var>``)."""
    parts = str(p.get("field") or "").split(".")
    if "settings" in parts[:-2]:
        i = parts.index("settings")
        section, option = parts[i + 1], ".".join(parts[i + 2 :])
    else:
        section, option = None, parts[-1]
    return masking.mask_deep(nova_schema.mask_finding(p, section, option))


def _mask_settings(settings):
    """``{"section/option": value}`` (the ``hosts`` return) with secrets masked."""
    out = {}
    for key, value in settings.items():
        section, _sep, option = key.partition("/")
        out[key] = nova_schema.mask_option(section, option, value)
    return out


def _mask_diff(diff):
    """A diff entry (before/after texts of a file) with secrets masked; files keep their real values."""
    mask = nova_schema.mask_ini if diff["after_header"].split(" ")[0].endswith(".conf") else masking.mask
    return dict(diff, before=mask(diff["before"]), after=mask(diff["after"]))


def kolla_variables(config_dir, given=None):
    """The Kolla variables the plan needs, as kolla-ansible will see them: ``given`` (the
    inventory's), overridden by CONFIG_DIR/globals.yml and then CONFIG_DIR/globals.d/*.yml in
    name order, which kolla-ansible passes with ``-e @`` (kolla_ansible/ansible.py
    _get_vars_files). This collection's own globals.d file is skipped (it sets none of them)."""
    out = dict(given or {})
    try:
        import yaml  # noqa: PLC0415  (PyYAML comes with Ansible on the controller)
    except ImportError:
        return out
    paths = [os.path.join(config_dir, "globals.yml")]
    globals_d = os.path.join(config_dir, "globals.d")
    if os.path.isdir(globals_d):
        paths += [
            os.path.join(globals_d, n)
            for n in sorted(os.listdir(globals_d))
            if n.endswith((".yml", ".yaml", ".json")) and os.path.join("globals.d", n) != render.GLOBALS_FILE
        ]
    for path in paths:
        text = kolla_merge.read_text(path)
        if not text:
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # kolla-ansible itself reports it
        if isinstance(data, dict):
            out.update({k: v for k, v in data.items() if k in KOLLA_VARIABLES})
    return out


# Kolla variables the plan reads (plan.build_plan kolla_vars).
KOLLA_VARIABLES = ("enable_blazar",)


def run(params, check_mode):
    """The whole render step; returns (result dict, failed message or None)."""
    config_dir = params.get("kolla_config_dir") or "/etc/kolla"
    try:
        plan = nova_plan.build_plan(
            params["compute_profiles"],
            params["hosts"],
            params["scheduler"],
            params["kolla_globals"],
            params["release"],
            kolla_vars=kolla_variables(config_dir, params.get("kolla_variables")),
        )
    except nova_schema.SchemaError as exc:
        return {"changed": False, "files": [], "problems": []}, str(exc)
    base = params["node_custom_config"]
    desired = render.desired_files(plan, params["header"])
    actions, foreign = render.plan_files(base, desired, params["take_over_existing"])
    globals_desired = render.desired_globals(plan, params["header"])
    g_actions, g_foreign = render.plan_files(
        config_dir, globals_desired, params["take_over_existing"], candidates=[render.GLOBALS_FILE]
    )
    # node_custom_config/globals.d may be CONFIG_DIR/globals.d: the file there is then wanted.
    wanted = {a["path"] for a in g_actions} | {os.path.join(config_dir, r) for r in globals_desired}
    actions = [a for a in actions if not (a["state"] == "absent" and a["path"] in wanted)] + g_actions
    foreign = foreign + [f for f in g_foreign if f not in foreign]
    plan.problems.extend(foreign)
    owned = [a["path"] for a in actions] + ["%s/%s" % (base, r) for r in desired]
    operator_files.check_operator_overrides(plan, base, owned)
    # Secrets (a password set through settings, an operator file taken over) are masked in
    # everything returned and in the failure message; the files get the real values.
    plan.problems = [_mask_problem(p) for p in problems.collapse(plan.problems)]
    filters = plan.scheduler.get(("filter_scheduler", "enabled_filters"))
    hosts = plan.summary()
    for summary in hosts.values():
        summary["settings"] = _mask_settings(summary["settings"])
    result = {
        "changed": False,
        "files": [{"path": a["path"], "state": a["state"]} for a in actions],
        "problems": plan.problems,
        "hosts": hosts,
        "host_preparation": plan.host_preparation(),
        "kolla_globals": masking.mask_deep(dict(plan.kolla_globals)),
        "enabled_filters": filters.split(",") if filters else None,
        "diff": [_mask_diff(d) for d in render.diffs(actions)],
    }
    if plan.errors:
        result["files"] = []
        result["diff"] = []
        return result, "nova_config: %d error(s), nothing written:\n%s" % (
            len(plan.errors),
            "\n".join(problems.format_problem(p) for p in plan.errors),
        )
    if actions:
        result["changed"] = True
        if not check_mode:
            mode = params["mode"]
            mode = int(mode, 8) if isinstance(mode, str) else int(mode)
            render.apply_actions(actions, mode=mode)
    return result, None
