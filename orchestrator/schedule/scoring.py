"""Score candidate slots: what a scheduled run is expected to cost at each minute of the week.

The week is a grid of 10,080 UTC minutes (Monday 00:00 = 0). For one workflow every cell gets

    cost = failure  × P(failure | hour, weekday)          pooled across the repository
         + drop     × P(GitHub drops the tick | minute, hour)
         + delay    × expected start delay in hours
         + duration × (predicted p50 duration at that hour / its median over hours − 1)
         + overlap  × average number of other runs active during the run's p90 window
         + round_minute × roundness of the minute (1 at :00, ½ at :15/:30/:45, ¼ at other ×5,
                          halving each minute after :00)

and a candidate cron's cost is the mean over its ticks. The weights are :class:`Weights`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ValidationError
from ..learn.delay import block_resample, week_blocks
from ..model import FAILURE, SUCCESS, RunRecord

__all__ = [
    "Weights",
    "FailureModel",
    "WEEK_MINUTES",
    "minute_of_week",
    "circular_smooth",
    "run_occupancy",
    "window_occupancy",
    "cost_table",
]

WEEK_MINUTES = 7 * 1440
#: Events that compete with scheduled runs for runners and concurrency groups.
BUSY_EVENTS = frozenset({"push", "pull_request", "pull_request_target", "merge_group"})


@dataclass(frozen=True)
class Weights:
    """Documented, configurable weights of the slot cost (see docs/schedule.md).

    The unit is "one failed run": ``failure`` and ``drop`` weigh a probability, ``delay`` an
    hour of delay, ``overlap`` one other run competing for the whole window, ``duration`` a
    doubling of the run time, ``round_minute`` the top of the hour beyond what delays show.
    ``min_improvement`` is the cost a move must save to be proposed rather than "keep";
    ``prior_strength`` the pseudo-observations a thin hour or minute is shrunk with;
    ``cold_start_runs`` the completed runs in the repository below which the hash picks the slot.
    """

    failure: float = 1.0
    drop: float = 1.0
    delay: float = 0.5
    duration: float = 0.2
    overlap: float = 0.05
    round_minute: float = 0.03
    min_improvement: float = 0.005
    prior_strength: float = 20.0
    cold_start_runs: int = 50

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise ValidationError(f"weights.{item.name}", value, "a finite number ≥ 0")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "Weights":
        """Build from user input (a JSON object); unknown names are refused by name."""
        if not data:
            return cls()
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError("weights", unknown, f"only {', '.join(sorted(known))}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def minute_of_week(when: datetime) -> int:
    """UTC minute of the week, Monday 00:00 = 0."""
    return when.weekday() * 1440 + when.hour * 60 + when.minute


def roundness(minutes: np.ndarray) -> np.ndarray:
    """The prior against busy minutes: 1 at :00, ½ at :15/:30/:45, ¼ at other multiples of 5,
    and a tail halving each minute after the top of the hour, whose backlog spills over."""
    m = np.asarray(minutes) % 60
    round_class = np.where(m == 0, 1.0, np.where(m % 15 == 0, 0.5, np.where(m % 5 == 0, 0.25, 0.0)))
    return np.maximum(round_class, 0.5 ** m.astype(float))


class FailureModel:
    """Failure probability by hour of day and weekday, pooled across one repository's workflows.

    A multiplicative model ``P = base[workflow, event] × hour[h] × weekday[d]`` fitted by iterative
    proportional fitting: standardising by the workflow-and-event base rate stops a flaky
    workflow, or pull requests failing more than pushes, from painting its hours red. Hours and
    weekdays are shrunk towards 1 with ``prior_strength`` pseudo-runs; each workflow's own hour
    curve is then shrunk towards the pooled one. The level used for predictions is the
    workflow's recency-weighted failure rate (``half_life_days``), because failures come in
    blocks that last months.
    """

    def __init__(
        self,
        prior_strength: float = 20.0,
        half_life_days: float = 30.0,
        level_prior_runs: float = 2.0,
        neighbour_weight: float = 0.5,
        iterations: int = 5,
    ) -> None:
        self.prior_strength = prior_strength
        self.neighbour_weight = neighbour_weight
        self.half_life_days = half_life_days
        self.level_prior_runs = level_prior_runs
        self.iterations = iterations

    def fit(self, runs: Sequence[RunRecord], now: datetime) -> "FailureModel":
        judged = [r for r in runs if r.outcome in (SUCCESS, FAILURE)]
        self.workflows_ = sorted({r.workflow_key for r in judged})
        groups = sorted({(r.workflow_key, r.event or "") for r in judged})
        group_index = {g: i for i, g in enumerate(groups)}
        wf_index = {w: i for i, w in enumerate(self.workflows_)}
        self._groups = np.array([group_index[(r.workflow_key, r.event or "")] for r in judged], dtype=int)
        self._wf = np.array([wf_index[r.workflow_key] for r in judged], dtype=int)
        self._hours = np.array([r.created_at.hour for r in judged], dtype=int)
        self._days = np.array([r.created_at.weekday() for r in judged], dtype=int)
        self._failed = np.array([r.outcome == FAILURE for r in judged], dtype=float)
        age_days = np.array([(now - r.created_at).total_seconds() / 86400 for r in judged], dtype=float)
        self._recency = 0.5 ** (np.clip(age_days, 0, None) / self.half_life_days)
        self._blocks = week_blocks([r.created_at for r in judged])
        self._n_groups = len(groups)
        self._fit_arrays(np.arange(len(judged)))
        return self

    def _fit_arrays(self, pick: np.ndarray) -> None:
        k = self.prior_strength
        g, h, d, y, wf = self._groups[pick], self._hours[pick], self._days[pick], self._failed[pick], self._wf[pick]
        self.n_runs_ = len(pick)
        overall = y.mean() if len(y) else 0.0
        self.overall_failure_rate_ = float(overall)
        hour, day = np.ones(24), np.ones(7)
        base = np.full(self._n_groups, overall)
        group_failures = np.bincount(g, weights=y, minlength=self._n_groups)
        for _ in range(self.iterations):
            exposure = np.bincount(g, weights=hour[h] * day[d], minlength=self._n_groups)
            base = (group_failures + k * overall) / (exposure + k)
            hour = self._factor(h, y, base[g] * day[d], 24, smooth=True)
            day = self._factor(d, y, base[g] * hour[h], 7, smooth=False)
        self.hour_factor_, self.weekday_factor_ = hour, day
        expected = base[g] * hour[h] * day[d]
        n_wf = len(self.workflows_)
        observed = np.bincount(wf * 24 + h, weights=y, minlength=n_wf * 24).reshape(n_wf, 24)
        predicted = np.bincount(wf * 24 + h, weights=expected, minlength=n_wf * 24).reshape(n_wf, 24)
        observed = circular_smooth(observed, self.neighbour_weight)
        predicted = circular_smooth(predicted, self.neighbour_weight)
        pseudo = k * max(overall, 1e-9)
        self.workflow_hour_factor_ = hour[None, :] * (observed + pseudo) / (predicted + pseudo)
        recency = self._recency[pick]
        wf_fail = np.bincount(wf, weights=y * recency, minlength=n_wf)
        wf_weight = np.bincount(wf, weights=recency, minlength=n_wf)
        adjust = np.bincount(wf, weights=recency * hour[h] * day[d], minlength=n_wf)
        # Recent failure level, freed of the hours the workflow happened to run at.
        prior_runs = self.level_prior_runs
        self.workflow_level_ = (wf_fail + prior_runs * overall) / (adjust + prior_runs)
        self.workflow_runs_ = wf_weight
        self.hour_runs_ = np.bincount(h, minlength=24)
        self.hour_failures_ = np.bincount(h, weights=y, minlength=24)

    def _factor(self, index: np.ndarray, failed: np.ndarray, expected: np.ndarray, size: int, smooth: bool) -> np.ndarray:
        """Observed / expected failures per hour (or weekday), shrunk to 1; hours also borrow
        from their neighbours, because what makes an hour fail (a nightly outage, daytime load)
        rarely stops at the hour's edge."""
        observed = np.bincount(index, weights=failed, minlength=size)
        predicted = np.bincount(index, weights=expected, minlength=size)
        if smooth:
            observed, predicted = (
                circular_smooth(observed, self.neighbour_weight),
                circular_smooth(predicted, self.neighbour_weight),
            )
        pseudo = self.prior_strength * max(self.overall_failure_rate_, 1e-9)
        if smooth:
            self._hour_posterior = (observed + pseudo, predicted + pseudo)
        return (observed + pseudo) / (predicted + pseudo)

    def resampled(self, rng: np.random.Generator) -> "FailureModel":
        """A copy fitted on a week-block bootstrap resample of the same runs, with hour factors
        drawn from their posterior (for confidence)."""
        clone = FailureModel(
            self.prior_strength, self.half_life_days, self.level_prior_runs, self.neighbour_weight, self.iterations
        )
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k.startswith("_") or k == "workflows_"})
        clone._fit_arrays(block_resample(self._blocks, rng))
        # Resampling cannot show what 26 runs without a failure might hide: draw each hour's
        # factor from its Gamma posterior too, so thin hours carry their uncertainty.
        shape, rate = clone._hour_posterior
        drawn = rng.gamma(shape, 1.0 / rate)
        clone.workflow_hour_factor_ = clone.workflow_hour_factor_ * (drawn / clone.hour_factor_)[None, :]
        clone.hour_factor_ = drawn
        return clone

    def grid(self, workflow_key: str) -> np.ndarray:
        """Failure probability for every UTC minute of the week (hour × weekday resolution)."""
        if workflow_key in self.workflows_:
            i = self.workflows_.index(workflow_key)
            level, hour = self.workflow_level_[i], self.workflow_hour_factor_[i]
        else:
            level, hour = self.overall_failure_rate_, self.hour_factor_
        per_hour = np.clip(level * hour[None, :] * self.weekday_factor_[:, None], 0.0, 1.0)
        return np.repeat(per_hour.reshape(-1), 60)

    def hour_stats(self) -> list[dict[str, Any]]:
        """Observed success rate per UTC hour across the repository's runs (for charts, reasoning)."""
        return [
            {
                "hour": h,
                "runs": int(self.hour_runs_[h]),
                "success_rate": round(1 - self.hour_failures_[h] / self.hour_runs_[h], 4) if self.hour_runs_[h] else None,
                "failure_factor": round(float(self.hour_factor_[h]), 3),
            }
            for h in range(24)
        ]


