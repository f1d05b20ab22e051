"""The sandbox's own failure paths, which a healthy sandbox never walks.

Each test builds the sandbox's settings over a temporary state directory (nothing of the
real sandbox is touched) and checks that a failure names the service, the cause and the log
file to read, as the sandbox promises (sandbox/README.md).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "sandbox" / "lib"))

from sandboxlib import configs, proc, services  # noqa: E402
from sandboxlib import settings as st  # noqa: E402
from sandboxlib.proc import SandboxError  # noqa: E402


@pytest.fixture
def sandbox_settings(tmp_path, monkeypatch):
    """Settings of a sandbox that was never set up, on a port offset of our choosing."""
    saved_ports, saved_rabbit = dict(st.PORTS), dict(st.RABBIT)

    def load(port_offset=0):
        monkeypatch.setenv("KOLLA_OPS_SANDBOX_DIR", str(tmp_path / "state"))
        monkeypatch.setenv("KOLLA_OPS_CACHE", str(tmp_path / "cache"))
        monkeypatch.setenv("KOLLA_OPS_SANDBOX_PORT_OFFSET", str(port_offset))
        monkeypatch.delenv("KOLLA_OPS_NODE_CUSTOM_CONFIG", raising=False)
        return st.load()

    yield load
    st.PORTS.clear()
    st.PORTS.update(saved_ports)
    st.RABBIT.clear()
    st.RABBIT.update(saved_rabbit)


def test_port_taken_names_service_port_and_log(sandbox_settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        s = sandbox_settings(port_offset=port - st.BASE_PORTS["keystone"])
        keystone = services.find(s, "keystone")
        assert keystone.port == port
        with pytest.raises(SandboxError) as err:
            services.start(s, keystone)
    msg = str(err.value)
    assert "keystone" in msg and "127.0.0.1:%d is already in use" % port in msg
    assert str(keystone.log_file(s)) in msg
    assert "stop that process" in msg
    assert not (s.run / "keystone.pid").exists()


def test_missing_venv_names_the_binary_and_log(sandbox_settings):
    s = sandbox_settings(port_offset=41000)  # nothing listens there
    conductor = services.find(s, "nova-conductor")
    with pytest.raises(SandboxError) as err:
        services.start(s, conductor)
    msg = str(err.value)
    assert msg.startswith("nova-conductor: ")
    assert str(s.venv_bin / "nova-conductor") in msg and "is missing" in msg
    assert str(conductor.log_file(s)) in msg


def test_service_exiting_at_start_shows_its_last_lines(sandbox_settings, monkeypatch):
    # The command is replaced by one that fails the way a broken service does (a message on
    # stderr, then exit): producing a real broken Nova would need a broken install.
    s = sandbox_settings(port_offset=41000)
    conductor = services.find(s, "nova-conductor")
    monkeypatch.setattr(
        services,
        "command",
        lambda _s, _svc: (
            ["/bin/sh", "-c", "echo 'oslo_config.cfg.ConfigFilesNotFoundError: x.conf'; exit 3"],
            {},
        ),
    )
    services.start(s, conductor)
    deadline = time.time() + 10
    while services.is_running(s, conductor) and time.time() < deadline:
        time.sleep(0.05)
    with pytest.raises(SandboxError) as err:
        services.wait_ready(s, [conductor])
    msg = str(err.value)
    assert msg.startswith("nova-conductor: exited while starting")
    assert "ConfigFilesNotFoundError: x.conf" in msg  # the console log's last lines
    assert str(conductor.console_log(s)) in msg


def test_heartbeat_in_the_start_second_is_not_proof():
    started = 1000.4
    assert not services._seen_since({"last_seen_up": 1000.0}, started)  # maybe the old process
    assert not services._seen_since({"last_seen_up": 999.0}, started)
    assert services._seen_since({"last_seen_up": 1001.0}, started)
    assert not services._seen_since(None, started)
    assert not services._seen_since({"last_seen_up": None}, started)


def test_overrides_are_applied_as_copies(sandbox_settings):
    """A service keeps what it started with when the override is edited or removed later."""
    s = sandbox_settings()
    override = s.node_custom_config / "nova" / "compute1" / "nova-compute.conf"
    override.parent.mkdir(parents=True)
    override.write_text("[DEFAULT]\ncpu_allocation_ratio = 3.0\n")
    argv = services.compute_argv(s, "compute1")
    applied = [Path(a) for a in argv if "/applied/" in a]
    assert [p.name for p in applied] == ["00-nova__compute1__nova-compute.conf"]
    override.unlink()
    assert applied[0].read_text() == "[DEFAULT]\ncpu_allocation_ratio = 3.0\n"
    # the next start applies what is there now: nothing
    assert not [a for a in services.compute_argv(s, "compute1") if "/applied/" in a]
    assert not list((s.etc / "nova" / "applied" / "compute1").glob("*.conf"))
    assert configs.compute_override_files(s, "compute1") == []


def test_orphaned_copy_is_killed_and_others_are_left(tmp_path):
    marker = "kolla-ops-orphan-%d" % os.getpid()
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", marker, "nova-compute.log"],
        start_new_session=True,
    )
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", marker], start_new_session=True
    )
    try:
        killed = proc.kill_orphans(marker, "nova-compute.log")
        assert [pid for pid, _pgid, _cmd in killed] == [orphan.pid]
        assert orphan.wait(timeout=10) == -9
        assert bystander.poll() is None  # a process without every marker is not touched
    finally:
        for p in (orphan, bystander):
            if p.poll() is None:
                p.kill()
                p.wait()
