# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One base error for the collection, turned into ``fail_json`` in one place.

Every domain error (``UpgradeCheckError``, ``AuditError``, ``ScopeError``,
``NovaCommandError``, ``KernelCmdlineError``, ...) derives from :class:`KollaOpsError`.
The message names the thing, the value and what to do; ``details()`` is what the module
returns beside ``msg`` (under ``result_key`` when the class sets one).
"""

from __future__ import annotations

from typing import Any


class KollaOpsError(Exception):
    """An error a module reports as ``fail_json(msg=str(exc), **exc.fail_kwargs())``."""

    #: when set, ``fail_json`` nests the details under this key (e.g. ``scope_error``)
    result_key: str | None = None

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self._details = details

    def details(self) -> dict[str, Any]:
        """Machine-readable facts about the error (JSON-friendly)."""
        return dict(self._details)

    def fail_kwargs(self) -> dict[str, Any]:
        """The keyword arguments ``fail_json`` gets beside ``msg``."""
        details = self.details()
        if not details:
            return {}
        return {self.result_key: details} if self.result_key else details


def fail_module(module: Any, exc: BaseException, **extra: Any) -> None:
    """The one place an error becomes ``fail_json`` (``module``: an AnsibleModule or an
    OpenStackModule). Errors that are not :class:`KollaOpsError` report their message only."""
    kwargs = exc.fail_kwargs() if isinstance(exc, KollaOpsError) else {}
    kwargs.update(extra)
    module.fail_json(msg=str(exc), **kwargs)
