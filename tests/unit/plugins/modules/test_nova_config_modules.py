"""The thin modules' run() functions: check mode, idempotence, failing before writing."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.modules import (
    nova_config_preview,
    nova_config_render,
    nova_config_validate,
)


def params(base, **kw):
    p = {
        "compute_profiles": {"ratio3": {"cpu_allocation_ratio": 3.0, "reserved_host_memory_mb": 2048}},
        "hosts": {"compute1": {"profile": None}, "compute3": {"profile": "ratio3"}},
        "scheduler": {},
        "kolla_globals": {},
        "node_custom_config": str(base),
        "release": "34",
        "header": "Ansible managed",
        "mode": "0640",
        "take_over_existing": False,
    }
    p.update(kw)
    return p


def test_render_check_mode_then_real_then_idempotent(tmp_path):
    target = tmp_path / "nova" / "compute3" / "nova-compute.conf"
    result, failed = nova_config_render.run(params(tmp_path), check_mode=True)
    assert failed is None and result["changed"] and not target.exists()
    assert result["diff"][0]["after"].count("cpu_allocation_ratio = 3.0") == 1
    result, failed = nova_config_render.run(params(tmp_path), check_mode=False)
    assert failed is None and result["changed"] and target.exists()
    result, failed = nova_config_render.run(params(tmp_path), check_mode=False)
    assert failed is None and not result["changed"] and result["files"] == []


def test_render_fails_before_writing_anything(tmp_path):
    p = params(
        tmp_path,
        hosts={"compute1": {"profile": "ratio3"}, "compute2": {"profile": "nope"}},
    )
    result, failed = nova_config_render.run(p, check_mode=False)
    assert "host compute2, profile 'nope', field nova_config_profile" in failed
    assert result["files"] == [] and not (tmp_path / "nova").exists()


def test_validate_and_preview(tmp_path):
    nova_config_render.run(params(tmp_path), check_mode=False)
    (tmp_path / "nova.conf").write_text("[DEFAULT]\nvcpu_pin_set = 2-7\n[libvirt]\ncpu_mode = host\n")
    result = nova_config_validate.run(
        {"paths": None, "node_custom_config": str(tmp_path), "release": "2026.2", "fail_on": "error"}
    )
    assert result["summary"]["errors"] == 1 and result["summary"]["warnings"] == 1
    assert result["report"]["summary"] == {"pass": 1, "warn": 1, "fail": 1, "skip": 0}
    prev = nova_config_preview.run(
        {
            "host": "compute3",
            "service": "nova-compute",
            "node_custom_config": str(tmp_path),
            "base": None,
            "variables": {},
            "release": "34",
        }
    )
    assert prev["settings"]["DEFAULT"]["cpu_allocation_ratio"] == "3.0"
    assert {f["code"] for f in prev["findings"]} == {"deprecated", "choices"}
    (choice,) = [f for f in prev["findings"] if f["code"] == "choices"]
    assert choice["file"] == str(tmp_path / "nova.conf") and choice["line"] == 4
