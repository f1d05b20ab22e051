"""up / down / status / reset and the one-time bootstrap (db syncs, cells, identity)."""

from __future__ import annotations

import grp
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from . import configs, db, install, proc, services
from . import settings as st
from .install import log
from .proc import SandboxError
from .services import Service
from .settings import Settings

BOOTSTRAP = services.RUNTIME / "bootstrap_cloud.py"


# ---- stamps: one file per finished bootstrap step, holding the venv hash ---------------


def _stamp(s: Settings, name: str) -> Path:
    return s.state / "stamps" / name


def stamped(s: Settings, name: str) -> bool:
    f = _stamp(s, name)
    return f.exists() and f.read_text().strip() == s.venv_hash


def stamp(s: Settings, name: str) -> None:
    f = _stamp(s, name)
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(s.venv_hash + "\n")


def _run_logged(
    s: Settings,
    step: str,
    argv: list[str],
    logfile: Path,
    ok_codes: tuple[int, ...] = (0,),
    env: dict | None = None,
) -> None:
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as out:
        out.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        out.flush()
        res = subprocess.run(
            argv,
            check=False,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=install.venv_env(s, env),
            stdin=subprocess.DEVNULL,
        )
    if res.returncode not in ok_codes:
        raise SandboxError(
            f"{step}: `{' '.join(Path(a).name if i == 0 else a for i, a in enumerate(argv))}`"
            f" failed (exit {res.returncode})\n  log: {logfile}\n{proc.tail(logfile)}"
        )


def _parallel(jobs: dict) -> None:
    """Run callables in threads; raise the first failure (after all finished)."""
    errors: list[BaseException] = []

    def wrap(fn):
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(fn,), name=name) for name, fn in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# ---- db syncs -----------------------------------------------------------------------


def _sync_keystone(s: Settings) -> None:
    if stamped(s, "keystone-db"):
        return
    _run_logged(
        s,
        "keystone",
        [
            str(s.venv_bin / "keystone-manage"),
            "--config-file",
            str(s.etc / "keystone" / "keystone.conf"),
            "db_sync",
        ],
        s.log_dir(st.CONTROLLER, "keystone") / "keystone-manage.log",
    )
    stamp(s, "keystone-db")


def _bootstrap_keystone(s: Settings) -> None:
    """Fernet and credential keys (files) and the admin user, roles, region and identity
    endpoint (database): after the syncs, not part of the snapshot."""
    if stamped(s, "keystone-bootstrap"):
        return
    b = str(s.venv_bin / "keystone-manage")
    conf = ["--config-file", str(s.etc / "keystone" / "keystone.conf")]
    logf = s.log_dir(st.CONTROLLER, "keystone") / "keystone-manage.log"
    user, group = services._user(), _group()
    url = f"http://{st.HOST}:{st.PORTS['keystone']}/v3/"
    for args in (
        ["fernet_setup", "--keystone-user", user, "--keystone-group", group],
        ["credential_setup", "--keystone-user", user, "--keystone-group", group],
        [
            "bootstrap",
            "--bootstrap-password",
            st.ADMIN_PASSWORD,
            "--bootstrap-admin-url",
            url,
            "--bootstrap-internal-url",
            url,
            "--bootstrap-public-url",
            url,
            "--bootstrap-region-id",
            st.REGION,
        ],
    ):
        _run_logged(s, "keystone", [b, *conf, *args], logf)
    stamp(s, "keystone-bootstrap")


def _group() -> str:
    return grp.getgrgid(os.getegid()).gr_name


def _sync_once(s: Settings, project: str, command: str, args: list[str]) -> None:
    """Run a project's DB sync command once (stamped), logging to <controller>/<project>/."""
    if stamped(s, f"{project}-db"):
        return
    _run_logged(
        s,
        project,
        [str(s.venv_bin / command), *args],
        s.log_dir(st.CONTROLLER, project) / f"{command}.log",
    )
    stamp(s, f"{project}-db")


