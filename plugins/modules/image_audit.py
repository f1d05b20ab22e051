#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check Glance images against Nova's image backend and the recommended properties."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image_audit
short_description: Find qcow2 images on an RBD backend and images missing recommended properties
version_added: 0.1.0
description:
  - Lists the images (paged) and reports qcow2 images when Nova's image backend is Ceph RBD
    (O(images_type=rbd); each boot downloads and converts them, raw images are cloned), and
    images without C(hw_scsi_model), C(hw_disk_bus), C(os_type) or C(os_distro), or with
    C(hw_scsi_model=virtio-scsi) but a C(hw_disk_bus) other than C(scsi).
  - With O(fix=true), sets the properties in O(fix_properties) on the images that lack them.
    Only properties; image data is never touched, never converted.
  - In check mode nothing changes; RV(actions) is the plan.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  fix:
    description: Set O(fix_properties) on images that lack them.
    type: bool
    default: false
  images_type:
    description: Nova's C([libvirt] images_type) (Kolla sets V(rbd) with C(nova_backend_ceph)).
    type: str
    default: default
  required_properties:
    description: Properties every image should carry.
    type: list
    elements: str
    default: [hw_scsi_model, hw_disk_bus, os_type, os_distro]
  fix_properties:
    description:
      - Property values set by O(fix=true) where an image lacks the property. Guest-dependent
        properties (C(os_type), C(os_distro)) are only set when given here.
    type: dict
    default: {hw_scsi_model: virtio-scsi, hw_disk_bus: scsi}
  images:
    description:
      - Limit the audit and the repair to these image names or IDs.
      - A value that names no image is an error, before anything is changed, naming the unknown
        values and the known image names and IDs.
    type: list
    elements: str
extends_documentation_fragment:
  - kolla_ops.nova.audit
  - ansible.builtin.action_common_attributes
  - openstack.cloud.openstack
  - kolla_ops.nova.nova_commands
attributes:
  check_mode:
    support: full
    details: Returns the property updates it would make as RV(actions).
  diff_mode:
    support: none
  idempotent:
    description: After a repair, a second run with O(fix=true) finds nothing to do (no change).
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Audit images of a Ceph-backed cloud
  kolla_ops.nova.image_audit:
    cloud: kolla-admin
    images_type: rbd

- name: Set SCSI properties where missing
  kolla_ops.nova.image_audit:
    cloud: kolla-admin
    fix: true
    fix_properties:
      hw_scsi_model: virtio-scsi
      hw_disk_bus: scsi
"""

RETURN = r"""
report:
  description: The report (kolla_ops.nova report shape).
  returned: always
  type: dict
qcow2_on_rbd:
  description: qcow2 images found while O(images_type=rbd).
  returned: always
  type: list
  elements: dict
missing_properties:
  description: Images lacking recommended properties, with the update O(fix=true) would make.
  returned: always
  type: list
  elements: dict
actions:
  description: Property updates made (or, in check mode, planned).
  returned: always
  type: list
  elements: dict
proposed_actions:
  description: Every update a run with O(fix=true) would make.
  returned: always
  type: list
  elements: dict
stats:
  description: API requests made.
  returned: always
  type: dict
scope_error:
  description:
    - When a scope option names something the cloud does not know, the task fails and this says
      which (C(option), C(unknown), C(known) (the first 20), C(known_count)); nothing was changed.
  returned: on that failure
  type: dict
  sample: {"option": "images", "unknown": ["cirros-0.7"], "known": ["cirros-0.6"], "known_count": 1}
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.images import (
    apply,
    audit,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.resources import (
    RECOMMENDED_PROPERTIES,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.audit.run import (
    COMMON_SPEC,
    run_audit,
)


class ImageAudit(OpenStackModule):
    argument_spec = dict(
        COMMON_SPEC,
        images_type={"type": "str", "default": "default"},
        required_properties={"type": "list", "elements": "str", "default": list(RECOMMENDED_PROPERTIES)},
        fix_properties={"type": "dict", "default": {"hw_scsi_model": "virtio-scsi", "hw_disk_bus": "scsi"}},
        images={"type": "list", "elements": "str"},
    )
    module_kwargs = {"supports_check_mode": True}

    def run(self):
        run_audit(self, audit, apply, placement=False)


def main():
    module = ImageAudit()
    module()


if __name__ == "__main__":
    main()
