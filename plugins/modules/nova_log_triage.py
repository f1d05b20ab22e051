#!/usr/bin/python
# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scan a host's Kolla Nova logs for known problem signatures."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_log_triage
short_description: Find known Nova problems in a host's Kolla logs and name cause, config options and fix
version_added: 0.1.0
description:
  - Scans the Kolla log layout on the host (C(<log_root>/nova/*.log), C(<log_root>/libvirt/*.log),
    rotated C(.1) and gzipped C(.gz) files) with the collection's triage rule library and returns
    compact findings, one per rule, host and service, with count, first and last seen, sample lines
    and request ids.
  - Each rule names a root-cause category, the config options involved and the fix. Rules with
    config assertions are checked against the service's rendered config
    (C(<config_dir>/<service>/nova.conf)) and say whether the config confirms the cause.
  - ERROR and CRITICAL records that no rule explains are counted and sampled under RV(unmatched).
  - Secrets (passwords in URLs, C(password = ...), tokens) are masked in everything returned.
  - Read-only; merge the results of all hosts with M(kolla_ops.nova.nova_triage_report).
author:
  - kolla_ops.nova developers (@kolla-ops)
options:
  log_root:
    description:
      - Kolla's log directory on the host.
    type: path
    default: /var/log/kolla
  patterns:
    description:
      - Globs relative to O(log_root) of the files to scan.
    type: list
    elements: str
    default: ['nova/*.log*', 'libvirt/*.log*']
  include_rotated:
    description:
      - Also scan rotated files (C(.1), C(.2.gz), ...).
    type: bool
    default: true
  since:
    description:
      - Only lines at or after this time, as C(YYYY-MM-DD HH:MM:SS) in the logs' time zone, or
        relative to now on the host (C(30m), C(2h), C(1d), C(1w)).
    type: str
  before:
    description:
      - Only lines at or before this time (same forms as O(since)).
    type: str
  host_name:
    description:
      - Name the findings are reported under; usually C({{ inventory_hostname }}).
      - Defaults to the host's name as the module sees it.
    type: str
  config_dir:
    description:
      - Directory with Kolla's rendered per-service configs (C(<config_dir>/<service>/nova.conf)) used
        to evaluate rule assertions. Set to an empty string to skip assertions.
    type: path
    default: /etc/kolla
  config_files:
    description:
      - INI files (globs allowed) to check against Nova's option schema, for what no log line shows
        (unknown, removed or mistyped options are ignored by Nova silently). Typically Kolla's
        override files on the deployment host (C(/etc/kolla/config/nova*.conf),
        C(/etc/kolla/config/nova/*.conf), C(/etc/kolla/config/nova/*/*.conf)) or the rendered
        C(/etc/kolla/nova-*/nova.conf) on each host.
      - Problems become findings of the rules C(config-unknown-option), C(config-invalid-value) and
        C(config-deprecated-option), with C(source=config).
    type: list
    elements: str
    default: []
  nova_release:
    description:
      - Nova major release (C(31) to C(34)), OpenStack series or Kolla-Ansible major whose option
        schema O(config_files) are checked against. Defaults to the newest shipped.
    type: str
  assertion_timeout:
    description:
      - Seconds to wait for each TCP check of assertions such as RabbitMQ hosts in C(transport_url).
    type: float
    default: 2.0
  request_ids:
    description:
      - Request ids (C(req-<uuid>)) to follow; every line of any level that carries one of them is
        returned in RV(timeline). The playbook passes the ids found on all hosts in a first pass.
    type: list
    elements: str
    default: []
  timeline_only:
    description:
      - Skip the rules and only collect the lines of O(request_ids) (the second pass of the playbook).
    type: bool
    default: false
  rules:
    description:
      - Only run these rules, given by rule id or category.
    type: list
    elements: str
    default: []
  extra_rules:
    description:
      - Additional rules (same schema as the shipped YAML files); a rule with the id of a shipped
        rule replaces it.
    type: list
    elements: dict
    default: []
  max_samples:
    description:
      - Sample lines kept per finding.
    type: int
    default: 3
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads files.
  diff_mode:
    support: none
  idempotent:
    description: Running the module again with the same input gives the same result and changes nothing.
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Triage the last day of Nova logs on every host
  kolla_ops.nova.nova_log_triage:
    since: 1d
    host_name: "{{ inventory_hostname }}"
  register: triage

