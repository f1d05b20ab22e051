"""Where everything lives, and the knobs read from the environment.

Environment (all optional):
  KOLLA_OPS_SANDBOX_DIR          state directory (default <repo>/.sandbox)
  KOLLA_OPS_CACHE                cache root for the venv (default ~/.cache/kolla-ops-nova)
  KOLLA_OPS_NODE_CUSTOM_CONFIG   Kolla node_custom_config the services read overrides from
                                 (else the path in <state>/node_custom_config, else
                                 <state>/etc/kolla/config)
  KOLLA_OPS_SANDBOX_COMPUTES     number of compute hosts (default 3, remembered in the state)
  KOLLA_OPS_SANDBOX_SCALE_NODES  nodes reported by the extra scale compute (default 0 = off)
  KOLLA_OPS_SANDBOX_PYTHON       interpreter for the venv (default pyenv 3.12, python3.12)
  KOLLA_OPS_SANDBOX_PORT_OFFSET  added to every port (default 0, remembered in the state), so a
                                 second sandbox (another KOLLA_OPS_SANDBOX_DIR) can run beside
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_SRC = Path(__file__).resolve().parents[2]  # <repo>/sandbox
REPO = SANDBOX_SRC.parent

HOST = "127.0.0.1"
CONTROLLER = "controller"  # host name of the control-plane services (log layout)
# every service / DB / user password: a throwaway cloud listening on 127.0.0.1 only
PASSWORD = "sandbox"  # noqa: S105
ADMIN_PASSWORD = "sandbox"  # noqa: S105
REGION = "RegionOne"

BASE_PORTS = {
    "mariadb": 3306,
    "rabbitmq": 5672,
    "keystone": 5000,
    "placement": 8778,
    "glance": 9292,
    "neutron": 9696,
    "nova-api": 8774,
    "nova-novncproxy": 6080,
}

# the ports in use: BASE_PORTS + the state's port offset (set by load())
PORTS = dict(BASE_PORTS)
RABBIT = {"node": "sandbox@localhost", "dist_port": 25673}

DEFAULT_COMPUTES = 3
SCALE_HOST = "scale1"


def _hash_files(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()[:16]


@dataclass
class Settings:
    state: Path
    cache: Path
    computes: int
    scale_nodes: int
    node_custom_config: Path
    port_offset: int = 0
    requirements: Path = SANDBOX_SRC / "requirements.txt"
    lock: Path = SANDBOX_SRC / "requirements.lock"
    extra: dict = field(default_factory=dict)

    # ---- derived paths -------------------------------------------------
    @property
    def venv_hash(self) -> str:
        return _hash_files(self.requirements, self.lock)

    @property
    def venv(self) -> Path:
        return self.cache / f"sandbox-venv-{self.venv_hash}"

    @property
    def venv_bin(self) -> Path:
        return self.venv / "bin"

    @property
    def etc(self) -> Path:
        return self.state / "etc"

    @property
    def run(self) -> Path:
        return self.state / "run"

    @property
    def log_root(self) -> Path:
        return self.state / "log" / "kolla"

    @property
    def clouds_yaml(self) -> Path:
        return self.state / "clouds.yaml"

    @property
    def mysql_socket(self) -> Path:
        return self.run / "mysqld.sock"

    @property
    def compute_hosts(self) -> list[str]:
        hosts = [f"compute{i}" for i in range(1, self.computes + 1)]
        if self.scale_nodes > 0:
            hosts.append(SCALE_HOST)
        return hosts

    def log_dir(self, host: str, project: str) -> Path:
        return self.log_root / host / project

    def to_json(self) -> dict:
        return {
            "repo": str(REPO),
            "state_dir": str(self.state),
            "clouds_yaml": str(self.clouds_yaml),
            "node_custom_config": str(self.node_custom_config),
            "log_dir": str(self.log_root),
            "venv": str(self.venv),
            "computes": self.compute_hosts,
            "scale_nodes": self.scale_nodes,
            "ports": PORTS,
        }


def _int_env(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"sandbox: {name}={raw!r} is not an integer") from None
    if value < 0:
        raise SystemExit(f"sandbox: {name}={raw!r} must be >= 0")
    return value


def load(computes: int | None = None, scale_nodes: int | None = None) -> Settings:
    state = Path(os.environ.get("KOLLA_OPS_SANDBOX_DIR") or REPO / ".sandbox").resolve()
    cache = (
        Path(os.environ.get("KOLLA_OPS_CACHE") or Path.home() / ".cache" / "kolla-ops-nova")
        .expanduser()
        .resolve()
    )
    saved = {}
    saved_file = state / "settings.json"
    if saved_file.exists():
        try:
            saved = json.loads(saved_file.read_text())
        except ValueError:
            saved = {}
    if computes is None:
        computes = _int_env("KOLLA_OPS_SANDBOX_COMPUTES")
    if computes is None:
        computes = saved.get("computes", DEFAULT_COMPUTES)
    if computes < 1:
        raise SystemExit("sandbox: at least one compute host is needed")
    if scale_nodes is None:
        scale_nodes = _int_env("KOLLA_OPS_SANDBOX_SCALE_NODES")
    if scale_nodes is None:
        scale_nodes = saved.get("scale_nodes", 0)
    offset = _int_env("KOLLA_OPS_SANDBOX_PORT_OFFSET")
    if offset is None:
        offset = saved.get("port_offset", 0)
    PORTS.update({k: v + offset for k, v in BASE_PORTS.items()})
    RABBIT.update(node=f"sandbox{offset or ''}@localhost", dist_port=25673 + offset)

    ncc_env = os.environ.get("KOLLA_OPS_NODE_CUSTOM_CONFIG", "").strip()
    ncc_file = state / "node_custom_config"
    if ncc_env:
        ncc = Path(ncc_env)
    elif ncc_file.exists() and ncc_file.read_text().strip():
        ncc = Path(ncc_file.read_text().strip())
    else:
        ncc = state / "etc" / "kolla" / "config"
    return Settings(
        state=state,
        cache=cache,
        computes=computes,
        scale_nodes=scale_nodes,
        node_custom_config=ncc.resolve(),
        port_offset=offset,
    )


def remember(settings: Settings) -> None:
    """Persist the topology so later commands (and `up` without env) agree."""
    settings.state.mkdir(parents=True, exist_ok=True)
    (settings.state / "settings.json").write_text(
        json.dumps(
            {
                "computes": settings.computes,
                "scale_nodes": settings.scale_nodes,
                "port_offset": settings.port_offset,
            },
            indent=1,
        )
        + "\n"
    )
