"""Issue 21 (minor): a failed migration carries Nova's own fault, and a failed drain shows the
service as it is now (disabled), not only as it was before the drain.

``FaultyNova`` adds the adapter's ``fault`` (the server's fault, else the failed event of its
last instance action): the sandbox's fault injection fails live migrations inside the driver,
for which Nova records no fault at all (every action event says Success), so the message
Nova gives for such a failure is simulated here.
"""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host import module as core

from .fakes import FakeNova, opts
from .test_drain import run_drain

FAULT = "compute_live_migration on compute1: MigrationError: Migration error: disk copy failed"


class FaultyNova(FakeNova):
    def fault(self, sid):
        self._guard("fault", sid)
        return FAULT


def test_failed_migration_message_has_novas_fault(tmp_path):
    nova = FaultyNova()
    nova.add("bad", metadata={"fail": "1"})
    res = run_drain(nova, tmp_path, opts(retries=0))
    row = res["instances"][0]
    assert row["outcome"] == "failed"
    assert "status error" in row["message"] and row["message"].endswith("; Nova: " + FAULT)


def test_failed_drain_shows_the_service_as_it_is_now(tmp_path):
    nova = FakeNova()
    nova.add("bad", metadata={"fail": "1"})
    params = {k: v.get("default") for k, v in core.ARGUMENT_SPEC.items()}
    params.update(host="compute1", user="alice", retries=0, state_dir=str(tmp_path), poll_interval=1.0)
    # the fake has no Placement: the pre-flight has its own tests (test_preflight.py)
    params["preflight"] = False
    # the fake clock: the mover sleeps on it
    monkey = {"clock": nova.clock, "sleep": nova.sleep}
    real = core.drain
    core.drain = lambda *a, **kw: real(*a, **{**kw, **monkey})
    try:
        res = core.run(
            params, lambda: nova, "sandbox", str(tmp_path / "s.json"), str(tmp_path / "s.log"), False
        )
    finally:
        core.drain = real
    assert res["failed"] is True
    assert res["service"]["status"] == "enabled"  # as found before the drain
    assert res["service_now"]["status"] == "disabled"
    assert "nova-compute on compute1 is now disabled (reason: kolla_ops.nova drain " in res["msg"]
