# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One finding while it is being counted: a rule on a host and service."""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import mask

SAMPLE_CHARS = 600


def truncate(text: str, limit: int = SAMPLE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


class Incident:
    __slots__ = (
        "count",
        "files",
        "first_seen",
        "host",
        "last_seen",
        "request_ids",
        "rule",
        "samples",
        "service",
    )

    def __init__(self, rule, host, service):
        self.rule = rule
        self.host = host
        self.service = service
        self.count = 0
        self.first_seen = None
        self.last_seen = None
        self.samples = []
        self.request_ids = []
        self.files = []

    def add(self, ts, line, req_ids, path, max_samples, max_req):
        self.count += 1
        if ts:
            if self.first_seen is None or ts < self.first_seen:
                self.first_seen = ts
            if self.last_seen is None or ts > self.last_seen:
                self.last_seen = ts
        if len(self.samples) < max_samples:
            self.samples.append(mask(truncate(line)))
        for rid in req_ids:
            if rid not in self.request_ids and len(self.request_ids) < max_req:
                self.request_ids.append(rid)
        if path not in self.files and len(self.files) < 10:
            self.files.append(path)

    def as_dict(self):
        return {
            "rule": self.rule.id,
            "title": self.rule.title,
            "category": self.rule.category,
            "severity": self.rule.severity,
            "priority": self.rule.priority,
            "host": self.host,
            "service": self.service,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "samples": self.samples,
            "request_ids": self.request_ids,
            "files": self.files,
        }