def _sync_placement(s: Settings) -> None:
    _sync_once(
        s,
        "placement",
        "placement-manage",
        ["--config-file", str(s.etc / "placement" / "placement.conf"), "db", "sync"],
    )


def _sync_glance(s: Settings) -> None:
    _sync_once(
        s, "glance", "glance-manage", ["--config-file", str(s.etc / "glance" / "glance-api.conf"), "db_sync"]
    )


def _sync_neutron(s: Settings) -> None:
    _sync_once(
        s,
        "neutron",
        "neutron-db-manage",
        [
            "--config-file",
            str(s.etc / "neutron" / "neutron.conf"),
            "--config-file",
            str(s.etc / "neutron" / "plugins" / "ml2" / "ml2_conf.ini"),
            "upgrade",
            "heads",
        ],
    )


def nova_manage_argv(s: Settings, *args: str) -> list[str]:
    return [
        str(s.venv_bin / "nova-manage"),
        "--config-file",
        str(configs.nova_conf(s)),
        "--config-file",
        str(configs.nova_control_conf(s)),
        "--log-file",
        str(s.log_dir(st.CONTROLLER, "nova") / "nova-manage.log"),
        *args,
    ]


def nova_status_argv(s: Settings, *args: str) -> list[str]:
    return [
        str(s.venv_bin / "nova-status"),
        "--config-file",
        str(configs.nova_conf(s)),
        "--config-file",
        str(configs.nova_control_conf(s)),
        "--log-file",
        str(s.log_dir(st.CONTROLLER, "nova") / "nova-status.log"),
        *args,
    ]


def _sync_nova(s: Settings) -> None:
    if stamped(s, "nova-db"):
        return
    logf = s.log_dir(st.CONTROLLER, "nova") / "nova-manage-sync.log"
    _run_logged(s, "nova", nova_manage_argv(s, "api_db", "sync"), logf)
    _run_logged(
        s,
        "nova",
        nova_manage_argv(
            s,
            "cell_v2",
            "map_cell0",
            "--database_connection",
            f"mysql+pymysql://openstack:{st.PASSWORD}@{st.HOST}:{st.PORTS['mariadb']}/nova_cell0",
        ),
        logf,
    )
    # exit 2: the cell exists already (a resumed bootstrap)
    _run_logged(
        s, "nova", nova_manage_argv(s, "cell_v2", "create_cell", "--name", "cell1"), logf, ok_codes=(0, 2)
    )
    _run_logged(s, "nova", nova_manage_argv(s, "db", "sync"), logf)
    stamp(s, "nova-db")


SYNCS = ("keystone", "placement", "glance", "neutron", "nova")


SNAPSHOT_STAMPS = (*(f"{n}-db" for n in SYNCS), "keystone-bootstrap", "cloud-identity")


def _snapshot_file(s: Settings) -> Path:
    """The databases right after the syncs, Keystone's bootstrap and the identity phase
    (users, projects, catalog), cached beside the venv with Keystone's key repositories:
    `reset` + `up` restores them in seconds instead of running every sync again."""
    inputs = sorted((st.SANDBOX_SRC / "templates").glob("*")) + [BOOTSTRAP]
    key = st._hash_files(*inputs)[:8]
    return s.cache / f"sandbox-dbsnap-{s.venv_hash}-{key}-{s.port_offset}.sql"


def _snapshot_keys(s: Settings) -> Path:
    return _snapshot_file(s).with_suffix(".keys.tar")


