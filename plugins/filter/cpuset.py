# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kolla_ops.nova.cpuset filter (documentation in cpuset.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.cpuset import (
    CpuSetError,
    format_cpuset,
    parse_cpuset,
)

_OUTPUTS = ("list", "string")


def cpuset(value, output=None, allow_empty=False):
    """Parse a Nova CPU set string, or format a list of CPU ids."""
    if output is not None and output not in _OUTPUTS:
        raise AnsibleFilterError("cpuset: output=%r is not one of %s" % (output, ", ".join(_OUTPUTS)))
    try:
        if isinstance(value, (list, tuple, set)):
            text = format_cpuset(value)
            if output == "list":
                return parse_cpuset(text, allow_empty=True)
            return text
        cpus = parse_cpuset(value, allow_empty=allow_empty)
    except CpuSetError as exc:
        raise AnsibleFilterError("cpuset: %s" % exc) from exc
    if output == "string":
        return format_cpuset(cpus)
    return cpus


class FilterModule:
    """Nova CPU set filters."""

    def filters(self):
        return {"cpuset": cpuset}
