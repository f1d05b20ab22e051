# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks on the operator's own override files (those this collection does not write)."""

from __future__ import annotations

import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.fields import NUMA_FILTER
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.problems import problem


def check_operator_overrides(plan, node_custom_config, owned_paths):  # noqa: PLR0912  one branch per documented operator-file check
    """Checks on the files Kolla merges that this collection does not own.

    * ``vcpu_pin_set`` anywhere: warning with the cpu_dedicated_set/cpu_shared_set
      it should become (error where the host's profile sets cpu_dedicated_set);
    * ``reserved_host_cpus`` reaching a host whose profile sets CPU sets: error;
    * a later file that overrides ``enabled_filters`` without NUMATopologyFilter
      while it is needed: error.
    """
    owned = {os.path.normpath(p) for p in owned_paths}
    seen_vcpu = set()
    for host, r in plan.hosts.items():
        if host is None:
            continue
        sources = kolla_merge.kolla_sources(node_custom_config, host, "nova-compute")
        for path in sources:
            if os.path.normpath(path) in owned:
                continue
            text = kolla_merge.read_text(path)
            if text is None:
                continue
            try:
                rendered = kolla_merge.render_jinja(text)[0]
                entries = nova_schema.entries_from_text(rendered, path)
            except kolla_merge.IniParseError as exc:
                plan.problems.append(
                    problem("error", str(exc), host=host, field=path, code="operator_override_parse")
                )
                continue
            for section, option, value, line in entries:
                where = "%s:%s" % (path, line)
                if section == "DEFAULT" and option == "vcpu_pin_set":
                    if r.values.get("cpu_dedicated_set"):
                        plan.problems.append(
                            problem(
                                "error",
                                "%s sets [DEFAULT] vcpu_pin_set = %s and the profile sets cpu_dedicated_set: "
                                "nova-compute refuses both" % (where, value),
                                host,
                                r.profile,
                                "vcpu_pin_set",
                                value,
                                "remove vcpu_pin_set from %s" % path,
                                "vcpu_pin_set",
                            )
                        )
                    elif (path, line) not in seen_vcpu:
                        seen_vcpu.add((path, line))
                        plan.problems.append(
                            problem(
                                "warning",
                                "%s uses deprecated [DEFAULT] vcpu_pin_set = %s" % (where, value),
                                host,
                                r.profile,
                                "vcpu_pin_set",
                                value,
                                nova_schema.vcpu_pin_set_fix(value),
                                "vcpu_pin_set",
                            )
                        )
                if (
                    section == "DEFAULT"
                    and option == "reserved_host_cpus"
                    and str(value).strip() not in ("", "0")
                    and (r.values.get("cpu_dedicated_set") or r.values.get("cpu_shared_set"))
                ):
                    plan.problems.append(
                        problem(
                            "error",
                            "%s sets reserved_host_cpus = %s and the profile sets CPU sets: "
                            "nova-compute refuses both" % (where, value),
                            host,
                            r.profile,
                            "reserved_host_cpus",
                            value,
                            "remove reserved_host_cpus from %s" % path,
                            "cross_field",
                        )
                    )
    if plan.needs_numa:
        base = node_custom_config.rstrip("/")
        nova_dir = os.path.join(base, "nova")
        candidates = []
        if os.path.isdir(nova_dir):
            for name in sorted(os.listdir(nova_dir)):
                path = os.path.join(nova_dir, name, "nova.conf")
                if os.path.isfile(path):
                    candidates.append(path)
        if not plan.scheduler:
            candidates = [os.path.join(base, "global.conf"), os.path.join(base, "nova.conf"), *candidates]
        for path in candidates:
            text = kolla_merge.read_text(path)
            if text is None or "enabled_filters" not in text:
                continue
            try:
                entries = nova_schema.entries_from_text(kolla_merge.render_jinja(text)[0], path)
            except kolla_merge.IniParseError:
                continue
            for section, option, value, line in entries:
                if (section, option) == ("filter_scheduler", "enabled_filters") and NUMA_FILTER not in str(
                    value
                ):
                    plan.problems.append(
                        problem(
                            "error",
                            "%s:%s sets [filter_scheduler] enabled_filters without %s, which pinned CPUs and "
                            "huge pages need; it overrides nova/nova-scheduler.conf"
                            % (path, line, NUMA_FILTER),
                            field="enabled_filters",
                            value=value,
                            fix="add %s there or remove enabled_filters from that file" % NUMA_FILTER,
                            code="numa_filter",
                        )
                    )
