# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kolla_ops.nova.effective_profile filter (documentation in effective_profile.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.profile import (
    UnknownProfileError,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.profile import (
    effective_profile as _effective_profile,
)


def effective_profile(profiles, name, overrides=None, host=None):
    """A host's compute profile with its overrides, as nova_config renders it."""
    try:
        return _effective_profile(profiles, name, overrides)
    except UnknownProfileError as exc:
        raise AnsibleFilterError(
            "effective_profile: %s%s" % ("host %s: " % host if host else "", exc)
        ) from exc


class FilterModule:
    """Resolve a compute host's profile the way the nova_config role does."""

    def filters(self):
        return {"effective_profile": effective_profile}
