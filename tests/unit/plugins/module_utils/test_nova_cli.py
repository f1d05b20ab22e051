"""Where Nova's commands run, and how their output is read."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_cli import (
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


def test_sql_password_never_shown():
    run = Recorder(rc=1, err="ERROR 1045 (28000): Access denied")
    cmds = NovaCommands(run, db_password="s3cret")
    with pytest.raises(NovaCommandError) as err:
        cmds.sql("nova", "SELECT 1")
    assert "-ps3cret" in run.calls[0]  # passed to mysql ...
    assert "s3cret" not in str(err.value)  # ... but never printed
    assert "Access denied" in str(err.value)


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
