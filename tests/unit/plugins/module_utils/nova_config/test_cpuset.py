"""Nova CPU set parsing: the grammar of nova.virt.hardware.parse_cpu_spec."""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.cpuset import (
    CpuSetError,
    format_cpuset,
    parse_cpuset,
)


@pytest.mark.parametrize(
    ("spec", "cpus"),
    [
        ("0", [0]),
        ("4-15,^8", [4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15]),
        ("0-3,8-11", [0, 1, 2, 3, 8, 9, 10, 11]),
        (" 2 , 1 ", [1, 2]),
        ("0-7,^2-3", [0, 1, 4, 5, 6, 7]),
        ("4,,5", [4, 5]),  # Nova skips empty items
        ("^3,0-4", [0, 1, 2, 4]),  # exclusions apply whatever their position
        ("3-3", [3]),
    ],
)
def test_parse_valid(spec, cpus):
    assert parse_cpuset(spec) == cpus


@pytest.mark.parametrize(
    ("spec", "bad_part", "reason"),
    [
        ("4-", "4-", "not a CPU number or range"),
        ("a-b", "a-b", "not a CPU number or range"),
        ("0-3,x", "x", "not a CPU number or range"),
        ("15-4", "15-4", "start is above its end"),
        ("-1", "-1", "negative"),
        ("^-2", "^-2", "negative"),
        ("1-2-3", "1-2-3", "not a CPU number or range"),
        ("0,^0", "0,^0", "selects no CPU"),
        ("", "", "selects no CPU"),
    ],
)
def test_parse_rejects_with_the_bad_item_named(spec, bad_part, reason):
    with pytest.raises(CpuSetError) as err:
        parse_cpuset(spec)
    assert err.value.part == bad_part
    assert repr(bad_part) in str(err.value)
    assert reason in str(err.value)


def test_empty_allowed_on_request():
    assert parse_cpuset("0,^0", allow_empty=True) == []


@pytest.mark.parametrize(
    ("cpus", "text"),
    [
        ([0, 1, 2, 5], "0-2,5"),
        ([5, 3, 4, 4], "3-5"),
        ([7], "7"),
        ([], ""),
        (["2", "3"], "2-3"),
    ],
)
def test_format(cpus, text):
    assert format_cpuset(cpus) == text


def test_format_rejects_negative():
    with pytest.raises(CpuSetError, match="negative"):
        format_cpuset([1, -1])


@pytest.mark.parametrize("spec", ["4-15,^8", "0-3,8-11,^9", "1,3,5,7", "0-127,^64-71"])
def test_round_trip(spec):
    assert parse_cpuset(format_cpuset(parse_cpuset(spec))) == parse_cpuset(spec)
