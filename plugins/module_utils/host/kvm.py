# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only probe of a compute host's virtualisation state.

Everything is read from files under ``root`` (``/`` on a real host, a fake tree in
unit tests): ``/proc/cpuinfo``, ``/dev/kvm``, ``/sys/module/kvm_*``, running
processes, ``/proc/sys/vm/nr_hugepages``, ``/sys/kernel/mm/hugepages``,
``/proc/meminfo``, ``/lib/modules/<release>``, container markers.  Nothing is
changed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

VENDOR_MODULES = {"GenuineIntel": "kvm_intel", "AuthenticAMD": "kvm_amd"}
VENDOR_FLAGS = {"GenuineIntel": "vmx", "AuthenticAMD": "svm"}
_QEMU_COMM = re.compile(r"^(qemu-system-\S*|qemu-kvm|kvm)$")
_HUGE_DIR = re.compile(r"^hugepages-(\d+)kB$")


def _path(root, path):
    return os.path.join(root, path.lstrip("/"))


def _read(root, path, default=None):
    try:
        with open(_path(root, path), encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return default


def _int(text, default=None):
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


def parse_cpuinfo(text: str) -> dict[str, Any]:
    """Vendor, model name, flags (of the first CPU) and the number of CPUs in /proc/cpuinfo."""
    vendor = model = ""
    flags = []
    count = 0
    for line in (text or "").splitlines():
        key, _sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "processor":
            count += 1
        elif key == "vendor_id" and not vendor:
            vendor = value
        elif key == "model name" and not model:
            model = value
        elif key == "flags" and not flags:
            flags = value.split()
    return {"vendor": vendor, "model": model, "flags": flags, "count": count}


def parse_nested(text: str | None) -> bool | None:
    """``Y``/``1`` -> True, ``N``/``0`` -> False, missing -> None."""
    if text is None:
        return None
    value = text.strip().upper()
    if value in ("Y", "1"):
        return True
    if value in ("N", "0"):
        return False
    return None


def module_name(name: str) -> str:
    """Kernel module names use ``_`` in /sys/module whatever the spelling (``kvm-intel``)."""
    return name.replace("-", "_")


def module_state(root: str, name: str) -> dict[str, Any]:
    """Loaded?, nested parameter and reference count of one kernel module."""
    base = "/sys/module/%s" % module_name(name)
    loaded = os.path.isdir(_path(root, base))
    return {
        "loaded": loaded,
        "nested": parse_nested(_read(root, base + "/parameters/nested")) if loaded else None,
        "refcnt": _int(_read(root, base + "/refcnt"), 0) if loaded else 0,
    }


def running_guests(root: str) -> list[dict[str, Any]]:
    """Processes that look like QEMU/KVM guests: ``[{'pid': 123, 'comm': 'qemu-system-x86'}]``."""
    guests = []
    proc = _path(root, "/proc")
    try:
        entries = os.listdir(proc)
    except OSError:
        return guests
    for entry in sorted(entries, key=lambda e: (len(e), e)):
        if not entry.isdigit():
            continue
        comm = (_read(root, "/proc/%s/comm" % entry, "") or "").strip()
        if _QEMU_COMM.match(comm):
            guests.append({"pid": int(entry), "comm": comm})
    return guests


def in_container(root: str) -> bool:
    """True inside a podman/docker/LXC/systemd-nspawn container."""
    if os.path.exists(_path(root, "/run/.containerenv")) or os.path.exists(_path(root, "/.dockerenv")):
        return True
    environ = _read(root, "/proc/1/environ", "") or ""
    return any(item.startswith("container=") for item in environ.split("\0"))


def hugepage_pools(root: str) -> list[dict[str, Any]]:
    """``[{'size_kb': 2048, 'pages': 0}, ...]``: supported sizes and pages allocated now."""
    pools = []
    base = _path(root, "/sys/kernel/mm/hugepages")
    try:
        entries = os.listdir(base)
    except OSError:
        return pools
    for entry in entries:
        match = _HUGE_DIR.match(entry)
        if match:
            pages = _int(_read(root, "/sys/kernel/mm/hugepages/%s/nr_hugepages" % entry), 0)
            pools.append({"size_kb": int(match.group(1)), "pages": pages})
    return sorted(pools, key=lambda pool: pool["size_kb"])


def meminfo_kb(root: str, key: str) -> int | None:
    for line in (_read(root, "/proc/meminfo", "") or "").splitlines():
        name, _sep, value = line.partition(":")
        if name.strip() == key:
            return _int(value.split()[0] if value.split() else None)
    return None


def probe(root: str = "/", modules: Iterable[str] = (), release: str | None = None) -> dict[str, Any]:
    """Collect the host state the compute_host_prep role decides on."""
    cpu = parse_cpuinfo(_read(root, "/proc/cpuinfo", ""))
    release = release or (_read(root, "/proc/sys/kernel/osrelease", "") or "").strip() or os.uname().release
    container = in_container(root)
    modules_dir = os.path.isdir(_path(root, "/lib/modules/%s" % release))
    nr_path = _path(root, "/proc/sys/vm/nr_hugepages")
    names = sorted({module_name(m) for m in list(modules) + list(VENDOR_MODULES.values()) + ["kvm"]})
    flags = set(cpu["flags"])
    return {
        "cpu_vendor": cpu["vendor"],
        "cpu_model": cpu["model"],
        "cpu_count": cpu["count"],
        "virt_flags": sorted(flags & {"vmx", "svm"}),
        "dev_kvm": os.path.exists(_path(root, "/dev/kvm")),
        "modules": {name: module_state(root, name) for name in names},
        "guests": running_guests(root),
        "container": container,
        "kernel_release": release,
        "modules_dir": modules_dir,
        "can_load_modules": bool(modules_dir and not container),
        "proc_sys_writable": os.path.exists(nr_path) and os.access(nr_path, os.W_OK),
        "nr_hugepages": _int(_read(root, "/proc/sys/vm/nr_hugepages"), 0),
        "hugepage_pools": hugepage_pools(root),
        "memtotal_kb": meminfo_kb(root, "MemTotal"),
    }
