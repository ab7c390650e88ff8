"""GitHub's search date syntax for the ``created`` filter, and the run-listing filters.

``created`` accepts ``DATE``, ``>DATE``, ``>=DATE``, ``<DATE``, ``<=DATE``, ``A..B`` with ``*`` for an
open end. A ``DATE`` is ``YYYY-MM-DD`` (the whole UTC day) or a full ISO time with a zone. A value
that does not parse is answered with 422 ``Invalid created`` — so a client sending a malformed
filter fails loudly here rather than silently listing everything.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILTERS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")
STATUSES = {"queued", "in_progress", "completed", "requested", "waiting", "pending"}


class BadQuery(ValueError):
    """A filter GitHub would refuse with 422."""


def _bounds(text: str) -> tuple[datetime, datetime]:
    """The first and last instant a date or time denotes (a day spans 24 h, a time one second)."""
    text = text.strip()
    if _DAY.match(text):
        start = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
        return start, start + timedelta(days=1) - timedelta(microseconds=1)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise BadQuery(text) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value, value + timedelta(seconds=1) - timedelta(microseconds=1)


def created_bounds(expr: str) -> tuple[datetime | None, datetime | None]:
    """The inclusive ``(first, last)`` creation instants a ``created`` filter admits (``None``: open)."""
    expr = expr.strip()
    lo: datetime | None = None
    hi: datetime | None = None
    if ".." in expr:
        left, right = expr.split("..", 1)
        if left.strip() != "*":
            lo = _bounds(left)[0]
        if right.strip() != "*":
            hi = _bounds(right)[1]
    elif expr.startswith(">="):
        lo = _bounds(expr[2:])[0]
    elif expr.startswith(">"):
        lo = _bounds(expr[1:])[1] + timedelta(microseconds=1)
    elif expr.startswith("<="):
        hi = _bounds(expr[2:])[1]
    elif expr.startswith("<"):
        hi = _bounds(expr[1:])[0] - timedelta(microseconds=1)
    else:
        lo, hi = _bounds(expr)
    return lo, hi


def run_filter(params: Mapping[str, str]) -> Callable[[Mapping[str, Any]], bool] | None:
    """A predicate over run JSON for the filters other than ``created`` (``None``: there are none)."""
    status = params.get("status")
    if not any(name in params for name in FILTERS if name != "created"):
        return None

    def keep(run: Mapping[str, Any]) -> bool:
        if status is not None:
            if status in STATUSES:
                if run["status"] != status:
                    return False
            elif run["conclusion"] != status:
                return False
        if "event" in params and run["event"] != params["event"]:
            return False
        if "branch" in params and run["head_branch"] != params["branch"]:
            return False
        if "actor" in params and run["actor"]["login"] != params["actor"]:
            return False
        if "head_sha" in params and run["head_sha"] != params["head_sha"]:
            return False
        return True

    return keep
