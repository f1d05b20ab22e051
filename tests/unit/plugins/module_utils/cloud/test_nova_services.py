"""Nova service rows read the way Nova reads them."""

from __future__ import annotations

import datetime

from ansible_collections.kolla_ops.nova.plugins.module_utils.cloud import nova_services as ns

NOW = datetime.datetime(2026, 11, 21, 6, 30, 0)


def api_row(host, binary="nova-compute", state="up", status="enabled", reason=None, forced=False, age=5):
    return {
        "id": "id-%s-%s" % (binary, host),
        "host": host,
        "binary": binary,
        "state": state,
        "status": status,
        "disabled_reason": reason,
        "is_forced_down": forced,
        "updated_at": (NOW - datetime.timedelta(seconds=age)).strftime("%Y-%m-%dT%H:%M:%S.000000"),
        "availability_zone": "nova",
    }


def sql_row(host, version, binary="nova-compute", disabled="0", forced="0", age=5):
    return {
        "id": "1",
        "uuid": "u-%s" % host,
        "host": host,
        "binary": binary,
        "version": str(version),
        "disabled": disabled,
        "disabled_reason": "NULL" if disabled == "0" else "maintenance",
        "forced_down": forced,
        "last_seen_up": (NOW - datetime.timedelta(seconds=age)).strftime("%Y-%m-%d %H:%M:%S"),
        "updated_at": None,
        "created_at": "2026-11-01 00:00:00",
    }


def test_parse_time_forms():
    assert ns.parse_time("2026-11-21T06:29:55.000000") == datetime.datetime(2026, 11, 21, 6, 29, 55)
    assert ns.parse_time("2026-11-21 06:29:55") == datetime.datetime(2026, 11, 21, 6, 29, 55)
    assert ns.parse_time("2026-11-21T07:29:55+01:00") == datetime.datetime(2026, 11, 21, 6, 29, 55)
    assert ns.parse_time("2026-11-21T06:29:55Z") == datetime.datetime(2026, 11, 21, 6, 29, 55)
    assert ns.parse_time(None) is None
    assert ns.parse_time("NULL") is None
    assert ns.parse_time("garbage") is None


def test_normalize_api_and_sql_rows():
    a = ns.normalize_service(api_row("c1", status="disabled", reason="kernel update", forced=True))
    assert a["enabled"] is False and a["disabled_reason"] == "kernel update" and a["forced_down"] is True
    assert a["api_state"] == "up"
    s = ns.normalize_service(sql_row("c1", 66, disabled="1"))
    assert s["enabled"] is False and s["version"] == 66 and s["api_state"] is None
    assert s["heartbeat"] == NOW - datetime.timedelta(seconds=5)


def test_sql_heartbeat_falls_back_to_created_at():
    row = sql_row("c1", 66)
    row["last_seen_up"] = "NULL"
    svc = ns.normalize_service(row)
    assert svc["heartbeat"] == datetime.datetime(2026, 11, 1)


def test_up_down_follows_heartbeat_without_api_state():
    fresh, old = ns.analyze([sql_row("c1", 66, age=59), sql_row("c2", 66, age=61)], now=NOW)
    assert fresh["up"] and not fresh["stale"]
    assert not old["up"] and old["stale"]
    assert old["heartbeat_age"] == 61.0


def test_api_state_wins_and_forced_down_is_down():
    svc = ns.analyze([api_row("c1", state="down", age=1)], now=NOW)[0]
    assert svc["up"] is False and svc["stale"] is False
    svc = ns.analyze([api_row("c1", forced=True)], now=NOW)[0]
    assert svc["up"] is False


def test_threshold_is_configurable():
    svc = ns.analyze([sql_row("c1", 66, age=90)], now=NOW, down_time=120)[0]
    assert svc["up"] and not svc["stale"]


def test_future_heartbeat_within_down_time_is_up():
    svc = ns.analyze([sql_row("c1", 66, age=-30)], now=NOW)[0]
    assert svc["up"] and svc["heartbeat_age"] == -30.0


