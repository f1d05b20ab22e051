# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``nova-status upgrade check``: its table parsed into report results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


import re

from ansible_collections.kolla_ops.nova.plugins.module_utils.upgrade.commands import Commands

_RESULTS = {"success": "pass", "warning": "warn", "failure": "fail"}


def parse_nova_status(text: str) -> list[dict[str, Any]]:
    """``nova-status upgrade check`` table -> ``[{"check", "result", "details"}]``."""
    checks = []
    current = None
    field = None
    for raw in text.splitlines():
        line = raw.strip()
        if not (line.startswith("|") and line.endswith("|")):
            continue
        cell = line[1:-1].strip()
        if cell.startswith("Check:"):
            current = {"check": cell[len("Check:") :].strip(), "result": None, "details": ""}
            checks.append(current)
            field = "check"
        elif current is None:
            continue
        elif cell.startswith("Result:"):
            current["result"] = cell[len("Result:") :].strip()
            field = "result"
        elif cell.startswith("Details:"):
            current["details"] = cell[len("Details:") :].strip()
            field = "details"
        elif field == "details" and cell:
            sep = "" if current["details"].endswith("-") and not current["details"].endswith(" -") else " "
            current["details"] = (current["details"] + sep + cell).strip()
    for c in checks:
        if c["details"] in ("None", ""):
            c["details"] = None
    return checks


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "check"


def check_nova_status(
    report: Report, rc: int, stdout: str, stderr: str = "", commands: Commands | None = None
) -> None:
    commands = commands or Commands()
    cmd = commands.nova_status("upgrade", "check")
    checks = parse_nova_status(stdout or "")
    if not checks:
        report.add(
            "nova_status.run",
            "fail",
            "%s exited %s without a result table: %s" % (cmd, rc, ((stderr or stdout or "").strip()[-500:])),
            evidence={"rc": rc},
            fix="run '%s' by hand and fix what it reports" % cmd,
        )
        return checks
    for c in checks:
        status = _RESULTS.get((c["result"] or "").lower(), "fail")
        report.add(
            "nova_status.%s" % slug(c["check"]),
            status,
            "%s: %s%s" % (c["check"], c["result"], " - %s" % c["details"] if c["details"] else ""),
            evidence=c,
            fix=None if status == "pass" else "see '%s'; the details name the command" % cmd,
        )
    return checks
