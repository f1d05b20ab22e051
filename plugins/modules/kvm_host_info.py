#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts about a compute host's virtualisation support."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kvm_host_info
short_description: Report a compute host's CPU vendor, KVM support, guests, huge pages and module state
version_added: 0.1.0
description:
  - Reads C(/proc/cpuinfo), C(/dev/kvm), C(/sys/module/kvm*), the process table,
    C(/proc/sys/vm/nr_hugepages), C(/sys/kernel/mm/hugepages), C(/proc/meminfo) and container
    markers, and returns what a role needs to decide whether C(virt_type=kvm) can run, whether
    a KVM module may be reloaded (no guest running) and what can be applied without a reboot.
  - Changes nothing.
author:
  - kolla_ops.nova developers (@kolla-ops)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description:
      - Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation
        indicates no change.
    support: full
options:
  modules:
    description:
      - Kernel modules to report on besides C(kvm), C(kvm_intel) and C(kvm_amd).
    type: list
    elements: str
    default: []
  root:
    description:
      - Directory the host's C(/proc), C(/sys), C(/dev) and C(/lib/modules) are read under.
        Only useful to inspect a mounted image or in tests.
    type: path
    default: /
"""

EXAMPLES = r"""
- name: Probe virtualisation support
  kolla_ops.nova.kvm_host_info:
    modules: [vhost_net]
  register: kvm

- name: Fail when KVM cannot run here
  ansible.builtin.assert:
    that: kvm.virt_flags | length > 0 and kvm.dev_kvm
    fail_msg: VT-x/AMD-V is off or missing; enable it in the firmware or use virt_type=qemu
"""

RETURN = r"""
cpu_vendor:
  description: C(vendor_id) of the first CPU (empty when /proc/cpuinfo has none, e.g. on ARM).
  returned: always
  type: str
  sample: GenuineIntel
cpu_model:
  description: C(model name) of the first CPU.
  returned: always
  type: str
  sample: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
cpu_count:
  description: Number of CPUs listed in /proc/cpuinfo.
  returned: always
  type: int
  sample: 64
virt_flags:
  description: Hardware virtualisation flags of the CPU (V(vmx) for VT-x, V(svm) for AMD-V).
  returned: always
  type: list
  elements: str
  sample: [vmx]
dev_kvm:
  description: Whether /dev/kvm exists.
  returned: always
  type: bool
modules:
  description: For C(kvm), C(kvm_intel), C(kvm_amd) and O(modules), whether it is loaded, its
    C(nested) parameter (null when absent) and its reference count (guests holding it).
  returned: always
  type: dict
  sample: {kvm_intel: {loaded: true, nested: false, refcnt: 0}}
guests:
  description: Running QEMU/KVM processes (pid and command name).
  returned: always
  type: list
  elements: dict
  sample: [{pid: 4242, comm: qemu-system-x86}]
container:
  description: Whether the probe runs inside a container (modules cannot be loaded there).
  returned: always
  type: bool
kernel_release:
  description: Running kernel release.
  returned: always
  type: str
  sample: 6.1.0-28-amd64
modules_dir:
  description: Whether /lib/modules/<kernel_release> exists.
  returned: always
  type: bool
can_load_modules:
  description: True when kernel modules can be loaded or reloaded here (not a container, modules present).
  returned: always
  type: bool
proc_sys_writable:
  description: Whether /proc/sys/vm/nr_hugepages is writable (false in containers).
  returned: always
  type: bool
nr_hugepages:
  description: Current C(vm.nr_hugepages) (default page size pool).
  returned: always
  type: int
hugepage_pools:
  description: Huge page sizes the kernel supports and the pages allocated in each pool now.
  returned: always
  type: list
  elements: dict
  sample: [{size_kb: 2048, pages: 0}, {size_kb: 1048576, pages: 16}]
memtotal_kb:
  description: C(MemTotal) of /proc/meminfo in KiB.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.host.kvm import probe


def main():
    module = AnsibleModule(
        argument_spec={
            "modules": {"type": "list", "elements": "str", "default": []},
            "root": {"type": "path", "default": "/"},
        },
        supports_check_mode=True,
    )
    module.exit_json(changed=False, **probe(module.params["root"], module.params["modules"]))


if __name__ == "__main__":
    main()
