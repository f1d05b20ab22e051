"""The collection's own rendered overrides for the example inventory pass its cross-field rules.

nova_config_render writes the example inventory's profiles (general, pinned with dedicated CPUs,
1G huge pages, custom CPU model, post-copy, native TLS; the scheduler file with
NUMATopologyFilter added) into an empty node_custom_config; nova_config_validate then merges
every host and service as Kolla would and must find nothing, with the example's flavors
(a pinned 1G-page flavor) and host facts large enough for the profiles.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.kolla_ops.nova.plugins.modules import nova_config_render, nova_config_validate

EXAMPLE = Path(__file__).resolve().parents[4] / "inventory" / "example"


def test_example_inventory_rendered_overrides_are_valid(tmp_path):
    gv = yaml.safe_load((EXAMPLE / "group_vars" / "all" / "nova_profiles.yml").read_text())
    inv = yaml.safe_load((EXAMPLE / "hosts.yml").read_text())
    groups = inv["all"]["children"]["compute"]["children"]
    hosts = {}
    for group, body in groups.items():
        gvars = yaml.safe_load((EXAMPLE / "group_vars" / ("%s.yml" % group)).read_text()) or {}
        for h in body["hosts"]:
            hvars_file = EXAMPLE / "host_vars" / ("%s.yml" % h)
            hvars = yaml.safe_load(hvars_file.read_text()) if hvars_file.is_file() else {}
            hosts[h] = {
                "profile": gvars.get("nova_config_profile", gv["nova_config_default_profile"]),
                "overrides": hvars.get("nova_config_profile_overrides", {}),
                "vcpus": 64,
                "memory_mb": 262144,
            }
    _result, failed = nova_config_render.run(
        {
            "compute_profiles": gv["nova_config_compute_profiles"],
            "hosts": hosts,
            "scheduler": gv["nova_config_scheduler"],
            "kolla_globals": gv["nova_config_kolla_globals"],
            "node_custom_config": str(tmp_path),
            "release": "34",
            "header": "Ansible managed",
            "mode": "0640",
            "take_over_existing": False,
        },
        check_mode=False,
    )
    assert failed is None, failed
    assert (tmp_path / "nova" / "cmp-pin01" / "nova-compute.conf").is_file()
    checked = nova_config_validate.run(
        {
            "paths": None,
            "node_custom_config": str(tmp_path),
            "release": "34",
            "hosts": hosts,
            "flavors": gv["nova_flavors_flavors"],
        }
    )
    assert checked["summary"]["cross_field"] == {"errors": 0, "warnings": 0}, [
        f["message"] for f in checked["findings"]
    ]
    # the example's own `settings` use a deprecated workaround: the schema warns, nothing else
    assert {(f["severity"], f["code"], f["option"]) for f in checked["findings"]} == {
        ("warning", "deprecated", "disable_fallback_pcpu_query")
    }
