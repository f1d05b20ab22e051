# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``nova_config_preview`` runs: Kolla's merge for one host and service, validated, masked."""

from __future__ import annotations

import os

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge


class DeployedBaseError(ValueError):
    """``base`` is a nova.conf Kolla deployed (a merge result), not its template output."""


def check_base(base):
    """Refuse a deployed ``<node_config_directory>/<service>/nova.conf`` as ``base``.

    Kolla writes every service's files into its own directory beside a ``config.json``
    (nova and nova-cell roles, "Copying over config.json files for services"). Such a file
    already holds the previous overrides: merged again it keeps keys the overrides no longer
    set (``cpu_dedicated_set`` after a host moved to a general profile) that Kolla drops.
    """
    if not base:
        return
    parent = os.path.dirname(os.path.abspath(base))
    if os.path.basename(parent) in kolla_merge.SERVICES and os.path.isfile(
        os.path.join(parent, "config.json")
    ):
        raise DeployedBaseError(
            "base %s is the nova.conf Kolla deployed for %s (config.json beside it), not Kolla's template "
            "output: it already holds earlier overrides, so the preview would keep keys Kolla drops. Pass "
            "Kolla's template output (kolla-ansible genconfig with an empty node_custom_config, see "
            "docs/nova_config.md) or no base" % (base, os.path.basename(parent))
        )


def run(params):
    check_base(params["base"])
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