- name: Only messaging and libvirt problems, logs in a non-default place
  kolla_ops.nova.nova_log_triage:
    log_root: /srv/kolla-logs
    rules: [messaging_rpc_failure, libvirt_connection]
    config_dir: ""
"""

RETURN = r"""
host:
  description: The name the findings are reported under.
  returned: always
  type: str
findings:
  description:
    - One incident per rule, host and service, most severe and most frequent first.
  returned: always
  type: list
  elements: dict
  sample:
    - rule: messaging-amqp-unreachable
      title: RabbitMQ not reachable (AMQP connection refused or lost)
      category: messaging_rpc_failure
      severity: critical
      host: compute1
      service: nova-compute
      count: 12
      first_seen: "2026-11-21 06:30:01.123"
      last_seen: "2026-11-21 06:31:10.456"
      samples: ["2026-11-21 06:30:01.123 7 ERROR oslo.messaging._drivers.impl_rabbit [-] AMQP server on ..."]
      request_ids: []
      files: [/var/log/kolla/nova/nova-compute.log]
      assertions: [{option: "[DEFAULT] transport_url", op: unreachable_hosts, holds: true}]
rules:
  description: Explanation, config options and fix of each rule that produced a finding, by rule id.
  returned: always
  type: dict
unmatched:
  description: ERROR/CRITICAL records no rule explains, per service, with samples and top messages.
  returned: always
  type: list
  elements: dict
timeline:
  description: Lines carrying the ids given in O(request_ids), in time order.
  returned: always
  type: list
  elements: dict
stats:
  description: Files and bytes scanned, candidate lines, matched and unmatched records.
  returned: always
  type: dict
errors:
  description: Files that could not be read.
  returned: always
  type: list
  elements: str
window:
  description: The time window applied, as comparable strings.
  returned: always
  type: dict
"""

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import RuleError
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.run import (
    TriageError,
    build_rules,
    triage_host,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "log_root": {"type": "path", "default": "/var/log/kolla"},
            "patterns": {"type": "list", "elements": "str", "default": ["nova/*.log*", "libvirt/*.log*"]},
            "include_rotated": {"type": "bool", "default": True},
            "since": {"type": "str"},
            "before": {"type": "str"},
            "host_name": {"type": "str"},
            "config_dir": {"type": "path", "default": "/etc/kolla"},
            "assertion_timeout": {"type": "float", "default": 2.0},
            "config_files": {"type": "list", "elements": "str", "default": []},
            "nova_release": {"type": "str"},
            "request_ids": {"type": "list", "elements": "str", "default": []},
            "timeline_only": {"type": "bool", "default": False},
            "rules": {"type": "list", "elements": "str", "default": []},
            "extra_rules": {"type": "list", "elements": "dict", "default": []},
            "max_samples": {"type": "int", "default": 3},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        rules = build_rules(extra_rules=p["extra_rules"], only_rules=p["rules"])
        result = triage_host(
            p["host_name"] or socket.gethostname(),
            log_root=p["log_root"],
            patterns=p["patterns"],
            include_rotated=p["include_rotated"],
            since=p["since"],
            until=p["before"],
            rules=rules,
            request_ids=p["request_ids"],
            config_dir=p["config_dir"] or None,
            assertion_timeout=p["assertion_timeout"],
            max_samples=p["max_samples"],
            timeline_only=p["timeline_only"],
            config_files=p["config_files"],
            nova_release=p["nova_release"],
        )
    except (RuleError, TriageError) as exc:
        module.fail_json(msg="nova_log_triage: %s" % exc)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
