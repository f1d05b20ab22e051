"""Unit tests of the zone guard (issue 19.1): a drain or evacuation must not leave a zone or an
aggregate without enabled, up compute hosts, nor disable more than a share of a zone.

Against the simulated Nova (``FakeNova``); the sandbox tests (test_compute_host_zone_guard.py)
run the same rule through the playbooks on the real cloud.
"""

from __future__ import annotations

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host.model import ComputeHostError

from .fakes import FakeNova, opts
from .test_drain import run_drain


def disable(nova, host, reason="someone else"):
    for s in nova.services_:
        if s["host"] == host:
            s.update(status="disabled", disabled_reason=reason)


def status(nova, host):
    return next(s for s in nova.services_ if s["host"] == host)


def test_last_enabled_host_of_the_zone_is_refused(tmp_path):
    nova = FakeNova()
    disable(nova, "compute2")
    disable(nova, "compute3")
    nova.add("a", host="compute1")
    with pytest.raises(ComputeHostError) as err:
        run_drain(nova, tmp_path, opts(max_disabled_share=1.0))
    msg = err.value.msg
    assert msg.startswith("refusing to disable compute1: availability zone (none) would keep 0 enabled")
    assert "fewer than min_enabled_hosts=1" in msg and "allow_empty_zone=true" in msg
    assert status(nova, "compute1")["status"] == "enabled"
    assert not [c for c in nova.calls if c[0] in ("disable_service", "live_migrate")]


def test_share_of_the_zone_counts_hosts_disabled_for_any_reason(tmp_path):
    nova = FakeNova(hosts=("compute1", "compute2", "compute3", "compute4"))
    disable(nova, "compute4")  # not by this module
    with pytest.raises(ComputeHostError) as err:
        run_drain(nova, tmp_path, opts(max_disabled_share=0.4))
    assert "would have 2 of 4 compute hosts disabled (compute1, compute4), a share of 0.50" in err.value.msg
    assert "max_disabled_share=0.40" in err.value.msg
    assert status(nova, "compute1")["status"] == "enabled"
    # within the default 0.5 the same drain goes ahead
    assert not run_drain(nova, tmp_path).get("failed")


def test_down_hosts_do_not_count_as_enabled(tmp_path):
    nova = FakeNova()
    status(nova, "compute2")["state"] = "down"
    disable(nova, "compute3")
    with pytest.raises(ComputeHostError, match=r"would keep 0 enabled, up compute host\(s\) \(none\) of 3"):
        run_drain(nova, tmp_path, opts(max_disabled_share=1.0))


def test_aggregate_left_without_hosts_is_refused_one_host_aggregate_ignored(tmp_path):
    nova = FakeNova(hosts=("compute1", "compute2", "compute3", "compute4"))
    nova.aggregates_ = [
        {"name": "gpu", "hosts": ["compute1", "compute2"]},
        {"name": "solo", "hosts": ["compute1"]},
    ]
    disable(nova, "compute2")
    with pytest.raises(ComputeHostError) as err:
        run_drain(nova, tmp_path, opts(max_disabled_share=1.0))
    assert "aggregate gpu would keep 0 enabled, up compute host(s) (none) of 2" in err.value.msg
    assert "solo" not in err.value.msg


def test_check_mode_refuses_too(tmp_path):
    nova = FakeNova(hosts=("compute1", "compute2"))
    disable(nova, "compute2")
    with pytest.raises(ComputeHostError, match="refusing to disable compute1"):
        run_drain(nova, tmp_path, check_mode=True)


def test_override_is_written_into_the_disabled_reason(tmp_path):
    nova = FakeNova(hosts=("compute1", "compute2"))
    disable(nova, "compute2")
    res = run_drain(nova, tmp_path, opts(allow_empty_zone=True))
    assert not res.get("failed"), res.get("msg")
    reason = status(nova, "compute1")["disabled_reason"]
    assert reason.startswith("kolla_ops.nova drain ")
    assert "kernel upgrade (allow_empty_zone: availability zone (none) would keep 0 enabled" in reason
    assert len(reason) <= 255


def test_already_disabled_host_is_not_checked_again(tmp_path):
    """A re-run of an interrupted drain resumes; the rule was checked when it was disabled."""
    nova = FakeNova()
    disable(nova, "compute1", "kolla_ops.nova drain ...")
    disable(nova, "compute2")  # 2 of 3 disabled: more than the default share, were it checked
    nova.add("a", host="compute1")
    res = run_drain(nova, tmp_path)
    assert not res.get("failed"), res.get("msg")
    assert res["summary"] == {"moved": 1}


@pytest.mark.parametrize(
    "option,value", [("min_enabled_hosts", -1), ("max_disabled_share", 1.5), ("max_disabled_share", -0.1)]
)
def test_option_ranges(option, value):
    with pytest.raises(ComputeHostError, match="%s=%r is out of range" % (option, value)):
        opts(**{option: value})
