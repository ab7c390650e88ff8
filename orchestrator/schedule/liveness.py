"""Liveness: is a schedule actually firing, how late, and is it about to be switched off?

GitHub drops schedule events under load and disables scheduled workflows in public repositories
after 60 days without repository activity; neither is announced, so we infer both from history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence

import numpy as np

from ..learn.delay import TickObservation
from ..model import format_time
from .cron import Cron

__all__ = ["liveness", "GITHUB_INACTIVITY_DAYS"]

#: GitHub disables schedules in public repositories after this many days without activity.
GITHUB_INACTIVITY_DAYS = 60


def liveness(
    crons: Sequence[Cron],
    observations: Sequence[TickObservation],
    scheduled_runs: Sequence[datetime],
    last_activity: datetime | None,
    history_start: datetime | None,
    now: datetime,
    stale_intervals: float = 2.0,
    inactivity_warning_days: int = 50,
    drop_warning_rate: float = 0.05,
) -> dict[str, Any]:
    """Drops, delays and staleness of one workflow's schedule, with warnings a person can act on.

    ``observations`` are its matched ticks (see :func:`orchestrator.learn.delay.match_ticks`),
    ``scheduled_runs`` the ``created_at`` of its ``schedule`` runs, ``last_activity`` the newest
    non-scheduled run in the repository (a proxy for commits), ``history_start`` the oldest run.
    """
    interval = max((c.min_gap_minutes for c in crons), default=0)
    longest_gap = _longest_gap_minutes(crons, now)
    delays = np.array([o.delay_seconds for o in observations if not o.dropped], dtype=float)
    dropped = sum(1 for o in observations if o.dropped)
    warnings: list[str] = []
    out: dict[str, Any] = {
        "scheduled_runs": len(scheduled_runs),
        "ticks_observed": len(observations),
        "dropped_ticks": dropped,
        "drop_rate": round(dropped / len(observations), 4) if observations else None,
        "delay_seconds": None,
        "unmatched_runs": max(0, len(scheduled_runs) - len(delays)),
        "last_scheduled_run": format_time(max(scheduled_runs)) if scheduled_runs else None,
        "expected_interval_minutes": interval,
        "warnings": warnings,
    }
    if len(delays):
        out["delay_seconds"] = {
            "median": round(float(np.median(delays)), 1),
            "p90": round(float(np.quantile(delays, 0.9)), 1),
            "max": round(float(delays.max()), 1),
        }
    if observations and dropped / len(observations) >= drop_warning_rate:
        warnings.append(f"{dropped} of {len(observations)} scheduled ticks had no run ({dropped / len(observations):.0%})")
    if scheduled_runs and out["unmatched_runs"] > len(delays):
        warnings.append(
            f"{out['unmatched_runs']} of {len(scheduled_runs)} scheduled runs match no tick of the current cron: "
            "the cron probably changed, so delays and drops describe only part of the history"
        )
    if scheduled_runs:
        age_minutes = (now - max(scheduled_runs)).total_seconds() / 60
        if age_minutes > stale_intervals * longest_gap:
            warnings.append(
                f"Last scheduled run was {_span(age_minutes)} ago, but the cron fires at least every {_span(longest_gap)}: "
                "the schedule may be disabled or failing to trigger"
            )
    elif history_start is not None and (now - history_start).total_seconds() / 60 > stale_intervals * longest_gap:
        warnings.append(f"No scheduled run recorded in {_span((now - history_start).total_seconds() / 60)} of history")
    if last_activity is not None:
        idle_days = (now - last_activity).total_seconds() / 86400
        if idle_days >= inactivity_warning_days:
            warnings.append(
                f"No repository activity for {idle_days:.0f} days: GitHub disables schedules in public repositories "
                f"after {GITHUB_INACTIVITY_DAYS} days without activity"
            )
    return out


def _longest_gap_minutes(crons: Sequence[Cron], now: datetime) -> float:
    """Longest wait between consecutive ticks over the past week (year if any entry is not weekly)."""
    days = 8 if all(c.weekly_periodic for c in crons) else 366
    ticks = sorted({t for cron in crons for t in cron.ticks(now - timedelta(days=days), now)})
    if len(ticks) < 2:
        return 366 * 1440.0
    return max((b - a).total_seconds() / 60 for a, b in zip(ticks, ticks[1:]))


def _span(minutes: float) -> str:
    if minutes >= 2 * 1440:
        return f"{minutes / 1440:.0f} days"
    if minutes >= 120:
        return f"{minutes / 60:.0f} hours"
    return f"{minutes:.0f} min"
