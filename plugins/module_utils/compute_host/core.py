# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moved: see COMPUTE_HOST_LAYOUT.md / compute_host/__init__.py for where each piece lives."""

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.classify import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.guards import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.mover import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.report import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.state import *  # noqa: F403  # SHIM: remove at merge
