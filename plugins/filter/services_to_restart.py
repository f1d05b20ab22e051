# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kolla_ops.nova.services_to_restart filter (documentation in services_to_restart.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# Files under node_custom_config and the Nova services that read them (Kolla's merge order).
_COMPUTE_SIDE = ("nova-compute",)
_SCHEDULER = "nova-scheduler"


def services_to_restart(changed_files, compute_hosts):
    """Which services must restart to read changed override files.

    Returns {"computes": [hosts], "scheduler": bool, "api": bool}.
    """
    if not isinstance(changed_files, (list, tuple)):
        raise AnsibleFilterError("services_to_restart: expected a list of paths, got %r" % (changed_files,))
    hosts = list(compute_hosts or [])
    computes = set()
    scheduler = api = False
    for raw in changed_files:
        path = str(raw).strip("/")
        # Accept absolute paths: keep what follows the last "config/" component.
        if "/config/" in "/" + path:
            path = ("/" + path).rsplit("/config/", 1)[1]
        parts = path.split("/")
        if parts in (["global.conf"], ["nova.conf"]):
            computes.update(hosts)
            scheduler = api = True
        elif parts[0] == "globals.d" or path.endswith("kolla_ops_nova.yml"):
            computes.update(hosts)
            scheduler = api = True
        elif len(parts) == 2 and parts[0] == "nova":  # noqa: PLR2004  path depth under the override tree: nova/<service>.conf
            service = parts[1][: -len(".conf")] if parts[1].endswith(".conf") else parts[1]
            if service in _COMPUTE_SIDE:
                computes.update(hosts)
            elif service == _SCHEDULER:
                scheduler = True
            elif service == "nova-api":
                api = True
        elif len(parts) == 3 and parts[0] == "nova":  # noqa: PLR2004  path depth under the override tree: nova/<host>/<file>
            host, name = parts[1], parts[2]
            if host in hosts and name in ("nova.conf", "nova-compute.conf"):
                computes.add(host)
            elif name in ("nova.conf", "nova-scheduler.conf"):
                scheduler = True
    return {"computes": [h for h in hosts if h in computes], "scheduler": scheduler, "api": api}


class FilterModule:
    """Map changed Kolla override files to the Nova services that read them."""

    def filters(self):
        return {"services_to_restart": services_to_restart}
