# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time as the collection reads it: one parser for API, SQL and ISO 8601 timestamps, one now."""

from __future__ import annotations

import datetime
from typing import Any

_EMPTY = (None, "", "NULL", "None")


def parse_time(value: Any, aware: bool = False) -> datetime.datetime | None:
    """A UTC datetime from an ISO 8601 string (``Z``, an offset, microseconds or none), a
    ``YYYY-MM-DD HH:MM:SS`` SQL value or a datetime; None for empty or unreadable values.

    Naive values are taken as UTC. ``aware=False`` returns a naive UTC datetime (what Nova's
    DB rows hold), ``aware=True`` one with ``tzinfo=UTC``.
    """
    if value in _EMPTY or (not isinstance(value, datetime.datetime) and not str(value).strip()):
        return None
    if isinstance(value, datetime.datetime):
        dt = value
    else:
        text = str(value).strip().replace(" ", "T", 1)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.UTC)
    if aware:
        return dt if dt.tzinfo is not None else dt.replace(tzinfo=datetime.UTC)
    return dt.replace(tzinfo=None)


def utcnow(aware: bool = False) -> datetime.datetime:
    """Now in UTC: naive by default (to compare with :func:`parse_time`), aware on request."""
    now = datetime.datetime.now(datetime.UTC)
    return now if aware else now.replace(tzinfo=None)
