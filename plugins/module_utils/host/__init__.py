# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host preparation: the kernel command line (``kernel_cmdline``, with the GRUB backend in
``grub``) and the KVM facts of a compute host (``kvm``)."""
