# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moved: drain.py, enable.py, evacuate.py, recover.py (see compute_host/__init__.py)."""

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.drain import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.enable import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.evacuate import *  # noqa: F403  # SHIM: remove at merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.recover import *  # noqa: F403  # SHIM: remove at merge
