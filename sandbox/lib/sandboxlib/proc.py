"""Background processes without systemd: spawn detached, track by pid file, stop by group."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class SandboxError(Exception):
    """A failure the user must act on; the message names the service and its log."""


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


@dataclass
class PidInfo:
    pid: int  # also the process group id (we start each service in its session)
    started: float  # epoch seconds when we spawned it
    boot: str = ""  # boot id at spawn time: a pid file from before a reboot is stale


def _pidfile(run_dir: Path, name: str) -> Path:
    return run_dir / f"{name}.pid"


def read_pid(run_dir: Path, name: str) -> PidInfo | None:
    f = _pidfile(run_dir, name)
    try:
        data = json.loads(f.read_text())
        return PidInfo(int(data["pid"]), float(data["started"]), data.get("boot", ""))
    except (OSError, ValueError, KeyError):
        return None


def running(run_dir: Path, name: str) -> PidInfo | None:
    """The service's pid info if any process of its group is still alive."""
    info = read_pid(run_dir, name)
    if info and info.boot == boot_id() and _group_alive(info.pid):
        return info
    return None


def spawn(
    run_dir: Path, name: str, argv: list[str], env: dict, console_log: Path, cwd: Path | None = None
) -> PidInfo:
    """Start argv in its own session (so the whole group can be signalled)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    console_log.parent.mkdir(parents=True, exist_ok=True)
    with open(console_log, "ab") as out:
        out.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} sandbox starts: {' '.join(argv)}\n".encode())
        out.flush()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(cwd) if cwd else None,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise SandboxError(f"{name}: could not execute {argv[0]}: {exc}") from exc
    info = PidInfo(proc.pid, time.time(), boot_id())
    _pidfile(run_dir, name).write_text(json.dumps(info.__dict__) + "\n")
    return info


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _group_alive(pgid: int) -> bool:
    """Any process left in the process group (ignoring zombies)?"""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            rest = stat[stat.rindex(")") + 2 :].split()
            if rest[0] not in "ZX" and int(rest[2]) == pgid:
                return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def processes_with(*markers: str) -> list[tuple[int, int, str]]:
    """(pid, pgid, command line) of live processes whose command line contains every marker."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
            if not all(m in cmdline for m in markers):
                continue
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            rest = stat[stat.rindex(")") + 2 :].split()
            if rest[0] not in "ZX":
                found.append((int(entry), int(rest[2]), cmdline))
        except (OSError, ValueError, IndexError):
            continue
    return found


def kill_orphans(*markers: str, tracked_pgid: int | None = None) -> list[tuple[int, int, str]]:
    """SIGKILL the process groups of processes matching the markers that no pid file tracks.

    A service whose pid file was lost (a killed `sandbox` run, a wiped run dir) keeps running
    and heartbeating under its host name; a second copy started beside it would make every
    readiness check and test ambiguous.
    """
    orphans = [p for p in processes_with(*markers) if p[1] != tracked_pgid and p[0] != os.getpid()]
    for _pid, pgid, _cmd in orphans:
        _signal_group(pgid, signal.SIGKILL)
    end = time.time() + 5
    while time.time() < end and any(_group_alive(pgid) for _pid, pgid, _cmd in orphans):
        time.sleep(0.1)
    return orphans


def stop(run_dir: Path, name: str, timeout: float = 20.0, hard: bool = False) -> bool:
    """SIGTERM (or SIGKILL when hard) the service's process group; escalate after timeout.

    Returns True if something was running.
    """
    info = running(run_dir, name)
    if not info:
        _pidfile(run_dir, name).unlink(missing_ok=True)
        return False
    _signal_group(info.pid, signal.SIGKILL if hard else signal.SIGTERM)
    deadline = time.time() + timeout
    while time.time() < deadline and _group_alive(info.pid):
        time.sleep(0.1)
    if _group_alive(info.pid):
        _signal_group(info.pid, signal.SIGKILL)
        end = time.time() + 5
        while time.time() < end and _group_alive(info.pid):
            time.sleep(0.1)
    _pidfile(run_dir, name).unlink(missing_ok=True)
    return True


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def who_listens(port: int) -> str:
    """Best effort: 'pid/name' of the process listening on a TCP port."""
    try:
        out = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], check=False, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown process"
    return out.split("users:")[-1].strip() if "users:" in out else (out or "unknown process")


def tail(path: Path, lines: int = 15) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 16384))
            data = fh.read().decode(errors="replace").splitlines()
        return "\n".join("    " + line for line in data[-lines:])
    except OSError:
        return "    (no log yet)"
