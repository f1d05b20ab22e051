"""Kernel command line planning, /etc/default/grub edits and the grubby backend."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.host.kernel_cmdline import (
    GrubbyBackend,
    KernelCmdlineError,
    desired_tokens,
    edit_grub_default,
    format_arg,
    parse_grubby_info,
    plan_args,
    read_grub_default,
    reboot_required,
    running_diff,
    split_cmdline,
)

HUGE = ["default_hugepagesz=1G", "hugepagesz=1G", "hugepages=16"]


def test_split_keeps_quoted_values():
    assert split_cmdline(' a=1  b="x y" c\n') == ["a=1", 'b="x y"', "c"]


def test_split_rejects_unbalanced_quote():
    with pytest.raises(KernelCmdlineError, match="unbalanced"):
        split_cmdline('a="x')


@pytest.mark.parametrize(
    ("key", "value", "token"),
    [("hugepages", 16, "hugepages=16"), ("nosmt", None, "nosmt"), ("kvm.x", True, "kvm.x=1")],
)
def test_format_arg(key, value, token):
    assert format_arg(key, value) == token


@pytest.mark.parametrize(("key", "value"), [("bad key", 1), ("a", "x y"), ("a", "$(reboot)"), ("a", '"q"')])
def test_format_arg_rejects_unsafe(key, value):
    with pytest.raises(KernelCmdlineError):
        format_arg(key, value)


def test_desired_tokens_keeps_order_and_rejects_duplicates():
    assert desired_tokens({"default_hugepagesz": "1G", "hugepagesz": "1G", "hugepages": 16}) == HUGE
    with pytest.raises(KernelCmdlineError, match="twice"):
        desired_tokens([("a", 1), ("a", 2)])


def test_plan_appends_managed_and_keeps_others():
    assert plan_args(["ro", "quiet"], HUGE) == ["ro", "quiet", *HUGE]


def test_plan_is_stable_when_already_right():
    current = ["ro", *HUGE, "quiet"]
    assert plan_args(current, HUGE) == current


def test_plan_replaces_values_and_duplicates():
    current = ["hugepages=8", "quiet", "hugepagesz=2M", "hugepages=4"]
    assert plan_args(current, HUGE) == ["quiet", *HUGE]


def test_plan_fixes_wrong_order():
    current = ["hugepages=16", "hugepagesz=1G", "default_hugepagesz=1G"]
    assert plan_args(current, HUGE) == HUGE


def test_plan_removes_absent_and_keeps_init_args():
    current = ["quiet", "isolcpus=2-3", "--", "single"]
    assert plan_args(current, ["nohz_full=2-3"], absent=["isolcpus"]) == [
        "quiet",
        "nohz_full=2-3",
        "--",
        "single",
    ]


def test_plan_rejects_set_and_absent_overlap():
    with pytest.raises(KernelCmdlineError, match="both set and absent"):
        plan_args([], ["a=1"], absent=["a"])


def test_reboot_required():
    assert reboot_required(["ro", *HUGE], HUGE) is False
    assert reboot_required(["ro", "hugepages=8"], HUGE) is True
    assert reboot_required(["ro", "isolcpus=2"], [], absent=["isolcpus"]) is True
    assert reboot_required(["ro", "--", "isolcpus=2"], [], absent=["isolcpus"]) is False


def test_running_diff():
    assert running_diff(["ro", "hugepages=8", "isolcpus=2"], HUGE, absent=["isolcpus"]) == (
        HUGE,
        ["isolcpus=2"],
    )


GRUB = """# If you change this file, run 'update-grub' afterwards.
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=ttyS0"
# GRUB_CMDLINE_LINUX="commented"
"""


def test_grub_edit_changes_only_the_variable():
    new, before, after = edit_grub_default(GRUB, HUGE)
    assert before == ["console=ttyS0"]
    assert after == ["console=ttyS0", *HUGE]
    assert new == GRUB.replace(
        'GRUB_CMDLINE_LINUX="console=ttyS0"',
        'GRUB_CMDLINE_LINUX="console=ttyS0 default_hugepagesz=1G hugepagesz=1G hugepages=16"',
    )
    again = edit_grub_default(new, HUGE)[0]
    assert again == new


def test_grub_edit_last_assignment_wins():
    text = "GRUB_CMDLINE_LINUX=\"a\"\nGRUB_CMDLINE_LINUX='b'\n"
    new, before = edit_grub_default(text, ["c=1"])[:2]
    assert before == ["b"]
    assert new == 'GRUB_CMDLINE_LINUX="a"\nGRUB_CMDLINE_LINUX="b c=1"\n'


def test_grub_edit_appends_missing_variable():
    new, before, after = edit_grub_default("GRUB_TIMEOUT=5", ["isolcpus=2-3"])
    assert before == []
    assert after == ["isolcpus=2-3"]
    assert new == 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="isolcpus=2-3"\n'


def test_grub_edit_nothing_to_do_leaves_file():
    assert edit_grub_default("GRUB_TIMEOUT=5\n", [])[0] == "GRUB_TIMEOUT=5\n"


def test_grub_edit_unquoted_and_empty():
    assert read_grub_default("GRUB_CMDLINE_LINUX=quiet # note\n") == (["quiet"], 0)
    assert read_grub_default('GRUB_CMDLINE_LINUX=""\n') == ([], 0)


@pytest.mark.parametrize(
    "line",
    ['GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX x"', 'GRUB_CMDLINE_LINUX="a" extra', "GRUB_CMDLINE_LINUX=a b"],
)
def test_grub_edit_refuses_what_it_cannot_parse(line):
    with pytest.raises(KernelCmdlineError, match="line 1"):
        edit_grub_default(line + "\n", ["x=1"])


GRUBBY_INFO = """index=0
kernel="/boot/vmlinuz-5.14.0-427.el9.x86_64"
args="ro crashkernel=1G-4G:192M resume=/dev/mapper/rl-swap hugepages=8"
root="/dev/mapper/rl-root"
"""


def test_parse_grubby_info():
    assert parse_grubby_info(GRUBBY_INFO)[-1] == "hugepages=8"
    with pytest.raises(KernelCmdlineError):
        parse_grubby_info("index=0\n")


class FakeGrubby:
    def __init__(self, info, rc=0):
        self.info = info
        self.rc = rc
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        if argv[1].startswith("--info"):
            return 0, self.info, ""
        return self.rc, "", "boom" if self.rc else ""


def test_grubby_plan_and_apply():
    fake = FakeGrubby(GRUBBY_INFO)
    backend = GrubbyBackend(fake)
    before, after = backend.plan(HUGE)
    assert after[-3:] == HUGE
    backend.apply(before, after)
    assert fake.calls[-1] == [
        "grubby",
        "--update-kernel=ALL",
        "--remove-args=hugepages=8",
        "--args=default_hugepagesz=1G hugepagesz=1G hugepages=16",
    ]


def test_grubby_apply_without_change_runs_nothing():
    fake = FakeGrubby(GRUBBY_INFO)
    backend = GrubbyBackend(fake)
    before, after = backend.plan(["hugepages=8"])
    assert before == after
    backend.apply(before, after)
    assert len(fake.calls) == 1


def test_grubby_failure_is_reported():
    backend = GrubbyBackend(FakeGrubby(GRUBBY_INFO, rc=1))
    before, after = backend.plan(["nosmt"])
    with pytest.raises(KernelCmdlineError, match=r"rc=1\): boom"):
        backend.apply(before, after)
