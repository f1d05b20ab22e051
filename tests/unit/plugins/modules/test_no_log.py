"""Every option of every module that holds a credential is no_log (never logged, masked in output)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from ansible.module_utils import basic

from ansible_collections.kolla_ops.nova.plugins import modules
from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud.nova_cli import NOVA_COMMANDS_SPEC
from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import is_secret_name

MODULES = sorted(m.name for m in pkgutil.iter_modules(modules.__path__))


class _Spec(Exception):
    def __init__(self, spec):
        super().__init__("argument_spec captured")
        self.spec = spec


def argument_spec(name, monkeypatch):
    """The argument_spec a module hands to AnsibleModule (captured before any input is read)."""

    def capture(self, argument_spec=None, **_kwargs):
        raise _Spec(argument_spec or {})

    monkeypatch.setattr(basic.AnsibleModule, "__init__", capture)
    module = importlib.import_module("ansible_collections.kolla_ops.nova.plugins.modules.%s" % name)
    with pytest.raises(_Spec) as captured:
        module.main()
    return captured.value.spec


def walk(spec, prefix=""):
    for name, option in spec.items():
        yield prefix + name, option
        yield from walk(option.get("options") or {}, prefix + name + ".")


def test_every_module_is_checked():
    assert len(MODULES) >= 20 and "nova_upgrade_check" in MODULES and "nova_config_preview" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_credential_options_are_no_log(name, monkeypatch):
    spec = argument_spec(name, monkeypatch)
    assert spec, "%s: no argument_spec captured" % name
    leaky = [
        path
        for path, option in walk(spec)
        if is_secret_name(path.rsplit(".", 1)[-1])
        and option.get("type", "str") in ("str", "raw", "dict")
        and not option.get("no_log")
    ]
    assert not leaky, "%s: credential options without no_log=True: %s" % (name, ", ".join(leaky))


def test_nova_commands_database_password_is_no_log():
    assert NOVA_COMMANDS_SPEC["options"]["database_password"]["no_log"] is True