def test_analyze_filters_binaries_and_split_by_state():
    rows = [
        api_row("c1"),
        api_row("c2", state="down", age=300),
        api_row("c3", status="disabled", reason="maint"),
        api_row("ctl", binary="nova-scheduler"),
    ]
    services = ns.analyze(rows, now=NOW, binaries=["nova-compute"])
    assert [s["host"] for s in services] == ["c1", "c2", "c3"]
    groups = ns.split_by_state(services)
    assert [s["host"] for s in groups["down"]] == ["c2"]
    assert [s["host"] for s in groups["disabled"]] == ["c3"]
    assert [s["host"] for s in groups["stale"]] == ["c2"]
    assert [s["host"] for s in groups["ok"]] == ["c1"]


def test_describe_is_json_friendly():
    svc = ns.analyze([api_row("c3", status="disabled", reason="maint", forced=True)], now=NOW)[0]
    d = ns.describe(svc)
    assert d["last_heartbeat"] == "2026-11-21T06:29:55Z"
    assert d["disabled_reason"] == "maint" and d["forced_down"] is True


def test_version_spread_uniform():
    spread = ns.version_spread([sql_row("c1", 66), sql_row("c2", 66)], now=NOW)
    assert spread["mixed"] is False
    assert spread["binaries"]["nova-compute"]["min"] == 66
    assert spread["binaries"]["nova-compute"]["pinning"] == []


def test_version_spread_disabled_and_down_rows_pin_the_minimum():
    rows = [
        sql_row("c1", 70),
        sql_row("c2", 66, disabled="1"),
        sql_row("c3", 66, age=3600),
        sql_row("c4", 60, forced="1"),  # forced down: ignored by nova's minimum
        sql_row("ctl", 70, binary="nova-conductor"),
    ]
    spread = ns.version_spread(rows, now=NOW)
    compute = spread["binaries"]["nova-compute"]
    assert spread["mixed"] is True
    assert spread["versions"] == [60, 66, 70]
    assert compute["min"] == 66 and compute["max"] == 70
    assert sorted(p["host"] for p in compute["pinning"]) == ["c2", "c3"]
    assert [p["host"] for p in compute["ignored_forced_down"]] == ["c4"]
    assert compute["by_version"] == {"60": ["c4"], "66": ["c2", "c3"], "70": ["c1"]}
    assert spread["binaries"]["nova-conductor"]["pinning"] == []


def test_version_spread_ignores_rows_without_version():
    row = sql_row("c1", 66)
    row["version"] = "NULL"
    assert ns.version_spread([row], now=NOW)["versions"] == []


def test_compare_hosts():
    hyps = [
        {"id": "u1", "name": "c1.example", "service_host": "c1"},
        {"id": "u2", "name": "c2", "service_host": "c2"},
        {"id": "u9", "name": "old", "service_host": "old"},
    ]
    providers = [
        {"id": "u1", "name": "c1.example", "parent_provider_id": None},
        {"id": "u2", "name": "c2-renamed", "parent_provider_id": "u2"},
        {"id": "child", "name": "c1.example_pgpu", "parent_provider_id": "u1"},
        {"id": "ghost", "name": "ghost", "parent_provider_id": None},
    ]
    cmp = ns.compare_hosts(["c1", "c2", "c3"], hyps, providers)
    assert cmp["services_without_hypervisor"] == ["c3"]
    assert cmp["hypervisors_without_service"] == ["old"]
    assert cmp["hypervisors_without_provider"] == [{"name": "old", "id": "u9", "service_host": "old"}]
    assert cmp["providers_without_hypervisor"] == [{"name": "ghost", "id": "ghost"}]
    assert cmp["name_mismatches"] == [{"id": "u2", "hypervisor": "c2", "provider": "c2-renamed"}]


def test_short_name():
    assert ns.short_name("c1.example.org") == "c1"
    assert ns.short_name(None) == ""
