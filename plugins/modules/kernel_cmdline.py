#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Idempotent edits of the kernel command line (GRUB defaults or grubby)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kernel_cmdline
short_description: Set or remove kernel command line arguments, reporting when a reboot is needed
version_added: 0.1.0
description:
  - Makes sure the kernel command line a host boots with contains the arguments in O(set)
    (each once, with the given value) and none of the arguments named in O(absent).
  - On Debian and Ubuntu it edits the last C(GRUB_CMDLINE_LINUX) assignment in
    C(/etc/default/grub) and keeps every other line as it was. Regenerate the GRUB
    configuration afterwards (C(update-grub) or C(grub-mkconfig)), for example from a handler.
  - On EL (RHEL, Rocky, Alma, CentOS Stream) it changes every boot entry with
    C(grubby --update-kernel=ALL); no regeneration is needed.
  - Arguments the module does not manage stay where they are. Managed arguments are appended
    in the order given unless they are already present with the right values in that order.
  - The module never reboots. RV(reboot_required) is true while the running kernel
    (C(/proc/cmdline)) lacks an argument of O(set) or still has one named in O(absent).
author:
  - kolla_ops.nova developers (@kolla-ops)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description:
      - Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation
        indicates no change.
    support: full
options:
  set:
    description:
      - Arguments that must be present, as a mapping of name to value. A value of V(null) gives
        a bare flag (for example C(nosmt)).
      - The order of the mapping is the order the arguments are written in, which matters for
        pairs such as C(hugepagesz=1G hugepages=16).
      - Values must not contain spaces, quotes, C($), C(`) or backslashes.
    type: dict
    default: {}
  absent:
    description:
      - Names of arguments that must not be present (every occurrence is removed,
        whatever its value).
    type: list
    elements: str
    default: []
  backend:
    description:
      - V(grub) edits O(path); V(grubby) uses the grubby command;
        V(auto) picks V(grubby) when the command exists, V(grub) otherwise.
    type: str
    choices: [auto, grub, grubby]
    default: auto
  path:
    description:
      - The GRUB defaults file the V(grub) backend edits.
    type: path
    default: /etc/default/grub
  variable:
    description:
      - The variable of O(path) the V(grub) backend edits. C(GRUB_CMDLINE_LINUX) applies to
        every boot entry, including recovery ones.
    type: str
    default: GRUB_CMDLINE_LINUX
  create:
    description:
      - Create O(path) when it does not exist (V(grub) backend). When false, a missing file is
        an error.
    type: bool
    default: false
  proc_cmdline:
    description:
      - Where the running kernel's command line is read from, to compute RV(reboot_required).
    type: path
    default: /proc/cmdline
notes:
  - Files under C(/etc/default/grub.d/) are not changed; if one of them assigns O(variable),
    it overrides what this module writes, and the module warns about it.
seealso:
  - name: Kernel parameters
    description: The kernel's list of command line parameters.
    link: https://docs.kernel.org/admin-guide/kernel-parameters.html
"""

EXAMPLES = r"""
- name: Reserve 16 huge pages of 1 GiB at boot
  kolla_ops.nova.kernel_cmdline:
    set:
      default_hugepagesz: 1G
      hugepagesz: 1G
      hugepages: 16
  register: cmdline

- name: Isolate the CPUs Nova pins guests to, and drop an old setting
  kolla_ops.nova.kernel_cmdline:
    set:
      isolcpus: 4-15
      nohz_full: 4-15
      rcu_nocbs: 4-15
    absent:
      - nosmt

- name: Say that a reboot is pending
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} needs a reboot for {{ cmdline.added | join(' ') }}"
  when: cmdline.reboot_required
"""

RETURN = r"""
backend:
  description: The backend used (V(grub) or V(grubby)).
  returned: always
  type: str
  sample: grub
before:
  description: Configured arguments before the change.
  returned: always
  type: list
  elements: str
  sample: [quiet]
after:
  description: Configured arguments after the change (what would be written in check mode).
  returned: always
  type: list
  elements: str
  sample: [quiet, hugepagesz=1G, hugepages=16]
added:
  description: Arguments of RV(after) that were not in RV(before).
  returned: always
  type: list
  elements: str
  sample: [hugepagesz=1G, hugepages=16]
removed:
  description: Arguments of RV(before) that are not in RV(after).
  returned: always
  type: list
  elements: str
  sample: [hugepages=8]
running:
  description:
    - Arguments of the running kernel, without those after C(--) that go to init
      (empty when O(proc_cmdline) cannot be read).
  returned: always
  type: list
  elements: str
  sample: [BOOT_IMAGE=/vmlinuz, ro, quiet]
missing:
  description: Arguments of O(set) the running kernel was not booted with.
  returned: always
  type: list
  elements: str
  sample: [hugepages=16]
unwanted:
  description: Arguments of the running kernel named in O(absent).
  returned: always
  type: list
  elements: str
  sample: [isolcpus=2-3]
reboot_required:
  description: True when the running kernel lacks a requested argument or has one named in O(absent).
  returned: always
  type: bool
  sample: true
bootloader_update_required:
  description:
    - True when O(path) changed and the GRUB configuration must be regenerated
      (V(grub) backend only; false in check mode).
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError, fail_module
from ansible_collections.kolla_ops.nova.plugins.module_utils.host.bootloader import ARGUMENT_SPEC, run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module)
    except KollaOpsError as exc:  # KernelCmdlineError, its message prefixed with the backend
        fail_module(module, exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
