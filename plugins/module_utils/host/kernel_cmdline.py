# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel command line arguments: plan and apply idempotent edits.

Two places hold the arguments a host boots with:

* Debian/Ubuntu: ``GRUB_CMDLINE_LINUX="..."`` in ``/etc/default/grub`` (a shell
  fragment read by ``grub-mkconfig``).  :func:`edit_grub_default` rewrites the
  last assignment of that variable and keeps everything else byte for byte.
* EL (Rocky, Alma, RHEL, CentOS Stream): boot entries managed by ``grubby``.
  :class:`GrubbyBackend` reads ``grubby --info=DEFAULT`` and changes every
  entry with ``grubby --update-kernel=ALL --args/--remove-args``.

The planner (:func:`plan_args`) keeps every argument it does not manage where
it is; managed arguments (``set``) appear once each, in the order given, at the
end, unless they are already present with the desired values in that relative
order (then nothing changes).  Arguments named in ``absent`` are removed.

``reboot_required`` compares the desired state with the running kernel's
``/proc/cmdline``: it stays true until the host boots with the new arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError

_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")
_VALUE = re.compile(r"^[^\s\"'\\$`]*$")


class KernelCmdlineError(KollaOpsError, ValueError):
    """An argument, a file or a command that cannot be handled safely."""


def split_cmdline(text: str) -> list[str]:
    """Split a kernel command line into tokens, keeping double-quoted spans whole.

    ``'a=1 b="x y" c'`` -> ``['a=1', 'b="x y"', 'c']``.  The kernel itself
    treats double quotes this way; arguments after ``--`` belong to init and
    are returned too (the caller decides what to do with them).
    """
    tokens = []
    current = []
    quoted = False
    for char in text.strip():
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if quoted:
        raise KernelCmdlineError("unbalanced double quote in kernel command line %r" % text)
    if current:
        tokens.append("".join(current))
    return tokens


def arg_key(token: str) -> str:
    """The name of an argument: ``'hugepages=16'`` -> ``'hugepages'``."""
    return token.split("=", 1)[0]


