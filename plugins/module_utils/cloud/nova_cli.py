# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run Nova's own commands (nova-manage, nova-status) and SQL where they live.

On a Kolla-Ansible cloud they exist only inside the containers:
``<engine> exec nova_api nova-manage ...`` for API-level commands,
``<engine> exec nova_conductor nova-manage ...`` for cell commands (Kolla runs
``discover_hosts`` there), and SQL through the ``mariadb`` container's client.
The sandbox cloud (``sandbox/sandbox``) exposes the same commands as
passthroughs (``sandbox/sandbox nova-manage ...``, ``... mysql ...``).

``NovaCommands`` builds the argument vectors and parses the outputs; the caller
supplies ``run(argv) -> (rc, stdout, stderr)`` (``module.run_command`` in
modules, ``subprocess`` in tests), so this stays free of Ansible.

The database password never appears in an argument vector (``ps`` shows those to
every user): the mysql client reads it from ``MYSQL_PWD``, which is set in this
process's environment only while the command runs (the runner's child inherits it:
``module.run_command`` and ``subprocess`` copy ``os.environ``) and handed into the
container by name (``docker exec -e MYSQL_PWD ...``, ``podman exec -e MYSQL_PWD ...``
take the value from their own environment; ``sudo -n --preserve-env=MYSQL_PWD``
keeps it across sudo).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from collections.abc import Callable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError

MODES = ("kolla", "sandbox", "local")
ENGINES = ("docker", "podman")
# The environment variable the mysql (MariaDB) client reads its password from.
PASSWORD_ENV = "MYSQL_PWD"  # noqa: S105 (a variable name, not a password)


