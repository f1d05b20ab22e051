"""Install what is missing: Debian packages and the sandbox's own virtualenv."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

from .proc import SandboxError
from .settings import Settings

# binary that must exist -> Debian package providing it
DEBIAN = {
    "/usr/sbin/mariadbd": "mariadb-server",
    "/usr/bin/mariadb-install-db": "mariadb-server",
    "/usr/bin/mysql": "mariadb-client",
    "/usr/lib/rabbitmq/bin/rabbitmq-server": "rabbitmq-server",
    "/usr/bin/ss": "iproute2",
}


_T0 = time.time()


def log(msg: str) -> None:
    """Progress line, with the seconds since this command started."""
    print(f"[sandbox {time.time() - _T0:5.1f}s] {msg}", flush=True)


def missing_packages() -> list[str]:
    return sorted({pkg for path, pkg in DEBIAN.items() if not os.path.exists(path)})


def ensure_packages() -> None:
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SandboxError(
            f"missing Debian packages {', '.join(missing)}: run "
            f"`sudo apt-get install -y {' '.join(missing)}` and retry"
        )
    log(f"installing Debian packages: {' '.join(missing)}")
    t0 = time.time()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        res = subprocess.run(argv, check=False, env=env, capture_output=True, text=True)
        if res.returncode != 0:
            raise SandboxError(
                f"`{' '.join(argv)}` failed (exit {res.returncode}):\n{(res.stdout + res.stderr)[-2000:]}"
            )
    still = missing_packages()
    if still:
        raise SandboxError(f"packages {', '.join(still)} still missing after apt-get install")
    log(f"Debian packages installed in {time.time() - t0:.0f} s")


def pick_python() -> str:
    explicit = os.environ.get("KOLLA_OPS_SANDBOX_PYTHON")
    if explicit:
        return explicit
    roots = []
    if shutil.which("pyenv"):
        try:
            roots.append(
                subprocess.run(
                    ["pyenv", "root"], check=False, capture_output=True, text=True, timeout=10
                ).stdout.strip()
            )
        except (OSError, subprocess.SubprocessError):
            pass
    roots.append(os.path.expanduser("~/.pyenv"))
    for root in roots:
        found = sorted(glob.glob(f"{root}/versions/3.12*/bin/python3.12"))
        if found:
            return found[-1]
    for name in ("python3.12",):
        if shutil.which(name):
            return shutil.which(name)
    raise SandboxError(
        "the sandbox needs Python 3.12 (Nova 34): install it (pyenv install "
        "3.12, or apt-get install python3.12) or set KOLLA_OPS_SANDBOX_PYTHON"
    )


def venv_ready(s: Settings) -> bool:
    return (s.venv / ".sandbox-complete").exists()


def ensure_venv(s: Settings) -> None:
    if venv_ready(s):
        return
    py = pick_python()
    if s.venv.exists():
        log(f"removing incomplete virtualenv {s.venv}")
        shutil.rmtree(s.venv)
    s.venv.parent.mkdir(parents=True, exist_ok=True)
    log(f"creating the sandbox virtualenv {s.venv} with {py} (about a minute)")
    t0 = time.time()
    logfile = s.venv.parent / f"{s.venv.name}.install.log"
    with open(logfile, "w") as out:
        for argv in (
            [py, "-m", "venv", str(s.venv)],
            [
                str(s.venv / "bin" / "pip"),
                "install",
                "--disable-pip-version-check",
                "-r",
                str(s.requirements),
                "-c",
                str(s.lock),
            ],
        ):
            out.write(f"$ {' '.join(argv)}\n")
            out.flush()
            res = subprocess.run(argv, check=False, stdout=out, stderr=subprocess.STDOUT)
            if res.returncode != 0:
                raise SandboxError(
                    f"building the sandbox virtualenv failed at `{' '.join(argv)}`"
                    f" (exit {res.returncode}); log: {logfile}"
                )
    (s.venv / ".sandbox-complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
    log(f"virtualenv ready in {time.time() - t0:.0f} s")


def venv_env(s: Settings, extra: dict | None = None) -> dict:
    """A clean environment for sandbox processes (nothing from a caller's venv or cloud)."""
    keep = ("HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "TERM")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("HOME", str(Path.home()))
    env.setdefault("LANG", "C.UTF-8")
    env["PATH"] = f"{s.venv / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env["VIRTUAL_ENV"] = str(s.venv)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env
