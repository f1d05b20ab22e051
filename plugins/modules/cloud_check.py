#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that a cloud of clouds.yaml is reachable and its credentials work; change nothing."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloud_check
short_description: Check that a cloud is reachable and its credentials work, before anything else runs
version_added: 0.1.0
description:
  - Reads the cloud from clouds.yaml as openstacksdk does, asks Keystone for a token, checks that
    each service in O(services) has an endpoint in the catalog that answers, and that the user has
    the C(admin) role (O(require_admin)).
  - "Every error names the clouds.yaml path, the cloud and the user (never the password), says what
    went wrong (cloud not defined, with the clouds the file defines; credentials refused; Keystone or
    a service not answering; no admin role) and what to do."
  - Read-only; C(site.yml) runs it with its other checks, before anything is written.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  cloud:
    description: Name of the cloud in clouds.yaml (Kolla's admin cloud is C(kolla-admin)).
    type: str
    required: true
  clouds_yaml:
    description:
      - The clouds.yaml to read. Default is openstacksdk's search (C(OS_CLIENT_CONFIG_FILE),
        C(./clouds.yaml), C(~/.config/openstack/clouds.yaml), C(/etc/openstack/clouds.yaml)).
    type: path
  services:
    description: Service types whose endpoint must answer.
    type: list
    elements: str
    choices: [compute, placement, image, network]
    default: [compute, placement]
  require_admin:
    description: Fail when the user does not have the C(admin) role in its project.
    type: bool
    default: true
requirements:
  - openstacksdk
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads; runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    description: Never changes anything.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Check the cloud before anything is written
  kolla_ops.nova.cloud_check:
    cloud: kolla-admin
    clouds_yaml: /etc/kolla/clouds.yaml
"""

RETURN = r"""
cloud:
  description: What was found (never the password).
  returned: success
  type: dict
  sample:
    cloud: sandbox
    clouds_yaml: /work/.sandbox/clouds.yaml
    user: admin
    project: admin
    auth_url: http://127.0.0.1:5000/v3
    region: RegionOne
    interface: public
    roles: [admin, member, reader]
    endpoints: {compute: "http://127.0.0.1:8774/v2.1", placement: "http://127.0.0.1:8778"}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud_check import (
    SERVICES,
    CloudError,
    check_cloud,
)

try:
    import openstack  # noqa: F401  # pylint: disable=unused-import

    HAS_OPENSTACKSDK = True
except ImportError:
    HAS_OPENSTACKSDK = False


def main():
    module = AnsibleModule(
        argument_spec={
            "cloud": {"type": "str", "required": True},
            "clouds_yaml": {"type": "path"},
            "services": {
                "type": "list",
                "elements": "str",
                "choices": list(SERVICES),
                "default": ["compute", "placement"],
            },
            "require_admin": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    if not HAS_OPENSTACKSDK:
        module.fail_json(msg=missing_required_lib("openstacksdk"))
    try:
        found = check_cloud(
            module.params["cloud"],
            module.params["clouds_yaml"],
            module.params["services"],
            module.params["require_admin"],
        )
    except CloudError as exc:
        module.fail_json(msg=str(exc), cloud=exc.details)
    module.exit_json(changed=False, cloud=found)


if __name__ == "__main__":
    main()
