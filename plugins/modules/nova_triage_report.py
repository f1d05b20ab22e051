#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge per-host Nova triage results into one ranked report."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_triage_report
short_description: Merge per-host Nova log triage results into one cloud-wide report
version_added: 0.1.0
description:
  - Takes the results of M(kolla_ops.nova.nova_log_triage) from every host and builds one report with
    findings ranked by severity and count, each with rule id, category, host, service, count,
    first and last seen, sample lines, config options, fix and assertion results; unmatched
    ERROR/CRITICAL records; and the timeline of followed request ids across hosts and services.
  - A finding whose request ids also appear in a finding of a more specific rule gets
    C(symptom_of) naming that rule.
  - With O(dest), writes C(<basename>.json) and the readable summary C(<basename>.txt).
    RV(check_report) is the same content in the collection's check-report shape for
    M(kolla_ops.nova.check_report) (JUnit XML).
  - Secrets are masked in everything returned and written.
  - "Run on the controller: C(delegate_to: localhost), C(run_once: true)."
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  results:
    description:
      - Per-host results of M(kolla_ops.nova.nova_log_triage), as a list, as a dict keyed by host,
        or a registered loop result (with C(results)).
    type: raw
    required: true
  timelines:
    description:
      - Optional per-host results of a second M(kolla_ops.nova.nova_log_triage) pass run with
        O(kolla_ops.nova.nova_log_triage#module:request_ids); only their timelines are used.
    type: raw
  dest:
    description:
      - Directory to write the report files to; created when missing. Nothing is written when unset.
    type: path
  basename:
    description:
      - File name of the written files without extension.
    type: str
    default: nova-triage
  max_findings:
    description:
      - Keep only this many findings (after ranking); 0 keeps all.
    type: int
    default: 0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Report files are written in check mode too; they describe the run and change nothing managed.
  diff_mode:
    support: none
  idempotent:
    description: Running the module again with the same input gives the same result and changes nothing.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Merge the triage of all hosts and write the report
  kolla_ops.nova.nova_triage_report:
    results: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, '_triage'))) }}"
    dest: "{{ playbook_dir }}/reports"
  delegate_to: localhost
  run_once: true
  register: triage_report
"""

RETURN = r"""
report:
  description: The merged report (see the module description for the content).
  returned: always
  type: dict
text:
  description: The readable summary, ranked by severity and count.
  returned: always
  type: str
check_report:
  description: The findings in the check-report shape (name, generated_at, summary, results).
  returned: always
  type: dict
paths:
  description: Files written (empty without O(dest)).
  returned: always
  type: dict
  sample: {"json": "reports/nova-triage.json", "text": "reports/nova-triage.txt"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.aggregate import (
    build_report,
    host_results,
    render_text,
    to_check_report,
    with_timelines,
    write_report_files,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "results": {"type": "raw", "required": True},
            "timelines": {"type": "raw"},
            "dest": {"type": "path"},
            "basename": {"type": "str", "default": "nova-triage"},
            "max_findings": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    p = module.params
    results = with_timelines(host_results(p["results"]), p["timelines"])
    try:
        report = build_report(results, max_findings=p["max_findings"] or None)
    except (KeyError, TypeError, ValueError) as exc:
        module.fail_json(msg="nova_triage_report: results are not nova_log_triage results: %s" % exc)
    text = render_text(report)
    paths = {}
    if p["dest"]:
        try:
            paths = write_report_files(p["dest"], p["basename"], report, text)
        except OSError as exc:
            module.fail_json(msg="nova_triage_report: cannot write to %s: %s" % (p["dest"], exc))
    module.exit_json(
        changed=False, report=report, text=text, check_report=to_check_report(report), paths=paths
    )


if __name__ == "__main__":
    main()
