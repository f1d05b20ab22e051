# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base class of the collection's OpenStack modules.

:class:`KollaOpsModule` is ``openstack.cloud``'s ``OpenStackModule`` (``cloud:``, ``auth:``,
TLS and timeout options as operators know them; SDK errors become ``fail_json``) plus what
every module here needs:

* :meth:`~KollaOpsModule.nova_commands`: the ``nova_commands`` option as a
  :class:`cloud.nova_cli.NovaCommands` running through ``module.run_command``;
* :meth:`~KollaOpsModule.reader`: the one :class:`cloud.reader.CloudReader` of the run, sharing
  the run's :class:`cloud.requests.RequestCounter` (``api_requests``);
* error handling in one place: a :class:`common.errors.KollaOpsError` (or a ``ValueError`` from
  input checks) raised by :meth:`execute` becomes ``fail_json(msg=..., **details)``;
* :meth:`~KollaOpsModule.exit_masked`: ``exit_json`` with every secret masked.

This is the one file of ``common/`` that imports from ``cloud/``: it is module glue, used by
``plugins/modules`` only, never by a core.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import (
    NovaCommands,
    nova_commands_from_params,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.reader import CloudReader
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.requests import RequestCounter
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.errors import KollaOpsError, fail_module
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import mask_deep


class KollaOpsModule(OpenStackModule):
    """Subclasses set ``argument_spec`` / ``module_kwargs`` and implement :meth:`execute`."""

    _counter: RequestCounter | None = None
    _reader: CloudReader | None = None

    def run(self) -> None:
        try:
            self.execute()
        except (KollaOpsError, ValueError) as exc:
            fail_module(self, exc)

    def execute(self) -> None:  # pragma: no cover - every module overrides it
        raise NotImplementedError

    def run_command(self, argv: list[str]) -> tuple[int, str, str]:
        return self.ansible.run_command(argv)

    def nova_commands(self) -> NovaCommands | None:
        """``nova_commands`` as a runner (None when the option is not set)."""
        return nova_commands_from_params(self.params.get("nova_commands"), self.run_command)

    @property
    def counter(self) -> RequestCounter:
        """The request counter of this run's connection (installed on first use)."""
        if self._counter is None:
            self._counter = RequestCounter.for_session(self.conn.session)
        return self._counter

    def reader(self, **kwargs: Any) -> CloudReader:
        """The cloud reader of this run (created on first use with ``kwargs``)."""
        if self._reader is None:
            kwargs.setdefault("nova_commands", self.nova_commands())
            self._reader = CloudReader(self.conn, counter=self.counter, **kwargs)
        return self._reader

    def exit_masked(self, **result: Any) -> None:
        """``exit_json`` with secrets masked in every value (option values, command output)."""
        self.exit_json(**mask_deep(result))
