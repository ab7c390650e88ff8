"""Schedule delay and drop model: how late GitHub starts a scheduled run, and how often it never does.

GitHub queues ``schedule`` events and, under load (worst at the top of every hour), starts them
late or drops them. For one scheduled workflow, *delay* is ``created_at`` minus the nominal cron
tick the run belongs to, and a *drop* is a tick with no run. Both are learned by minute of the hour
and hour of the day, pooled across every scheduled workflow in the store, because one workflow
only ever shows its own minute.

Estimates are shrunk hierarchically so a thin minute borrows from the minutes just before it and
from minutes of the same class (``:00``; the four minutes after it; ``:30``; ``:15``/``:45``;
other multiples of 5; the rest), and those from the overall mean; a class with no ticks at all
borrows from the least busy busier class that has some (GitHub's documented top-of-the-hour load
makes busier minutes no better). The model follows scikit-learn's conventions: constructor
arguments are stored unchanged, learned state ends in ``_``, ``fit`` returns ``self``.

>>> from datetime import datetime, timedelta, timezone
>>> t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
>>> ticks = [t0 + timedelta(days=i) for i in range(4)]
>>> runs = [t + timedelta(minutes=12) for t in ticks[:3]]
>>> obs = match_ticks("o/r:ci.yml", ticks, runs)
>>> [o.delay_seconds for o in obs]
[720.0, 720.0, 720.0]
>>> model = ScheduleDelayModel().fit(obs)
>>> delay, drop = model.predict([0], [0])
>>> round(float(delay[0]))
720
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

import numpy as np

__all__ = ["TickObservation", "match_ticks", "ScheduleDelayModel", "minute_class", "week_blocks", "block_resample"]

_MINUTES = np.arange(60)


#: Minutes right after the top of the hour, where GitHub's :00 backlog is still draining.
TAIL_MINUTES = 4
N_CLASSES = 6


def minute_class(minute: int) -> int:
    """Busy-ness class of a minute, busiest first: 0 ``:00``; 1 the :00 backlog tail (``:01``-``:04``);
    2 ``:30``; 3 ``:15``/``:45``; 4 other multiples of 5; 5 the rest."""
    minute %= 60
    if minute == 0:
        return 0
    if minute <= TAIL_MINUTES:
        return 1
    if minute == 30:
        return 2
    if minute % 15 == 0:
        return 3
    return 4 if minute % 5 == 0 else 5


_CLASS_OF = np.array([minute_class(m) for m in range(60)])


def week_blocks(times: Sequence[datetime]) -> np.ndarray:
    """Week number of each time (weeks since the epoch): the block for a block bootstrap."""
    return np.array([int(t.timestamp() // (7 * 86400)) for t in times], dtype=int)


def block_resample(blocks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of a bootstrap resample that draws whole blocks (weeks) with replacement.

    Failures and GitHub's queue trouble come in spells that last days or months; resampling
    single runs would pretend they are independent and overstate confidence.
    """
    if not len(blocks):
        return np.array([], dtype=int)
    unique, inverse = np.unique(blocks, return_inverse=True)
    # Each block's members in increasing order, from one stable sort (a scan per block made 40
    # resamples of a 100k-run history cost seconds).
    order = np.argsort(inverse, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(unique)))[:-1])
    drawn = rng.integers(0, len(unique), len(unique))
    return np.concatenate([members[i] for i in drawn])


@dataclass(frozen=True)
class TickObservation:
    """One nominal tick of one workflow: its UTC time and the delay of its run (``None``: dropped)."""

    workflow_key: str
    tick: datetime
    delay_seconds: float | None

    @property
    def dropped(self) -> bool:
        return self.delay_seconds is None


