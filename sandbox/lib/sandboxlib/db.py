"""Talk to the sandbox's MariaDB as root through its unix socket (mysql client)."""

from __future__ import annotations

import subprocess

from . import settings as st
from .proc import SandboxError
from .settings import Settings

DATABASES = ["keystone", "placement", "glance", "neutron", "nova_api", "nova", "nova_cell0"]


def mysql_argv(s: Settings) -> list[str]:
    return ["mysql", f"--socket={s.mysql_socket}", "--user=root", "--protocol=socket"]


def query(s: Settings, sql: str, timeout: float = 30) -> list[list[str]]:
    argv = mysql_argv(s) + ["--batch", "--skip-column-names", "-e", sql]
    try:
        res = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise SandboxError(f"mariadb: query timed out after {timeout} s: {sql[:80]}") from exc
    if res.returncode != 0:
        raise SandboxError(f"mariadb: query failed: {res.stderr.strip()} ({sql[:120]})")
    return [line.split("\t") for line in res.stdout.splitlines() if line]


def try_query(s: Settings, sql: str) -> list[list[str]] | None:
    try:
        return query(s, sql, timeout=10)
    except SandboxError:
        return None


def create_databases(s: Settings) -> None:
    stmts = [f"CREATE DATABASE IF NOT EXISTS `{d}` CHARACTER SET utf8mb4;" for d in DATABASES]
    for host in ("127.0.0.1", "localhost"):
        stmts.append(f"CREATE USER IF NOT EXISTS 'openstack'@'{host}' IDENTIFIED BY '{st.PASSWORD}';")
        stmts.append(f"GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'{host}';")
    query(s, " ".join(stmts))


def nova_services(s: Settings) -> dict[tuple[str, str], dict]:
    """(host, binary) -> {last_seen_up epoch|None, disabled, forced_down} from the cell1 DB."""
    rows = (
        try_query(
            s,
            "SET time_zone='+00:00'; SELECT host, `binary`, "
            "COALESCE(UNIX_TIMESTAMP(last_seen_up), 0), disabled, forced_down "
            "FROM nova.services WHERE deleted = 0",
        )
        or []
    )
    out = {}
    for host, binary, seen, disabled, forced in rows:
        out[(host, binary)] = {
            "last_seen_up": float(seen) or None,
            "disabled": disabled == "1",
            "forced_down": forced == "1",
        }
    return out


def compute_nodes(s: Settings) -> dict[str, list[str]]:
    """host -> [hypervisor_hostname] of live compute node records."""
    rows = try_query(s, "SELECT host, hypervisor_hostname FROM nova.compute_nodes WHERE deleted = 0") or []
    out: dict[str, list[str]] = {}
    for host, node in rows:
        out.setdefault(host, []).append(node)
    return out


def resource_provider_names(s: Settings) -> set[str]:
    rows = try_query(s, "SELECT name FROM placement.resource_providers") or []
    return {r[0] for r in rows}


def mapped_hosts(s: Settings) -> set[str]:
    rows = try_query(s, "SELECT host FROM nova_api.host_mappings") or []
    return {r[0] for r in rows}
