"""What the triage command line does with inputs it cannot or must not read (issues 19 and 21).

The log content is a real excerpt from the corpus (tests/unit/corpus/kvm-permission, source in
its index.yml); the FIFO, the device link and the link out of the tree are what an operator's
collected directory really contains (sosreports hold symlinks; a named pipe hung the old reader).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
)
CLI = os.path.join(ROOT, "scripts", "kolla-nova-triage")
KVM_CASE = os.path.join(ROOT, "tests", "unit", "corpus", "kvm-permission", "libvirt", "libvirtd.log")


def _run(*args, timeout=60):
    return subprocess.run(
        [sys.executable, CLI, "--json", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _rules(stdout):
    return {f["rule"] for f in json.loads(stdout)["findings"]}


def test_missing_input_exits_2_and_names_it(tmp_path):
    missing = tmp_path / "nonexistent"
    res = _run(missing)
    assert res.returncode == 2, res.stderr
    assert str(missing) in res.stderr
    assert "no such file or directory" in res.stderr


def test_a_directory_read_whole_exits_with_its_findings(tmp_path):
    d = tmp_path / "host1" / "libvirt"
    d.mkdir(parents=True)
    shutil.copy(KVM_CASE, d / "libvirtd.log")
    res = _run(tmp_path)
    assert res.returncode == 1, res.stderr
    assert "kvm_unavailable" in {f["category"] for f in json.loads(res.stdout)["findings"]}
    assert "not read" not in res.stderr


def test_fifo_and_device_link_are_not_opened_and_are_named(tmp_path):
    d = tmp_path / "host1" / "libvirt"
    d.mkdir(parents=True)
    shutil.copy(KVM_CASE, d / "libvirtd.log")
    fifo = tmp_path / "host1" / "nova-compute.log"
    os.mkfifo(fifo)
    (tmp_path / "host1" / "nova-api.log").symlink_to("/dev/zero")
    res = _run(tmp_path, timeout=60)  # before the fix: blocked for ever on the FIFO
    assert res.returncode == 2, res.stderr
    assert "%s: not a regular file" % fifo in res.stderr
    assert "nova-api.log: symbolic link to /dev/zero, outside" in res.stderr
    # what could be read still was
    assert "kvm_unavailable" in {f["category"] for f in json.loads(res.stdout)["findings"]}


def test_links_out_of_the_tree_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(KVM_CASE, outside / "libvirtd.log")
    tree = tmp_path / "tree" / "host1"
    tree.mkdir(parents=True)
    (tree / "libvirtd.log").symlink_to(outside / "libvirtd.log")
    res = _run(tmp_path / "tree")
    assert res.returncode == 2, res.stderr
    assert "outside %s: not followed" % (tmp_path / "tree") in res.stderr
    assert json.loads(res.stdout)["findings"] == []
    # a link that stays inside the tree is read
    shutil.copy(KVM_CASE, tree / "real.log")
    (tree / "libvirtd.log").unlink()
    (tree / "libvirtd.log").symlink_to(tree / "real.log")
    res = _run(tmp_path / "tree")
    assert res.returncode == 1, res.stderr


def test_a_fifo_given_by_name_is_not_opened(tmp_path):
    fifo = tmp_path / "nova-compute.log"
    os.mkfifo(fifo)
    res = _run(fifo, timeout=60)
    assert res.returncode == 2, res.stderr
    assert "%s: not a regular file" % fifo in res.stderr


# Nova's own message (nova/conductor/manager.py, schedule_and_build_instances: LOG.error
# "No host-to-cell mapping found for selected host %(host)s. Setup is incomplete.") in the
# oslo.log form Kolla writes; saved under a name that says nothing of the service (issue 19).
CONDUCTOR_LINE = (
    "2026-11-20 10:00:00.123 23 ERROR nova.conductor.manager [req-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    " admin admin - - -] No host-to-cell mapping found for selected host compute3. Setup is incomplete.\n"
)


def test_a_rule_matches_in_a_file_whose_name_names_no_service(tmp_path):
    import gzip

    for name in ("cell.log.gz", "paste.txt"):
        d = tmp_path / name.split(".", maxsplit=1)[0]
        d.mkdir()
        if name.endswith(".gz"):
            with gzip.open(d / name, "wt") as f:
                f.write(CONDUCTOR_LINE)
        else:
            (d / name).write_text(CONDUCTOR_LINE)
        res = _run(d / name)
        assert res.returncode == 1, res.stderr
        report = json.loads(res.stdout)
        assert [f["category"] for f in report["findings"]] == ["cell_mapping_missing"], report
        assert report["unmatched"] == []
