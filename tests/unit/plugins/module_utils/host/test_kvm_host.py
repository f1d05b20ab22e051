"""The read-only compute host probe, on fake /proc and /sys trees."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.host.kvm import (
    module_name,
    parse_cpuinfo,
    parse_nested,
    probe,
)

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
flags\t\t: fpu vme vmx ept

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
flags\t\t: fpu vme vmx ept
"""


def _write(root, path, text):
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _host(tmp_path, container=False):
    _write(tmp_path, "/proc/cpuinfo", CPUINFO)
    _write(tmp_path, "/proc/meminfo", "MemTotal:       65843212 kB\nMemFree: 1 kB\n")
    _write(tmp_path, "/proc/sys/vm/nr_hugepages", "128\n")
    _write(tmp_path, "/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n")
    _write(tmp_path, "/dev/kvm", "")
    _write(tmp_path, "/sys/module/kvm/refcnt", "1\n")
    _write(tmp_path, "/sys/module/kvm_intel/parameters/nested", "N\n")
    _write(tmp_path, "/sys/module/kvm_intel/refcnt", "2\n")
    _write(tmp_path, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "128\n")
    _write(tmp_path, "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n")
    _write(tmp_path, "/proc/4242/comm", "qemu-system-x86\n")
    _write(tmp_path, "/proc/1/comm", "systemd\n")
    (tmp_path / "lib/modules/6.1.0-28-amd64").mkdir(parents=True)
    if container:
        _write(tmp_path, "/run/.containerenv", "")
    return tmp_path


def test_parse_cpuinfo():
    info = parse_cpuinfo(CPUINFO)
    assert info["vendor"] == "GenuineIntel"
    assert info["count"] == 2
    assert "vmx" in info["flags"]
    assert parse_cpuinfo("")["vendor"] == ""


def test_parse_nested_and_module_name():
    assert parse_nested("Y\n") is True
    assert parse_nested("0") is False
    assert parse_nested(None) is None
    assert module_name("kvm-intel") == "kvm_intel"


def test_probe_bare_metal(tmp_path):
    facts = probe(str(_host(tmp_path)), modules=["vhost-net"])
    assert facts["cpu_vendor"] == "GenuineIntel"
    assert facts["virt_flags"] == ["vmx"]
    assert facts["dev_kvm"] is True
    assert facts["modules"]["kvm_intel"] == {"loaded": True, "nested": False, "refcnt": 2}
    assert facts["modules"]["kvm_amd"]["loaded"] is False
    assert facts["modules"]["vhost_net"]["loaded"] is False
    assert facts["guests"] == [{"pid": 4242, "comm": "qemu-system-x86"}]
    assert facts["container"] is False
    assert facts["can_load_modules"] is True
    assert facts["nr_hugepages"] == 128
    assert facts["hugepage_pools"] == [{"size_kb": 2048, "pages": 128}, {"size_kb": 1048576, "pages": 0}]
    assert facts["memtotal_kb"] == 65843212


def test_probe_container_cannot_load_modules(tmp_path):
    facts = probe(str(_host(tmp_path, container=True)))
    assert facts["container"] is True
    assert facts["can_load_modules"] is False


def test_probe_empty_root(tmp_path):
    facts = probe(str(tmp_path), release="6.1.0")
    assert facts["cpu_vendor"] == ""
    assert facts["dev_kvm"] is False
    assert facts["guests"] == []
    assert facts["proc_sys_writable"] is False
    assert facts["memtotal_kb"] is None
    assert facts["can_load_modules"] is False
