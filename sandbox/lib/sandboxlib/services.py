"""The sandbox's services: how each starts, where it logs, when it is ready."""

from __future__ import annotations

import math
import os
import pwd
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import configs, db, install, proc
from . import settings as st
from .proc import SandboxError
from .settings import Settings

RUNTIME = st.SANDBOX_SRC / "runtime"


@dataclass
class Service:
    name: str  # id used by the CLI (compute services: their host name)
    host: str  # log host directory (controller, compute1, ...)
    project: str  # log project directory (nova, keystone, ...)
    log_name: str  # the service's main log file name
    kind: str  # infra | wsgi | nova | compute
    port: int | None = None
    stop_timeout: float = 15.0
    start_timeout: float = 300.0
    env: dict = field(default_factory=dict)

    def log_dir(self, s: Settings) -> Path:
        return s.log_dir(self.host, self.project)

    def log_file(self, s: Settings) -> Path:
        return self.log_dir(s) / self.log_name

    def console_log(self, s: Settings) -> Path:
        return self.log_dir(s) / f"{self.log_name.removesuffix('.log')}-console.log"

    @property
    def label(self) -> str:
        return f"nova-compute/{self.name}" if self.kind == "compute" else self.name


NOVA_BINARIES = {"nova-conductor": "nova-conductor", "nova-scheduler": "nova-scheduler"}


def all_services(s: Settings) -> list[Service]:
    services = [
        Service(
            "mariadb",
            st.CONTROLLER,
            "mariadb",
            "mariadb.log",
            "infra",
            st.PORTS["mariadb"],
            stop_timeout=30,
            start_timeout=60,
        ),
        Service(
            "rabbitmq",
            st.CONTROLLER,
            "rabbitmq",
            "rabbitmq.log",
            "infra",
            st.PORTS["rabbitmq"],
            stop_timeout=30,
            start_timeout=90,
        ),
        Service("keystone", st.CONTROLLER, "keystone", "keystone.log", "wsgi", st.PORTS["keystone"]),
        Service("placement", st.CONTROLLER, "placement", "placement-api.log", "wsgi", st.PORTS["placement"]),
        Service("glance", st.CONTROLLER, "glance", "glance-api.log", "wsgi", st.PORTS["glance"]),
        Service("neutron", st.CONTROLLER, "neutron", "neutron-server.log", "wsgi", st.PORTS["neutron"]),
        Service("nova-api", st.CONTROLLER, "nova", "nova-api.log", "wsgi", st.PORTS["nova-api"]),
        Service("nova-conductor", st.CONTROLLER, "nova", "nova-conductor.log", "nova"),
        Service("nova-scheduler", st.CONTROLLER, "nova", "nova-scheduler.log", "nova"),
        Service(
            "nova-novncproxy",
            st.CONTROLLER,
            "nova",
            "nova-novncproxy.log",
            "nova",
            st.PORTS["nova-novncproxy"],
        ),
    ]
    for host in s.compute_hosts:
        services.append(
            Service(
                host,
                host,
                "nova",
                "nova-compute.log",
                "compute",
                stop_timeout=15,
                start_timeout=1200 if host == st.SCALE_HOST else 300,
            )
        )
    return services


def find(s: Settings, name: str) -> Service:
    aliases = {"nova-compute@" + h: h for h in s.compute_hosts}
    aliases.update({"nova-compute/" + h: h for h in s.compute_hosts})
    aliases.update(
        {
            "mysql": "mariadb",
            "rabbit": "rabbitmq",
            "nova-novnc": "nova-novncproxy",
            "novncproxy": "nova-novncproxy",
            "conductor": "nova-conductor",
            "scheduler": "nova-scheduler",
            "api": "nova-api",
        }
    )
    name = aliases.get(name, name)
    for svc in all_services(s):
        if svc.name == name:
            return svc
    known = ", ".join(x.name for x in all_services(s))
    raise SandboxError(f"unknown service {name!r}; known: {known}")


# ---- command lines -------------------------------------------------------------------