def format_arg(key: str, value: Any) -> str:
    """``('hugepages', 16)`` -> ``'hugepages=16'``; a value of None gives a bare flag."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise KernelCmdlineError(
            "kernel argument name %r is not valid (letters, digits, '_', '-', '.')" % (key,)
        )
    if value is None:
        return key
    if isinstance(value, bool):
        value = "1" if value else "0"
    text = str(value)
    if not _VALUE.match(text):
        raise KernelCmdlineError(
            "value %r of kernel argument %r contains a space, a quote, '$', '`' or '\\'; "
            "such values are not supported" % (text, key)
        )
    return "%s=%s" % (key, text)


def desired_tokens(args: dict[str, Any]) -> list[str]:
    """Turn ``[(key, value), ...]`` (or a dict) into argument tokens, rejecting duplicates."""
    items = list(args.items()) if isinstance(args, dict) else list(args)
    seen = set()
    tokens = []
    for key, value in items:
        if key in seen:
            raise KernelCmdlineError("kernel argument %r is given twice" % key)
        seen.add(key)
        tokens.append(format_arg(key, value))
    return tokens


def plan_args(current: list[str], set_args: list[str], absent: Iterable[str] = ()) -> list[str]:
    """Return the new token list for ``current`` tokens.

    ``set_args``: tokens (``key=value`` or flags) that must be present once each.
    ``absent``: argument names that must not be present at all.
    """
    absent = set(absent)
    managed = {arg_key(t) for t in set_args}
    overlap = managed & absent
    if overlap:
        raise KernelCmdlineError("kernel argument(s) %s are both set and absent" % ", ".join(sorted(overlap)))
    init_args = []
    if "--" in current:
        cut = current.index("--")
        current, init_args = current[:cut], current[cut:]
    kept = [t for t in current if arg_key(t) not in managed and arg_key(t) not in absent]
    present = [t for t in current if arg_key(t) in managed]
    if present == list(set_args):
        # Already right: keep the original order of the whole line.
        new = [t for t in current if arg_key(t) not in absent]
    else:
        new = kept + list(set_args)
    return new + init_args


def running_diff(
    running: list[str], set_args: list[str], absent: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """``(missing, unwanted)``: desired tokens the running kernel lacks, and running
    tokens named in ``absent``.  Arguments after ``--`` (for init) are ignored."""
    if "--" in running:
        running = running[: running.index("--")]
    running_set = set(running)
    absent = set(absent)
    missing = [t for t in set_args if t not in running_set]
    unwanted = [t for t in running if arg_key(t) in absent]
    return missing, unwanted


def reboot_required(running: list[str], set_args: list[str], absent: Iterable[str] = ()) -> bool:
    """True when the running kernel was not booted with the desired arguments."""
    missing, unwanted = running_diff(running, set_args, absent)
    return bool(missing or unwanted)


# ---------------------------------------------------------------------------
# /etc/default/grub
# ---------------------------------------------------------------------------

_ASSIGN = re.compile(r"^(?P<indent>\s*)(?:export\s+)?(?P<var>[A-Za-z_][A-Za-z0-9_]*)=(?P<rest>.*)$")


def _unquote(rest, variable, lineno):
    rest = rest.rstrip("\n").rstrip()
    cannot = KernelCmdlineError(
        "line %d: cannot parse %s=%s (edit it by hand into one quoted value)" % (lineno, variable, rest)
    )
    if rest[:1] in ('"', "'"):
        quote = rest[0]
        end = rest.find(quote, 1)
        tail = rest[end + 1 :].strip() if end > 0 else ""
        if end < 0 or (tail and not tail.startswith("#")):
            raise cannot
        value = rest[1:end]
        if quote == '"' and any(c in value for c in "$`\\"):
            raise KernelCmdlineError(
                "line %d: %s uses shell expansion (%s); it cannot be edited safely, "
                "write the arguments literally" % (lineno, variable, rest)
            )
        return value
    value = rest.split("#", 1)[0].strip()
    if any(c in value for c in "$`\\\" '"):
        raise cannot
    return value


def read_grub_default(text: str, variable: str = "GRUB_CMDLINE_LINUX") -> tuple[list[str], int | None]:
    """Return ``(tokens, line_index)`` of the last assignment of ``variable`` (index None if unset)."""
    lines = text.splitlines(True)
    found = None
    tokens = []
    for index, line in enumerate(lines):
        match = _ASSIGN.match(line)
        if match and match.group("var") == variable:
            tokens = split_cmdline(_unquote(match.group("rest"), variable, index + 1))
            found = index
    return tokens, found


def edit_grub_default(
    text: str, set_args: list[str], absent: Iterable[str] = (), variable: str = "GRUB_CMDLINE_LINUX"
) -> tuple[str, list[str], list[str]]:
    """Return ``(new_text, before_tokens, after_tokens)`` for a /etc/default/grub file."""
    before, index = read_grub_default(text, variable)
    after = plan_args(before, set_args, absent)
    if after == before and index is not None:
        return text, before, after
    if after == before and not after:
        # Variable unset and nothing to add: leave the file alone.
        return text, before, after
    new_line = '%s="%s"\n' % (variable, " ".join(after))
    lines = text.splitlines(True)
    if index is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(new_line)
    else:
        indent = _ASSIGN.match(lines[index]).group("indent")
        lines[index] = indent + new_line
    return "".join(lines), before, after


# ---------------------------------------------------------------------------
# grubby (EL)
# ---------------------------------------------------------------------------

_GRUBBY_ARGS = re.compile(r'^args="?(?P<args>.*?)"?\s*$')


def parse_grubby_info(output: str) -> list[str]:
    """Tokens of the ``args=`` line of ``grubby --info=...`` output."""
    for line in output.splitlines():
        match = _GRUBBY_ARGS.match(line.strip())
        if match:
            return split_cmdline(match.group("args"))
    raise KernelCmdlineError("grubby --info printed no args= line:\n%s" % output)


class GrubbyBackend:
    """Read and change boot entries through grubby.

    ``run`` is a callable ``run(argv) -> (rc, stdout, stderr)`` (AnsibleModule.run_command
    in the module, a fake in unit tests).
    """

    def __init__(self, run, grubby="grubby"):
        self.run = run
        self.grubby = grubby

    def _call(self, argv):
        rc, out, err = self.run(argv)
        if rc != 0:
            raise KernelCmdlineError(
                "%s failed (rc=%s): %s" % (" ".join(argv), rc, (err or out or "").strip())
            )
        return out

    def read(self) -> list[str]:
        return parse_grubby_info(self._call([self.grubby, "--info=DEFAULT"]))

    def plan(self, set_args: list[str], absent: Iterable[str] = ()) -> tuple[list[str], list[str]]:
        before = self.read()
        after = plan_args(before, set_args, absent)
        return before, after

    def apply(self, before: list[str], after: list[str]) -> list[str]:
        """Change every kernel entry so that its arguments contain ``after``'s changes."""
        before_set, after_set = set(before), set(after)
        remove = [t for t in before if t not in after_set]
        add = [t for t in after if t not in before_set]
        argv = [self.grubby, "--update-kernel=ALL"]
        if remove:
            argv.append("--remove-args=%s" % " ".join(remove))
        if add:
            argv.append("--args=%s" % " ".join(add))
        if remove or add:
            self._call(argv)
        return argv
