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
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..learn.delay import block_resample, week_blocks
from ..model import SUCCESS, RunRecord
from .cron import Cron
from .scoring import WEEK_MINUTES, circular_smooth
from .workflows import DEFAULT_TIMEOUT_MINUTES

if TYPE_CHECKING:  # pragma: no cover - names for type hints only
    from .forecast import ModelLevel

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
    """How much longer than usual runs take at each UTC hour, compared within workflows.

    Which workflows run at which hour is not random (a slow nightly job runs at night, quick
    lint runs by day), so durations pooled across workflows would make the night look slow. The
    hour effect on log duration is therefore identified within strata of one workflow in one
    ISO week: each run's log duration minus its stratum's mean, using only strata whose runs span
    several hours (a stratum at a single hour says nothing about hours). These within-stratum
    residuals are averaged per hour across the repository (borrowing from neighbouring hours,
    shrunk towards 0 with ``prior_strength`` pseudo-runs), since contention with push and pull
    request traffic slows every workflow at the same hours. A workflow's own hours then deviate
    from the pooled shape as far as its own within-stratum residuals show. A nightly job that
    only ever runs at one hour gets the pooled shape, learned from workflows that were compared.
    """

    def __init__(self, prior_strength: float = 20.0, neighbour_weight: float = 0.5) -> None:
        self.prior_strength = prior_strength
        self.neighbour_weight = neighbour_weight

    def fit(self, runs: Sequence[RunRecord]) -> "DurationShape":
        good = [r for r in runs if r.outcome == SUCCESS and 0 < r.duration_seconds <= MAX_CREDIBLE_SECONDS]
        self.workflows_ = sorted({r.workflow_key for r in good})
        self._index = {key: i for i, key in enumerate(self.workflows_)}
        self._wf = np.array([self._index[r.workflow_key] for r in good], dtype=int)
        self._hours = np.array([r.started_at.hour for r in good], dtype=int)
        self._log = np.array([np.log(r.duration_seconds) for r in good], dtype=float)
        self._blocks = week_blocks([r.started_at for r in good])
        self._fit_arrays(np.arange(len(good)))
        return self

    def _fit_arrays(self, pick: np.ndarray) -> None:
        wf, hours, logs = self._wf[pick], self._hours[pick], self._log[pick]
        n_wf = len(self.workflows_)
        blocks = self._blocks[pick]
        low = int(blocks.min()) if len(blocks) else 0
        span = int(blocks.max()) - low + 1 if len(blocks) else 1
        # (workflow, week) as one integer, ordered as the pair is: a 1-D unique, not a 2-D one.
        _, strata = np.unique(wf * span + (blocks - low), return_inverse=True)
        strata = np.asarray(strata).reshape(-1)
        n_s = int(strata.max()) + 1 if len(strata) else 0
        s_h = np.bincount(strata * 24 + hours, minlength=n_s * 24).reshape(n_s, 24) if n_s else np.zeros((0, 24))
        mixed = ((s_h > 0).sum(axis=1) > 1)[strata] if n_s else np.zeros(0, dtype=bool)
        self.comparable_runs_ = int(mixed.sum())
        self.log_factor_ = self._shrunk(hours[mixed], self._within(strata, logs, n_s)[mixed])
        own = self._within(strata, logs - self.log_factor_[hours], n_s)
        self._own = np.zeros((n_wf, 24))
        for i in range(n_wf):
            mine = mixed & (wf == i)
            self._own[i] = self._shrunk(hours[mine], own[mine])

    @staticmethod
    def _within(strata: np.ndarray, values: np.ndarray, n_s: int) -> np.ndarray:
        """``values`` minus the mean of their stratum."""
        if not len(values):
            return values
        counts = np.bincount(strata, minlength=n_s)
        return values - (np.bincount(strata, weights=values, minlength=n_s) / np.maximum(counts, 1))[strata]

    def _shrunk(self, hours: np.ndarray, values: np.ndarray) -> np.ndarray:
        sums = circular_smooth(np.bincount(hours, weights=values, minlength=24), self.neighbour_weight)
        counts = circular_smooth(np.bincount(hours, minlength=24).astype(float), self.neighbour_weight)
        return sums / (counts + self.prior_strength)

    def resampled(self, rng: np.random.Generator) -> "DurationShape":
        """A copy fitted on a week-block bootstrap resample of the same runs (for confidence)."""
        clone = DurationShape(self.prior_strength, self.neighbour_weight)
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k.startswith("_") or k == "workflows_"})
        clone._fit_arrays(block_resample(self._blocks, rng))
        return clone

    def factor(self, workflow_key: str) -> np.ndarray:
        """Duration multiplier per UTC hour for one workflow (relative, not yet normalised)."""
        if workflow_key not in self._index:
            return np.exp(self.log_factor_)
        return np.exp(self.log_factor_ + self._own[self._index[workflow_key]])


def duration_by_hour(
    workflow_key: str, runs: Sequence[RunRecord], shape: DurationShape, level: "ModelLevel | None" = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Predicted p50 and p90 run duration (seconds) for a run started at each UTC hour.

    The level is ``level`` (the learning stage's p50 and p90 for the current slot's next tick,
    which keeps exactly those figures at that tick's hour) when given, else the workflow's
    successful runs at its median hour; the hour-of-day shape always comes from ``shape``,
    pooled across the repository. Returns the arrays and where the level came from.
    """
    factor = shape.factor(workflow_key)
    factor = factor / (np.median(factor) if level is None else factor[level.at.astimezone(timezone.utc).hour])
    if level is not None:
        p50, p90 = level.p50, level.p90
        source = "the learning model (level) and the repository's hours (shape)"
    else:
        credible = [r for r in runs if 0 < r.duration_seconds <= MAX_CREDIBLE_SECONDS]
        good = [r.duration_seconds for r in credible if r.outcome == SUCCESS] or [r.duration_seconds for r in credible]
        if not good:
            return np.zeros(24), np.zeros(24), "no runs"
        p50, p90 = float(np.quantile(good, 0.5)), float(np.quantile(good, 0.9))
        source = f"{len(good)} runs of this workflow (level) and the repository's hours (shape)"
    return p50 * factor, max(p90, p50) * factor, source
