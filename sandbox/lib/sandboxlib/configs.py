"""Render the sandbox's config files from sandbox/templates ({{ name }} placeholders)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from . import settings as st
from .settings import Settings

TEMPLATES = st.SANDBOX_SRC / "templates"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")

COMPUTE_DRIVER = "sandbox_fake.SandboxFakeDriver"
SCALE_DRIVER = "sandbox_fake.SandboxScaleFakeDriver"


def render_text(text: str, values: dict) -> str:
    def sub(match):
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {key!r} has no value")
        return str(values[key])

    return _PLACEHOLDER.sub(sub, text)


def render(template: str, values: dict) -> str:
    return render_text((TEMPLATES / template).read_text(), values)


def write_if_changed(path: Path, content: str) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == content:
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(content)
    tmp.replace(path)
    return True


def base_values(s: Settings) -> dict:
    values = {
        "state": s.state,
        "run": s.run,
        "etc": s.etc,
        "log_root": s.log_root,
        "venv": s.venv,
        "host": st.HOST,
        "controller": st.CONTROLLER,
        "password": st.PASSWORD,
        "region": st.REGION,
    }
    for name, port in st.PORTS.items():
        values["port_" + name.replace("nova-", "").replace("-", "_")] = port
    for user in ("nova", "placement", "glance", "neutron"):
        values[f"authtoken_{user}"] = render("authtoken.ini", {**values, "service_user": user})
    return values


# Kolla's merge order (KA roles nova / nova-cell config.yml), later files win key by key.
def compute_override_files(s: Settings, host: str) -> list[Path]:
    ncc = s.node_custom_config
    candidates = [
        ncc / "global.conf",
        ncc / "nova.conf",
        ncc / "nova" / "nova-compute.conf",
        ncc / "nova" / host / "nova.conf",
        ncc / "nova" / host / "nova-compute.conf",
    ]
    return [p for p in candidates if p.is_file()]


def control_override_files(s: Settings, service: str) -> list[Path]:
    ncc = s.node_custom_config
    candidates = [ncc / "global.conf", ncc / "nova.conf", ncc / "nova" / f"{service}.conf"]
    return [p for p in candidates if p.is_file()]


def applied_overrides(s: Settings, name: str, files: list[Path]) -> list[Path]:
    """Copies of the override files as they are now, for the process about to start.

    Kolla merges the overrides into the container's config at deploy time: a running service
    never sees a later edit or removal of node_custom_config. The sandbox does the same, so a
    file removed while the service is still starting cannot make it exit ("config file not
    found"), and what a service runs with stays inspectable in <state>/etc/nova/applied/NAME.
    """
    target = s.etc / "nova" / "applied" / name
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.conf"):
        old.unlink()
    out = []
    for i, f in enumerate(files):
        try:
            rel = f.relative_to(s.node_custom_config)
        except ValueError:
            rel = Path(f.name)
        copy = target / ("%02d-%s" % (i, "__".join(rel.parts)))
        try:
            copy.write_bytes(f.read_bytes())
        except FileNotFoundError:
            continue  # removed between the listing and the copy: as if it never was
        out.append(copy)
    return out


def nova_conf(s: Settings) -> Path:
    return s.etc / "nova" / "nova.conf"


def nova_control_conf(s: Settings) -> Path:
    return s.etc / "nova" / "nova-control.conf"


def compute_conf(s: Settings, host: str) -> Path:
    return s.etc / "nova" / f"compute-{host}.conf"


def render_all(s: Settings) -> None:
    v = base_values(s)
    e = s.etc
    write_if_changed(e / "mariadb" / "my.cnf", render("my.cnf", v))
    write_if_changed(e / "rabbitmq" / "rabbitmq.conf", render("rabbitmq.conf", v))
    write_if_changed(e / "rabbitmq" / "enabled_plugins", "[].\n")
    write_if_changed(e / "rabbitmq" / "rabbitmq-env.conf", "# sandbox: settings come from the environment\n")
    write_if_changed(e / "keystone" / "keystone.conf", render("keystone.conf", v))
    write_if_changed(e / "placement" / "placement.conf", render("placement.conf", v))
    write_if_changed(e / "glance" / "glance-api.conf", render("glance-api.conf", v))
    paste = s.venv / "etc" / "glance" / "glance-api-paste.ini"
    if paste.exists():
        write_if_changed(e / "glance" / "glance-api-paste.ini", paste.read_text())
    write_if_changed(e / "neutron" / "neutron.conf", render("neutron.conf", v))
    write_if_changed(e / "neutron" / "plugins" / "ml2" / "ml2_conf.ini", render("ml2_conf.ini", v))
    write_if_changed(nova_conf(s), render("nova.conf", v))
    write_if_changed(nova_control_conf(s), render("nova-control.conf", v))
    nova_paste = s.venv / "etc" / "nova" / "api-paste.ini"
    if nova_paste.exists():
        write_if_changed(e / "nova" / "api-paste.ini", nova_paste.read_text())
    write_if_changed(
        e / "nova" / "nova-api.conf",
        "[DEFAULT]\nlog_file = %s\n" % (s.log_dir(st.CONTROLLER, "nova") / "nova-api.log"),
    )
    for host in s.compute_hosts:
        scale = host == st.SCALE_HOST
        extra = ""
        if scale:
            # 500+ nodes: one resource-tracker pass is heavy; do it rarely
            extra = "update_resources_interval = 600\n"
        write_if_changed(
            compute_conf(s, host),
            render(
                "nova-compute.conf",
                {
                    **v,
                    "compute_host": host,
                    "compute_driver": SCALE_DRIVER if scale else COMPUTE_DRIVER,
                    "compute_extra": extra,
                    "scale_nodes": s.scale_nodes if scale else 0,
                },
            ),
        )
    # the sandbox's default node_custom_config, empty but present, so operators see where
    # overrides go
    default_ncc = s.state / "etc" / "kolla" / "config"
    (default_ncc / "nova").mkdir(parents=True, exist_ok=True)
    # nova-novncproxy refuses to start without a web root: the noVNC client (a Debian package
    # that pulls nodejs) is not installed; a placeholder page marks the proxy as answering.
    web = s.state / "novnc"
    write_if_changed(
        web / "vnc_lite.html",
        "<!DOCTYPE html><html><head><title>noVNC (sandbox)</title></head><body>"
        "<p>kolla_ops.nova sandbox: nova-novncproxy is running; the noVNC "
        "client is not installed.</p></body></html>\n",
    )
    # 24 bytes of raw disk image for cirros-fake
    image = s.state / "images" / "cirros-fake.raw"
    if not image.exists():
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(b"kolla-ops-sandbox-image\n")
    for d in (
        "nova/lock",
        "glance/images",
        "glance/staging",
        "glance/tasks",
        "glance/lock",
        "neutron/lock",
        "nova/controller",
    ):
        (s.state / d).mkdir(parents=True, exist_ok=True)
    for host in s.compute_hosts:
        (s.state / "nova" / host / "instances").mkdir(parents=True, exist_ok=True)


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)
