# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud-wide cross-field rules and the run over a whole ``node_custom_config`` tree.

* pinned CPUs on a compute host (``[compute] cpu_dedicated_set``) or pinning / huge-page
  flavors (given to the module) while the
  scheduler's ``[filter_scheduler] enabled_filters`` lacks ``NUMATopologyFilter``
  (Nova's default list lacks it: ``nova/conf/scheduler.py``; the filter is what fits
  guests to host NUMA cells: ``nova.scheduler.filters.numa_topology_filter.NUMATopologyFilter.host_passes``);
* allocation ratios set only where the scheduler reads them: the scheduler takes them from
  the compute node record (``nova.scheduler.host_manager.HostState._update_from_compute_node``),
  which nova-compute writes from its own config (``nova.compute.resource_tracker.ResourceTracker.__init__``);
* a file Kolla never merges into any Nova service (``nova/<host>/nova-scheduler.conf``: the nova
  role has no per-host per-service source; ``nova/nova_compute.conf``: no such service);
* an option in a service's own file that this service never reads (``[libvirt]`` is read under
  ``nova/virt/`` only, ``[filter_scheduler] enabled_filters`` under ``nova/scheduler/`` only;
  grep of nova 34.0.0).
"""

from __future__ import annotations

import difflib
import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import (
    crossfield,
    effective,
    kolla_merge,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.crossfield import finding, shown
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.effective import Setting

NUMA_FILTER = "NUMATopologyFilter"
RATIOS = tuple(p + r + "_allocation_ratio" for p in ("", "initial_") for r in ("cpu", "ram", "disk"))
COMPUTE = ("nova-compute",)
# (section, option or None for the whole section) -> the services that read it (nova 34 source).
READERS = {
    ("libvirt", None): COMPUTE,
    ("compute", "cpu_dedicated_set"): COMPUTE,
    ("compute", "cpu_shared_set"): COMPUTE,
    ("DEFAULT", "vcpu_pin_set"): COMPUTE,
    ("DEFAULT", "reserved_host_cpus"): COMPUTE,
    ("DEFAULT", "reserved_host_memory_mb"): COMPUTE,
    ("DEFAULT", "reserved_host_disk_mb"): COMPUTE,
    ("DEFAULT", "reserved_huge_pages"): COMPUTE,
    ("DEFAULT", "max_concurrent_live_migrations"): COMPUTE,
    ("DEFAULT", "compute_driver"): COMPUTE,
    ("filter_scheduler", "enabled_filters"): ("nova-scheduler",),
    ("filter_scheduler", "available_filters"): ("nova-scheduler",),
    ("filter_scheduler", "weight_classes"): ("nova-scheduler",),
    ("filter_scheduler", "host_subset_size"): ("nova-scheduler",),
    ("vnc", "novncproxy_host"): ("nova-novncproxy",),
    ("vnc", "novncproxy_port"): ("nova-novncproxy",),
}
READERS.update({("DEFAULT", r): COMPUTE for r in RATIOS})
# Flavor extra specs that need NUMATopologyFilter (nova/api/validation/extra_specs/hw.py).
NUMA_SPECS = ("hw:cpu_policy", "hw:mem_page_size", "hw:numa_nodes", "hw:cpu_realtime")


_SHOWN_REASONS = 3  # reasons quoted before " and N more"


def readers(section: str, option: str):
    opt = nova_schema.norm(option)
    if opt.endswith("_weight_multiplier") and section == "filter_scheduler":
        return ("nova-scheduler",)
    return READERS.get((section, opt)) or READERS.get((section, None))


def _numa_need(configs, flavors):
    """What asks for NUMATopologyFilter: [(reason, Setting or None)], one per file and line."""
    by_source = {}
    for cfg in configs:
        if cfg.service != "nova-compute":
            continue
        found = []
        s = cfg.get("compute", "cpu_dedicated_set")
        # PCPU inventory exists only for pinned guests (hw:cpu_policy=dedicated|mixed).
        if s is not None and s.text().strip():
            found.append(("pinned CPUs", s))
        for what, s in found:
            entry = by_source.setdefault((s.file, s.line), [what, s, []])
            entry[2].append(cfg.host or "hosts without nova/<host>/")
    need = [
        ("%s on %s (%s)" % (what, ", ".join(hosts), shown(s)), s) for what, s, hosts in by_source.values()
    ]
    for fl in flavors or []:
        specs = fl.get("extra_specs") or {}
        keys = [k for k in NUMA_SPECS if k in specs and str(specs[k]) not in ("shared", "small")]
        if keys:
            detail = ", ".join("%s=%s" % (k, specs[k]) for k in keys)
            need.append(("flavor %s (%s)" % (fl.get("name"), detail), None))
    return need


def check_numa_filter(configs, flavors=None) -> list:
    need = _numa_need(configs, flavors)
    if not need:
        return []
    out = []
    why = "; ".join(r for r, _s in need[:_SHOWN_REASONS]) + (
        " and %d more" % (len(need) - _SHOWN_REASONS) if len(need) > _SHOWN_REASONS else ""
    )
    ref = (
        "nova.scheduler.host_manager.HostManager._choose_host_filters "
        "(NUMATopologyFilter is not in nova/conf/scheduler.py's default enabled_filters)"
    )
    for cfg in configs:
        if cfg.service != "nova-scheduler":
            continue
        s = cfg.get("filter_scheduler", "enabled_filters")
        filters = cfg.items("filter_scheduler", "enabled_filters")
        if s is None:
            # A warning: nova_config's render step writes enabled_filters with NUMATopologyFilter for
            # profiles that pin CPUs, after this check has run on the files as they are.
            out.append(
                finding(
                    "warning",
                    "numa_filter_missing",
                    cfg,
                    "no file sets [filter_scheduler] enabled_filters, and Nova's default list lacks %s, "
                    "which %s need (Kolla does not add it; guests are placed without fitting them to "
                    "NUMA cells and fail or reschedule on the host)" % (NUMA_FILTER, why),
                    "set [filter_scheduler] enabled_filters in nova/nova-scheduler.conf to Nova's defaults "
                    "plus %s (nova_config does so for profiles that pin CPUs)" % NUMA_FILTER,
                    [x for _r, x in need if x is not None][:2],
                    ref,
                )
            )
        elif NUMA_FILTER not in filters:
            out.append(
                finding(
                    "error",
                    "numa_filter_missing",
                    cfg,
                    "%s lacks %s, which %s need" % (shown(s), NUMA_FILTER, why),
                    "add %s to enabled_filters in %s" % (NUMA_FILTER, s.file),
                    [s] + [x for _r, x in need if x is not None][:2],
                    ref,
                )
            )
    return out


def check_ratios(configs) -> list:
    """Allocation ratios the scheduler's files set but the compute hosts never read."""
    out = []
    computes = [c for c in configs if c.service == "nova-compute"]
    # every file some nova-compute merges (a host without its own directory reads the shared three)
    compute_files = {src["path"] for c in computes for src in c.sources}
    for c in configs:
        base = os.path.dirname(c.sources[1]["path"])
        compute_files.update(effective.sources_for(base, None, "nova-compute"))
    for cfg in configs:
        if cfg.service != "nova-scheduler":
            continue
        for ratio in RATIOS:
            s = cfg.get("DEFAULT", ratio)
            if s is None or s.file in compute_files:
                continue
            used = [c.get("DEFAULT", ratio) for c in computes if c.get("DEFAULT", ratio) is not None]
            now = (
                "; nova-compute uses %s" % ", ".join(sorted({shown(u) for u in used}))
                if used
                else "; nova-compute uses Nova's default"
            )
            out.append(
                finding(
                    "warning",
                    "allocation_ratio_not_read",
                    cfg,
                    "%s is set only where nova-compute does not read it: the scheduler takes allocation "
                    "ratios from placement, which each nova-compute fills from its own nova.conf%s"
                    % (shown(s), now),
                    "move [DEFAULT] %s to nova/nova-compute.conf (or nova.conf) so that the compute hosts "
                    "read it" % ratio,
                    [s],
                    "nova.compute.resource_tracker.ResourceTracker.__init__ / "
                    "nova.scheduler.host_manager.HostState._update_from_compute_node",
                )
            )
    return out


