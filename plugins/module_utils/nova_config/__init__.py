# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova configuration for Kolla-Ansible: compute profiles -> override files, checks, previews.

Where things live (see NOVA_CONFIG_LAYOUT in docs/nova_config.md):

* ``fields``: profile field tables and coercion; ``problems``: the problem dict;
* ``profile``: one host's profile resolved into INI settings; ``checks``: cross-field rules;
* ``values``: what a written value may be (one line; JSON for [pci] alias/device_spec, checked as Nova does);
* ``plan``: :func:`plan.build_plan` over every host, scheduler and Kolla globals;
* ``operator_files``: checks on the operator's own override files;
* ``render``: INI/globals text, the files owned, atomic writes, diffs;
* ``kolla_merge``: Kolla-Ansible's merge_configs reproduced; ``cpuset``: Nova's CPU set syntax;
* ``validate_step`` / ``render_step`` / ``preview_step``: what the three modules run;
* ``flavor_specs``: flavor and extra-spec checks (Nova's validators in ``flavor_spec_data``).

Nothing is imported here, so that ``nova_schema`` and this package can import each other's modules.
"""
