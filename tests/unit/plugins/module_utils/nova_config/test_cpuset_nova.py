"""cpuset.parse_cpuset accepts and refuses exactly what Nova's parse_cpu_spec does.

The inputs are Nova's own unit tests, nova 34.0.0
nova/tests/unit/virt/test_hardware.py: CpuSetTestCase.test_parse_cpu_spec_valid_syntax_works
and test_parse_cpu_spec_invalid_syntax_raises (Nova allows an empty result there; its
get_*_set callers refuse it, hence allow_empty=True).
"""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_config.cpuset import (
    CpuSetError,
    parse_cpuset,
)

NOVA_VALID = [
    ("1", {1}),
    ("1,2", {1, 2}),
    (", ,   1 ,  ,,  2,    ,", {1, 2}),
    ("1-1", {1}),
    (" 1 - 1, 1 - 2 , 1 -3", {1, 2, 3}),
    ("1,^2", {1}),
    ("1-2, ^1", {2}),
    ("1-3,5,^2", {1, 3, 5}),
    (" 1 -    3        ,   ^2,        5", {1, 3, 5}),
    (" 1,1, ^1", set()),
    ("^0-1", set()),
    ("0-3,^1-2", {0, 3}),
]
NOVA_INVALID = [
    " -1-3,5,^2",
    "1-3-,5,^2",
    "-3,5,^2",
    "1-,5,^2",
    "1-3,5,^2^",
    "1-3,5,^2-",
    "--13,^^5,^2",
    "a-3,5,^2",
    "1-a,5,^2",
    "1-3,b,^2",
    "1-3,5,^c",
    "3 - 1, 5 , ^ 2 ",
]


@pytest.mark.parametrize(("spec", "cpus"), NOVA_VALID)
def test_nova_valid_inputs(spec, cpus):
    assert set(parse_cpuset(spec, allow_empty=True)) == cpus


@pytest.mark.parametrize("spec", [*NOVA_INVALID, "4-15,^8,20-"])
def test_nova_invalid_inputs(spec):
    with pytest.raises(CpuSetError):
        parse_cpuset(spec, allow_empty=True)
