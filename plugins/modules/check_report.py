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
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  report:
    description:
      - One report or a list of reports, each a dict with C(name) and C(results)
        (a list of dicts with C(check), C(status), C(message), C(evidence), C(fix)).
    type: raw
    required: true
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
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
paths:
  description: Paths of the files written.
  returned: always
  type: dict
  sample: {"json": "reports/verify.json", "junit": "reports/verify.junit.xml", "text": "reports/verify.txt"}
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

from ansible_collections.kolla_ops.nova.plugins.module_utils.report import (
    merge_reports,
    render_text,
    write_report,
)

_FAIL_LEVELS = {"fail": ("fail",), "warn": ("fail", "warn"), "never": ()}


def main():
    module = AnsibleModule(
        argument_spec={
            "report": {"type": "raw", "required": True},
            "name": {"type": "str", "default": "report"},
            "dest": {"type": "path", "required": True},
            "basename": {"type": "str"},
            "fail_on": {"type": "str", "choices": ["fail", "warn", "never"], "default": "never"},
        },
        supports_check_mode=True,
    )
    try:
        report = merge_reports(module.params["report"], module.params["name"])
        paths = write_report(report, module.params["dest"], module.params["basename"])
    except (ValueError, TypeError) as exc:
        module.fail_json(msg="check_report: %s" % exc)
    except OSError as exc:
        module.fail_json(msg="check_report: cannot write to %s: %s" % (module.params["dest"], exc))
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
