# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The configuration each Nova service really reads: Kolla's merge per host and service, with provenance.

Kolla-Ansible writes one ``nova.conf`` per service and host with ``merge_configs``; the
sources (kolla-ansible 23.0.0, ``ansible/roles/nova-cell/tasks/config.yml`` and
``ansible/roles/nova/tasks/config.yml``) are, after the role template::

    {{ node_custom_config }}/global.conf
    {{ node_custom_config }}/nova.conf
    {{ node_custom_config }}/nova/{{ item.key }}.conf
    {{ node_custom_config }}/nova/{{ inventory_hostname }}/nova.conf
    {{ node_custom_config }}/nova/{{ inventory_hostname }}/{{ item.key }}.conf   # nova-cell role only

:func:`effective_configs` builds that merge (with :mod:`kolla_merge`, proven byte for byte
against the installed kolla-ansible) for every host and service and keeps, for every value,
the file and line it came from and the values it replaced.  Without an inventory the hosts
are the directories under ``nova/``.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config import kolla_merge

# The services issue 17 names: compute side (nova-cell role) and API side (nova role).
VALIDATED_SERVICES = ("nova-compute", "nova-conductor", "nova-novncproxy", "nova-api", "nova-scheduler")

# oslo.config's types.Boolean
_TRUE = ("true", "1", "on", "yes")
_FALSE = ("false", "0", "off", "no")


class Setting:
    """One option's effective value and where it came from.

    ``value`` is a str (or a list of str for a key repeated in its last file);
    ``file``/``line`` the assignment that won; ``history`` every assignment in merge
    order as ``(file, line, value)``, shadowed ones included.
    """

    def __init__(self, section, option, value, file, line, history):
        self.section = section
        self.option = option
        self.value = value
        self.file = file
        self.line = line
        self.history = history

    def text(self) -> str:
        return self.value[-1] if isinstance(self.value, list) else self.value

    def values(self) -> list:
        return list(self.value) if isinstance(self.value, list) else [self.value]

    def where(self) -> str:
        return "%s:%s" % (self.file, self.line)

    def source(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "section": self.section,
            "option": self.option,
            "value": self.value,
        }

    def __repr__(self):
        return "Setting([%s] %s=%r at %s)" % (self.section, self.option, self.value, self.where())


class EffectiveConfig:
    """The merged config of ``service`` on ``host`` (host None: a host without its own directory)."""

    def __init__(self, host, service, sources, merge):
        self.host = host
        self.service = service
        self.sources = sources
        self.settings = OrderedDict()
        for (section, key), assignments in merge.sections_items():
            origin = merge.origin[(section, key)][-1]
            history = merge.history.get((section, key), [])
            self.settings[(section, _norm(key))] = Setting(
                section, key, assignments, origin[0], origin[1], history
            )

    @property
    def label(self) -> str:
        return "%s on %s" % (self.service, self.host or "hosts without a nova/<host>/ directory")

    def get(self, section: str, option: str) -> Setting | None:
        """The :class:`Setting` of ``[section] option`` or None when no file sets it."""
        return self.settings.get((section, _norm(option)))

    def text(self, section: str, option: str, default: Any = None) -> Any:
        s = self.get(section, option)
        return default if s is None else s.text()

    def boolean(self, section: str, option: str, default: Any = False) -> Any:
        """oslo.config's Boolean; an unparsable value counts as the default (the schema check reports it)."""
        s = self.get(section, option)
        if s is None:
            return default
        v = s.text().strip().lower()
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
        return default

    def number(self, section: str, option: str, default: Any = None) -> Any:
        s = self.get(section, option)
        if s is None:
            return default
        try:
            return float(s.text().strip())
        except ValueError:
            return default

    def items(self, section: str, option: str) -> list[str] | None:
        """A ListOpt's items (comma separated), None when unset."""
        s = self.get(section, option)
        if s is None:
            return None
        return [i.strip() for i in s.text().split(",") if i.strip()]


