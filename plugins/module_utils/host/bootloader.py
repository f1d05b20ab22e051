# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ``kernel_cmdline`` run: pick the backend (grubby or the GRUB defaults file), plan the
change, apply it outside check mode, and compare with the running kernel's command line.

The GRUB file is written with the module's ``atomic_move`` (it keeps the file's SELinux
context, which a plain rename would not).
"""

from __future__ import annotations

import os
import re
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.host.kernel_cmdline import (
    GrubbyBackend,
    KernelCmdlineError,
    desired_tokens,
    edit_grub_default,
    running_diff,
    split_cmdline,
)


def _read_running(path):
    try:
        with open(path, encoding="utf-8") as handle:
            tokens = split_cmdline(handle.read())
    except (OSError, KernelCmdlineError):
        return []
    # Arguments after "--" go to init, not to the kernel.
    return tokens[: tokens.index("--")] if "--" in tokens else tokens


def _warn_dropins(module, path):
    """Warn about /etc/default/grub.d/*.cfg files that assign the same variable."""
    dropin_dir = path + ".d"
    if not os.path.isdir(dropin_dir):
        return
    pattern = re.compile(r"^\s*(?:export\s+)?%s=" % re.escape(module.params["variable"]), re.M)
    for name in sorted(os.listdir(dropin_dir)):
        if not name.endswith(".cfg"):
            continue
        try:
            with open(os.path.join(dropin_dir, name), encoding="utf-8") as handle:
                content = handle.read()
        except OSError:
            continue
        if pattern.search(content):
            module.warn(
                "%s also assigns %s and is read after %s by grub-mkconfig; "
                "its value may override the arguments set here"
                % (os.path.join(dropin_dir, name), module.params["variable"], path)
            )


def _grub(module, set_args, absent):
    path = module.params["path"]
    exists = os.path.exists(path)
    if not exists and not module.params["create"]:
        raise KernelCmdlineError("%s does not exist; install GRUB (grub2-common) or set create=true" % path)
    text = ""
    if exists:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    _warn_dropins(module, path)
    new_text, before, after = edit_grub_default(text, set_args, absent, module.params["variable"])
    changed = new_text != text or not exists
    diff = {"before": text, "after": new_text, "before_header": path, "after_header": path}
    if changed and not module.check_mode:
        directory = os.path.dirname(path) or "."
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o755)
        tmp = "%s.kolla_ops.tmp" % path
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(new_text)
        if exists:
            module.set_mode_if_different(tmp, "%o" % (os.stat(path).st_mode & 0o7777), False)
        else:
            module.set_mode_if_different(tmp, "0644", False)
        module.atomic_move(tmp, path)
    return changed, before, after, diff


def _grubby(module, set_args, absent, grubby):
    backend = GrubbyBackend(module.run_command, grubby)
    before, after = backend.plan(set_args, absent)
    changed = before != after
    diff = {
        "before": " ".join(before) + "\n",
        "after": " ".join(after) + "\n",
        "before_header": "grubby --info=DEFAULT",
        "after_header": "grubby --info=DEFAULT",
    }
    if changed and not module.check_mode:
        backend.apply(before, after)
    return changed, before, after, diff


ARGUMENT_SPEC = {
    "set": {"type": "dict", "default": {}},
    "absent": {"type": "list", "elements": "str", "default": []},
    "backend": {"type": "str", "choices": ["auto", "grub", "grubby"], "default": "auto"},
    "path": {"type": "path", "default": "/etc/default/grub"},
    "variable": {"type": "str", "default": "GRUB_CMDLINE_LINUX"},
    "create": {"type": "bool", "default": False},
    "proc_cmdline": {"type": "path", "default": "/proc/cmdline"},
}


def run(module: Any) -> dict[str, Any]:
    """Plan and (outside check mode) apply the change; return the module result.

    ``module`` needs ``params``, ``check_mode``, ``get_bin_path``, ``run_command``, ``warn``,
    ``set_mode_if_different`` and ``atomic_move`` (an AnsibleModule, or a fake in unit tests).
    Raises KernelCmdlineError, its message prefixed with the backend.
    """
    absent = module.params["absent"]
    backend = module.params["backend"]
    grubby = None
    if backend in ("auto", "grubby"):
        grubby = module.get_bin_path("grubby", required=backend == "grubby")
        backend = "grubby" if grubby else "grub"
    try:
        set_args = desired_tokens(module.params["set"])
        if backend == "grubby":
            changed, before, after, diff = _grubby(module, set_args, absent, grubby)
        else:
            changed, before, after, diff = _grub(module, set_args, absent)
    except KernelCmdlineError as exc:
        raise KernelCmdlineError("%s: %s" % (backend, exc)) from exc
    running = _read_running(module.params["proc_cmdline"])
    missing, unwanted = running_diff(running, set_args, absent)
    after_set, before_set = set(after), set(before)
    return {
        "changed": changed,
        "backend": backend,
        "before": before,
        "after": after,
        "added": [t for t in after if t not in before_set],
        "removed": [t for t in before if t not in after_set],
        "running": running,
        "missing": missing,
        "unwanted": unwanted,
        "reboot_required": bool(missing or unwanted),
        "bootloader_update_required": bool(changed and backend == "grub" and not module.check_mode),
        "diff": diff,
    }
