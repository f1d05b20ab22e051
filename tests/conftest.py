"""Make `ansible_collections.kolla_ops.nova` importable from the working tree.

Unit and integration tests import the collection's code by its real name, as
Ansible does.  A symlink tree under .build/pytest points
`ansible_collections/kolla_ops/nova` at this repository, and the dependency
collections (openstack.cloud, ...) installed by scripts/bootstrap.sh under
.collections are added as a second portion of the `ansible_collections`
namespace package.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LINK_BASE = ROOT / ".build" / "pytest"
_LINK = _LINK_BASE / "ansible_collections" / "kolla_ops" / "nova"


def _ensure_link():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    if _LINK.is_symlink() and Path(os.readlink(_LINK)) == ROOT:
        return
    if _LINK.is_symlink() or _LINK.exists():
        _LINK.unlink()
    _LINK.symlink_to(ROOT, target_is_directory=True)


_ensure_link()
# The working tree first, then the dependency collections (a stale installed copy
# of this collection under .collections must never shadow the working tree).
for path in (str(ROOT / ".collections"), str(_LINK_BASE)):
    if path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)
