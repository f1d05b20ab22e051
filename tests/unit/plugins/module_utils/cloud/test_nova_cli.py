"""Where Nova's commands run, and how their output is read."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (
    NovaCommandError,
    NovaCommands,
    parse_mysql_batch,
    parse_prettytable,
)

# Output of `nova-manage cell_v2 list_cells --verbose` (nova 34, sandbox run).
LIST_CELLS = """\
+-------+--------------------------------------+---------------------------------------+----------------------------------------------+----------+
|  Name |                 UUID                 |             Transport URL             |             Database Connection              | Disabled |
+-------+--------------------------------------+---------------------------------------+----------------------------------------------+----------+
| cell0 | 00000000-0000-0000-0000-000000000000 |                 none:/                | mysql+pymysql://nova:pw@127.0.0.1/nova_cell0 |  False   |
| cell1 | 5b1c0e7e-3a55-4a5e-9f2f-6f3c0d0b9d11 | rabbit://nova:pw@127.0.0.1:5672// | mysql+pymysql://nova:pw@127.0.0.1/nova       |  False   |
+-------+--------------------------------------+---------------------------------------+----------------------------------------------+----------+
"""


class Recorder:
    def __init__(self, rc=0, out="", err=""):
        self.calls = []
        self.result = (rc, out, err)

    def __call__(self, argv):
        self.calls.append(argv)
        return self.result


def test_kolla_runs_in_the_containers_kolla_uses():
    run = Recorder(out=LIST_CELLS)
    cmds = NovaCommands(run, mode="kolla", container_engine="podman")
    cells = cmds.list_cells()
    assert run.calls[0] == ["podman", "exec", "nova_api", "nova-manage", "cell_v2", "list_cells", "--verbose"]
    assert [c["Name"] for c in cells] == ["cell0", "cell1"]
    assert cells[1]["Disabled"] == "False"
    assert cmds.argv_nova_manage(["cell_v2", "discover_hosts"], cell=True)[:3] == [
        "podman",
        "exec",
        "nova_conductor",
    ]


def test_sandbox_and_become():
    sandbox = NovaCommands(Recorder(), mode="sandbox", sandbox_command="/repo/sandbox/sandbox")
    assert sandbox.argv_nova_status(["upgrade", "check"]) == [
        "/repo/sandbox/sandbox",
        "nova-status",
        "upgrade",
        "check",
    ]
    sudo = NovaCommands(Recorder(), become=True)
    assert sudo.argv_nova_manage(["db", "version"])[:4] == ["sudo", "-n", "docker", "exec"]


class EnvRecorder(Recorder):
    """Records argv and the MYSQL_PWD the child process would inherit (os.environ at call time)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.env = []

    def __call__(self, argv):
        self.env.append(os.environ.get("MYSQL_PWD"))
        return super().__call__(argv)


def test_sql_password_never_shown(monkeypatch):
    monkeypatch.delenv("MYSQL_PWD", raising=False)
    run = EnvRecorder(rc=1, err="ERROR 1045 (28000): Access denied")
    cmds = NovaCommands(run, db_password="s3cret")
    with pytest.raises(NovaCommandError) as err:
        cmds.sql("nova", "SELECT 1")
    # Not on the command line (ps shows it to every user): the container gets it by name.
    assert not any("s3cret" in a for a in run.calls[0])
    assert run.calls[0][:6] == ["docker", "exec", "-e", "MYSQL_PWD", "mariadb", "mysql"]
    assert run.calls[0][6:8] == ["-u", "root"]
    assert run.env == ["s3cret"]  # in the environment of that one command ...
    assert "MYSQL_PWD" not in os.environ  # ... and gone afterwards
    assert "s3cret" not in str(err.value)  # never printed
    assert "Access denied" in str(err.value)
    assert str(err.value).startswith("MYSQL_PWD=*** docker exec -e MYSQL_PWD mariadb mysql -u root")


def test_sql_password_through_sudo_podman_and_local(monkeypatch):
    monkeypatch.setenv("MYSQL_PWD", "callers-own")
    run = EnvRecorder(out="x\n1\n")
    cmds = NovaCommands(run, container_engine="podman", become=True, db_user="nova", db_password="pw1")
    assert cmds.sql("nova", "SELECT 1 AS x") == [{"x": "1"}]
    assert run.calls[0][:8] == [
        "sudo",
        "-n",
        "--preserve-env=MYSQL_PWD",
        "podman",
        "exec",
        "-e",
        "MYSQL_PWD",
        "mariadb",
    ]
    assert run.env == ["pw1"] and os.environ["MYSQL_PWD"] == "callers-own"  # restored
    local = NovaCommands(run, mode="local", db_user="nova", db_password="pw1")
    local.sql("nova", "SELECT 1 AS x")
    assert run.calls[1] == ["mysql", "-u", "nova", "--batch", "--raw", "nova", "-e", "SELECT 1 AS x"]
    assert run.env[1] == "pw1"
    # Without a password nothing is added (the client's own configuration applies).
    bare = NovaCommands(run, mode="kolla")
    bare.sql("nova", "SELECT 1 AS x")
    assert run.calls[2][:4] == ["docker", "exec", "mariadb", "mysql"] and run.env[2] == "callers-own"
    assert not any("pw1" in a for call in run.calls for a in call)


def test_sql_password_reaches_a_real_child_process(monkeypatch):
    """A real subprocess (as module.run_command starts one) sees MYSQL_PWD; its argv does not."""
    monkeypatch.delenv("MYSQL_PWD", raising=False)
    probe = "import json, os, sys; print('argv\\tpwd'); print('%s\\t%s' % (json.dumps(sys.argv), os.environ.get('MYSQL_PWD')))"

    def run(argv):
        proc = subprocess.run(
            [sys.executable, "-c", probe, *argv[1:]], capture_output=True, text=True, check=False
        )
        return proc.returncode, proc.stdout, proc.stderr

    rows = NovaCommands(run, mode="local", db_password="S3cret").sql("nova", "SELECT 1")
    assert rows[0]["pwd"] == "S3cret"
    assert "S3cret" not in rows[0]["argv"]


def test_missing_engine_is_a_clear_error():
    def run(argv):
        raise FileNotFoundError(2, "No such file or directory", argv[0])

    with pytest.raises(NovaCommandError, match="cannot run docker exec nova_api nova-manage"):
        NovaCommands(run).list_hosts()


def test_bad_mode_and_engine():
    with pytest.raises(ValueError, match="mode 'ssh'"):
        NovaCommands(Recorder(), mode="ssh")
    with pytest.raises(ValueError, match="kolla_container_engine 'containerd'"):
        NovaCommands(Recorder(), container_engine="containerd")


def test_parse_mysql_batch_nulls():
    rows = parse_mysql_batch("host\tversion\tdisabled_reason\ncompute1\t70\tNULL\ncompute2\t66\tmaint\n")
    assert rows == [
        {"host": "compute1", "version": "70", "disabled_reason": None},
        {"host": "compute2", "version": "66", "disabled_reason": "maint"},
    ]
    assert parse_mysql_batch("") == []


def test_parse_prettytable_ignores_noise():
    text = "Some warning line\n" + LIST_CELLS
    assert len(parse_prettytable(text)) == 2
