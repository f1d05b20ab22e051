"""Reports: JSON, JUnit XML and text forms, with secrets masked."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    Report,
    mask_secrets,
    merge_reports,
    render_text,
    write_report,
)


def _sample():
    rep = Report("verify")
    rep.add("services.compute_up", "pass", "3 of 3 nova-compute services up")
    rep.add(
        "cells.unmapped_hosts",
        "fail",
        "compute3 is not mapped to a cell",
        evidence={"hosts": ["compute3"]},
        fix="nova-manage cell_v2 discover_hosts --verbose",
    )
    rep.add("placement.ratio", "warn", "ram_allocation_ratio 1.5 on compute1")
    rep.add("console.proxy", "skip", "no server to ask a console for")
    return rep


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("rabbit://openstack:s3cr3t@10.0.0.1:5672//", "rabbit://openstack:***@10.0.0.1:5672//"),
        ("password = hunter2", "password = ***"),
        ('{"X-Auth-Token": "gAAAAABk"}', '{"X-Auth-Token": "***"}'),
        ("mysql+pymysql://nova:pw@db/nova", "mysql+pymysql://nova:***@db/nova"),
        ("nothing secret here", "nothing secret here"),
        # report.mask_secrets is common.masking.mask: every host of a multi-host URL, empty users
        (
            "rabbit://openstack:pw1@ctl1:5672,openstack:pw2@ctl2:5672//",
            "rabbit://openstack:***@ctl1:5672,openstack:***@ctl2:5672//",
        ),
        ("qemu+ssh://:pw1@%s/system", "qemu+ssh://:***@%s/system"),
        ("auth_token = hunter2", "auth_token = ***"),
    ],
)
def test_mask_secrets(text, masked):
    assert mask_secrets(text) == masked


def test_summary_and_failed():
    rep = _sample()
    assert rep.summary == {"fail": 1, "warn": 1, "pass": 1, "skip": 1}
    assert rep.failed


def test_unknown_status_refused():
    with pytest.raises(ValueError, match="'ok' is not one of"):
        Report("x").add("a", "ok", "msg")


def test_write_report_three_forms(tmp_path):
    rep = _sample()
    rep.add("messaging.url", "fail", "cannot reach rabbit://nova:topsecret@ctl:5672/")
    paths = write_report(rep.as_dict(), str(tmp_path / "out"))
    data = json.loads((tmp_path / "out" / "verify.json").read_text())
    assert data["summary"]["fail"] == 2
    for path in paths.values():
        assert "topsecret" not in open(path).read()
    suite = ET.parse(paths["junit"]).getroot().find("testsuite")
    assert suite.get("tests") == "5"
    assert suite.get("failures") == "2"
    assert suite.get("skipped") == "1"
    failing = [tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert failing == ["unmapped_hosts", "url"]
    text = open(paths["text"]).read()
    # failures come first, with their fix
    assert text.splitlines()[1].lstrip().startswith("FAIL")
    assert "fix: nova-manage cell_v2 discover_hosts --verbose" in text


def test_merge_prefixes_checks():
    merged = merge_reports(
        [
            _sample().as_dict(),
            {"name": "audit", "results": [{"check": "ports.orphans", "status": "pass", "message": "none"}]},
        ],
        name="site",
    )
    checks = [r["check"] for r in merged["results"]]
    assert "verify.services.compute_up" in checks
    assert "audit.ports.orphans" in checks
    assert merged["summary"]["pass"] == 2


@pytest.mark.parametrize(
    ("bad", "msg"),
    [
        ("not a dict", "must be a dict"),
        ({"name": "x"}, "no 'results' list"),
        ({"name": "x", "results": [{"check": "a", "status": "bad"}]}, "status 'bad'"),
        ([], "non-empty list"),
    ],
)
def test_merge_rejects_malformed(bad, msg):
    with pytest.raises(ValueError, match=msg):
        merge_reports(bad)


def test_render_text_counts():
    text = render_text(_sample().as_dict())
    assert "1 fail, 1 warn, 1 pass, 1 skip" in text.splitlines()[0]


def test_evidence_naming_a_secret_option_is_masked(tmp_path):
    rep = Report("upgrade_check")
    rep.add(
        "config.deprecated",
        "warn",
        "[vmware] host_password is deprecated",
        evidence={"section": "vmware", "option": "host_password", "value": "hunter2", "line": 3},
    )
    rep.add("db.check", "fail", "cannot connect", evidence={"database_password": "hunter2", "user": "root"})
    data = rep.as_dict()
    assert data["results"][0]["evidence"] == {
        "section": "vmware",
        "option": "host_password",
        "value": "***",
        "line": 3,
    }
    assert data["results"][1]["evidence"] == {"database_password": "***", "user": "root"}
    for path in write_report(rep.as_dict(), str(tmp_path)).values():
        text = open(path).read()
        assert "hunter2" not in text and "host_password" in text