def match_ticks(
    workflow_key: str,
    ticks: Sequence[datetime],
    created: Sequence[datetime],
    max_delay_seconds: float = 3 * 3600.0,
) -> list[TickObservation]:
    """Pair scheduled runs with the ticks they belong to.

    Each run belongs to the latest tick at or before its ``created_at``; a run later than
    ``max_delay_seconds`` after it is not counted (a stray or an old cron), and when several runs
    claim one tick the earliest wins. Ticks between the first and last matched tick that got no
    run are drops; ticks outside that span say nothing (the workflow may not have existed yet, or
    history may end there).
    """
    ordered = sorted(ticks)
    if not ordered:
        return []
    best: dict[int, float] = {}
    for when in created:
        index = bisect.bisect_right(ordered, when) - 1
        if index < 0:
            continue
        delay = (when - ordered[index]).total_seconds()
        if delay <= max_delay_seconds and delay < best.get(index, float("inf")):
            best[index] = delay
    if not best:
        return []
    first, last = min(best), max(best)
    return [TickObservation(workflow_key, ordered[i], best.get(i)) for i in range(first, last + 1)]


def _fill_unseen(values: np.ndarray, seen: np.ndarray, counts: np.ndarray, hour_factor: np.ndarray) -> None:
    """Give minutes no data speaks for (not their own, earlier neighbours' or class's) a value.

    Such a minute gets no hour-of-day pattern (see :meth:`ScheduleDelayModel.predict`) and is
    assumed to behave like the observed minutes that are no busier than it (their
    tick-weighted mean: the best of several noisy minutes would flatter the unknown); when
    only busier minutes were observed, like the best of those at their best hour (GitHub
    documents the top of the hour as its busiest time). Borrowing the top of the hour's level
    and load curve instead would make quiet hours look better for a minute that never showed
    either.
    """
    observed = counts > 0
    if not observed.any() or seen.all():
        return
    for minute in np.nonzero(~seen)[0]:
        alike = observed & (_CLASS_OF >= _CLASS_OF[minute])
        if alike.any():
            values[minute] = np.average(values[alike], weights=counts[alike])
        else:
            values[minute] = values[observed].min() * hour_factor.min()


