"""Run the real ``kolla-ansible genconfig`` of the pinned kolla-ansible over rendered overrides.

Used by tests/integration/test_kolla_genconfig.py, and runnable by hand::

    .venv/bin/python tests/integration/kolla_genconfig/harness.py OUT_DIR CONFIG_DIR NODE_CUSTOM_CONFIG \\
        --control ctl01 --compute cmp-gen01 --compute cmp-pin02

What is real: kolla-ansible 23.0.0 from the project's venv (its CLI, site.yml, the nova and
nova-cell roles, their templates and Kolla's ``merge_configs`` action plugin), Kolla's
dependency collections taken from the PyPI ``ansible`` bundle wheel that scripts/bootstrap.sh
caches (the same wheel, extracted to .build/kolla-collections), passwords from
``kolla-genpwd``. Every host uses ``ansible_connection=local`` and its own
``node_config_directory`` (``OUT_DIR/<host>``), so one machine renders every host's files.

What is stood in, and why: one task. nova-cell's config.yml, block "Ensure compute_id exists
in nova_compute volume", task "List all hypervisors", runs ``openstack.cloud.resources`` in
the ``kolla_toolbox`` container through Kolla's ``kolla_toolbox`` module, which needs a
container engine and the docker Python library (neither exists here; there is no cloud to
ask either). ``standin/action/kolla_toolbox.py`` answers that one call with "no hypervisors"
(``resources: []``), so Kolla takes its own "Generate a new UUID then copy to compute_id"
branch and goes on to write nova-compute's nova.conf; any other kolla_toolbox call fails
loudly. Nothing else is replaced.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
# Kolla-Ansible's own collection requirements (share/kolla-ansible/requirements.yml); the
# openstack.kolla collection of requirements-core.yml is not used by the nova roles.
KOLLA_COLLECTIONS = (
    "ansible/netcommon",
    "ansible/posix",
    "ansible/utils",
    "community/crypto",
    "community/general",
    "community/docker",
    "containers/podman",
)


def kolla_share() -> Path:
    """share/kolla-ansible of the venv this interpreter belongs to."""
    share = VENV_BIN.parent / "share" / "kolla-ansible"
    if not (share / "ansible" / "site.yml").is_file():
        sys.exit("kolla-ansible is not installed in %s: run make bootstrap" % VENV_BIN.parent)
    return share


def bundle_version() -> str:
    """The ``ansible`` bundle version scripts/bootstrap.sh uses (ANSIBLE_BUNDLE_VERSION)."""
    if os.environ.get("ANSIBLE_BUNDLE_VERSION"):
        return os.environ["ANSIBLE_BUNDLE_VERSION"]
    text = (ROOT / "scripts" / "bootstrap.sh").read_text()
    return re.search(r'ANSIBLE_BUNDLE_VERSION="\$\{ANSIBLE_BUNDLE_VERSION:-([^}]+)\}"', text).group(1)


def bundle_wheel() -> Path:
    """The cached PyPI ``ansible`` wheel (downloaded with pip, as bootstrap.sh does, when missing)."""
    version = bundle_version()
    cache = Path(os.environ.get("KOLLA_OPS_CACHE", Path.home() / ".cache" / "kolla-ops-nova")) / "wheels"
    whl = cache / ("ansible-%s-py3-none-any.whl" % version)
    if not whl.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "ansible==%s" % version,
                "-d",
                str(cache),
            ],
            check=True,
        )
    return whl


def kolla_collections() -> Path:
    """Kolla's dependency collections, extracted once from the bundle wheel (stamped)."""
    dest = ROOT / ".build" / "kolla-collections"
    whl = bundle_wheel()
    stamp = dest / ".stamp"
    want = "%s %s" % (whl.name, " ".join(KOLLA_COLLECTIONS))
    if stamp.is_file() and stamp.read_text() == want:
        return dest
    tmp = dest.with_name(dest.name + ".%d" % os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    pats = ["ansible_collections/%s/*" % c for c in KOLLA_COLLECTIONS]
    with zipfile.ZipFile(whl) as z:
        names = [n for n in z.namelist() if any(fnmatch.fnmatch(n, p) for p in pats)]
        for c, p in zip(KOLLA_COLLECTIONS, pats):
            if not any(fnmatch.fnmatch(n, p) for n in names):
                sys.exit("collection %s is not in %s" % (c, whl))
        z.extractall(tmp, names)
    (tmp / ".stamp").write_text(want)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


# Host sections of Kolla's multinode inventory; the rest of the file (its group tree) is kept.
_HOST_GROUPS = ("control", "network", "compute", "monitoring", "storage", "deployment")


# Twin hosts rendered with an empty node_custom_config: Kolla's template output, the base
# the preview starts from (Kolla's nova.conf.j2 depends on a host only through its groups and
# facts, the same for every host of this machine).
BASE_CONTROL = "kolla-template-control"
BASE_COMPUTE = "kolla-template-compute"


def write_inventory(
    path: Path, out_dir: Path, node_custom_config: Path, controls: list[str], computes: list[str]
) -> Path:
    """Kolla's own multinode inventory with these hosts, each rendering into OUT_DIR/<host>.

    node_custom_config is a host variable (not in globals.yml, whose ``-e`` would win), so the
    template twins read an empty directory.
    """
    multinode = (kolla_share() / "ansible" / "inventory" / "multinode").read_text()
    tree = multinode[multinode.index("[baremetal:children]") :]
    empty = out_dir / "empty-node-custom-config"
    empty.mkdir(exist_ok=True)

    def line(host):
        custom = empty if host in (BASE_CONTROL, BASE_COMPUTE) else node_custom_config
        return (
            "%s ansible_connection=local ansible_python_interpreter=%s node_config_directory=%s node_custom_config=%s"
            % (host, sys.executable, out_dir / host, custom)
        )

    controls = list(controls) + [BASE_CONTROL]
    computes = list(computes) + [BASE_COMPUTE]
    groups = {
        "control": controls,
        "network": controls,
        "compute": computes,
        "monitoring": controls,
        "storage": controls,
        "deployment": [],
    }
    head = []
    for g in _HOST_GROUPS:
        head.append("[%s]" % g)
        head.extend(line(h) for h in groups[g])
        if g == "deployment":
            head.append("localhost ansible_connection=local ansible_python_interpreter=%s" % sys.executable)
        head.append("")
    path.write_text("\n".join(head) + "\n" + tree)
    return path


def write_config_dir(config_dir: Path, extra_globals: dict | None = None) -> Path:
    """CONFIG_DIR: a minimal globals.yml for this machine (plus ``extra_globals``, as an
    operator's globals.yml would have them) and kolla-genpwd passwords.

    globals.d/ is left as it is: it holds what the collection rendered, and kolla-ansible
    itself finds it there (kolla_ansible/ansible.py _get_vars_files).
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    extra = "".join("%s: %s\n" % (k, json.dumps(v)) for k, v in (extra_globals or {}).items())
    (config_dir / "globals.yml").write_text(
        "---\n"
        "# Minimal globals for an offline genconfig on one machine (tests/integration/kolla_genconfig).\n"
        "kolla_base_distro: debian\n"
        "network_interface: lo\n"
        "neutron_external_interface: lo\n"
        "kolla_internal_vip_address: 127.0.0.1\n"
        "enable_haproxy: false\n" + extra
    )
    passwords = config_dir / "passwords.yml"
    shutil.copy(kolla_share() / "etc_examples" / "kolla" / "passwords.yml", passwords)
    subprocess.run([str(VENV_BIN / "kolla-genpwd"), "-p", str(passwords)], check=True, capture_output=True)
    return config_dir


def kolla_env(argv_record: Path | None = None) -> dict:
    """The environment kolla-ansible runs in: Kolla's collections, the stand-in, no project config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["PATH"] = "%s:%s" % (VENV_BIN, env.get("PATH", ""))
    env["ANSIBLE_COLLECTIONS_PATH"] = str(kolla_collections())
    env["ANSIBLE_ACTION_PLUGINS"] = str(HERE / "standin" / "action")
    env["ANSIBLE_CONFIG"] = str(HERE / "ansible.cfg")
    env["ANSIBLE_LOCAL_TEMP"] = str(ROOT / ".build" / "kolla-ansible-tmp")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    if argv_record is not None:
        # tests/integration/kolla_genconfig/bin/ansible-playbook records kolla-ansible's argv
        # and then execs the real ansible-playbook.
        env["PATH"] = "%s:%s" % (HERE / "bin", env["PATH"])
        env["KOLLA_OPS_ARGV_RECORD"] = str(argv_record)
        env["KOLLA_OPS_REAL_ANSIBLE_PLAYBOOK"] = str(VENV_BIN / "ansible-playbook")
    return env


def genconfig(
    out_dir: Path,
    config_dir: Path,
    node_custom_config: Path,
    controls: list[str],
    computes: list[str],
    timeout: int = 600,
) -> dict:
    """Run ``kolla-ansible genconfig --tags nova --configdir CONFIG_DIR``.

    Kolla writes OUT_DIR/<host>/<service>/nova.conf for every host, and Kolla's template
    output (no overrides) under OUT_DIR/BASE_CONTROL and OUT_DIR/BASE_COMPUTE. Returns
    paths, the argv kolla-ansible gave ansible-playbook, the output and the time taken.
    Raises RuntimeError with the end of the output when kolla-ansible fails.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    node_custom_config = Path(node_custom_config).resolve()
    node_custom_config.mkdir(parents=True, exist_ok=True)
    config_dir = Path(config_dir).resolve()
    if not (config_dir / "globals.yml").is_file():
        write_config_dir(config_dir)
    inventory = write_inventory(out_dir / "multinode", out_dir, node_custom_config, controls, computes)
    record = out_dir / "kolla-ansible-argv.json"
    cmd = [
        str(VENV_BIN / "kolla-ansible"),
        "genconfig",
        "--inventory",
        str(inventory),
        "--configdir",
        str(config_dir),
        "--tags",
        "nova",
    ]
    start = time.monotonic()
    proc = subprocess.run(
        cmd, env=kolla_env(record), capture_output=True, text=True, timeout=timeout, check=False, cwd=out_dir
    )
    (out_dir / "genconfig.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        raise RuntimeError("kolla-ansible genconfig failed (rc %d):\n%s" % (proc.returncode, tail))
    return {
        "out_dir": out_dir,
        "config_dir": config_dir,
        "inventory": inventory,
        "argv": json.loads(record.read_text()),
        "output": proc.stdout,
        "seconds": time.monotonic() - start,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("config_dir", type=Path, help="Kolla's CONFIG_DIR (globals.d/ kept; globals.yml written)")
    ap.add_argument("node_custom_config", type=Path)
    ap.add_argument("--control", action="append", default=[])
    ap.add_argument("--compute", action="append", default=[])
    args = ap.parse_args(argv)
    res = genconfig(
        args.out_dir, args.config_dir, args.node_custom_config, args.control or ["ctl01"], args.compute
    )
    print("genconfig done in %.0f s: %s" % (res["seconds"], res["out_dir"]))


if __name__ == "__main__":
    main()