class _Where(Setting):
    """Where a finding points: a file and line, with the option when there is one."""

    def __init__(self, path, line, section=None, option=None, value=None):
        super().__init__(section, option, value, path, line, [])

    def text(self):
        return self.value


def check_files(node_custom_config: str, compute_hosts) -> list:
    """Files Kolla never merges, and options in a service's own file that this service never reads."""
    out = []
    nova_dir = os.path.join(node_custom_config, "nova")
    if not os.path.isdir(nova_dir):
        return out
    hosts = set(compute_hosts or [])
    for entry in sorted(os.listdir(nova_dir)):
        full = os.path.join(nova_dir, entry)
        if os.path.isfile(full) and entry.endswith(".conf"):
            service = entry[:-5]
            if service not in kolla_merge.SERVICES:
                out.append(_never_merged(full, service, kolla_merge.SERVICES, "nova/%s.conf"))
            else:
                out.extend(_misplaced(full, None, service))
        elif os.path.isdir(full):
            if hosts and entry not in hosts:
                continue
            for f in sorted(os.listdir(full)):
                path = os.path.join(full, f)
                if not (f.endswith(".conf") and os.path.isfile(path)) or f == "nova.conf":
                    continue
                service = f[:-5]
                if service in kolla_merge.CELL_SERVICES:
                    out.extend(_misplaced(path, entry, service))
                elif service in kolla_merge.API_SERVICES:
                    out.append(
                        _plain(
                            "warning",
                            "file_never_merged",
                            path,
                            "Kolla never merges %s: %s is deployed by the nova role, which reads no "
                            "nova/<host>/<service>.conf; nothing in this file reaches %s on %s"
                            % (path, service, service, entry),
                            "move its options to nova/%s/nova.conf (every Nova service on %s) or to "
                            "nova/%s.conf" % (entry, entry, service),
                            entry,
                            service,
                        )
                    )
                else:
                    out.append(
                        _never_merged(
                            path, service, kolla_merge.CELL_SERVICES, "nova/%s/%%s.conf" % entry, entry
                        )
                    )
    return out


