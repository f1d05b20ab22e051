#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_config_preview
short_description: Show the nova.conf Kolla-Ansible will produce for a host and a service
version_added: 0.1.0
description:
  - Merges the override files under O(node_custom_config) in Kolla-Ansible's order for O(host) and
    O(service), with the semantics of Kolla's C(merge_configs) (a key in a later file replaces the
    earlier value whole, a key repeated in one file is a multi-value, missing files are skipped, each
    file is rendered as Jinja first), and returns the result and where each key came from.
  - Kolla's role template comes first in Kolla's own merge; pass its rendered output (Kolla's
    template output without overrides) as O(base) to see the complete file. The deployed
    C(<node_config_directory>/<service>/nova.conf) is refused, as it already holds earlier overrides, and
    keys they no longer set would stay in the preview.
  - Secrets are masked in everything returned (C(***)), that is the values of options oslo.config declares
    secret (C(transport_url), C([database] connection), C(memcache_secret_key), ...) and of options
    named like credentials (C(*password), C(*secret), C(*token), ...), and user:password in any URL
    (C(rabbit://openstack:***@ctl1:5672//), C(qemu+ssh://nova:***@%s/system)). URLs keep their hosts.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  host:
    description: The inventory_hostname of the host.
    type: str
    required: true
  service:
    description: The Nova service (its container name).
    type: str
    default: nova-compute
    choices: [nova-compute, nova-compute-ironic, nova-conductor, nova-novncproxy, nova-serialproxy,
              nova-spicehtml5proxy, nova-api, nova-metadata, nova-scheduler, nova-super-conductor]
  node_custom_config:
    description: Kolla-Ansible's C(node_custom_config) directory.
    type: path
    default: /etc/kolla/config
  base:
    description:
      - A file merged first, standing in for Kolla's role template - Kolla's template output rendered
        without overrides (see docs/nova_config.md), never the deployed nova.conf.
    type: path
  node_config_directory:
    description:
      - Kolla-Ansible's C(node_config_directory), where Kolla deploys each service's files; a O(base) in
        one of its service directories is the deployed file and is refused.
    type: path
    default: /etc/kolla
  variables:
    description: Variables for the Jinja rendering of the files; others stay as C({{ name }}).
    type: dict
    default: {}
  release:
    description: When set, the merged result is also validated against this Nova release's schema.
    type: str
attributes:
  check_mode:
    description: Runs in check mode and predicts the change without modifying the target.
    support: full
  diff_mode:
    description: Returns details on what changed (or would change in check mode) in diff mode.
    support: none
  idempotent:
    description: Run twice with the same arguments, the second run reports no change.
    support: full
"""

EXAMPLES = r"""
- name: Effective nova-compute configuration of compute3
  kolla_ops.nova.nova_config_preview:
    host: compute3
    service: nova-compute
    release: "34"
  register: preview

- name: Show it
  ansible.builtin.debug:
    msg: "{{ preview.content }}"
"""

RETURN = r"""
content:
  description: The merged file, byte for byte as Kolla's merge_configs writes it, but with secrets masked.
  returned: always
  type: str
sources:
  description: The files in merge order and whether each exists.
  returned: always
  type: list
  elements: dict
origin:
  description: For each key, the file and line its value came from.
  returned: always
  type: list
  elements: dict
settings:
  description: Section to option to value (a list for multi-values), secrets masked.
  returned: always
  type: dict
unresolved:
  description: Jinja variables left unrendered.
  returned: always
  type: list
  elements: str
findings:
  description: Schema findings on the merged result when O(release) is given.
  returned: when release is given
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.preview_step import (
    DeployedBaseError,
    run,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            service=dict(type="str", default="nova-compute", choices=list(kolla_merge.SERVICES)),
            node_custom_config=dict(type="path", default="/etc/kolla/config"),
            base=dict(type="path"),
            node_config_directory=dict(type="path", default="/etc/kolla"),
            variables=dict(type="dict", default={}),
            release=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module.params)
    except kolla_merge.IniParseError as exc:
        module.fail_json(msg=str(exc).replace(repr(exc.line), repr(nova_schema.mask_ini(exc.line))))
    except (nova_schema.SchemaError, DeployedBaseError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
