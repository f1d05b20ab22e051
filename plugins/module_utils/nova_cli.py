# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moved to ``cloud/nova_cli.py``; re-exported for old callers (SHIM: remove at merge)."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (  # re-export
    ENGINES,
    MODES,
    NOVA_COMMANDS_SPEC,
    PASSWORD_ENV,
    NovaCommandError,
    NovaCommands,
    nova_commands_from_params,
    parse_mysql_batch,
    parse_prettytable,
)

__all__ = [
    "ENGINES",
    "MODES",
    "NOVA_COMMANDS_SPEC",
    "PASSWORD_ENV",
    "NovaCommandError",
    "NovaCommands",
    "nova_commands_from_params",
    "parse_mysql_batch",
    "parse_prettytable",
]