@contextlib.contextmanager
def _environ(extra):
    """``os.environ`` with ``extra`` set for the duration, then as it was."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class NovaCommandError(KollaOpsError):
    """A Nova command could not run or failed unexpectedly."""

    def __init__(self, message, argv=None, rc=None, stdout="", stderr=""):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(message)


class NovaCommands:
    """Where and how Nova's commands run.

    mode: ``kolla`` (container engine exec), ``sandbox`` (the sandbox CLI) or
    ``local`` (commands on PATH, for a non-containerised Nova).
    """

    def __init__(  # noqa: PLR0913, PLR0917  one parameter per connection option of the module
        self,
        run,
        mode="kolla",
        container_engine="docker",
        api_container="nova_api",
        conductor_container="nova_conductor",
        db_container="mariadb",
        db_user="root",
        db_password=None,
        sandbox_command="sandbox/sandbox",
        become=False,
    ):
        if mode not in MODES:
            raise ValueError("nova command mode %r is not one of %s" % (mode, ", ".join(MODES)))
        if mode == "kolla" and container_engine not in ENGINES:
            raise ValueError(
                "kolla_container_engine %r is not one of %s" % (container_engine, ", ".join(ENGINES))
            )
        self._run = run
        self.mode = mode
        self.engine = container_engine
        self.api_container = api_container
        self.conductor_container = conductor_container
        self.db_container = db_container
        self.db_user = db_user
        self.db_password = db_password
        self.sandbox_command = sandbox_command
        self.become = become

    # -- argument vectors -------------------------------------------------
    def _prefix(self, container, env=()):
        """The command prefix; ``env`` names variables handed to the container from ours."""
        if self.mode == "kolla":
            prefix = [self.engine, "exec"]
            for name in env:
                prefix += ["-e", name]
            prefix.append(container)
            if not self.become:
                return prefix
            keep = ["--preserve-env=%s" % ",".join(env)] if env else []
            return ["sudo", "-n", *keep, *prefix]
        if self.mode == "sandbox":
            return shlex.split(self.sandbox_command)
        return []

    def argv_nova_manage(self, args: list[str], cell: bool = False) -> list[str]:
        container = self.conductor_container if cell else self.api_container
        return self._prefix(container) + ["nova-manage"] + list(args)

    def argv_nova_status(self, args: list[str]) -> list[str]:
        return self._prefix(self.api_container) + ["nova-status"] + list(args)

    def sql_environ(self) -> dict[str, str]:
        """What :meth:`sql` adds to the environment: the password, for modes that use one."""
        if self.db_password and self.mode in ("kolla", "local"):
            return {PASSWORD_ENV: self.db_password}
        return {}

    def argv_sql(self, database: str, query: str) -> list[str]:
        """mysql's argument vector; the password goes through :meth:`sql_environ`, never here."""
        opts = ["--batch", "--raw", database, "-e", query]
        env = tuple(self.sql_environ())
        if self.mode == "kolla":
            return self._prefix(self.db_container, env) + ["mysql", "-u", self.db_user] + opts
        if self.mode == "sandbox":
            # the sandbox's client logs in as root over the server's unix socket
            return self._prefix(None) + ["mysql"] + opts
        return ["mysql"] + (["-u", self.db_user] if env else []) + opts

    def describe(self, argv: list[str]) -> str:
        """The command as text, as an operator would type it (``MYSQL_PWD=***`` when it needs one)."""
        text = " ".join(
            shlex.quote("-p***" if a.startswith("-p") and len(a) > len("-p") else a) for a in argv
        )
        if self.sql_environ() and argv and (argv[0] == "mysql" or PASSWORD_ENV in argv):
            text = "%s=*** %s" % (PASSWORD_ENV, text)
        return text

    # -- running ------------------------------------------------------------
    def run(
        self, argv: list[str], ok_rcs: tuple[int, ...] = (0,), env: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """Run ``argv`` with ``env`` added to the environment for that command only."""
        try:
            with _environ(env or {}):
                rc, out, err = self._run(argv)
        except OSError as exc:
            raise NovaCommandError("cannot run %s: %s" % (self.describe(argv), exc), argv=argv) from exc
        if rc not in ok_rcs:
            raise NovaCommandError(
                "%s exited %s: %s" % (self.describe(argv), rc, (err or out).strip()[-2000:]),
                argv=argv,
                rc=rc,
                stdout=out,
                stderr=err,
            )
        return rc, out, err

    def nova_manage(
        self, args: list[str], cell: bool = False, ok_rcs: tuple[int, ...] = (0,)
    ) -> tuple[int, str, str]:
        return self.run(self.argv_nova_manage(args, cell=cell), ok_rcs=ok_rcs)

    def nova_status(self, args: list[str], ok_rcs: tuple[int, ...] = (0, 1, 2, 255)) -> tuple[int, str, str]:
        return self.run(self.argv_nova_status(args), ok_rcs=ok_rcs)

    def sql(self, database: str, query: str) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts (mysql --batch output, NULL as None)."""
        _rc, out, _err = self.run(self.argv_sql(database, query), env=self.sql_environ())
        return parse_mysql_batch(out)

    # -- parsed helpers -------------------------------------------------------
    def list_cells(self) -> list[dict[str, Any]]:
        _rc, out, _err = self.nova_manage(["cell_v2", "list_cells", "--verbose"])
        return parse_prettytable(out)

    def list_hosts(self) -> list[dict[str, Any]]:
        _rc, out, _err = self.nova_manage(["cell_v2", "list_hosts"])
        return parse_prettytable(out)

    def service_versions(self, database: str = "nova") -> list[dict[str, Any]]:
        """nova.services rows (not deleted): host, binary, version, disabled, forced_down, ..."""
        return self.sql(
            database,
            "SELECT id, uuid, host, `binary`, topic, version, disabled, disabled_reason, forced_down, "
            "last_seen_up, updated_at, created_at FROM services WHERE deleted = 0 ORDER BY id",
        )


def parse_mysql_batch(text: str) -> list[dict[str, Any]]:
    """Parse ``mysql --batch --raw`` output (tab-separated, header first)."""
    lines = [line for line in text.splitlines() if line != ""]
    if not lines:
        return []
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        values = line.split("\t")
        rows.append({k: (None if v == "NULL" else v) for k, v in zip(header, values)})
    return rows


_BORDER = re.compile(r"^\+[-+]+\+$")


def parse_prettytable(text: str) -> list[dict[str, Any]]:
    """Parse the ``+----+----+`` tables printed by nova-manage into dicts."""
    rows = []
    header = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _BORDER.match(line):
            continue
        if not (line.startswith("|") and line.endswith("|")):
            continue
        cells = [c.strip() for c in line[1:-1].split("|")]
        if header is None:
            header = cells
            continue
        rows.append(dict(zip(header, cells)))
    return rows


# Argument spec matching the doc fragment kolla_ops.nova.nova_commands.
NOVA_COMMANDS_SPEC = {
    "type": "dict",
    "options": {
        "mode": {"type": "str", "choices": list(MODES), "default": "kolla"},
        "container_engine": {"type": "str", "choices": list(ENGINES), "default": "docker"},
        "api_container": {"type": "str", "default": "nova_api"},
        "conductor_container": {"type": "str", "default": "nova_conductor"},
        "database_container": {"type": "str", "default": "mariadb"},
        "database_user": {"type": "str", "default": "root"},
        "database_password": {"type": "str", "no_log": True},
        "sandbox_command": {"type": "str", "default": "sandbox/sandbox"},
        "become": {"type": "bool", "default": False},
    },
}


def nova_commands_from_params(
    params: dict[str, Any] | None, run: Callable[[list[str]], tuple[int, str, str]]
) -> NovaCommands | None:
    """NovaCommands from the ``nova_commands`` option (None when it is not set)."""
    if not params:
        return None
    return NovaCommands(
        run,
        mode=params["mode"],
        container_engine=params["container_engine"],
        api_container=params["api_container"],
        conductor_container=params["conductor_container"],
        db_container=params["database_container"],
        db_user=params["database_user"],
        db_password=params.get("database_password"),
        sandbox_command=params["sandbox_command"],
        become=params["become"],
    )
