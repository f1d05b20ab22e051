#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a check-style report as JSON, JUnit XML and a readable summary."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: check_report
short_description: Write verification, audit and triage reports as JSON, JUnit XML and text
version_added: 0.1.0
description:
  - Takes one or more reports returned by the collection's check modules (for example
    M(kolla_ops.nova.compute_verify)) and writes them to O(dest) as C(<basename>.json),
    C(<basename>.junit.xml) and C(<basename>.txt).
  - Several reports are merged into one, their check names prefixed with each report's name.
  - Passwords in URLs, C(password = ...) values and tokens are masked in every file written.
  - Writing a report does not change the managed system, so the task reports C(changed=false).
  - "Usually run on the controller with C(delegate_to: localhost) and C(run_once: true)."
  - With O(prometheus_dir), the report is also written in Prometheus' text exposition format for
    node_exporter's textfile collector, as C(<prometheus_dir>/kolla_ops_nova-<basename>.prom)
    (atomically, through a temporary file not ending in C(.prom), then a rename). Every series carries
    C(report=<basename>). Metrics are listed in the collection's C(docs/metrics.md).
  - With O(run_error), the run failed before its checks finished; the report written (and its
    metrics) says so with a C(run) result of status C(fail), so no earlier green report is left.
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  report:
    description:
      - One report or a list of reports, each a dict with C(name) and C(results)
        (a list of dicts with C(check), C(status), C(message), C(evidence), C(fix)).
      - May be omitted (or empty) only with O(run_error).
    type: raw
  name:
    description:
      - Name of the merged report when O(report) is a list.
    type: str
    default: report
  dest:
    description:
      - Directory to write the files to; created when missing.
    type: path
    required: true
  basename:
    description:
      - File name without extension. Defaults to the report's name.
    type: str
  fail_on:
    description:
      - Fail the task when a result has this status or a worse one, after the files are written.
    type: str
    choices: [fail, warn, never]
    default: never
  prometheus_dir:
    description:
      - Also write the report's metrics to this directory (node_exporter's textfile collector
        directory); created when missing. Unset or empty writes no metrics.
    type: path
  details:
    description:
      - Structured results that go with the report, written into the JSON under C(details) and
        turned into metrics.
      - C(capacity), the RV(kolla_ops.nova.capacity_report#module:capacity) result, for capacity and
        flavor headroom per host, aggregate, zone and cloud.
      - C(triage), the RV(kolla_ops.nova.nova_triage_report#module:report) result, for findings per
        category, host and severity (only those fields are kept).
    type: dict
  run_error:
    description:
      - The error of a run that stopped before its checks finished (for example in a C(rescue)
        with C(ansible_failed_result.msg)). The report gets a C(run) result with status C(fail)
        and this message (masked), after the results given in O(report), and the metric
        C(kolla_ops_nova_report_run_success) is 0.
    type: str
  run_error_task:
    description: The task that failed (C(ansible_failed_task.name)), named in the C(run) result.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Files are written in check mode too, since they describe the run and change nothing managed.
  diff_mode:
    support: none
  idempotent:
    description: Running it twice with the same input gives the same result.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Write the verification report
  kolla_ops.nova.check_report:
    report: "{{ verify_result.report }}"
    dest: "{{ playbook_dir }}/reports"
    fail_on: fail
  delegate_to: localhost
  run_once: true

- name: Merge several reports into one
  kolla_ops.nova.check_report:
    report:
      - "{{ verify_result.report }}"
      - "{{ audit_result.report }}"
    name: site
    dest: /var/tmp/kolla_ops_reports
    prometheus_dir: /var/lib/node_exporter/textfile_collector
  delegate_to: localhost
  run_once: true

- name: Replace the report of a run that failed (in a rescue)
  kolla_ops.nova.check_report:
    report: "{{ verify_result.report | default([]) }}"
    name: verify
    dest: "{{ playbook_dir }}/reports"
    run_error: "{{ ansible_failed_result.msg | default('failed') }}"
    run_error_task: "{{ ansible_failed_task.name }}"
  delegate_to: localhost
"""

RETURN = r"""
paths:
  description: Paths of the files written.
  returned: always
  type: dict
  sample: {"json": "reports/verify.json", "junit": "reports/verify.junit.xml", "text": "reports/verify.txt",
           "prometheus": "/var/lib/node_exporter/textfile_collector/kolla_ops_nova-verify.prom"}
summary:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {"fail": 0, "warn": 1, "pass": 12, "skip": 2}
text:
  description: The readable summary, as written to the C(.txt) file.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils import report_metrics
from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    build_report,
    render_text,
    write_report,
)

_FAIL_LEVELS = {"fail": ("fail",), "warn": ("fail", "warn"), "never": ()}


def main():
    module = AnsibleModule(
        argument_spec={
            "report": {"type": "raw"},
            "name": {"type": "str", "default": "report"},
            "dest": {"type": "path", "required": True},
            "basename": {"type": "str"},
            "fail_on": {"type": "str", "choices": ["fail", "warn", "never"], "default": "never"},
            "prometheus_dir": {"type": "path"},
            "details": {"type": "dict"},
            "run_error": {"type": "str"},
            "run_error_task": {"type": "str"},
        },
        supports_check_mode=True,
    )
    where = module.params["dest"]
    try:
        report = build_report(
            *(module.params[k] for k in ("report", "name", "run_error", "run_error_task", "details"))
        )
        paths = write_report(report, where, module.params["basename"])
        if module.params["prometheus_dir"]:
            where = module.params["prometheus_dir"]
            basename = module.params["basename"] or report.get("name") or "report"
            paths["prometheus"] = report_metrics.write(report, where, basename)
    except (ValueError, TypeError) as exc:
        module.fail_json(msg="check_report: %s" % exc)
    except OSError as exc:
        module.fail_json(msg="check_report: cannot write to %s: %s" % (where, exc))
    text = render_text(report)
    result = {"changed": False, "paths": paths, "summary": report["summary"], "text": text}
    bad = [r for r in report["results"] if r["status"] in _FAIL_LEVELS[module.params["fail_on"]]]
    if bad:
        module.fail_json(
            msg="%d check(s) at or above '%s': %s (report: %s)"
            % (len(bad), module.params["fail_on"], ", ".join(r["check"] for r in bad), paths["text"]),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
