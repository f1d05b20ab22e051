"""site.yml end to end: the README's demo path on the sandbox, and the example inventory.

The demo test runs exactly what `make demo` runs (site.yml against inventory/sandbox),
then checks the report it wrote, that Placement carries the profiles' ratios, and that
a second run changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _playbook(args, env_extra=None, timeout=900):
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env["PATH"] = "%s:%s" % (VENV_BIN, env.get("PATH", ""))
    env.update(env_extra or {})
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _recap(stdout):
    """{host: {"ok": n, "changed": n, "failed": n}} from the PLAY RECAP."""
    recap = {}
    for m in re.finditer(
        r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", stdout, re.M
    ):
        recap[m.group(1)] = {"ok": int(m.group(2)), "changed": int(m.group(3)), "failed": int(m.group(5))}
    return recap


def _inventory(conn, host):
    rp = next(iter(conn.placement.resource_providers(name=host)))
    return {inv.resource_class: inv for inv in conn.placement.resource_provider_inventories(rp)}


def test_demo_site_yml_on_the_sandbox(sandbox, admin_conn):
    report_dir = ROOT / "reports"
    for suffix in ("json", "junit.xml", "txt"):
        (report_dir / ("verify." + suffix)).unlink(missing_ok=True)

    first = _playbook(["-i", "inventory/sandbox", "site.yml"])
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]

    report = json.loads((report_dir / "verify.json").read_text())
    statuses = {r["check"]: r["status"] for r in report["results"]}
    assert report["summary"]["fail"] == 0, (report_dir / "verify.txt").read_text()
    for check in (
        "services.compute",
        "cells.host_mappings",
        "placement.providers",
        "smoke.boot",
        "console.proxy",
    ):
        assert statuses[check] == "pass", check
    for host in ("compute1", "compute2", "compute3"):
        assert statuses["inventories.%s" % host] == "pass"
    assert (report_dir / "verify.junit.xml").read_text().count("<testcase") == len(report["results"])
    assert "0 fail" in (report_dir / "verify.txt").read_text().splitlines()[0]

    # The profiles of inventory/sandbox reached Placement.
    general = _inventory(admin_conn, "compute1")
    assert general["VCPU"].allocation_ratio == pytest.approx(4.0)
    assert general["MEMORY_MB"].reserved == 1024
    assert general["MEMORY_MB"].allocation_ratio == pytest.approx(1.0)
    dense = _inventory(admin_conn, "compute3")
    assert dense["VCPU"].allocation_ratio == pytest.approx(8.0)
    assert dense["MEMORY_MB"].reserved == 2048
    assert dense["DISK_GB"].reserved == 10

    # Flavors and the aggregate exist as declared.
    flavor = admin_conn.compute.find_flavor("dense.small", ignore_missing=False)
    specs = admin_conn.compute.fetch_flavor_extra_specs(flavor).extra_specs
    assert specs["aggregate_instance_extra_specs:dense"] == "true"
    private = admin_conn.compute.find_flavor("demo.private", ignore_missing=False)
    assert private.is_public is False
    aggregate = admin_conn.compute.find_aggregate("dense", ignore_missing=False)
    assert aggregate.hosts == ["compute3"]

    second = _playbook(["-i", "inventory/sandbox", "site.yml"])
    assert second.returncode == 0, second.stdout[-6000:]
    recap = _recap(second.stdout)
    assert recap, second.stdout[-3000:]
    assert all(h["changed"] == 0 for h in recap.values()), recap


def test_example_inventory_renders_in_check_mode(tmp_path):
    """inventory/example (two profiles, every option) passes every check; check mode writes nothing."""
    config = tmp_path / "config"
    proc = _playbook(
        [
            "-i",
            "inventory/example",
            "site.yml",
            "--tags",
            "configure",
            "--check",
            "--diff",
            "-e",
            json.dumps(
                {
                    "nova_config_node_custom_config": str(config),
                    "kolla_ops_kolla_config_dir": str(tmp_path),
                    # facts of the example hosts, which do not exist here
                    "nova_config_gather_compute_facts": False,
                }
            ),
        ]
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "nova/cmp-pin01/nova-compute.conf" in proc.stdout
    assert "cpu_dedicated_set" in proc.stdout
    assert "NUMATopologyFilter" in proc.stdout
    assert not (config / "nova").exists() or not any((config / "nova").rglob("*.conf"))
    # check mode records no pending deploy either
    assert not (tmp_path / "kolla_ops_nova-pending-deploy.json").exists()


def test_bad_profile_fails_before_anything_is_written(tmp_path):
    """A bad profile stops site.yml in its check play: no override file, no directory, no record."""
    config = tmp_path / "config"
    proc = _playbook(
        [
            "-i",
            "inventory/example",
            "site.yml",
            "--tags",
            "configure",
            "-e",
            json.dumps(
                {
                    "nova_config_node_custom_config": str(config),
                    "kolla_ops_kolla_config_dir": str(tmp_path),
                    "nova_config_profile": "pinned",
                    "nova_config_profile_overrides": {"cpu_dedicated_set": "4-x"},
                }
            ),
        ]
    )
    assert proc.returncode != 0
    assert "4-x" in proc.stdout
    assert "Check the compute profiles before anything is written" in proc.stdout
    # kolla_config_layout never ran: not even the directories exist
    assert "Create the missing override directories" not in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [], list(tmp_path.rglob("*"))


def _vendor_without_virt_flag():
    """The CPU vendor whose virtualisation flag this machine lacks (so KVM cannot run for it)."""
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return "GenuineIntel" if "vmx" not in flags else "AuthenticAMD"


def test_host_checks_fail_before_anything_is_written(tmp_path):
    """Host preparation checks run first, on every compute host, and stop the run before any write.

    Three example hosts run here (ansible_connection local, read-only probes of this machine):
    cmp-pin01 isolates CPUs this machine does not have, cmp-gen01 wants KVM (required) with a
    CPU vendor whose VT-x/AMD-V flag this machine lacks, cmp-gen02 passes. Both failures are
    reported, then the run stops although a compute host and the deploy host are still going.
    """
    overlay = tmp_path / "overlay.yml"
    overlay.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "cmp-pin01": {
                            "nova_config_profile_overrides": {
                                "cpu_dedicated_set": "4-4095",
                                "hugepages": {"size": "1G", "count": 0},
                            }
                        },
                        "cmp-gen01": {
                            "compute_host_prep_require_kvm": True,
                            "compute_host_prep_cpu_vendor": _vendor_without_virt_flag(),
                        },
                        # a known vendor, KVM not required: passes on any machine
                        "cmp-gen02": {"compute_host_prep_cpu_vendor": "GenuineIntel"},
                    },
                    "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                }
            }
        )
    )
    kolla = tmp_path / "kolla"
    proc = _playbook(
        [
            "-i",
            "inventory/example",
            "-i",
            str(overlay),
            "site.yml",
            "-l",
            "deployment,cmp-pin01,cmp-gen01,cmp-gen02",
            "-e",
            json.dumps(
                {
                    "nova_config_node_custom_config": str(kolla / "config"),
                    "kolla_ops_kolla_config_dir": str(kolla),
                }
            ),
        ]
    )
    assert proc.returncode != 0
    out = proc.stdout
    assert "cmp-pin01: the CPU set to isolate '4-4095'" in out, out[-4000:]
    assert "cmp-gen01: virt_type kvm cannot run" in out, out[-4000:]
    assert "The checks failed on cmp-gen01, cmp-pin01" in out, out[-4000:]
    assert _recap(out)["cmp-gen02"]["changed"] == 0
    # nothing after the host checks ran: no profile check, no directory, no deploy
    assert "Check the compute profiles before anything is written" not in out
    assert not kolla.exists(), list(kolla.rglob("*"))
