# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of modules that run nova-manage, nova-status or SQL (see module_utils/cloud/nova_cli.py)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  nova_commands:
    description:
      - Where Nova's own commands (C(nova-manage), C(nova-status)) and SQL queries run.
      - Omit to skip the checks that need them.
    type: dict
    suboptions:
      mode:
        description:
          - V(kolla) runs them with C(<engine> exec) in Kolla's containers on the host the task runs on
            (delegate the task to a controller); V(sandbox) through the sandbox cloud's command;
            V(local) from PATH.
        type: str
        choices: [kolla, sandbox, local]
        default: kolla
      container_engine:
        description:
          - Kolla's C(kolla_container_engine).
        type: str
        choices: [docker, podman]
        default: docker
      api_container:
        description: Container that runs API-level C(nova-manage) and C(nova-status).
        type: str
        default: nova_api
      conductor_container:
        description: Container that runs cell-level C(nova-manage) (Kolla runs C(discover_hosts) there).
        type: str
        default: nova_conductor
      database_container:
        description: Container with the C(mysql) client (Kolla's C(mariadb)).
        type: str
        default: mariadb
      database_user:
        description: Database user for SQL queries (read-only queries unless a fix is requested).
        type: str
        default: root
      database_password:
        description:
          - Password of O(nova_commands.database_user) (Kolla's C(database_password) in C(passwords.yml)).
          - Never logged; masked in every message.
          - Passed to C(mysql) in the C(MYSQL_PWD) environment variable of the exec
            (C(docker exec -e MYSQL_PWD ...)), never on a command line where C(ps) would show it.
          - With O(nova_commands.become=true) the command runs as C(sudo -n --preserve-env=MYSQL_PWD),
            which needs a sudoers rule that allows it (C(ALL) or C(SETENV)).
        type: str
      sandbox_command:
        description: The sandbox cloud's command, for O(nova_commands.mode=sandbox).
        type: str
        default: sandbox/sandbox
      become:
        description: Prefix container commands with C(sudo -n).
        type: bool
        default: false
"""
