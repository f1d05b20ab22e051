# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import *  # noqa: F403  # SHIM: remove at merge