KOLLA_REF = "Kolla-Ansible 23.0.0 ansible/roles/nova*/tasks/config.yml merge_configs sources"
NOVA_READ_REF = (
    "nova 34.0.0: [libvirt] is read only under nova/virt/, cpu sets and reserved_* in nova/virt/ and "
    "nova/compute/resource_tracker.py, [filter_scheduler] enabled_filters in nova/scheduler/host_manager.py"
)


def _plain(severity, code, path, message, fix, host=None, service=None, where=None, ref=KOLLA_REF):  # noqa: PLR0913, PLR0917  one parameter per finding field
    f = finding(severity, code, None, message, fix, [where or _Where(path, None)], ref)
    f.update(
        {
            "host": host,
            "hosts": [host] if host else [],
            "service": service,
            "services": [service] if service else [],
        }
    )
    return f


def _never_merged(path, service, known, pattern, host=None):
    close = difflib.get_close_matches(service, list(known), n=1, cutoff=0.6)
    return _plain(
        "warning",
        "file_never_merged",
        path,
        "Kolla never merges %s: there is no Nova service %r%s"
        % (path, service, " (did you mean %s?)" % close[0] if close else ""),
        ("rename it to %s" % (pattern % close[0]))
        if close
        else "remove it or rename it after a Nova service",
        host,
        None,
    )


