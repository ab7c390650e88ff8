"""Descriptive statistics of one workflow's history (the ``insights`` command).

Plain Python on purpose: ``insights`` is the sample command a new user runs first, and should not
wait for pandas or scikit-learn to import. Durations count completed runs that were a verdict
(success or failure); cancelled and skipped runs say nothing about how long the work takes.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any, Sequence

from ..model import FAILURE, MAX_DURATION_SECONDS, SUCCESS, RunRecord

TREND_DAYS = 30


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated quantile (numpy's default method) of unsorted ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def summarise(runs: Sequence[RunRecord]) -> dict[str, Any]:
    """Counts, success rate and duration figures of a set of runs."""
    verdicts = [r for r in runs if r.outcome in (SUCCESS, FAILURE)]
    durations = [r.duration_seconds for r in verdicts if r.duration_seconds <= MAX_DURATION_SECONDS]
    queues = [q for r in runs if (q := r.queue_seconds) is not None]
    successes = sum(r.outcome == SUCCESS for r in verdicts)
    return {
        "executions": len(runs),
        "verdicts": len(verdicts),
        "success_rate": _rounded(successes / len(verdicts), 4) if verdicts else None,
        "duration_seconds": {
            "mean": _rounded(sum(durations) / len(durations)) if durations else None,
            "median": _rounded(quantile(durations, 0.5)),
            "p90": _rounded(quantile(durations, 0.9)),
            "p95": _rounded(quantile(durations, 0.95)),
        },
        "queue_seconds": {"median": _rounded(quantile(queues, 0.5)), "p90": _rounded(quantile(queues, 0.9)),
                          "runs_with_start_time": len(queues)},
    }


def insights(runs: Sequence[RunRecord]) -> dict[str, Any]:
    """Everything ``insights`` reports for one workflow's runs."""
    if not runs:
        return {"total_executions": 0}
    overall = summarise(runs)
    hours = Counter(r.created_at.hour for r in runs)
    hour, hour_count = min(hours.items(), key=lambda item: (-item[1], item[0]))
    window_end = max(r.created_at for r in runs)
    window_start = window_end - timedelta(days=TREND_DAYS)
    recent = [r for r in runs if r.created_at > window_start]
    before = [r for r in runs if r.created_at <= window_start]
    by_event: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs:
        by_event[run.event or "unknown"].append(run)
    outcomes = Counter(r.outcome for r in runs)
    return {
        "total_executions": overall["executions"],
        "success_rate": overall["success_rate"],
        # The design document's name for the mean duration (seconds) of runs that were a verdict.
        "average_duration": overall["duration_seconds"]["mean"],
        "outcomes": dict(sorted(outcomes.items())),
        "duration_seconds": overall["duration_seconds"],
        "queue_seconds": overall["queue_seconds"],
        "most_common_hour_utc": hour,
        "most_common_hour_share": round(hour_count / len(runs), 4),
        "first_run": runs[0].created_at.isoformat(),
        "last_run": runs[-1].created_at.isoformat(),
        "trend": _trend(summarise(recent), summarise(before), window_start, window_end),
        "by_event": {event: summarise(group) for event, group in sorted(by_event.items())},
    }


def _trend(recent: dict[str, Any], before: dict[str, Any], start: Any, end: Any) -> dict[str, Any]:
    """The last 30 days of history (ending at the latest run) against everything before."""
    def change(a: float | None, b: float | None) -> float | None:
        return None if a is None or b in (None, 0) else round((a - b) / b, 4)

    recent_median = recent["duration_seconds"]["median"]
    before_median = before["duration_seconds"]["median"]
    return {
        "window": f"{TREND_DAYS} days up to the latest run",
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "recent": recent,
        "before": before,
        "median_duration_change": change(recent_median, before_median),
        "success_rate_change": (None if recent["success_rate"] is None or before["success_rate"] is None
                                else round(recent["success_rate"] - before["success_rate"], 4)),
    }
