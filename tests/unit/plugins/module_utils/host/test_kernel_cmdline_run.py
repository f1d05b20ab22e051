"""kolla_ops.nova.kernel_cmdline run(): check mode, real run, idempotence, grubby, errors."""

from __future__ import annotations

import os

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.host import bootloader as kernel_cmdline
from ansible_collections.kolla_ops.nova.plugins.module_utils.host.kernel_cmdline import KernelCmdlineError

GRUB = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="quiet hugepages=4"\n'
HUGE = {"default_hugepagesz": "1G", "hugepagesz": "1G", "hugepages": 16}


class FakeModule:
    def __init__(self, check_mode=False, grubby=None, **params):
        self.params = {key: spec.get("default") for key, spec in kernel_cmdline.ARGUMENT_SPEC.items()}
        self.params.update(params)
        self.check_mode = check_mode
        self.grubby = grubby
        self.commands = []
        self.warnings = []

    def get_bin_path(self, name, required=False):
        if self.grubby is None and required:
            raise AssertionError("required binary %s missing" % name)
        return "/usr/sbin/grubby" if self.grubby is not None else None

    def run_command(self, argv):
        self.commands.append(argv)
        if argv[1].startswith("--info"):
            return 0, 'index=0\nargs="%s"\n' % self.grubby, ""
        return 0, "", ""

    def warn(self, msg):
        self.warnings.append(msg)

    def set_mode_if_different(self, path, mode, changed):
        os.chmod(path, int(mode, 8))
        return changed

    def atomic_move(self, src, dest):
        os.replace(src, dest)


def _params(tmp_path, **kw):
    p = {
        "set": HUGE,
        "backend": "grub",
        "path": str(tmp_path / "grub"),
        "proc_cmdline": str(tmp_path / "cmdline"),
    }
    p.update(kw)
    return p


def test_grub_check_mode_then_real_then_idempotent(tmp_path):
    grub = tmp_path / "grub"
    grub.write_text(GRUB)
    grub.chmod(0o600)
    (tmp_path / "cmdline").write_text("BOOT_IMAGE=/vmlinuz ro quiet -- single\n")

    result = kernel_cmdline.run(FakeModule(check_mode=True, **_params(tmp_path)))
    assert result["changed"] is True
    assert grub.read_text() == GRUB
    assert result["removed"] == ["hugepages=4"]
    assert result["reboot_required"] is True
    assert result["bootloader_update_required"] is False
    assert "hugepages=16" in result["diff"]["after"]

    result = kernel_cmdline.run(FakeModule(**_params(tmp_path)))
    assert result["changed"] is True
    assert 'GRUB_CMDLINE_LINUX="quiet default_hugepagesz=1G hugepagesz=1G hugepages=16"' in grub.read_text()
    assert grub.stat().st_mode & 0o7777 == 0o600
    assert result["bootloader_update_required"] is True
    assert result["running"] == ["BOOT_IMAGE=/vmlinuz", "ro", "quiet"]
    assert result["missing"] == ["default_hugepagesz=1G", "hugepagesz=1G", "hugepages=16"]

    result = kernel_cmdline.run(FakeModule(**_params(tmp_path)))
    assert result["changed"] is False
    assert result["reboot_required"] is True


def test_reboot_not_required_once_booted(tmp_path):
    (tmp_path / "grub").write_text(GRUB)
    (tmp_path / "cmdline").write_text("ro default_hugepagesz=1G hugepagesz=1G hugepages=16\n")
    result = kernel_cmdline.run(FakeModule(**_params(tmp_path)))
    assert result["reboot_required"] is False


def test_missing_grub_file_fails_or_is_created(tmp_path):
    with pytest.raises(KernelCmdlineError, match=r"^grub: .*does not exist"):
        kernel_cmdline.run(FakeModule(**_params(tmp_path)))
    result = kernel_cmdline.run(FakeModule(create=True, **_params(tmp_path)))
    assert result["changed"] is True
    assert (tmp_path / "grub").read_text().startswith('GRUB_CMDLINE_LINUX="default_hugepagesz=1G')


def test_dropin_assigning_the_variable_warns(tmp_path):
    (tmp_path / "grub").write_text(GRUB)
    (tmp_path / "grub.d").mkdir()
    (tmp_path / "grub.d" / "50-cloud.cfg").write_text('GRUB_CMDLINE_LINUX="console=ttyS0"\n')
    module = FakeModule(**_params(tmp_path))
    kernel_cmdline.run(module)
    assert "50-cloud.cfg also assigns GRUB_CMDLINE_LINUX" in module.warnings[0]


def test_auto_picks_grubby(tmp_path):
    module = FakeModule(grubby="ro quiet hugepages=4", **_params(tmp_path, backend="auto"))
    result = kernel_cmdline.run(module)
    assert result["backend"] == "grubby"
    assert result["changed"] is True
    assert module.commands[-1][:2] == ["/usr/sbin/grubby", "--update-kernel=ALL"]
    check = FakeModule(check_mode=True, grubby="ro quiet hugepages=4", **_params(tmp_path, backend="auto"))
    kernel_cmdline.run(check)
    assert len(check.commands) == 1  # only --info in check mode


def test_bad_value_names_backend(tmp_path):
    (tmp_path / "grub").write_text(GRUB)
    with pytest.raises(KernelCmdlineError, match=r"^grub: value 'a b'"):
        kernel_cmdline.run(FakeModule(**_params(tmp_path, set={"isolcpus": "a b"})))