def _misplaced(path, host, service) -> list:
    text = kolla_merge.read_text(path)
    if text is None:
        return []
    try:
        entries = nova_schema.entries_from_text(kolla_merge.render_jinja(text)[0], path)
    except kolla_merge.IniParseError:
        return []  # reported by the schema check
    out = []
    for section, option, value, line in entries:
        who = readers(section, option)
        if not who or service in who:
            continue
        target = "nova/%s%s.conf" % (
            "%s/" % host if host and who[0] in kolla_merge.CELL_SERVICES else "",
            who[0],
        )
        ratio = option in RATIOS and service == "nova-scheduler"
        if ratio:
            continue  # check_ratios explains these
        out.append(
            _plain(
                "warning",
                "option_not_read_by_service",
                path,
                "%s sets [%s] %s = %s, which %s never reads (only %s does): it has no effect there"
                % (
                    path + ":%s" % line,
                    section,
                    option,
                    nova_schema.mask_option(section, option, value),
                    service,
                    ", ".join(who),
                ),
                "move it to %s" % target,
                host,
                service,
                where=_Where(path, line, section, option, value),
                ref=NOVA_READ_REF,
            )
        )
    return out


def collapse(findings: list) -> list:
    """One finding per problem: the same sources on several hosts or services become one."""
    out = []
    index = {}
    for f in findings:
        key = (f["code"], repr([(s["file"], s["line"], s["option"]) for s in f["sources"]]), f["fix"])
        if key in index:
            first = out[index[key]]
            for k in ("hosts", "services"):
                first[k] += [x for x in f[k] if x not in first[k]]
            continue
        index[key] = len(out)
        out.append(dict(f, hosts=list(f["hosts"]), services=list(f["services"])))
    for f in out:
        hosts = [h if h is not None else "(hosts without nova/<host>/)" for h in f["hosts"]]
        f["host"] = ", ".join(hosts) or None
        f["service"] = ", ".join(f["services"]) or None
        if hosts or f["services"]:
            f["message"] = "%s on %s: %s" % (f["service"] or "nova", f["host"] or "every host", f["message"])
    return out


def check_tree(node_custom_config: str, compute_hosts=None, facts=None, flavors=None, variables=None) -> list:
    """Every cross-field finding of a ``node_custom_config`` tree (collapsed across hosts)."""
    facts = facts or {}
    if compute_hosts is None:
        compute_hosts = effective.infer_hosts(node_custom_config)
    configs, errors = effective.effective_configs(node_custom_config, compute_hosts, variables=variables)
    # Files that do not parse are the schema check's (nova_schema.validate_files): skipped here.
    del errors
    found = []
    for cfg in configs:
        if cfg.service == "nova-compute":
            found.extend(crossfield.check_compute(cfg, facts.get(cfg.host)))
    found.extend(check_numa_filter(configs, flavors))
    found.extend(check_ratios(configs))
    found.extend(check_files(node_custom_config, compute_hosts))
    return collapse(found)


def tree_root(path: str):
    """The ``node_custom_config`` a Kolla override file belongs to, or None (for example a
    rendered ``/etc/kolla/nova-compute/nova.conf``, which is not an override tree)."""
    parts = os.path.abspath(path).split(os.sep)
    if len(parts) >= 3 and parts[-2] == "nova":  # noqa: PLR2004  path depth under the override tree: nova/<file>
        return os.sep.join(parts[:-2]) or os.sep
    if len(parts) >= 4 and parts[-3] == "nova":  # noqa: PLR2004  path depth under the override tree: nova/<host>/<file>
        return os.sep.join(parts[:-3]) or os.sep
    parent = os.sep.join(parts[:-1]) or os.sep
    if parts[-1] in ("global.conf", "nova.conf") and os.path.isdir(os.path.join(parent, "nova")):
        return parent
    return None


def check_paths(paths) -> list:
    """Cross-field findings for loose file paths (the triage CLI's ``--config-files``): every
    Kolla tree they belong to is checked, and the findings that involve one of ``paths`` kept."""
    wanted = {os.path.abspath(p) for p in paths}
    roots = []
    for p in paths:
        root = tree_root(p)
        if root is not None and root not in roots:
            roots.append(root)
    out = []
    for root in roots:
        for f in check_tree(root):
            if any(s.get("file") and os.path.abspath(s["file"]) in wanted for s in f["sources"]):
                out.append(f)
    return out
