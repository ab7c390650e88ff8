"""Score candidate slots: what a scheduled run is expected to cost at each minute of the week.

The week is a grid of 10,080 UTC minutes (Monday 00:00 = 0). For one workflow every cell gets

    cost = failure  × P(failure | hour, weekday)          hour odds learned within workflows
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
from ..model import RunRecord

__all__ = [
    "Weights",
    "WEEK_MINUTES",
    "minute_of_week",
    "circular_smooth",
    "run_occupancy",
    "window_occupancy",
    "BusyOccupancy",
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
    ``min_improvement`` is the cost a move must save to be proposed rather than "keep", and
    ``hour_move`` what a move to another hour must save on top (the team's cost of a job running
    at a different time of day: 0.1 is one failed run fewer in ten);
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
    hour_move: float = 0.1
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


class BusyOccupancy:
    """The repository's busy hours (push / pull_request runs active per minute of the week),
    with week-block bootstrap resamples of the same runs (for confidence)."""

    def __init__(self, runs: Sequence[RunRecord], max_minutes: float = 360.0) -> None:
        self.runs = len(runs)
        self.occupancy, self.weeks = run_occupancy(runs, max_minutes)
        self._starts = np.array([minute_of_week(r.started_at) for r in runs], dtype=int)
        self._lengths = np.floor([min(max(r.duration_seconds / 60.0, 1.0), max_minutes) for r in runs])
        self._blocks = week_blocks([r.created_at for r in runs])

    def resampled(self, rng: np.random.Generator) -> np.ndarray:
        pick = block_resample(self._blocks, rng)
        if not len(pick):
            return self.occupancy
        return window_occupancy(self._starts[pick], self._lengths[pick], np.ones(len(pick)), self.weeks)


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
