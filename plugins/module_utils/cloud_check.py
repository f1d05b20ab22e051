# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is the cloud there, and do its credentials work?  Errors name the file, the cloud and the user.

``check_cloud(cloud, clouds_yaml=None, services=("compute", "placement"), require_admin=True)``
reads the cloud from clouds.yaml as openstacksdk does, asks Keystone for a token, checks that
each service has an endpoint that answers and (by default) that the user has the admin role.
It returns what it found (never the password) or raises :class:`CloudError`, whose message
names the clouds.yaml path, the cloud and the user, says what went wrong and what to do.
Nothing is changed on the cloud.
"""

from __future__ import annotations

import os
from http import HTTPStatus

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import mask

try:
    import openstack
    from keystoneauth1 import exceptions as ks
    from openstack.config import loader
except ImportError:  # the module reports openstacksdk missing
    openstack = ks = loader = None

SERVICES = ("compute", "placement", "image", "network")
SERVICE_NAMES = {"compute": "Nova API", "placement": "Placement", "image": "Glance", "network": "Neutron"}


class CloudError(Exception):
    """A cloud that cannot be used; ``details`` holds what was found (no secret)."""

    def __init__(self, message: str, details: dict):
        super().__init__(mask(message))
        self.details = details


def _where(details: dict) -> str:
    return "cloud %r (%s), user %r%s" % (
        details.get("cloud"),
        details.get("clouds_yaml") or "no clouds.yaml",
        details.get("user"),
        (" in project %r" % details["project"]) if details.get("project") else "",
    )


def _load(cloud: str, clouds_yaml: str | None):
    if clouds_yaml and not os.path.isfile(clouds_yaml):
        raise CloudError(
            "clouds.yaml %s does not exist (cloud %r): set kolla_ops_clouds_yaml (OS_CLIENT_CONFIG_FILE) to "
            "the file that defines the cloud (Kolla writes /etc/kolla/clouds.yaml). Nothing was changed."
            % (clouds_yaml, cloud),
            {"cloud": cloud, "clouds_yaml": clouds_yaml},
        )
    saved = os.environ.get("OS_CLIENT_CONFIG_FILE")
    if clouds_yaml:  # openstacksdk puts OS_CLIENT_CONFIG_FILE first: the file asked for must win
        os.environ["OS_CLIENT_CONFIG_FILE"] = clouds_yaml
    try:
        config = loader.OpenStackConfig(config_files=[clouds_yaml] if clouds_yaml else None)
    finally:
        if saved is None:
            os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = saved
    path = config.config_filename
    names = sorted(n for n in config.get_cloud_names() if n != "envvars")
    if cloud not in config.get_cloud_names():
        if not path:
            why = (
                "no clouds.yaml was found "
                "(OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack, /etc/openstack)"
            )
        else:
            why = "%s defines %s" % (path, ", ".join(names) if names else "no cloud")
        raise CloudError(
            "cloud %r is not defined: %s. Set kolla_ops_cloud to one of the clouds there "
            "(Kolla: kolla-admin) or kolla_ops_clouds_yaml to the file that defines %r. Nothing was changed."
            % (cloud, why, cloud),
            {"cloud": cloud, "clouds_yaml": path, "known_clouds": names},
        )
    region = config.get_one(cloud=cloud)
    auth = region.config.get("auth") or {}
    details = {
        "cloud": cloud,
        "clouds_yaml": path,
        "user": auth.get("username") or auth.get("user_id") or auth.get("application_credential_id"),
        "project": auth.get("project_name") or auth.get("project_id"),
        "auth_url": auth.get("auth_url"),
        "region": region.get_region_name(),
        "interface": region.get_interface(),
    }
    return region, details


def _token(conn, details):
    try:
        conn.session.get_token()
    except ks.Unauthorized as exc:
        raise CloudError(
            "Keystone at %s refused the credentials of %s: %s. Check the password of cloud %r in %s "
            "(Kolla: keystone_admin_password in passwords.yml, then kolla-ansible post-deploy). "
            "Nothing was changed."
            % (details["auth_url"], _where(details), exc, details["cloud"], details["clouds_yaml"]),
            details,
        ) from exc
    except (ks.ConnectFailure, ks.ConnectTimeout, ks.DiscoveryFailure, ks.SSLError) as exc:
        raise CloudError(
            "Keystone at %s does not answer for %s: %s: %s. Check auth_url in %s and that Keystone runs. "
            "Nothing was changed."
            % (details["auth_url"], _where(details), type(exc).__name__, exc, details["clouds_yaml"]),
            details,
        ) from exc
    except ks.ClientException as exc:
        raise CloudError(
            "cannot authenticate %s at %s: %s: %s. Nothing was changed."
            % (_where(details), details["auth_url"], type(exc).__name__, exc),
            details,
        ) from exc


def _endpoint(conn, service, details):
    name = SERVICE_NAMES.get(service, service)
    try:
        url = conn.session.get_endpoint(
            service_type=service, interface=details["interface"], region_name=details["region"]
        )
    except ks.EndpointNotFound:
        url = None
    if not url:
        raise CloudError(
            "the catalog of %s has no %s (%s) endpoint for interface %s in region %s. Check the region_name "
            "and interface of the cloud in %s. Nothing was changed."
            % (
                _where(details),
                name,
                service,
                details["interface"],
                details["region"],
                details["clouds_yaml"],
            ),
            details,
        )
    try:
        resp = conn.session.get(url, raise_exc=False, authenticated=True, timeout=30)
    except (ks.ConnectFailure, ks.ConnectTimeout, ks.SSLError) as exc:
        raise CloudError(
            "the %s at %s does not answer (%s, %s): %s. Nothing was changed."
            % (name, url, _where(details), type(exc).__name__, exc),
            details,
        ) from exc
    if resp.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR or resp.status_code in (401, 403):
        raise CloudError(
            "the %s at %s answered HTTP %d for %s. Nothing was changed."
            % (name, url, resp.status_code, _where(details)),
            details,
        )
    return url


def check_cloud(
    cloud: str,
    clouds_yaml: str | None = None,
    services: tuple | list = ("compute", "placement"),
    require_admin: bool = True,
) -> dict:
    """What the cloud is (file, user, project, region, endpoints, roles); CloudError when unusable."""
    if not cloud:
        raise CloudError(
            "no cloud given: set kolla_ops_cloud to a cloud of clouds.yaml (Kolla: kolla-admin)",
            {"cloud": cloud, "clouds_yaml": clouds_yaml},
        )
    region, details = _load(cloud, clouds_yaml)
    try:
        conn = openstack.connection.Connection(config=region)
    except openstack.exceptions.SDKException as exc:
        raise CloudError("cannot use %s: %s. Nothing was changed." % (_where(details), exc), details) from exc
    try:
        _token(conn, details)
        access = conn.session.auth.get_access(conn.session)
        details["roles"] = sorted(access.role_names or [])
        if require_admin and "admin" not in details["roles"]:
            raise CloudError(
                "%s has the roles %s, not admin; the collection reads services, hypervisors and Placement, "
                "which needs the admin role: use the admin cloud (Kolla: kolla-admin). Nothing was changed."
                % (_where(details), ", ".join(details["roles"]) or "(none)"),
                details,
            )
        details["endpoints"] = {s: _endpoint(conn, s, details) for s in services}
    finally:
        conn.close()
    return details