def _restore_snapshot(s: Settings) -> bool:
    snap, keys = _snapshot_file(s), _snapshot_keys(s)
    if not (snap.exists() and keys.exists()) or any(stamped(s, n) for n in SNAPSHOT_STAMPS):
        return False
    t0 = time.time()
    with open(snap, "rb") as fh:
        res = subprocess.run(db.mysql_argv(s), check=False, stdin=fh, capture_output=True)
    if res.returncode == 0:
        (s.etc / "keystone").mkdir(parents=True, exist_ok=True)
        res = subprocess.run(
            ["tar", "-C", str(s.etc / "keystone"), "-xf", str(keys)], check=False, capture_output=True
        )
    if res.returncode != 0:
        log(
            f"could not restore the snapshot {snap} ({res.stderr.decode()[-300:]}); "
            f"running the db syncs instead"
        )
        snap.unlink(missing_ok=True)
        db.query(s, " ".join(f"DROP DATABASE IF EXISTS `{d}`;" for d in db.DATABASES))
        db.create_databases(s)
        return False
    for n in SNAPSHOT_STAMPS:
        stamp(s, n)
    log(f"databases restored from the snapshot in {time.time() - t0:.1f} s")
    return True


def _write_snapshot(s: Settings) -> None:
    snap, keys = _snapshot_file(s), _snapshot_keys(s)
    tmp = snap.with_suffix(".tmp")
    argv = [
        "mysqldump",
        f"--socket={s.mysql_socket}",
        "--user=root",
        "--databases",
        *db.DATABASES,
        "--single-transaction",
        "--skip-comments",
    ]
    with open(tmp, "wb") as out:
        res = subprocess.run(argv, check=False, stdout=out, stderr=subprocess.PIPE)
    tar = subprocess.run(
        ["tar", "-C", str(s.etc / "keystone"), "-cf", str(keys), "fernet-keys", "credential-keys"],
        check=False,
        capture_output=True,
    )
    if res.returncode == 0 and tar.returncode == 0:
        tmp.replace(snap)
    else:
        tmp.unlink(missing_ok=True)
        keys.unlink(missing_ok=True)


def db_syncs(s: Settings) -> None:
    if not stamped(s, "databases"):
        db.create_databases(s)
        stamp(s, "databases")
    if _restore_snapshot(s):
        return
    fns = {
        "keystone": _sync_keystone,
        "placement": _sync_placement,
        "glance": _sync_glance,
        "neutron": _sync_neutron,
        "nova": _sync_nova,
    }
    todo = {n: fns[n] for n in SYNCS if not stamped(s, f"{n}-db")}
    if todo:
        t0 = time.time()
        log(f"database syncs: {', '.join(todo)}")
        _parallel({n: (lambda f=f: f(s)) for n, f in todo.items()})
        log(f"database syncs done in {time.time() - t0:.0f} s")
    _bootstrap_keystone(s)


# ---- cloud resources through the APIs ---------------------------------------------------


def _endpoints() -> dict:
    h = st.HOST
    return {
        "nova": f"http://{h}:{st.PORTS['nova-api']}/v2.1",
        "placement": f"http://{h}:{st.PORTS['placement']}",
        "glance": f"http://{h}:{st.PORTS['glance']}",
        "neutron": f"http://{h}:{st.PORTS['neutron']}",
    }


def _bootstrap_phase(s: Settings, phase: str, arg: str) -> None:
    if stamped(s, f"cloud-{phase}"):
        return
    _run_logged(
        s,
        f"bootstrap ({phase})",
        [
            str(s.venv_bin / "python"),
            str(BOOTSTRAP),
            phase,
            f"http://{st.HOST}:{st.PORTS['keystone']}",
            st.ADMIN_PASSWORD,
            st.REGION,
            arg,
        ],
        s.log_dir(st.CONTROLLER, "sandbox") / "bootstrap.log",
    )
    stamp(s, f"cloud-{phase}")


def write_clouds_yaml(s: Settings) -> None:
    auth = f"http://{st.HOST}:{st.PORTS['keystone']}/v3"

    def cloud(user, project):
        return (
            f"    auth:\n      auth_url: {auth}\n      username: {user}\n"
            f"      password: {st.PASSWORD if user != 'admin' else st.ADMIN_PASSWORD}\n"
            f"      project_name: {project}\n      user_domain_name: Default\n"
            f"      project_domain_name: Default\n    region_name: {st.REGION}\n"
            f"    interface: public\n    identity_api_version: 3\n"
        )

    text = (
        "# Written by sandbox/sandbox up. Use: OS_CLIENT_CONFIG_FILE=<this file>\n"
        "clouds:\n  sandbox:\n" + cloud("admin", "admin") + "  sandbox-member:\n" + cloud("demo", "demo")
    )
    configs.write_if_changed(s.clouds_yaml, text)


