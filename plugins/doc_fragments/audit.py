# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the audit modules (module_utils/audit/run.py COMMON_SPEC, PLACEMENT_SPEC)."""

from __future__ import annotations


class ModuleDocFragment:
    # page_size: every audit module.
    DOCUMENTATION = r"""
options:
  page_size:
    description:
      - Page size of list calls. Requests grow with pages of results, not with hosts or servers.
    type: int
    default: 1000
"""

    # Audits that read Placement and the cell databases.
    PLACEMENT = r"""
options:
  placement_source:
    description:
      - Where Placement data is read from. V(api) uses Placement's API (about two requests per resource
        provider, since Placement has no bulk call for allocations and inventories); V(database) reads
        Placement's database through O(nova_commands) (a fixed number of queries whatever the size);
        V(auto) uses the database when O(nova_commands) is set, the API otherwise. Repairs always go through
        the API.
    type: str
    choices: [auto, api, database]
    default: auto
  placement_database:
    description: Name of Placement's database (for O(placement_source=database)).
    type: str
    default: placement
  cell_databases:
    description:
      - Cell databases read for service versions and compute nodes (with O(nova_commands)).
        Kolla names cell1's database C(nova); list every cell's database in a multi-cell cloud.
    type: list
    elements: str
    default: [nova]
"""
