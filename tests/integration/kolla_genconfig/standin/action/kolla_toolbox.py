"""Test stand-in for Kolla-Ansible's ``kolla_toolbox`` module (on ANSIBLE_ACTION_PLUGINS only in
tests/integration/kolla_genconfig, never in the collection).

kolla_toolbox runs a module inside the ``kolla_toolbox`` container through the docker (or
podman) Python library; this machine has no container engine and no cloud. During
``kolla-ansible genconfig --tags nova`` exactly one task needs it: nova-cell config.yml,
"Ensure compute_id exists in nova_compute volume" / "List all hypervisors"
(``openstack.cloud.resources``, ``type: hypervisor``). It gets what a new cloud answers,
no hypervisors (``resources: []``), so Kolla takes its own "Generate a new UUID then copy to
compute_id" branch. Every other call fails, naming the module, so nothing else is faked.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        module_args = args.get("module_args") or {}
        if args.get("module_name") == "openstack.cloud.resources" and module_args.get("type") == "hypervisor":
            result.update(changed=False, resources=[], kolla_ops_standin="no hypervisors (no cloud here)")
            return result
        result.update(
            failed=True,
            msg="kolla_toolbox stand-in (tests/integration/kolla_genconfig) answers only "
            "openstack.cloud.resources type=hypervisor, not %s %s" % (args.get("module_name"), module_args),
        )
        return result