# ---- up ------------------------------------------------------------------------------


def _all_running(s: Settings, svcs: list[Service]) -> bool:
    return all(services.is_running(s, svc) for svc in svcs)


def _bootstrapped(s: Settings) -> bool:
    names = [
        "databases",
        *(f"{n}-db" for n in SYNCS),
        "keystone-bootstrap",
        "cloud-identity",
        "cloud-resources",
    ]
    return all(stamped(s, n) for n in names)


def _unmapped_hosts(s: Settings) -> list[str]:
    nodes = db.compute_nodes(s)
    mapped = db.mapped_hosts(s)
    return [h for h in s.compute_hosts if h in nodes and h not in mapped]


def _start_many(s: Settings, svcs: list[Service]) -> list[Service]:
    started = []
    for svc in svcs:
        if not services.is_running(s, svc):
            services.start(s, svc)
            started.append(svc)
    return started


def _retired_computes(s: Settings) -> list[Service]:
    """Compute processes still running from a larger topology (fewer computes, no scale)."""
    if not s.run.exists():
        return []
    out = []
    for pidfile in sorted(s.run.glob("*.pid")):
        name = pidfile.stem
        if name.startswith(("compute", st.SCALE_HOST)) and name not in s.compute_hosts:
            out.append(Service(name, name, "nova", "nova-compute.log", "compute"))
    return out


def up(s: Settings) -> float:
    t0 = time.time()
    st.remember(s)
    for old in _retired_computes(s):
        if services.stop(s, old):
            log(f"stopped {old.label} (no longer part of the topology)")
    svcs = services.all_services(s)
    if (
        install.venv_ready(s)
        and not install.missing_packages()
        and _bootstrapped(s)
        and _all_running(s, svcs)
        and s.clouds_yaml.exists()
    ):
        configs.render_all(s)
        if not _unmapped_hosts(s):
            log(f"already up ({len(svcs)} services running); nothing to do")
            return time.time() - t0
    install.ensure_packages()
    install.ensure_venv(s)
    configs.render_all(s)
    by = {svc.name: svc for svc in svcs}

    infra = [by["mariadb"], by["rabbitmq"]]
    _start_many(s, infra)
    services.wait_ready(s, [by["mariadb"]])
    fresh = not any(stamped(s, n) for n in SNAPSHOT_STAMPS)
    db_syncs(s)  # while RabbitMQ boots
    services.wait_ready(s, [by["rabbitmq"]])

    # The APIs do not authenticate at start; conductor, scheduler and computes do, with the
    # service users that the identity phase creates.
    apis = [by[n] for n in ("keystone", "placement", "glance", "neutron", "nova-api")]
    if stamped(s, "cloud-identity"):
        apis += [by[n] for n in ("nova-conductor", "nova-scheduler", "nova-novncproxy")]
        apis += [svc for svc in svcs if svc.kind == "compute"]
    started = _start_many(s, apis)
    if started:
        log("starting " + ", ".join(x.label for x in started))
    if not stamped(s, "cloud-identity"):
        services.wait_ready(s, [by["keystone"]])
        _bootstrap_phase(s, "identity", json.dumps(_endpoints()))
        if fresh:
            _write_snapshot(s)

    rest = [by[n] for n in ("nova-conductor", "nova-scheduler", "nova-novncproxy")]
    rest += [svc for svc in svcs if svc.kind == "compute"]
    started = _start_many(s, rest)
    if started:
        log("starting " + ", ".join(x.label for x in started))

    def discover():
        unmapped = _unmapped_hosts(s)
        if unmapped:
            log(f"discover_hosts ({', '.join(unmapped)})")
            _run_logged(
                s,
                "nova-manage cell_v2 discover_hosts",
                nova_manage_argv(s, "cell_v2", "discover_hosts", "--verbose"),
                s.log_dir(st.CONTROLLER, "nova") / "nova-manage-discover.log",
            )

    def computes_ready():
        # compute node records appear early in a compute's start: map the hosts while the
        # services finish starting, then once more for any that registered late
        deadline = time.time() + 300
        while time.time() < deadline and any(
            svc.name not in db.compute_nodes(s) for svc in svcs if svc.kind == "compute"
        ):
            if not all(services.is_running(s, x) for x in svcs):
                break  # wait_ready below names the one that died
            time.sleep(1)
        discover()
        services.wait_ready(s, svcs)
        discover()

    def resources():
        # flavors, image, quotas need only the APIs: overlap with the computes' start
        services.wait_ready(s, [by[n] for n in ("keystone", "glance", "nova-api")])
        _bootstrap_phase(s, "resources", str(s.state / "images" / "cirros-fake.raw"))

    _parallel({"computes": computes_ready, "resources": resources})
    write_clouds_yaml(s)
    elapsed = time.time() - t0
    log(
        f"up: {len(svcs)} services ready in {elapsed:.1f} s; "
        f"OS_CLIENT_CONFIG_FILE={s.clouds_yaml} OS_CLOUD=sandbox"
    )
    return elapsed


