# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kolla-Ansible and ansible-core versions against the target release."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible_collections.kolla_ops.nova.plugins.module_utils.report import Report


import re


def _version_tuple(text):
    parts = []
    for piece in str(text).split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group(0)))
    return tuple(parts)


def check_kolla(
    report: Report,
    target: dict[str, Any],
    installed: str | None = None,
    ansible_core: str | None = None,
    globals_release: dict[str, Any] | None = None,
) -> None:
    """Kolla-Ansible matching the target vs the installed one (and ansible-core, globals)."""
    want = target["kolla_ansible"]
    pip_spec = "kolla-ansible>=%s.0.0,<%d" % (want, int(want) + 1)
    evidence = {"target": target["series"], "kolla_ansible": "%s.x" % want, "installed": installed}
    if not installed:
        report.add(
            "kolla_ansible.release",
            "skip",
            "kolla-ansible is not installed where this ran (and no version was given); %s needs "
            "kolla-ansible %s.x" % (target["series"], want),
            evidence=evidence,
            fix="pip install '%s'" % pip_spec,
        )
    else:
        have = _version_tuple(installed)
        if have and str(have[0]) == want:
            report.add(
                "kolla_ansible.release",
                "pass",
                "kolla-ansible %s matches %s (kolla-ansible %s.x)" % (installed, target["series"], want),
                evidence=evidence,
            )
        elif have and have[0] < int(want):
            report.add(
                "kolla_ansible.release",
                "warn",
                "kolla-ansible %s is installed; %s needs kolla-ansible %s.x: install it before "
                "'kolla-ansible upgrade'" % (installed, target["series"], want),
                evidence=evidence,
                fix="pip install '%s' && kolla-ansible install-deps" % pip_spec,
            )
        else:
            report.add(
                "kolla_ansible.release",
                "fail",
                "kolla-ansible %s is installed but %s is deployed by kolla-ansible %s.x"
                % (installed, target["series"], want),
                evidence=evidence,
                fix="pip install '%s' && kolla-ansible install-deps" % pip_spec,
            )
    if ansible_core:
        low, high = target["ansible_core"]
        have = _version_tuple(ansible_core)[:2]
        ok = _version_tuple(low) <= have < _version_tuple(high)
        report.add(
            "kolla_ansible.ansible_core",
            "pass" if ok else "warn",
            "ansible-core %s %s kolla-ansible %s.x's range >=%s,<%s"
            % (ansible_core, "is within" if ok else "is outside", want, low, high),
            evidence={"installed": ansible_core, "required": ">=%s,<%s" % (low, high)},
            fix=None if ok else "pip install 'ansible-core>=%s,<%s'" % (low, high),
        )
    for path, value in globals_release or []:
        ok = str(value).strip("'\" ") == target["series"]
        report.add(
            "kolla_ansible.openstack_release",
            "pass" if ok else "fail",
            "%s sets openstack_release: %s%s"
            % (
                path,
                value,
                ""
                if ok
                else " (images of another release would be deployed; %s needs %s)"
                % (target["series"], target["series"]),
            ),
            evidence={"file": path, "openstack_release": value},
            fix=None
            if ok
            else 'set openstack_release: "%s" in %s (or delete it: kolla-ansible %s.x defaults to %s)'
            % (target["series"], path, want, target["series"]),
        )