def _norm(name):
    return name.strip().replace("-", "_")


class _Merge(kolla_merge.KollaMerge):
    def sections_items(self) -> Iterator[tuple[tuple[str, str], str | list[str]]]:
        for section, keys in self.values().items():
            for key, value in keys.items():
                yield (section, key), value


def infer_hosts(node_custom_config: str) -> list:
    """Hosts that have their own override directory (``nova/<host>/``)."""
    nova_dir = os.path.join(node_custom_config, "nova")
    if not os.path.isdir(nova_dir):
        return []
    return sorted(n for n in os.listdir(nova_dir) if os.path.isdir(os.path.join(nova_dir, n)))


def sources_for(node_custom_config: str, host, service: str) -> list:
    """Kolla's merge sources for ``service`` on ``host`` (host None: no per-host files)."""
    if host is None:
        return kolla_merge.kolla_sources(node_custom_config, "-", service)[:3]
    return kolla_merge.kolla_sources(node_custom_config, host, service)


def effective_config(node_custom_config: str, host, service: str, variables=None) -> EffectiveConfig:
    """Merge ``service``'s sources on ``host`` as Kolla does; raises kolla_merge.IniParseError."""
    paths = sources_for(node_custom_config, host, service)
    merge = _Merge()
    present = []
    for path in paths:
        text = kolla_merge.read_text(path)
        present.append({"path": path, "present": text is not None})
        if text is None:
            continue
        rendered, _unresolved = kolla_merge.render_jinja(text, variables)
        merge.feed(rendered, path)
    return EffectiveConfig(host, service, present, merge)


def views(
    compute_hosts: list[str], services: Iterable[str] = VALIDATED_SERVICES
) -> list[tuple[str | None, str]]:
    """(host, service) pairs to merge: every service on every compute host, and the
    services of hosts without their own directory (every service when no host has one)."""
    out = [(h, s) for h in compute_hosts for s in services]
    out += [(None, s) for s in services if not compute_hosts or s != "nova-compute"]
    return out


def effective_configs(
    node_custom_config: str,
    compute_hosts: Iterable[str] | None = None,
    services: Iterable[str] = VALIDATED_SERVICES,
    variables: dict[str, Any] | None = None,
) -> tuple[list[EffectiveConfig], list[kolla_merge.IniParseError]]:
    """Every :class:`EffectiveConfig` of :func:`views`, and the parse errors met.

    ``compute_hosts`` None: the hosts of :func:`infer_hosts`.  Returns
    ``(configs, errors)`` where errors are kolla_merge.IniParseError (one per file).
    """
    if compute_hosts is None:
        compute_hosts = infer_hosts(node_custom_config)
    configs = []
    errors = OrderedDict()
    for host, service in views(list(compute_hosts), services):
        try:
            configs.append(effective_config(node_custom_config, host, service, variables))
        except kolla_merge.IniParseError as exc:
            errors.setdefault(exc.source, exc)
    return configs, list(errors.values())


def describe(cfg: EffectiveConfig) -> dict:
    """``cfg`` as plain data for a module result: every value with its file and line and the
    assignments it replaced (secrets masked)."""
    from ansible_collections.kolla_ops.nova.plugins.module_utils import nova_schema  # noqa: PLC0415

    settings = []
    for s in cfg.settings.values():
        settings.append(
            {
                "section": s.section,
                "option": s.option,
                "value": nova_schema.mask_option(s.section, s.option, s.value),
                "file": s.file,
                "line": s.line,
                "replaces": [
                    {"file": f, "line": line, "value": nova_schema.mask_option(s.section, s.option, v)}
                    for f, line, v in s.history
                    if (f, line) != (s.file, s.line)
                ],
            }
        )
    return {"host": cfg.host, "service": cfg.service, "sources": cfg.sources, "settings": settings}