# ---- down / reset / status ----------------------------------------------------------------


def down(s: Settings, hard: bool = False) -> None:
    svcs = services.all_services(s) + _retired_computes(s)
    order = (
        [x for x in svcs if x.kind == "compute"]
        + [x for x in svcs if x.kind in ("nova", "wsgi")]
        + [x for x in svcs if x.kind == "infra"][::-1]
    )
    t0 = time.time()
    # computes and API services in parallel, then rabbitmq, then mariadb
    _parallel({x.name: (lambda x=x: services.stop(s, x, hard=hard)) for x in order if x.kind != "infra"})
    for x in order:
        if x.kind == "infra":
            services.stop(s, x, hard=hard)
    log(f"down in {time.time() - t0:.1f} s (state kept in {s.state})")


def reset(s: Settings) -> None:
    down(s, hard=True)
    if s.state.exists():
        shutil.rmtree(s.state)
    log(f"reset: removed {s.state} (packages and the venv {s.venv} are kept)")


def status(s: Settings) -> tuple[bool, list[dict]]:
    svcs = services.all_services(s)
    heartbeats = db.nova_services(s) if services.is_running(s, services.find(s, "mariadb")) else {}
    now = time.time()
    rows, all_up = [], True
    for svc in svcs:
        info = services.is_running(s, svc)
        row = {
            "service": svc.label,
            "host": svc.host,
            "state": "up" if info else "down",
            "pid": info.pid if info else None,
            "log": str(svc.log_file(s)),
            "detail": "",
        }
        if info and svc.port and not proc.port_open(svc.port):
            row["state"], row["detail"] = "starting", f"port {svc.port} not answering"
        if svc.kind in ("nova", "compute") and svc.name != "nova-novncproxy":
            host = svc.name if svc.kind == "compute" else st.CONTROLLER
            binary = "nova-compute" if svc.kind == "compute" else svc.name
            hb = heartbeats.get((host, binary))
            if hb and hb["last_seen_up"]:
                age = now - hb["last_seen_up"]
                row["detail"] = f"heartbeat {age:.0f} s ago"
                if hb["disabled"]:
                    row["detail"] += ", disabled"
                if hb["forced_down"]:
                    row["detail"] += ", forced down"
                if info and age > 30:
                    row["state"] = "stale"
            elif info:
                row["detail"] = "no heartbeat yet"
        elif svc.port and info:
            row["detail"] = f"{st.HOST}:{svc.port}"
        if row["state"] != "up":
            all_up = False
        rows.append(row)
    return all_up, rows
