# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing files so that a reader sees the old content or the new one, never half of it."""

from __future__ import annotations

import os
import tempfile


def atomic_write(path: str, text: str, mode: int | None = None, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory, then
    ``os.replace``. ``mode``: the permission bits; default: those of the file it replaces
    (0o644 for a new file). The temporary file is removed when anything fails."""
    directory = os.path.dirname(os.path.abspath(path))
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding=encoding) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
