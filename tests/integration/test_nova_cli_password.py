"""The database password reaches the real mysql client through MYSQL_PWD, never through argv.

``nova_commands.database_password`` used to be passed as ``mysql -p<password>``, which ``ps``
shows to every user of the host.  Here the real MariaDB client logs in to the sandbox's MariaDB
as a user with a password (the sandbox's own ``mysql`` passthrough logs in as root over the
socket, without one), while ``ps`` is watched.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (
    NovaCommandError,
    NovaCommands,
)


def _root_sql(sandbox, statements):
    """Statements as the sandbox's root, on stdin (not on a command line)."""
    subprocess.run(
        [str(sandbox.cli), "mysql"], input=statements, text=True, check=True, capture_output=True, timeout=60
    )


def test_database_password_is_in_the_environment_not_in_ps(sandbox, cleanup, monkeypatch):
    user = "kops_pw_%s" % uuid.uuid4().hex[:8]
    password = "S3cret-%s" % uuid.uuid4().hex[:12]
    _root_sql(
        sandbox,
        "CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT SELECT ON nova.* TO '%s'@'127.0.0.1';"
        % (user, password, user),
    )
    cleanup.add(_root_sql, sandbox, "DROP USER IF EXISTS '%s'@'127.0.0.1';" % user)
    # local mode runs the mysql client from PATH; its own variables point it at the sandbox
    monkeypatch.setenv("MYSQL_HOST", "127.0.0.1")
    monkeypatch.setenv("MYSQL_TCP_PORT", str(sandbox.ports["mariadb"]))
    monkeypatch.delenv("MYSQL_PWD", raising=False)
    seen = []

    def run(argv):
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:  # what every user of the host sees meanwhile
            seen.append(
                subprocess.run(
                    ["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=False
                ).stdout
            )
            time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err

    nova = NovaCommands(run, mode="local", db_user=user, db_password=password)
    rows = nova.sql("nova", "SELECT CURRENT_USER() AS who, SLEEP(1) AS slept")
    assert rows == [{"who": "%s@127.0.0.1" % user, "slept": "0"}]
    assert any("SLEEP(1)" in snapshot for snapshot in seen)  # ps saw the mysql command ...
    assert not any(password in snapshot for snapshot in seen)  # ... but not the password
    assert "nova-compute" in {r["binary"] for r in nova.service_versions("nova")}

    wrong = NovaCommands(run, mode="local", db_user=user, db_password="wrong-" + password)
    with pytest.raises(NovaCommandError) as err:
        wrong.sql("nova", "SELECT 1")
    assert "Access denied" in str(err.value) and "(using password: YES)" in str(err.value)
    assert password not in str(err.value)
