"""The kolla_ops.nova.cpuset filter as a template sees it."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kolla_ops.nova.plugins.filter.cpuset import FilterModule, cpuset


def test_registered_under_its_name():
    assert FilterModule().filters()["cpuset"] is cpuset


def test_string_to_list_and_back():
    assert cpuset("4-7,^5") == [4, 6, 7]
    assert cpuset("8,4-7,9-11,^10", "string") == "4-9,11"
    assert cpuset([0, 1, 2, 3]) == "0-3"
    assert cpuset([3, 1, 2], output="list") == [1, 2, 3]


def test_bad_input_names_the_part():
    with pytest.raises(AnsibleFilterError, match=r"item '9-x'"):
        cpuset("0-3,9-x")


def test_unknown_output_is_refused():
    with pytest.raises(AnsibleFilterError, match="output='csv'"):
        cpuset("1", output="csv")