def circular_smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Add ``weight`` × the neighbours one step away and half that two steps away (wrapping,
    along the last axis)."""
    out = values.astype(float).copy()
    for distance, w in ((1, weight), (2, weight / 2)):
        out += w * (np.roll(values, distance, axis=-1) + np.roll(values, -distance, axis=-1))
    return out


def run_occupancy(runs: Sequence[RunRecord], max_minutes: float = 360.0) -> tuple[np.ndarray, float]:
    """Average number of these runs active at each UTC minute of the week, and the weeks spanned."""
    if not runs:
        return np.zeros(WEEK_MINUTES), 0.0
    first = min(r.created_at for r in runs)
    last = max(r.created_at for r in runs)
    weeks = max(1.0, (last - first).total_seconds() / (7 * 86400))
    starts = np.array([minute_of_week(r.started_at) for r in runs])
    lengths = np.array([min(max(r.duration_seconds / 60.0, 1.0), max_minutes) for r in runs])
    return window_occupancy(starts, np.floor(lengths), np.ones(len(runs)), weeks), weeks


def window_occupancy(starts: np.ndarray, lengths: np.ndarray, weights: np.ndarray, weeks: float) -> np.ndarray:
    """Expected active runs per UTC minute of the week for windows ``[start, start+length)``,
    summed over ``weeks`` of ticks and divided by them (circular: a window may wrap past Sunday)."""
    begin = np.asarray(starts, dtype=float).astype(int) % WEEK_MINUTES
    end = begin + np.clip(np.rint(lengths).astype(int), 1, WEEK_MINUTES)
    weight = np.asarray(weights, dtype=float)
    wraps = end > WEEK_MINUTES
    diff = np.zeros(WEEK_MINUTES + 1)
    np.add.at(diff, begin, weight)
    np.add.at(diff, np.where(wraps, WEEK_MINUTES, end), -weight)
    np.add.at(diff, np.zeros(int(wraps.sum()), dtype=int), weight[wraps])
    np.add.at(diff, end[wraps] - WEEK_MINUTES, -weight[wraps])
    return np.cumsum(diff)[:-1] / max(weeks, 1e-9)


def window_average(occupancy: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Mean of a circular weekly ``occupancy`` over windows (vectorised via a prefix sum)."""
    prefix = np.concatenate([[0.0], np.cumsum(np.concatenate([occupancy, occupancy]))])
    s = np.asarray(starts, dtype=int) % WEEK_MINUTES
    n = np.clip(np.rint(lengths).astype(int), 1, WEEK_MINUTES)
    return (prefix[s + n] - prefix[s]) / n


def cost_table(
    weights: Weights,
    failure: np.ndarray,
    delay_seconds: np.ndarray,
    drop: np.ndarray,
    p50_by_hour: np.ndarray,
    p90_by_hour: np.ndarray,
    others: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every cost term for every UTC minute of the week, and their weighted sum under ``"total"``.

    ``failure``, ``delay_seconds`` and ``drop`` are per-minute-of-week arrays; durations are per
    UTC hour (seconds); ``others`` is the occupancy of every other run the slot competes with.
    """
    cells = np.arange(WEEK_MINUTES)
    hours = (cells // 60) % 24
    reference = float(np.median(p50_by_hour))
    starts = cells + delay_seconds / 60.0
    lengths = np.maximum(p90_by_hour[hours] / 60.0, 1.0)
    terms = {
        "failure": failure,
        "drop": drop,
        "delay": delay_seconds / 3600.0,
        "duration": p50_by_hour[hours] / reference - 1.0 if reference > 0 else np.zeros(WEEK_MINUTES),
        "overlap": window_average(others, np.rint(starts), lengths),
        "round_minute": roundness(cells % 60),
    }
    total = sum(getattr(weights, name) * value for name, value in terms.items())
    return {**terms, "total": total}
