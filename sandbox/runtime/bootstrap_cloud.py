"""Create the sandbox cloud's own resources through the real APIs (idempotent).

Run with the sandbox venv's python:
    bootstrap_cloud.py identity  KEYSTONE_URL PASSWORD REGION ENDPOINTS_JSON
    bootstrap_cloud.py resources KEYSTONE_URL PASSWORD REGION IMAGE_FILE

identity:  service project, service users (admin + service roles), the demo project and its
           member user, the catalog (compute, placement, image, network).
resources: flavors m1.tiny / m1.small, the raw image cirros-fake, raised quotas.
"""

import json
import sys

import openstack

SERVICE_USERS = ["nova", "placement", "glance", "neutron"]
CATALOG = {
    # name: (type, description)
    "nova": ("compute", "OpenStack Compute"),
    "placement": ("placement", "Placement API"),
    "glance": ("image", "OpenStack Image"),
    "neutron": ("network", "OpenStack Networking"),
}
FLAVORS = [
    # name, vcpus, ram MB, disk GB
    ("m1.tiny", 1, 512, 1),
    ("m1.small", 1, 2048, 20),
]
IMAGE_NAME = "cirros-fake"


def connect(url, password, region, project="admin"):
    return openstack.connect(
        auth_url=url + "/v3",
        username="admin",
        password=password,
        project_name=project,
        user_domain_name="Default",
        project_domain_name="Default",
        region_name=region,
        interface="public",
        identity_api_version="3",
    )


def ensure_role_assignment(conn, role, user, project):
    ident = conn.identity
    if not any(
        True for _ in ident.role_assignments(user_id=user.id, scope_project_id=project.id, role_id=role.id)
    ):
        ident.assign_project_role_to_user(project, user, role)


def identity(conn, password, region, endpoints):
    ident = conn.identity
    domain = ident.find_domain("default") or ident.find_domain("Default")
    roles = {r.name: r for r in ident.roles()}
    for needed in ("admin", "member", "reader", "service"):
        if needed not in roles:
            roles[needed] = ident.create_role(name=needed)
    projects = {}
    for name in ("service", "demo"):
        projects[name] = ident.find_project(name, domain_id=domain.id) or ident.create_project(
            name=name, domain_id=domain.id, description=f"sandbox {name} project"
        )
    for name in SERVICE_USERS:
        user = ident.find_user(name, domain_id=domain.id) or ident.create_user(
            name=name, password=password, domain_id=domain.id, default_project_id=projects["service"].id
        )
        for role in ("admin", "service"):
            ensure_role_assignment(conn, roles[role], user, projects["service"])
    demo = ident.find_user("demo", domain_id=domain.id) or ident.create_user(
        name="demo", password=password, domain_id=domain.id, default_project_id=projects["demo"].id
    )
    ensure_role_assignment(conn, roles["member"], demo, projects["demo"])
    # the admin may act in the demo project too (tests create servers there)
    admin = ident.find_user("admin", domain_id=domain.id)
    ensure_role_assignment(conn, roles["admin"], admin, projects["demo"])

    services = {s.name: s for s in ident.services()}
    existing = {(e.service_id, e.interface) for e in ident.endpoints()}
    for name, url in endpoints.items():
        stype, desc = CATALOG[name]
        svc = services.get(name) or ident.create_service(name=name, type=stype, description=desc)
        for iface in ("public", "internal", "admin"):
            if (svc.id, iface) not in existing:
                ident.create_endpoint(service_id=svc.id, interface=iface, url=url, region_id=region)


def resources(conn, image_file):
    for name, vcpus, ram, disk in FLAVORS:
        if not conn.compute.find_flavor(name, ignore_missing=True):
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
    image = conn.image.find_image(IMAGE_NAME, ignore_missing=True)
    if image is not None and image.status != "active":
        conn.image.delete_image(image)
        image = None
    if image is None:
        conn.image.create_image(
            IMAGE_NAME,
            filename=image_file,
            disk_format="raw",
            container_format="bare",
            visibility="public",
            wait=True,
            timeout=120,
        )
    # quotas: defaults are raised in nova.conf / neutron.conf; make the named projects
    # explicit too, so a test that lowers a default does not starve them.
    for pname in ("admin", "demo"):
        project = conn.identity.find_project(pname)
        conn.compute.update_quota_set(project.id, instances=1000, cores=10000, ram=10240000)


def main(argv):
    phase, url, password, region, arg = argv[1:6]
    conn = connect(url, password, region)
    if phase == "identity":
        identity(conn, password, region, json.loads(arg))
    elif phase == "resources":
        resources(conn, arg)
    else:
        raise SystemExit(f"unknown phase {phase}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
