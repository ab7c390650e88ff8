"""Where a cron's runs land on the UTC week, for the current schedule and every rotation of it.

Scoring thousands of rotations must not call croniter thousands of times: a cron's local ticks
over a horizon are listed once, and a rotation ``(dh, dm)`` only rotates their hour and minute
(day fields never change), so its UTC minutes of the week are array arithmetic. The offset of a
zone is taken at local noon of each date; a tick on the night of a DST switch may be placed an
hour off, which scoring tolerates (the emitted cron is still exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import numpy as np

from ..model import SUCCESS, RunRecord
from .cron import Cron
from .scoring import WEEK_MINUTES

__all__ = ["Horizon", "horizon_for", "duration_by_hour"]

#: Days scored ahead: four weeks see every weekday four times; a monthly cron needs a year.
WEEKLY_HORIZON_DAYS = 28
YEARLY_HORIZON_DAYS = 365


@dataclass(frozen=True)
class Horizon:
    """A cron's local ticks over the scoring horizon, as arrays (one entry per tick)."""

    cron: Cron
    weekday: np.ndarray  # local date's weekday, Monday = 0
    hour: np.ndarray
    minute: np.ndarray
    offset: np.ndarray  # minutes east of UTC on that local date
    weeks: float

    def minutes_of_week(self, rotations: Sequence[tuple[int, int]]) -> np.ndarray:
        """UTC minute of the week of every tick under every rotation: shape (rotations, ticks)."""
        dh = np.array([r[0] for r in rotations])[:, None]
        dm = np.array([r[1] for r in rotations])[:, None]
        local = self.weekday * 1440 + ((self.hour + dh) % 24) * 60 + (self.minute + dm) % 60
        return (local - self.offset) % WEEK_MINUTES


def horizon_for(cron: Cron, now: datetime) -> Horizon:
    """List ``cron``'s local ticks from ``now``'s local date over the horizon."""
    zone = cron.zone
    start = now.astimezone(zone).date()
    days = WEEKLY_HORIZON_DAYS if cron.weekly_periodic else YEARLY_HORIZON_DAYS
    rows: list[tuple[int, int, int, int]] = []
    for day in cron.run_dates(start, days):
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        offset = int((noon.utcoffset() or timedelta(0)).total_seconds() // 60)
        rows.extend((day.weekday(), h, m, offset) for h in cron.hours for m in cron.minutes)
    table = np.array(rows, dtype=int).reshape(-1, 4)
    return Horizon(cron, table[:, 0], table[:, 1], table[:, 2], table[:, 3], days / 7.0)


def duration_by_hour(
    workflow_key: str, runs: Sequence[RunRecord], prior_strength: float, predictor: Any = None, now: datetime | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Predicted p50 and p90 run duration (seconds) for a run started at each UTC hour.

    Uses the learning stage's predictor when one is given (a scheduled run on the coming day);
    otherwise the workflow's successful runs per hour, shrunk towards its overall quantiles with
    ``prior_strength`` pseudo-runs. Returns the arrays and which source was used.
    """
    if predictor is not None and now is not None:
        from ..learn import RunContext  # the learning stage is optional for this module

        day = datetime(now.year, now.month, now.day, tzinfo=timezone.utc) + timedelta(days=1)
        predictions = predictor.predict_runs([RunContext(workflow_key, day + timedelta(hours=h), "schedule") for h in range(24)])
        p50 = np.array([p.duration_p50_seconds for p in predictions], dtype=float)
        p90 = np.array([p.duration_p90_seconds for p in predictions], dtype=float)
        return p50, np.maximum(p90, p50), "model"
    good = [r for r in runs if r.outcome == SUCCESS] or list(runs)
    if not good:
        return np.zeros(24), np.zeros(24), "none"
    durations = np.array([r.duration_seconds for r in good], dtype=float)
    hours = np.array([r.started_at.hour for r in good], dtype=int)
    overall50, overall90 = np.quantile(durations, 0.5), np.quantile(durations, 0.9)
    p50, p90 = np.full(24, overall50), np.full(24, overall90)
    for h in np.unique(hours):
        values = durations[hours == h]
        share = len(values) / (len(values) + prior_strength)
        p50[h] = share * np.quantile(values, 0.5) + (1 - share) * overall50
        p90[h] = share * np.quantile(values, 0.9) + (1 - share) * overall90
    return p50, np.maximum(p90, p50), "history"
