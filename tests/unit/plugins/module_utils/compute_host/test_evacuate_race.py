"""Issue 21 item 1: an evacuation that Nova finished must not be retried because a host listing
lagged behind, every evacuated server that ran before is started whatever path its record took,
a run with a failed row fails, and a re-run finishes the job.

The sandbox run of the issue (tests/integration/test_compute_host_evacuate_race.py repeats it)
logged ``retry int2 the migration ended with the server still on compute3 (migration 29 status
done)``, then ``HTTP 400: Compute service of compute1 is still in use``. The timing of that
listing cannot be forced on the sandbox; ``LaggingListing`` reproduces what the mover saw: the
host listing shows the server as it was before the evacuation (on the source, no task) for a
few listings after the request.
"""

from __future__ import annotations

import json

from ansible_collections.kolla_ops.nova.plugins.module_utils.compute_host import module as core

from .fakes import FakeNova, dead, opts, run_evacuate


class LaggingListing(FakeNova):
    def __init__(self, *args, lag=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.lag = lag
        self.before = {}  # server id -> [its view before the evacuation, listings left]

    def evacuate(self, sid, host):
        view = self._view(self.servers[sid])
        super().evacuate(sid, host)
        self.before.setdefault(sid, [view, self.lag])

    def host_servers(self, host):
        out = {s["id"]: s for s in super().host_servers(host)}
        for sid, entry in self.before.items():
            if entry[1] > 0 and entry[0]["host"] == host:
                entry[1] -= 1
                out[sid] = dict(entry[0])
        return list(out.values())


def evacuation_calls(nova):
    return [c for c in nova.calls if c[0] == "evacuate"]


def test_lagging_listing_does_not_retry_a_finished_evacuation(tmp_path):
    nova = LaggingListing(duration=1.0)
    nova.add("int2", status="ACTIVE")
    nova.servers["int2"]["image_id"] = "img"
    dead(nova, "compute1")
    res = run_evacuate(nova, tmp_path, opts(retries=1, max_concurrent=1))
    assert not res.get("failed"), res.get("msg")
    assert len(evacuation_calls(nova)) == 1, evacuation_calls(nova)
    assert res["summary"] == {"moved": 1}
    srv = nova.servers["int2"]
    assert srv["host"] != "compute1" and srv["status"] == "ACTIVE"


def test_rerun_starts_a_server_an_earlier_run_reported_failed(tmp_path):
    """What the old code left behind: a FAIL row, the server evacuated but SHUTOFF; the re-run fixes it."""
    nova = FakeNova(duration=1.0)
    nova.add("int2", status="ACTIVE")
    nova.servers["int2"]["image_id"] = "img"
    dead(nova, "compute1")
    assert not run_evacuate(nova, tmp_path).get("failed")
    # rewrite history as the old run recorded it
    nova.servers["int2"]["status"] = "SHUTOFF"
    path = tmp_path / "state.json"
    state = json.loads(path.read_text())
    state["instances"]["int2"].update(
        status="failed",
        outcome="failed",
        message="Nova refused the request: HTTP 400: Compute service of compute2 is still in use.",
    )
    path.write_text(json.dumps(state))
    again = run_evacuate(nova, tmp_path)
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is True
    row = again["instances"][0]
    assert row["outcome"] == "moved" and row["message"].startswith("started on compute")
    assert "an earlier attempt was reported failed" in row["message"]
    assert nova.servers["int2"]["status"] == "ACTIVE"
    assert len(evacuation_calls(nova)) == 1
    assert run_evacuate(nova, tmp_path)["changed"] is False


def test_a_server_left_stopped_after_start_fails_the_row(tmp_path):
    nova = FakeNova(duration=1.0)
    nova.add("int2", status="ACTIVE")
    nova.servers["int2"]["image_id"] = "img"
    nova.start_server = lambda sid: nova.calls.append(("start_server", (sid,)))  # accepted, never runs
    dead(nova, "compute1")
    res = run_evacuate(nova, tmp_path, opts(timeout=20))
    row = res["instances"][0]
    assert row["outcome"] == "failed" and "SHUTOFF" in row["message"], row
    assert nova.servers["int2"]["host"] != "compute1"


def test_module_fails_a_run_with_a_failed_row(monkeypatch, tmp_path):
    """The report said FAIL while the play exited 0: nothing remained on the host."""
    row = {
        "check": "evacuate.compute3.int2",
        "status": "fail",
        "message": "int2 x: failed compute3 -> compute1",
    }
    result = {"host": "compute3", "changed": True, "remaining": [], "report": {"results": [row]}}
    monkeypatch.setattr(core, "evacuate", lambda *a, **kw: dict(result))
    params = {k: v.get("default") for k, v in core.ARGUMENT_SPEC.items()}
    params.update(host="compute3", state="evacuated", fenced=True, user="pytest")
    out = core.run(params, FakeNova, "sandbox", str(tmp_path / "s.json"), str(tmp_path / "s.log"), False)
    assert out["failed"] is True
    assert out["msg"].startswith("1 instance(s) of compute3 failed: int2 x: failed compute3 -> compute1")
