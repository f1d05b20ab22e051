"""Shared fixtures of the upgrade-check tests: targets, service rows, override texts."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import services as upgrade_services
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade import target as upgrade_target

T34 = upgrade_target.target_release("2026.2")


T33 = upgrade_target.target_release("2026.1")


def results(report, check=None, status=None):
    return [
        r
        for r in report.results
        if (check is None or r["check"] == check) and (status is None or r["status"] == status)
    ]


def write(base, rel, text):
    path = base / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


NOW = "2026-11-21 06:30:00"


def sql(host, version, binary="nova-compute", disabled="0", forced="0", seen=None, uid=None):
    return {
        "id": "1",
        "uuid": uid or "u-%s-%s" % (binary, host),
        "host": host,
        "binary": binary,
        "version": str(version),
        "disabled": disabled,
        "disabled_reason": "decommissioned" if disabled == "1" else None,
        "forced_down": forced,
        "last_seen_up": seen,
        "updated_at": None,
        "created_at": "2026-01-01 00:00:00",
        "cell_database": "nova",
    }


def api(host, binary="nova-compute", state="up", status="enabled"):
    return {
        "id": "u-%s-%s" % (binary, host),
        "host": host,
        "binary": binary,
        "state": state,
        "status": status,
        "is_forced_down": False,
        "disabled_reason": None,
        "availability_zone": "nova",
    }


def cloud(old_version=74, ghost=True):
    rows = [
        sql("controller", 74, "nova-conductor"),
        sql("controller", 74, "nova-scheduler"),
        sql("compute1", 74),
        sql("compute2", old_version),
    ]
    apis = [
        api("controller", "nova-conductor"),
        api("controller", "nova-scheduler"),
        api("compute1"),
        api("compute2"),
    ]
    if ghost:
        rows.append(sql("ghost1", 66, disabled="1"))
        apis.append(api("ghost1", state="down", status="disabled"))
        rows.append(sql("ghost2", 74, disabled="1"))
        apis.append(api("ghost2", state="down", status="disabled"))
    return upgrade_services.merge_services(rows, apis)


NOVA_STATUS = """\
+---------------------------------------------------------------------+
| Upgrade Check Results                                               |
+---------------------------------------------------------------------+
| Check: Cells v2                                                     |
| Result: Success                                                     |
| Details: None                                                       |
+---------------------------------------------------------------------+
| Check: Older than N-1 computes                                      |
| Result: Failure                                                     |
| Details: Current Nova version does not support computes older than  |
|   Gazpacho but the minimum compute service level in your system is  |
|   70 and the oldest supported service level is 72.                  |
+---------------------------------------------------------------------+
| Check: hw_machine_type unset                                        |
| Result: Warning                                                     |
| Details:  Instances found without hw_machine_type set. This warning |
|   can be ignored if your environment does not contain               |
|   libvirt based compute hosts. Use the `nova-manage libvirt         |
|   list_unset_machine_type` command to list these instances.         |
|   For more details see the following:                               |
|   https://docs.openstack.org/nova/latest/admin/hw-machine-          |
|   type.html                                                         |
+---------------------------------------------------------------------+
"""


SECRET_OVERRIDES = [
    (
        "nova/nova-compute.conf",
        "[libvirt]\n"
        "live_migration_uri = qemu+ssh://nova:pw1@%s/system\n"
        "num_memory_encrypted_guests = 4\n"
        "[upgrade_levels]\ncompute = 6.4\n",
    ),
    ("nova/compute2/nova-compute.conf", "[libvirt]\nlive_migration_uri = qemu+ssh://:pw2@%s/system\n"),
    # an indented first line: oslo.config refuses the file (config.parse shows the line)
    ("nova.conf", " transport_url = rabbit://openstack:S3cret@ctl1:5672//\n"),
]


def assert_masked(text, *visible):
    for secret in ("pw1", "pw2", "S3cret"):
        assert secret not in text, "%s leaked" % secret
    for value in visible:
        assert value in text, "%s is missing" % value
