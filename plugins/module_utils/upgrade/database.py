# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database schema revisions and pending online data migrations (read-only SQL)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


from ansible_collections.kolla_ops.nova.plugins.module_utils.common.releases import (
    DB_CHAINS,
    RELEASES,
    SERIES_ORDER,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.commands import Commands
from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.status import slug

# nova-manage db online_data_migrations (nova/cmd/manage.py, nova 34.0.0, DbCommands.
# online_migrations) has no dry run: each function both counts and migrates.  These
# read-only queries repeat the filter of the migrations whose filter is one SELECT;
# fill_virtual_interface_list (Stein) and the quota moves (Pike) are not covered.
ONLINE_MIGRATION_QUERIES = {
    "cell": (
        # nova/objects/pci_device.py PciDevice.populate_dev_uuids
        ("populate_dev_uuids", "SELECT COUNT(*) FROM pci_devices WHERE uuid IS NULL"),
        # nova/objects/block_device.py BlockDeviceMapping.populate_uuids
        ("populate_uuids", "SELECT COUNT(*) FROM block_device_mapping WHERE uuid IS NULL"),
        # nova/db/main/api.py migration_migrate_to_uuid
        ("migration_migrate_to_uuid", "SELECT COUNT(*) FROM migrations WHERE uuid IS NULL"),
        # nova/objects/compute_node.py _get_node_empty_ratio (migrate_empty_ratio)
        (
            "migrate_empty_ratio",
            "SELECT COUNT(*) FROM compute_nodes WHERE deleted = 0 AND ("
            "ram_allocation_ratio = 0.0 OR cpu_allocation_ratio = 0.0 OR disk_allocation_ratio = 0.0 "
            "OR ram_allocation_ratio IS NULL OR cpu_allocation_ratio IS NULL "
            "OR disk_allocation_ratio IS NULL)",
        ),
        # nova/objects/instance.py populate_instance_compute_id (rows with a host only:
        # the others are found on every run and never migrated)
        (
            "populate_instance_compute_id",
            "SELECT COUNT(*) FROM instances WHERE compute_id IS NULL AND host IS NOT NULL "
            "AND node IS NOT NULL",
        ),
    ),
    "api": (
        # nova/objects/instance_mapping.py populate_queued_for_delete
        (
            "populate_queued_for_delete",
            "SELECT COUNT(*) FROM instance_mappings WHERE queued_for_delete IS NULL AND cell_id IS NOT NULL",
        ),
        # nova/objects/instance_mapping.py populate_user_id (FAKE_UUID of virtual_interface)
        (
            "populate_user_id",
            "SELECT COUNT(*) FROM instance_mappings WHERE user_id IS NULL "
            "AND project_id != '00000000-0000-0000-0000-000000000000'",
        ),
    ),
}


def _revision_state(revision, kind, current):
    """(status, message) for one database's alembic revision."""
    chain = DB_CHAINS[kind]
    want = current["db_heads"][kind] if current else None
    if revision is None:
        return "fail", "has no alembic revision (never synced)"
    if revision not in chain:
        return "warn", "is at %s, a revision nova %s does not know" % (
            revision,
            RELEASES[SERIES_ORDER[-1]]["nova"],
        )
    if want is None:
        return "pass", "is at %s" % revision
    if chain.index(revision) < chain.index(want):
        return "fail", "is at %s, behind %s, the head of nova %s that runs now" % (
            revision,
            want,
            current["nova"],
        )
    if chain.index(revision) > chain.index(want):
        return "warn", "is at %s, ahead of nova %s's head %s" % (revision, current["nova"], want)
    return "pass", "is at %s, the head of nova %s" % (revision, current["nova"])


def check_database(
    report: Report,
    target: dict[str, Any],
    revisions: dict[str, Any],
    current: dict[str, Any] | None = None,
    commands: Commands | None = None,
) -> None:
    """Alembic revisions (``{database: (kind, revision)}``) vs the running release's heads.

    ``kind`` is ``api`` or ``main``.  A database behind the running code means a skipped
    ``nova-manage db sync`` / ``api_db sync``; kolla-ansible upgrade then syncs to the
    target's heads (``target['db_heads']``).
    """
    commands = commands or Commands()
    for database, (kind, revision) in sorted(revisions.items()):
        status, message = _revision_state(revision, kind, current)
        sync = commands.nova_manage("api_db sync") if kind == "api" else commands.nova_manage("db sync")
        report.add(
            "database.%s" % slug(database),
            status,
            "database %s %s; %s migrates it to %s"
            % (database, message, target["series"], target["db_heads"][kind]),
            evidence={
                "database": database,
                "kind": kind,
                "revision": revision,
                "target_head": target["db_heads"][kind],
            },
            fix=None if status == "pass" else sync,
        )


def check_online_migrations(report: Report, counts: dict[str, Any], commands: Commands | None = None) -> None:
    """Pending online data migrations, as far as read-only SQL can tell.

    ``counts``: ``{database: {migration: rows}}`` or None (no SQL access).
    """
    commands = commands or Commands()
    # Kolla-Ansible runs them at the end of `kolla-ansible upgrade` (ansible/nova.yml, plays
    # "Run Nova API/cell online data migrations"): in nova_api, then in each cell's conductor.
    cmds = [commands.nova_manage("db online_data_migrations")]
    cell_cmd = commands.nova_manage("db online_data_migrations", cell=True)
    if cell_cmd not in cmds:
        cmds.append(cell_cmd + "   # on a conductor host of each cell")
    cmd = "\n".join(cmds)
    if counts is None:
        report.add(
            "online_migrations.pending",
            "skip",
            "not checked (needs nova_commands); nova-manage has no read-only mode for online data "
            "migrations: run them (they only complete work the running release started) before upgrading",
            fix=cmd,
        )
        return
    pending = {db: {m: n for m, n in rows.items() if n} for db, rows in counts.items()}
    pending = {db: rows for db, rows in pending.items() if rows}
    if pending:
        text = "; ".join(
            "%s: %s" % (db, ", ".join("%s %d row(s)" % (m, n) for m, n in sorted(rows.items())))
            for db, rows in sorted(pending.items())
        )
        report.add(
            "online_migrations.pending",
            "warn",
            "online data migrations are pending (%s): run them until they report nothing left, "
            "before the upgrade" % text,
            evidence=counts,
            fix=cmd,
        )
        return
    report.add(
        "online_migrations.pending",
        "skip",
        "no pending rows found by read-only SQL for %s; nova-manage db online_data_migrations has no dry run "
        "(it migrates while it counts) and fill_virtual_interface_list and the quota moves cannot be checked "
        "by one query; confirm by running it (it only finishes what the running release started): "
        "without --max-count it repeats batches until nothing is left and exits 0, or 2 when a "
        "migration fails" % ", ".join(sorted({m for rows in counts.values() for m in rows})),
        evidence=counts,
        fix=cmd,
    )


def online_migration_sql(kind: str) -> str:
    """One SELECT returning one row with one column per migration (kind: cell or api)."""
    parts = ["(%s) AS %s" % (query, name) for name, query in ONLINE_MIGRATION_QUERIES[kind]]
    return "SELECT " + ", ".join(parts)


def parse_counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {}
    return {k: int(v) if v not in (None, "") else 0 for k, v in rows[0].items()}
