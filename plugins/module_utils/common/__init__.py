# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every layer may import: errors, clock, file writes, masking, release table.

Nothing here imports from another package of the collection except module.py, the base
class of the modules, which builds the cloud reader and the Nova command runner.
"""