def _rabbit_env(s: Settings) -> dict:
    base = s.state / "rabbitmq"
    return {
        "RABBITMQ_NODENAME": st.RABBIT["node"],
        "RABBITMQ_NODE_IP_ADDRESS": st.HOST,
        "RABBITMQ_NODE_PORT": st.PORTS["rabbitmq"],
        "RABBITMQ_DIST_PORT": st.RABBIT["dist_port"],
        "RABBITMQ_MNESIA_BASE": base / "mnesia",
        "RABBITMQ_LOG_BASE": s.log_dir(st.CONTROLLER, "rabbitmq"),
        "RABBITMQ_LOGS": s.log_dir(st.CONTROLLER, "rabbitmq") / "rabbitmq.log",
        "RABBITMQ_CONFIG_FILE": s.etc / "rabbitmq" / "rabbitmq.conf",
        "RABBITMQ_CONF_ENV_FILE": s.etc / "rabbitmq" / "rabbitmq-env.conf",
        "RABBITMQ_ENABLED_PLUGINS_FILE": s.etc / "rabbitmq" / "enabled_plugins",
        "RABBITMQ_PID_FILE": s.run / "rabbitmq.beam.pid",
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "+S 1:1 +A 4",
    }


def rabbitmqctl_argv(s: Settings, *args: str) -> tuple[list[str], dict]:
    return (
        ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", st.RABBIT["node"], *args],
        install.venv_env(s, _rabbit_env(s)),
    )


def _gunicorn(s: Settings, svc: Service, threads: int = 4) -> list[str]:
    argv = [
        str(s.venv_bin / "gunicorn"),
        "--name",
        f"sandbox-{svc.name}",
        "--bind",
        f"{st.HOST}:{svc.port}",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "300",
        "--graceful-timeout",
        "5",
        "--keep-alive",
        "75",
        "--chdir",
        str(RUNTIME),
        "--access-logfile",
        str(svc.log_dir(s) / f"{svc.log_name.removesuffix('.log')}-access.log"),
        "--error-logfile",
        "-",
    ]
    if gunicorn_has_no_control_socket(s):
        argv.append("--no-control-socket")
    return argv + ["sandbox_wsgi:application"]


_NO_CONTROL_SOCKET: dict[str, bool] = {}


