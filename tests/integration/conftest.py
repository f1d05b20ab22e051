"""Fixtures for integration tests against the sandbox cloud (sandbox/sandbox).

The session brings the sandbox up once (``sandbox/sandbox up`` returns in well under
5 s when it already runs) and leaves it running at the end (never ``down``).
``OS_CLIENT_CONFIG_FILE`` is set to the sandbox's clouds.yaml for the whole session, so
modules and playbooks started from a test find clouds ``sandbox`` (admin) and
``sandbox-member`` (user ``demo``, member of project ``demo``).

Fixtures (names are stable; other tests rely on them):

``sandbox`` (session)
    A :class:`Sandbox` with paths and helpers:
    ``root`` (repo), ``cli`` (path of sandbox/sandbox), ``state_dir``, ``clouds_yaml``,
    ``node_custom_config`` (Kolla override dir the computes read), ``log_dir``
    (``<state>/log/kolla``), ``computes`` (["compute1", "compute2", "compute3"]),
    ``run(*args, check=True, timeout=600)`` -> CompletedProcess (text, stdout/stderr captured),
    ``compute_log(host)``, ``controller_log(project, name)``,
    ``override_file(relpath)`` -> Path under node_custom_config,
    ``restart_compute(host)``, ``nova_manage(*args)`` -> CompletedProcess.
``admin_conn`` (session)
    ``openstack.connect(cloud="sandbox")``: admin in project admin.
``member_conn`` (session)
    ``openstack.connect(cloud="sandbox-member")``: non-admin ``demo`` user.
``cleanup`` (function)
    A :class:`Cleanup`; ``cleanup.add(fn, *args)`` registers a callable run at teardown (LIFO),
    ``cleanup.server(server)`` deletes a server (and waits) at teardown. Failures in teardown
    are collected and reported, not hidden.
``project`` (function)
    A fresh project with its own member user: :class:`TestProject` with ``project``, ``user``,
    ``password``, ``conn`` (connection as that user), ``cloud_config`` (dict usable as a
    ``auth:`` block). Servers, ports, networks, the user and the project are deleted at teardown.
``boot_server`` (function)
    ``boot_server(host=None, *, name=None, conn=None, metadata=None, flavor="m1.tiny",
    image="cirros-fake", wait=True, timeout=120)`` boots with ``networks="none"`` (as admin,
    ``availability_zone="nova:<host>"`` when a host is given), waits for ACTIVE and registers
    the server for deletion at teardown. Returns the openstacksdk Server.

Waiting helpers, on the ``sandbox`` object (do not import conftest):
    ``sandbox.wait_for(predicate, timeout=60, interval=0.5, what="...")`` -> the truthy value,
    or raises ``AssertionError`` naming ``what``.
    ``sandbox.wait_for_server(conn, server, status="ACTIVE", host=None, timeout=120)`` -> the
    Server once it has that status, no task state (and is on ``host``); fails fast on ERROR.

Every test in this directory gets the ``integration`` marker. The sandbox is shared: a test
that stops, kills or reconfigures a compute must start it again / restore the override
files it changed before it ends (``finally``), as test_sandbox.py does.

Environment: ``KOLLA_OPS_SANDBOX_SKIP=1`` skips every test that needs the sandbox (for
machines that cannot run it); by default a sandbox that cannot come up is an error.
``KOLLA_OPS_SANDBOX_DIR`` (and the other ``KOLLA_OPS_SANDBOX_*`` variables) select another
sandbox, as for the CLI.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "sandbox" / "sandbox"


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs the sandbox cloud (sandbox/sandbox)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


class SandboxTimeout(AssertionError):
    pass


class Sandbox:
    """Paths of the running sandbox and a runner for its CLI."""

    def __init__(self, paths: dict):
        self.root = ROOT
        self.cli = CLI
        self.state_dir = Path(paths["state_dir"])
        self.clouds_yaml = Path(paths["clouds_yaml"])
        self.node_custom_config = Path(paths["node_custom_config"])
        self.log_dir = Path(paths["log_dir"])
        self.venv = Path(paths["venv"])
        self.computes = [h for h in paths["computes"] if h.startswith("compute")]
        self.ports = paths["ports"]

    # -- CLI -----------------------------------------------------------------
    def run(self, *args, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        res = subprocess.run(
            [str(CLI), *map(str, args)], check=False, capture_output=True, text=True, timeout=timeout
        )
        if check and res.returncode != 0:
            raise AssertionError(
                f"sandbox {' '.join(map(str, args))} exited {res.returncode}\n"
                f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
            )
        return res

    def nova_manage(self, *args, check: bool = False) -> subprocess.CompletedProcess:
        return self.run("nova-manage", *args, check=check)

    def restart_compute(self, host: str) -> None:
        self.run("restart-compute", host)

    def compute_inventory(self, path: Path, hosts: dict, reports_dir: Path, **extra_vars) -> Path:
        """An Ansible inventory (JSON) with ``hosts`` ({name: hostvars}) in group compute,
        run locally against this sandbox's cloud; ``extra_vars`` go to ``all.vars``."""
        import json
        import sys

        variables = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "kolla_ops_cloud": "sandbox",
            "kolla_ops_clouds_yaml": str(self.clouds_yaml),
            "kolla_ops_reports_dir": str(reports_dir),
            "kolla_ops_service_down_time": 30,  # the sandbox's service_down_time
            **extra_vars,
        }
        path.write_text(json.dumps({"all": {"children": {"compute": {"hosts": hosts}}, "vars": variables}}))
        return path

    # -- paths ---------------------------------------------------------------
    def compute_log(self, host: str) -> Path:
        return self.log_dir / host / "nova" / "nova-compute.log"

    def controller_log(self, project: str, name: str) -> Path:
        return self.log_dir / "controller" / project / name

    def override_file(self, relpath: str) -> Path:
        return self.node_custom_config / relpath

    # -- waiting -------------------------------------------------------------
    @staticmethod
    def wait_for(predicate, timeout: float = 60, interval: float = 0.5, what: str = "condition"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise SandboxTimeout(f"timed out after {timeout} s waiting for {what} (last: {last!r})")

    def wait_for_server(
        self, conn, server, status: str = "ACTIVE", host: str | None = None, timeout: float = 120
    ):
        def check():
            s = conn.compute.get_server(server.id if hasattr(server, "id") else server)
            if s.status == "ERROR" and status != "ERROR":
                raise AssertionError(f"server {s.id} went to ERROR: {s.fault}")
            if s.status == status and s.task_state is None and (host is None or s.compute_host == host):
                return s
            return None

        return self.wait_for(
            check,
            timeout=timeout,
            interval=0.5,
            what=f"server {getattr(server, 'id', server)} {status}{' on ' + host if host else ''}",
        )


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    if os.environ.get("KOLLA_OPS_SANDBOX_SKIP") == "1":
        pytest.skip("KOLLA_OPS_SANDBOX_SKIP=1: sandbox tests skipped")
    res = subprocess.run([str(CLI), "up"], check=False, capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        pytest.fail(f"sandbox up failed (exit {res.returncode}):\n{res.stdout}\n{res.stderr}", pytrace=False)
    import json

    paths = json.loads(subprocess.run([str(CLI), "paths"], capture_output=True, text=True, check=True).stdout)
    sb = Sandbox(paths)
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(sb.clouds_yaml)
    _start_from_baseline(sb)
    return sb


def _start_from_baseline(sb: Sandbox) -> None:
    """No override files, and no service running with one: what every test assumes.

    A sandbox reused after `make demo` (or an interrupted test run) holds the demo's override
    files and computes that run with them. They are moved aside, not deleted (the path is
    printed), and the services that had them are restarted; the sandbox's base config writes
    Nova's default ratios out, so the restart also puts Placement's inventories back.
    """
    files = sorted(p for p in sb.node_custom_config.rglob("*") if p.is_file())
    if files:
        stash = sb.state_dir / ("overrides-moved-by-tests-" + time.strftime("%Y%m%d-%H%M%S"))
        for f in files:
            dest = stash / f.relative_to(sb.node_custom_config)
            dest.parent.mkdir(parents=True, exist_ok=True)
            f.rename(dest)
        print("\nsandbox: moved %d override file(s) to %s before the tests" % (len(files), stash))
    applied = sb.state_dir / "etc" / "nova" / "applied"
    for d in sorted(applied.iterdir()) if applied.is_dir() else []:
        if any(d.glob("*.conf")):
            sb.run("restart-compute" if d.name in sb.computes else "restart-service", d.name)


@pytest.fixture
def baseline(sandbox):
    """The sandbox back at the baseline for a test that renders the sandbox's own overrides.

    An earlier test (test_site's demo run) leaves inventory/sandbox's overrides deployed; a test
    that needs them not yet rendered, or not yet live, asks for this fixture.
    """
    _start_from_baseline(sandbox)
    return sandbox


@pytest.fixture(scope="session")
def admin_conn(sandbox):
    import openstack

    conn = openstack.connect(cloud="sandbox")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def member_conn(sandbox):
    import openstack

    conn = openstack.connect(cloud="sandbox-member")
    yield conn
    conn.close()


class Cleanup:
    def __init__(self, admin_conn):
        self._conn = admin_conn
        self._items: list = []

    def add(self, fn, *args, **kwargs):
        self._items.append((fn, args, kwargs))
        return fn

    def server(self, server):
        self.add(_delete_server, self._conn, server.id)
        return server

    def run(self):
        errors = []
        while self._items:
            fn, args, kwargs = self._items.pop()
            try:
                fn(*args, **kwargs)
            except Exception as exc:
                errors.append(f"{getattr(fn, '__name__', fn)}{args}: {exc!r}")
        return errors


def _delete_server(conn, server_id, timeout=120):
    server = conn.compute.find_server(server_id, ignore_missing=True, all_projects=True)
    if server is None:
        return
    if server.status == "ERROR" or server.task_state:
        with contextlib.suppress(Exception):
            conn.compute.reset_server_state(server, "error")
    conn.compute.delete_server(server, force=server.status == "ERROR")
    conn.compute.wait_for_delete(server, wait=timeout, interval=1)


@pytest.fixture
def cleanup(admin_conn):
    c = Cleanup(admin_conn)
    yield c
    errors = c.run()
    if errors:
        pytest.fail("cleanup failed:\n" + "\n".join(errors), pytrace=False)


class TestProject:
    __test__ = False  # not a test class

    def __init__(self, project, user, password, conn, cloud_config):
        self.project = project
        self.user = user
        self.password = password
        self.conn = conn
        self.cloud_config = cloud_config


@pytest.fixture
def project(admin_conn, sandbox):
    import openstack

    ident = admin_conn.identity
    name = f"test-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    proj = ident.create_project(
        name=name, domain_id="default", description="kolla_ops.nova integration test project"
    )
    user = ident.create_user(name=name, password=password, domain_id="default", default_project_id=proj.id)
    member = ident.find_role("member")
    ident.assign_project_role_to_user(proj, user, member)
    auth = {
        "auth_url": f"http://127.0.0.1:{sandbox.ports['keystone']}/v3",
        "username": name,
        "password": password,
        "project_name": name,
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    conn = openstack.connect(auth=auth, region_name="RegionOne", interface="public", identity_api_version="3")
    tp = TestProject(proj, user, password, conn, auth)
    yield tp
    conn.close()
    errors = []
    for server in admin_conn.compute.servers(all_projects=True, project_id=proj.id):
        try:
            _delete_server(admin_conn, server.id)
        except Exception as exc:
            errors.append(f"server {server.id}: {exc!r}")
    for port in admin_conn.network.ports(project_id=proj.id):
        admin_conn.network.delete_port(port, ignore_missing=True)
    for net in admin_conn.network.networks(project_id=proj.id):
        admin_conn.network.delete_network(net, ignore_missing=True)
    for sg in admin_conn.network.security_groups(project_id=proj.id):
        admin_conn.network.delete_security_group(sg, ignore_missing=True)
    ident.delete_user(user, ignore_missing=True)
    ident.delete_project(proj, ignore_missing=True)
    if errors:
        pytest.fail("project cleanup failed:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def boot_server(admin_conn, sandbox, cleanup):
    def boot(
        host=None,
        *,
        name=None,
        conn=None,
        metadata=None,
        flavor="m1.tiny",
        image="cirros-fake",
        wait=True,
        timeout=120,
    ):
        c = conn or admin_conn
        img = admin_conn.image.find_image(image, ignore_missing=False)
        flv = admin_conn.compute.find_flavor(flavor, ignore_missing=False)
        kwargs = {
            "name": name or f"it-{uuid.uuid4().hex[:8]}",
            "image_id": img.id,
            "flavor_id": flv.id,
            "networks": "none",
        }
        if host:
            kwargs["availability_zone"] = f"nova:{host}"
        if metadata:
            kwargs["metadata"] = metadata
        server = c.compute.create_server(**kwargs)
        cleanup.server(server)
        if wait:
            server = sandbox.wait_for_server(admin_conn, server, "ACTIVE", host=host, timeout=timeout)
        return server

    return boot
