"""Where a cron's runs land on the UTC week, for the current schedule and every rotation of it.

Scoring thousands of rotations must not call croniter thousands of times: a cron's local ticks
over a horizon are listed once, and a rotation ``(dh, dm)`` only rotates their hour and minute
(day fields never change), so its UTC minutes of the week are array arithmetic. The offset of a
zone is taken at local noon of each date; a tick on the night of a DST switch may be placed an
hour off, which scoring tolerates (the emitted cron is still exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

import numpy as np

from ..model import SUCCESS, RunRecord
from .cron import Cron
from .scoring import WEEK_MINUTES, circular_smooth
from .workflows import DEFAULT_TIMEOUT_MINUTES

__all__ = ["Horizon", "horizon_for", "DurationShape", "duration_by_hour"]

#: Days scored ahead: four weeks see every weekday four times; a monthly cron needs a year.
WEEKLY_HORIZON_DAYS = 28
YEARLY_HORIZON_DAYS = 365
#: A run reported as longer than GitHub's job limit was touched again later (a re-run, an edited
#: check run): its ``updated_at`` no longer measures the work.
MAX_CREDIBLE_SECONDS = DEFAULT_TIMEOUT_MINUTES * 60


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


class DurationShape:
    """How much longer than usual runs take at each UTC hour, pooled across a repository.

    Each successful run's duration is divided by its workflow's median; the log ratios are
    averaged per hour (borrowing from neighbouring hours, shrunk towards 0 with
    ``prior_strength`` pseudo-runs). Pooling matters because contention with push and pull
    request traffic slows every workflow at the same hours, while one scheduled workflow has
    seen only a few hours itself. A workflow's own hours then deviate from the pooled shape as
    far as its own runs show.
    """

    def __init__(self, prior_strength: float = 20.0, neighbour_weight: float = 0.5) -> None:
        self.prior_strength = prior_strength
        self.neighbour_weight = neighbour_weight

    def fit(self, runs: Sequence[RunRecord]) -> "DurationShape":
        good = [r for r in runs if r.outcome == SUCCESS and 0 < r.duration_seconds <= MAX_CREDIBLE_SECONDS]
        by_workflow: dict[str, list[float]] = {}
        for run in good:
            by_workflow.setdefault(run.workflow_key, []).append(run.duration_seconds)
        self.medians_ = {key: float(np.median(values)) for key, values in by_workflow.items()}
        self._runs = {key: [r for r in good if r.workflow_key == key] for key in by_workflow}
        hours = np.array([r.started_at.hour for r in good], dtype=int)
        ratios = np.array([np.log(r.duration_seconds / self.medians_[r.workflow_key]) for r in good], dtype=float)
        self.log_factor_ = self._shrunk(hours, ratios)
        return self

    def _shrunk(self, hours: np.ndarray, values: np.ndarray) -> np.ndarray:
        sums = circular_smooth(np.bincount(hours, weights=values, minlength=24), self.neighbour_weight)
        counts = circular_smooth(np.bincount(hours, minlength=24).astype(float), self.neighbour_weight)
        return sums / (counts + self.prior_strength)

    def factor(self, workflow_key: str) -> np.ndarray:
        """Duration multiplier per UTC hour for one workflow (its median = the typical hour)."""
        runs = self._runs.get(workflow_key, [])
        if not runs:
            return np.exp(self.log_factor_)
        hours = np.array([r.started_at.hour for r in runs], dtype=int)
        median = self.medians_[workflow_key]
        own = np.array([np.log(r.duration_seconds / median) for r in runs]) - self.log_factor_[hours]
        return np.exp(self.log_factor_ + self._shrunk(hours, own))


def duration_by_hour(
    workflow_key: str, runs: Sequence[RunRecord], shape: DurationShape, model_level: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Predicted p50 and p90 run duration (seconds) for a run started at each UTC hour.

    The level is ``model_level`` (the learning stage's p50 and p90) when given, else the
    workflow's successful runs; the hour-of-day shape always comes from ``shape``, pooled across
    the repository. Returns the arrays and where the level came from.
    """
    factor = shape.factor(workflow_key)
    factor = factor / np.median(factor)
    if model_level is not None:
        p50, p90 = model_level
        source = "the learning model (level) and the repository's hours (shape)"
    else:
        credible = [r for r in runs if 0 < r.duration_seconds <= MAX_CREDIBLE_SECONDS]
        good = [r.duration_seconds for r in credible if r.outcome == SUCCESS] or [r.duration_seconds for r in credible]
        if not good:
            return np.zeros(24), np.zeros(24), "no runs"
        p50, p90 = float(np.quantile(good, 0.5)), float(np.quantile(good, 0.9))
        source = f"{len(good)} runs of this workflow (level) and the repository's hours (shape)"
    return p50 * factor, max(p90, p50) * factor, source