def gunicorn_has_no_control_socket(s: Settings) -> bool:
    """gunicorn >= 27 creates a control socket under ~/.gunicorn unless told not to."""
    key = str(s.venv)
    if key not in _NO_CONTROL_SOCKET:
        try:
            out = subprocess.run(
                [str(s.venv_bin / "gunicorn"), "--help"],
                check=False,
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        _NO_CONTROL_SOCKET[key] = "--no-control-socket" in out
    return _NO_CONTROL_SOCKET[key]


def _nova_args(s: Settings, svc: Service) -> list[str]:
    args = ["--config-file", str(configs.nova_conf(s)), "--config-file", str(configs.nova_control_conf(s))]
    for f in configs.applied_overrides(s, svc.name, configs.control_override_files(s, svc.name)):
        args += ["--config-file", str(f)]
    return args + ["--log-file", str(svc.log_file(s))]


def compute_argv(s: Settings, host: str) -> list[str]:
    argv = [
        str(s.venv_bin / "python"),
        str(RUNTIME / "sandbox_compute.py"),
        "--config-file",
        str(configs.nova_conf(s)),
        "--config-file",
        str(configs.compute_conf(s, host)),
    ]
    for f in configs.applied_overrides(s, host, configs.compute_override_files(s, host)):
        argv += ["--config-file", str(f)]
    return argv + ["--log-file", str(s.log_dir(host, "nova") / "nova-compute.log")]


def command(s: Settings, svc: Service) -> tuple[list[str], dict]:
    """(argv, env) that starts the service in the foreground."""
    env: dict = {}
    if svc.name == "mariadb":
        argv = ["/usr/sbin/mariadbd", f"--defaults-file={s.etc / 'mariadb' / 'my.cnf'}", f"--user={_user()}"]
    elif svc.name == "rabbitmq":
        argv = ["/usr/lib/rabbitmq/bin/rabbitmq-server"]
        env = _rabbit_env(s)
    elif svc.kind == "wsgi":
        argv = _gunicorn(s, svc, threads=8 if svc.name in ("keystone", "nova-api") else 4)
        env = {"SANDBOX_WSGI_SERVICE": svc.name}
        if svc.name == "keystone":
            env["OS_KEYSTONE_CONFIG_FILES"] = str(s.etc / "keystone" / "keystone.conf")
        elif svc.name == "placement":
            env["OS_PLACEMENT_CONFIG_DIR"] = str(s.etc / "placement")
        elif svc.name == "glance":
            env["OS_GLANCE_CONFIG_DIR"] = str(s.etc / "glance")
        elif svc.name == "neutron":
            env["OS_NEUTRON_CONFIG_DIR"] = str(s.etc / "neutron")
            env["OS_NEUTRON_CONFIG_FILES"] = "neutron.conf;plugins/ml2/ml2_conf.ini"
        elif svc.name == "nova-api":
            # api-paste.ini must come first: Nova builds its pipeline from the first file
            files = ["api-paste.ini", "nova.conf", "nova-control.conf"]
            applied = configs.applied_overrides(s, "nova-api", configs.control_override_files(s, "nova-api"))
            files += [str(f) for f in applied]
            env["OS_NOVA_CONFIG_DIR"] = str(s.etc / "nova")
            env["OS_NOVA_CONFIG_FILES"] = ";".join(files + ["nova-api.conf"])
    elif svc.name == "nova-novncproxy":
        argv = [str(s.venv_bin / "nova-novncproxy"), *_nova_args(s, svc), "--web", str(s.state / "novnc")]
    elif svc.kind == "nova":
        argv = [str(s.venv_bin / svc.name), *_nova_args(s, svc)]
    elif svc.kind == "compute":
        argv = compute_argv(s, svc.name)
    else:  # pragma: no cover
        raise SandboxError(f"no command for {svc.name}")
    return argv, install.venv_env(s, env)


def _user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


# ---- state -----------------------------------------------------------------------


def is_running(s: Settings, svc: Service) -> proc.PidInfo | None:
    return proc.running(s.run, svc.name)


def describe_failure(s: Settings, svc: Service, what: str) -> str:
    logs = [svc.log_file(s), svc.console_log(s)]
    shown = [p for p in logs if p.exists()] or logs
    text = f"{svc.label}: {what}\n  logs: {', '.join(str(p) for p in logs)}"
    for p in shown:
        text += f"\n  last lines of {p.name}:\n{proc.tail(p)}"
    return text


def start(s: Settings, svc: Service) -> proc.PidInfo:
    """Start svc unless it runs already; refuses when its port is taken by someone else."""
    info = is_running(s, svc)
    if info:
        return info
    if svc.port and proc.port_open(svc.port):
        raise SandboxError(
            f"{svc.label}: port {st.HOST}:{svc.port} is already in use by "
            f"{proc.who_listens(svc.port)}; stop that process (or the other sandbox) and "
            f"retry.  log: {svc.log_file(s)}"
        )
    if svc.name == "mariadb":
        _init_mariadb(s, svc)
    svc.log_dir(s).mkdir(parents=True, exist_ok=True)
    if svc.kind in ("nova", "compute"):
        # the venv's interpreter and this service's own log file are on its command line: unique
        # per service and state dir (a `tail -f` of the log does not match)
        for pid, _pgid, cmd in proc.kill_orphans(str(s.venv_bin), str(svc.log_file(s))):
            print(f"[sandbox] {svc.label}: killed an orphaned copy (pid {pid}, no pid file): {cmd[:160]}")
    argv, env = command(s, svc)
    if not os.path.exists(argv[0]):
        raise SandboxError(
            f"{svc.label}: {argv[0]} is missing (package or venv not installed?)  log: {svc.log_file(s)}"
        )
    return proc.spawn(s.run, svc.name, argv, env, svc.console_log(s))


def _init_mariadb(s: Settings, svc: Service) -> None:
    datadir = s.state / "mysql"
    if (datadir / "mysql").is_dir():
        return
    datadir.mkdir(parents=True, exist_ok=True)
    svc.log_dir(s).mkdir(parents=True, exist_ok=True)
    s.run.mkdir(parents=True, exist_ok=True)
    argv = [
        "/usr/bin/mariadb-install-db",
        f"--defaults-file={s.etc / 'mariadb' / 'my.cnf'}",
        f"--user={_user()}",
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
    ]
    with open(svc.console_log(s), "ab") as out:
        res = subprocess.run(argv, check=False, stdout=out, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise SandboxError(describe_failure(s, svc, f"mariadb-install-db failed (exit {res.returncode})"))


def stop(s: Settings, svc: Service, hard: bool = False) -> bool:
    return proc.stop(s.run, svc.name, timeout=svc.stop_timeout, hard=hard)


# ---- readiness -----------------------------------------------------------------------


def _http_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{st.HOST}:{port}/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer (300, 401, 404) means the app is serving
    except (OSError, ValueError):
        return False


def _mariadb_ready(s: Settings) -> bool:
    return db.try_query(s, "SELECT 1") is not None


def _seen_since(row: dict | None, started: float) -> bool:
    """Did the service heartbeat after `started`?

    last_seen_up has whole seconds only, so a heartbeat in the second of the start is not
    proof: it may be the previous process's last one (a restart takes well under a second
    when the old process stops quickly). Only a later second counts; a new process needs
    seconds to import Nova and report anyway.
    """
    return bool(row and row["last_seen_up"] and row["last_seen_up"] >= math.floor(started) + 1)


def ready(s: Settings, svc: Service, started: float, cache: dict) -> bool:
    """Is svc ready? `started` is the epoch the current process was started at.

    `cache` holds DB snapshots shared across the services in one polling round.
    """
    if svc.name == "mariadb":
        return _mariadb_ready(s)
    if svc.name == "rabbitmq":
        return proc.port_open(svc.port)
    if svc.kind == "wsgi":
        return _http_answers(svc.port)
    if svc.name == "nova-novncproxy":  # a websocket proxy: no RPC, no heartbeat
        return proc.port_open(svc.port)
    if "services" not in cache:
        cache["services"] = db.nova_services(s)
    services = cache["services"]
    if svc.kind == "nova":
        binary = svc.name
        row = services.get((st.CONTROLLER, binary))
        return _seen_since(row, started)
    # compute: heartbeat newer than its start, a compute node record, its resource provider(s)
    row = services.get((svc.name, "nova-compute"))
    if not _seen_since(row, started):
        return False
    if "nodes" not in cache:
        cache["nodes"] = db.compute_nodes(s)
        cache["rps"] = db.resource_provider_names(s)
    nodes = cache["nodes"].get(svc.name, [])
    expected = s.scale_nodes if svc.name == st.SCALE_HOST else 1
    return len(nodes) >= expected and all(n in cache["rps"] for n in nodes)


def wait_ready(s: Settings, svcs: list[Service], what: str = "ready", since: float | None = None) -> None:
    """Poll until every service is ready; fail fast, naming the service, when one dies.

    Heartbeats must be newer than each process's start, or than `since` when given.
    """
    pending = {svc.name: svc for svc in svcs}
    start_times = {}
    for svc in svcs:
        info = is_running(s, svc)
        if not info:
            raise SandboxError(describe_failure(s, svc, "exited while starting (not running)"))
        start_times[svc.name] = max(info.started, since or 0)
    t0 = time.time()
    while pending:
        cache: dict = {}
        for name, svc in list(pending.items()):
            if not is_running(s, svc):
                raise SandboxError(describe_failure(s, svc, "exited while starting"))
            if ready(s, svc, start_times[name], cache):
                del pending[name]
        if not pending:
            break
        for name, svc in pending.items():
            if (
                time.time() - start_times[name] > svc.start_timeout
                and time.time() - t0 > 10
                and time.time() - t0 > (120 if since else 0)
            ):
                raise SandboxError(
                    describe_failure(s, svc, f"not {what} {svc.start_timeout:.0f} s after its start")
                )
        time.sleep(0.5)
