# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moved to nova_config/kolla_merge.py (imported here by upgrade_check.py)."""

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.kolla_merge import *  # noqa: F403  # SHIM: remove at merge
