"""compute_host_prep on an Intel-like and an AMD-like container.

The containers share the test machine's kernel: modules cannot be loaded and
/proc/sys is read-only, so the role must persist everything and report what is
pending (local fact /etc/ansible/facts.d/kolla_ops_compute_host_prep.fact).
"""

import json

FACT = "/etc/ansible/facts.d/kolla_ops_compute_host_prep.fact"
MODPROBE = "/etc/modprobe.d/kolla_ops_nova-kvm.conf"
MODULES_LOAD = "/etc/modules-load.d/kolla_ops_nova.conf"
SYSCTL = "/etc/sysctl.d/90-kolla_ops_nova-hugepages.conf"

# One round trip per host: every file the tests look at, with owner and mode.
_SNAPSHOT = r"""
import json, os, sys
out = {}
for path in sys.argv[1:]:
    try:
        st = os.stat(path)
    except OSError:
        out[path] = None
        continue
    text = None
    if os.path.isfile(path):
        with open(path) as handle:
            text = handle.read()
    out[path] = {"content": text, "uid": st.st_uid, "mode": st.st_mode & 0o7777}
print(json.dumps(out))
"""
_CACHE = {}


def _snapshot(host):
    name = host.backend.get_hostname()
    if name not in _CACHE:
        paths = [
            FACT,
            MODPROBE,
            MODULES_LOAD,
            SYSCTL,
            "/etc/default/grub",
            "/proc/cpuinfo",
            "/proc/cmdline",
            "/proc/sys/vm/nr_hugepages",
            "/dev/kvm",
        ]
        paths += ["/sys/module/%s/parameters/nested" % m for m in ("kvm_intel", "kvm_amd")]
        paths += ["/sys/module/%s" % m for m in ("vhost_net", "br_netfilter", "kvm", "kvm_intel", "kvm_amd")]
        result = host.run("python3 -c %s" + " %s" * len(paths), _SNAPSHOT, *paths)
        assert result.rc == 0, result.stderr
        _CACHE[name] = json.loads(result.stdout)
    return _CACHE[name]


def _file(host, path):
    return _snapshot(host)[path]


def _is_intel(host):
    return host.backend.get_hostname().startswith("compute-intel")


def _fact(host):
    f = _file(host, FACT)
    assert f is not None, "the role did not record its status"
    assert f["uid"] == 0
    assert f["mode"] == 0o644
    return json.loads(f["content"])


def _cpu_flags(host):
    for line in _file(host, "/proc/cpuinfo")["content"].splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _running_cmdline(host):
    return _file(host, "/proc/cmdline")["content"].split()


def _module_loaded(host, name):
    # The role's own test (kvm_host_info): /sys/module/<name> exists.
    return _file(host, "/sys/module/%s" % name) is not None


def _grub_cmdline(host):
    lines = [
        line
        for line in _file(host, "/etc/default/grub")["content"].splitlines()
        if line.startswith("GRUB_CMDLINE_LINUX=")
    ]
    assert len(lines) == 1
    return lines[0].split("=", 1)[1].strip('"').split()


def test_vendor_and_kvm_report(host):
    fact = _fact(host)
    vendor = "GenuineIntel" if _is_intel(host) else "AuthenticAMD"
    flag = "vmx" if _is_intel(host) else "svm"
    assert fact["cpu_vendor"] == vendor
    assert fact["cpu_vendor_source"] == "compute_host_prep_cpu_vendor"
    assert fact["virt_type"] == "kvm"
    assert fact["container"] is True
    usable = flag in _cpu_flags(host) and _file(host, "/dev/kvm") is not None
    assert fact["kvm_usable"] is usable
    if not usable:
        assert fact["kvm_problem"], "a host that cannot run KVM must say why"


def test_nested_options_written(host):
    module = "kvm_intel" if _is_intel(host) else "kvm_amd"
    f = _file(host, MODPROBE)
    assert f is not None
    assert f["mode"] == 0o644
    assert f["content"].startswith("#")  # ansible_managed header
    assert f"options {module} nested=1" in f["content"].splitlines()
    other = "kvm_amd" if _is_intel(host) else "kvm_intel"
    assert other not in f["content"]


def test_nested_reload_reported(host):
    fact = _fact(host)
    module = "kvm_intel" if _is_intel(host) else "kvm_amd"
    assert fact["kvm_module"] == module
    assert fact["nested"] is True
    nested = _file(host, f"/sys/module/{module}/parameters/nested")
    in_effect = nested is not None and nested["content"].strip() in ("Y", "1")
    # In a container nothing can be (re)loaded: unless the machine's kernel already
    # runs the module with nested on, the reload is pending, with a reason.
    assert fact["reload_pending"] is (not in_effect)
    if not in_effect:
        assert "container" in fact["reload_pending_reason"]


def test_modules_persisted_and_pending(host):
    fact = _fact(host)
    expected = ["vhost_net"] if _is_intel(host) else ["br_netfilter"]
    f = _file(host, MODULES_LOAD)
    assert f is not None
    names = [ln for ln in f["content"].splitlines() if ln and not ln.startswith("#")]
    for name in expected:
        assert name in names
    assert set(fact["kernel_modules"]) == set(names)
    for name in names:
        loaded = _module_loaded(host, name)
        assert (name in fact["modules_pending"]) is (not loaded)


def test_kernel_cmdline(host):
    args = _grub_cmdline(host)
    assert args[0] == "console=ttyS0"  # the operator's argument stays first
    if _is_intel(host):
        assert args[1:] == [
            "default_hugepagesz=1G",
            "hugepagesz=1G",
            "hugepages=2",
            "isolcpus=1",
            "nohz_full=1",
            "rcu_nocbs=1",
        ]
    else:
        # Runtime huge pages: nothing on the command line for them.
        assert args[1:] == ["iommu=pt"]
    content = _file(host, "/etc/default/grub")["content"]
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' in content


def test_reboot_reported(host):
    fact = _fact(host)
    wanted = _grub_cmdline(host)[1:]
    running = _running_cmdline(host)
    missing = [arg for arg in wanted if arg not in running]
    assert fact["kernel_args"] == _grub_cmdline(host)
    assert fact["reboot_pending_args"] == missing
    assert fact["reboot_required"] is bool(missing)
    assert fact["bootloader"].startswith("unavailable")  # no /boot/grub/grub.cfg in a container


def test_hugepages_runtime(host):
    fact = _fact(host)
    f = _file(host, SYSCTL)
    if _is_intel(host):
        assert f is None
        assert fact["hugepages"] == {"size": "1G", "count": 2, "runtime": False, "allocated_now": None}
        assert fact["sysctl_pending"] is False
    else:
        assert f is not None
        assert "vm.nr_hugepages = 64" in f["content"].splitlines()
        now = int(_file(host, "/proc/sys/vm/nr_hugepages")["content"])
        assert fact["hugepages"]["allocated_now"] == now
        assert fact["sysctl_pending"] is (now != 64)


def test_isolated_cpus(host):
    fact = _fact(host)
    assert fact["isolated_cpus"] == ("1" if _is_intel(host) else "")