class ScheduleDelayModel:
    """Expected delay (seconds) and drop probability by minute of hour and hour of day.

    Parameters
    ----------
    prior_strength:
        Pseudo-observations a minute (or hour) needs before its own data outweighs the pooled
        estimate it is shrunk towards.
    neighbour_weight:
        Weight of an observation one minute earlier when building a minute's prior (two minutes
        earlier counts half as much); GitHub's top-of-hour backlog spills into the next minutes.
    """

    def __init__(self, prior_strength: float = 10.0, neighbour_weight: float = 0.5) -> None:
        self.prior_strength = prior_strength
        self.neighbour_weight = neighbour_weight

    # ----- learning -------------------------------------------------------------------------
    def fit(self, observations: Sequence[TickObservation]) -> "ScheduleDelayModel":
        """Learn from matched ticks (see :func:`match_ticks`); an empty list learns "no effect"."""
        minutes = np.array([o.tick.minute for o in observations], dtype=int)
        hours = np.array([o.tick.hour for o in observations], dtype=int)
        dropped = np.array([o.dropped for o in observations], dtype=bool)
        delays = np.array([o.delay_seconds or 0.0 for o in observations], dtype=float)
        self._blocks = week_blocks([o.tick for o in observations])
        self._fit_arrays(minutes, hours, dropped, delays)
        return self

    def _fit_arrays(self, minutes: np.ndarray, hours: np.ndarray, dropped: np.ndarray, delays: np.ndarray) -> None:
        ran = ~dropped
        self.n_ticks_ = len(minutes)
        self.n_runs_ = int(ran.sum())
        self.minute_delay_, self.minute_runs_, seen_delay = self._by_minute(minutes[ran], delays[ran])
        self.minute_drop_, self.minute_ticks_, seen_drop = self._by_minute(minutes, dropped.astype(float))
        self.hour_delay_factor_ = self._hour_factor(hours[ran], delays[ran], self.minute_delay_[minutes[ran]])
        self.hour_drop_factor_ = self._hour_factor(hours, dropped.astype(float), self.minute_drop_[minutes])
        self.minute_seen_ = seen_delay | seen_drop
        for values, seen, observed, factor in (
            (self.minute_delay_, seen_delay, self.minute_runs_, self.hour_delay_factor_),
            (self.minute_drop_, seen_drop, self.minute_ticks_, self.hour_drop_factor_),
        ):
            _fill_unseen(values, seen, observed, factor)
        self.median_delay_by_minute_ = [
            float(np.median(delays[ran & (minutes == m)])) if (ran & (minutes == m)).any() else None for m in range(60)
        ]
        self.drop_rate_by_minute_ = [
            float(dropped[minutes == m].mean()) if (minutes == m).any() else None for m in range(60)
        ]
        self._observed = (minutes, hours, dropped, delays)

    def _by_minute(self, minutes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-minute means shrunk towards earlier neighbours, then the minute's class, then the overall mean;
        also the counts and which minutes any data speaks for."""
        k = self.prior_strength
        counts = np.bincount(minutes, minlength=60).astype(float)
        sums = np.bincount(minutes, weights=values, minlength=60)
        overall = sums.sum() / counts.sum() if counts.sum() else 0.0
        class_counts = np.bincount(_CLASS_OF, weights=counts, minlength=N_CLASSES)
        class_sums = np.bincount(_CLASS_OF, weights=sums, minlength=N_CLASSES)
        class_mean = (class_sums + k * overall) / (class_counts + k)
        # GitHub queues the top of the hour hardest: a class never observed is assumed no worse
        # than the least busy busier class that was, rather than as bad as the average tick.
        for cls in range(N_CLASSES):
            busier = [class_mean[c] for c in range(cls) if class_counts[c] > 0]
            if class_counts[cls] == 0 and busier:
                class_mean[cls] = min(busier)
        near_counts = np.zeros(60)
        near_sums = np.zeros(60)
        for distance, weight in ((1, self.neighbour_weight), (2, self.neighbour_weight / 2)):
            near_counts += weight * np.roll(counts, distance)  # minute m borrows from m-1, m-2
            near_sums += weight * np.roll(sums, distance)
        prior = (near_sums + k * class_mean[_CLASS_OF]) / (near_counts + k)
        seen = (counts + near_counts + class_counts[_CLASS_OF]) > 0
        return (sums + k * prior) / (counts + k), counts, seen

    def _hour_factor(self, hours: np.ndarray, values: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """Observed / minute-expected per hour of day, shrunk to 1 where an hour is thin."""
        observed = np.bincount(hours, weights=values, minlength=24)
        predicted = np.bincount(hours, weights=expected, minlength=24)
        mean = predicted.sum() / len(hours) if len(hours) else 0.0
        pseudo = self.prior_strength * mean
        if pseudo <= 0:
            return np.ones(24)
        return (observed + pseudo) / (predicted + pseudo)

    # ----- prediction -----------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "minute_delay_"):
            raise RuntimeError("ScheduleDelayModel is not fitted yet; call fit(observations) first")

    def predict(
        self, minutes: Sequence[int] | np.ndarray, hours: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected delay in seconds and drop probability for ticks at these UTC minutes and hours."""
        self._check_fitted()
        m = np.asarray(minutes, dtype=int) % 60
        h = np.asarray(hours, dtype=int) % 24
        seen = self.minute_seen_[m]
        delay = self.minute_delay_[m] * np.where(seen, self.hour_delay_factor_[h], 1.0)
        drop = np.clip(self.minute_drop_[m] * np.where(seen, self.hour_drop_factor_[h], 1.0), 0.0, 1.0)
        return delay, drop

    def resampled(self, rng: np.random.Generator) -> "ScheduleDelayModel":
        """A copy fitted on a week-block bootstrap resample of the same ticks (for confidence)."""
        self._check_fitted()
        minutes, hours, dropped, delays = self._observed
        pick = block_resample(self._blocks, rng)
        clone = ScheduleDelayModel(self.prior_strength, self.neighbour_weight)
        clone._blocks = self._blocks[pick]
        clone._fit_arrays(minutes[pick], hours[pick], dropped[pick], delays[pick])
        return clone

    def minute_profile(self) -> list[dict[str, Any]]:
        """Per minute of the hour: observed ticks and median delay, drop rate, and the model's mean.

        JSON-able; the job summary charts it.
        """
        self._check_fitted()
        return [
            {
                "minute": m,
                "ticks": int(self.minute_ticks_[m]),
                "median_delay_seconds": self.median_delay_by_minute_[m],
                "drop_rate": self.drop_rate_by_minute_[m],
                "expected_delay_seconds": round(float(self.minute_delay_[m]), 1),
                "expected_drop_rate": round(float(self.minute_drop_[m]), 4),
            }
            for m in range(60)
        ]
