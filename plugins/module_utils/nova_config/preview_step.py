# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``nova_config_preview`` runs: Kolla's merge for one host and service, validated, masked."""

from __future__ import annotations

import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge


class DeployedBaseError(ValueError):
    """``base`` is a nova.conf Kolla deployed (a merge result), not its template output."""


def check_base(base: str | None, node_config_directory: str = "/etc/kolla") -> None:
    """Refuse the deployed ``<node_config_directory>/<service>/nova.conf`` as ``base``.

    Kolla writes each service's files into ``node_config_directory/<service>/`` (nova and
    nova-cell roles, "Copying over nova.conf"). Such a file already holds the previous
    overrides: merged again it keeps keys the overrides no longer set (``cpu_dedicated_set``
    after a host moved to a general profile) that Kolla drops. Kolla's template output is
    the same kind of file written by ``kolla-ansible genconfig`` into another
    ``node_config_directory`` with an empty ``node_custom_config`` (docs/nova_config.md).
    """
    if not base:
        return
    parent = os.path.dirname(os.path.realpath(base))
    deployed_root = os.path.realpath(node_config_directory or "/etc/kolla")
    if os.path.basename(parent) in kolla_merge.SERVICES and os.path.dirname(parent) == deployed_root:
        raise DeployedBaseError(
            "base %s is the nova.conf Kolla deployed for %s (under node_config_directory %s), not Kolla's "
            "template output: it already holds earlier overrides, so the preview would keep keys Kolla "
            "drops. Pass Kolla's template output (kolla-ansible genconfig with an empty node_custom_config "
            "and another node_config_directory, see docs/nova_config.md) or no base"
            % (base, os.path.basename(parent), node_config_directory)
        )


def run(params):
    check_base(params["base"], params.get("node_config_directory") or "/etc/kolla")
    result = kolla_merge.preview(
        params["node_custom_config"],
        params["host"],
        params["service"],
        base=params["base"],
        variables=params["variables"],
    )
    result["settings"] = result.pop("values")
    result["changed"] = False
    if params["release"]:
        origin = {(o["section"], o["option"]): o for o in result["origin"]}
        entries = []
        for section, options in result["settings"].items():
            for option, value in options.items():
                o = origin.get((section, option), {})
                entries.append((section, option, value, o.get("line")))
        findings = nova_schema.validate_entries(entries, params["release"], file="<merged>")
        for f in findings:
            o = origin.get((f["section"], f["option"]))
            if o:
                f["file"], f["line"] = o["file"], o["line"]
        result["findings"] = findings
    # What leaves the module is masked: O(base) may be the deployed nova.conf with every
    # service password in it (findings come masked from nova_schema).
    result["content"] = nova_schema.mask_ini(result["content"])
    result["settings"] = nova_schema.mask_settings(result["settings"])
    return result
