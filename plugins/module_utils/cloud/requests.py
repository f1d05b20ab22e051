# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counting the HTTP requests a run makes, in one place.

A run proves how its cost grows with the size of the cloud by the number of requests it
made (``api_requests`` in the results).  The counter wraps the keystoneauth session of
the connection once; a second :meth:`RequestCounter.for_session` on the same session returns
the same counter, so a module and its cloud reader never count a request twice.
"""

from __future__ import annotations

import collections
import functools
from typing import Any

OTHER = "other (auth, version discovery, next pages)"


class RequestCounter:
    """Counts keystoneauth session requests (by service, from the URL's endpoint)."""

    def __init__(self, session: Any) -> None:
        self.total = 0
        self.by_service: collections.Counter[str] = collections.Counter()
        self._session = session
        self._original = session.request

        @functools.wraps(self._original)
        def counting_request(url, method, *args, **kwargs):
            self.total += 1
            filt = kwargs.get("endpoint_filter") or {}
            service = filt.get("service_type") or OTHER
            self.by_service[service] += 1
            return self._original(url, method, *args, **kwargs)

        counting_request.kolla_ops_counter = self
        session.request = counting_request

    @classmethod
    def for_session(cls, session: Any) -> RequestCounter:
        """The counter of ``session``: the one already installed, else a new one."""
        existing = getattr(session.request, "kolla_ops_counter", None)
        return existing if isinstance(existing, cls) else cls(session)

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "by_service": dict(sorted(self.by_service.items()))}
