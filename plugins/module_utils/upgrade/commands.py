# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exact command lines the upgrade check's fixes name."""

from __future__ import annotations

import re
from typing import Any


class Commands:
    """Exact command lines for fixes, in the form of the place Nova's commands run.

    ``nova`` is a :class:`nova_cli.NovaCommands` or None (then Kolla's docker form).
    """

    def __init__(self, nova=None):
        self.nova = nova

    def nova_manage(self, *args: str, cell: bool = False) -> str:
        args = " ".join(args).split()
        if self.nova is None:
            container = "nova_conductor" if cell else "nova_api"
            return "docker exec %s nova-manage %s" % (container, " ".join(args))
        return self.nova.describe(self.nova.argv_nova_manage(list(args), cell=cell))

    def nova_status(self, *args: str) -> str:
        args = " ".join(args).split()
        if self.nova is None:
            return "docker exec nova_api nova-status %s" % " ".join(args)
        return self.nova.describe(self.nova.argv_nova_status(list(args)))

    def openstack(self, *args: str) -> str:
        if self.nova is not None and self.nova.mode == "sandbox":
            return "%s openstack %s" % (self.nova.sandbox_command, " ".join(args))
        return "openstack %s" % " ".join(args)

    def sql(self, database: str, query: str) -> str:
        """A mysql command line with the query in double quotes (queries here have none)."""
        if self.nova is None:
            # -it: mysql asks for the password on the terminal (never on the command line)
            prefix = "docker exec -it mariadb mysql -u root -p %s -e" % database
        else:
            prefix = self.nova.describe(self.nova.argv_sql(database, "")[:-1])
        return '%s "%s"' % (prefix, query)

    def soft_delete_row(self, svc: dict[str, Any]) -> str:
        """Nova's own soft delete (deleted = id) of a services row the API cannot delete."""
        uuid = str(svc.get("id") or "")
        if not _SAFE_ID.match(uuid):
            return "soft-delete services row %r in %s" % (uuid, svc.get("cell_database") or "nova")
        query = "UPDATE services SET deleted = id, deleted_at = NOW() WHERE uuid = '%s' AND deleted = 0"
        return self.sql(svc.get("cell_database") or "nova", query % uuid)


_SAFE_ID = re.compile(r"^[0-9A-Za-z_-]+$")
