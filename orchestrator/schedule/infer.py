"""Infer a workflow's cron from its ``schedule`` runs, for when its workflow file is not at hand.

``predict`` is often run outside the repository's checkout, or on a store imported from another
repository: the history still shows when the scheduled runs came. GitHub starts a scheduled run
at or after its tick, never before, and late by seconds at quiet minutes but by many minutes at
the top of the hour. So the tick is taken just below the earliest runs' time of day (or of hour),
snapped to a round minute only when the runs are spread the way round-minute schedules are. The
answer is an estimate and says how well it fits the runs it came from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Sequence

import numpy as np

from .cron import Cron
from .workflows import WorkflowFile

__all__ = ["InferredCron", "infer_cron", "inferred_file", "MIN_SCHEDULED_RUNS"]

#: Fewer scheduled runs than this say too little about a period and a tick.
MIN_SCHEDULED_RUNS = 3
#: Runs this close above the earliest ones (minutes) mean an exact, off-round tick.
_TIGHT_MINUTES = 3
#: Earliest runs this many minutes past the hour are read as a top-of-the-hour tick: GitHub's
#: queue is longest at :00, so steady delays of 10-15 minutes are common there.
_TOP_OF_HOUR_MINUTES = 15
#: A run counts as its tick's when it came within this long after it (GitHub's worst queueing).
_MATCH_MINUTES = 60


@dataclass(frozen=True)
class InferredCron:
    """A cron estimated from scheduled runs, with how many of them it explains."""

    cron: Cron
    runs: int
    matched: int

    def describe(self) -> str:
        return (f"inferred from {self.runs} scheduled runs in the history ({self.matched} came within "
                f"{_MATCH_MINUTES} min after one of its ticks): {self.cron.describe()}")


def infer_cron(times: Sequence[datetime]) -> InferredCron | None:
    """The cron whose ticks best explain the creation ``times`` of a workflow's schedule runs.

    Recognises every N minutes, hourly, every N hours, daily, weekdays, weekly and monthly
    schedules (UTC); returns ``None`` when there are too few runs or no regular period.
    """
    ordered = sorted(set(times))
    if len(ordered) < MIN_SCHEDULED_RUNS:
        return None
    gap = median((b - a).total_seconds() / 60 for a, b in zip(ordered, ordered[1:]))
    expression = _expression(ordered, gap)
    if expression is None:
        return None
    cron = Cron.parse(expression)
    return InferredCron(cron, len(ordered), _matched(cron, ordered))


def _expression(times: list[datetime], gap: float) -> str | None:
    minute_of_hour = [t.minute + t.second / 60 for t in times]
    minute_of_day = [t.hour * 60 + t.minute + t.second / 60 for t in times]
    if gap < 50:
        step = min((5, 10, 15, 20, 30), key=lambda s: abs(s - gap))
        return f"*/{step} * * * *"
    if gap < 110:
        return f"{_tick(minute_of_hour, 60)} * * * *"
    if gap < 20 * 60:
        every = min((2, 3, 4, 6, 8, 12), key=lambda h: abs(h * 60 - gap))
        tick = _tick([m % (every * 60) for m in minute_of_day], every * 60)
        start = tick // 60
        hours = f"*/{every}" if start == 0 else f"{start}-23/{every}"
        return f"{tick % 60} {hours} * * *"
    tick = _tick(minute_of_day, 24 * 60)
    minute, hour = tick % 60, tick // 60
    weekdays = Counter(int(t.strftime("%w")) for t in times)
    if gap < 36 * 60:
        working = sum(weekdays[d] for d in range(1, 6))
        if len(times) >= 10 and working >= 0.95 * len(times):
            return f"{minute} {hour} * * 1-5"
        return f"{minute} {hour} * * *"
    if 5.5 * 1440 <= gap <= 8.5 * 1440:
        return f"{minute} {hour} * * {weekdays.most_common(1)[0][0]}"
    if 27 * 1440 <= gap <= 32 * 1440:
        return f"{minute} {hour} {Counter(t.day for t in times).most_common(1)[0][0]} * *"
    return None


def _tick(positions: Sequence[float], period: int) -> int:
    """The tick (minutes into ``period``) just at or below the earliest of ``positions``.

    Positions wrap around (a daily run at 23:58 and one at 00:04 are six minutes apart), so they
    are first rotated to start after their widest empty stretch.
    """
    values = np.sort(np.asarray(positions, dtype=float) % period)
    widest = int(np.argmax(np.diff(np.append(values, values[0] + period))))
    origin = values[(widest + 1) % len(values)]
    rotated = np.sort((values - origin) % period)
    low = float(np.quantile(rotated, 0.05))
    earliest = int(np.floor(low + origin)) % period
    if earliest % 60 <= _TOP_OF_HOUR_MINUTES:
        return earliest - earliest % 60  # the commonest tick, and the one GitHub delays most
    if float(np.median(rotated)) - low <= _TIGHT_MINUTES:
        return earliest  # runs come right after the tick: an exact, off-round schedule
    for step, reach in ((15, 15), (5, 5)):
        below = earliest - earliest % step
        if earliest - below <= reach:
            return below % period
    return earliest


def _matched(cron: Cron, times: list[datetime]) -> int:
    """How many ``times`` came within ``_MATCH_MINUTES`` after a tick of ``cron``."""
    ticks = cron.ticks(times[0] - timedelta(hours=25), times[-1] + timedelta(minutes=1))
    marks = np.array([t.timestamp() for t in ticks])
    if not marks.size:
        return 0
    count = 0
    for t in times:
        i = int(np.searchsorted(marks, t.timestamp(), side="right")) - 1
        count += int(i >= 0 and t.timestamp() - marks[i] <= _MATCH_MINUTES * 60)
    return count


def inferred_file(name: str, path: str | None, times: Sequence[datetime]) -> tuple[WorkflowFile | None, str]:
    """A stand-in workflow file scheduled on the cron inferred from ``times``, and what was found.

    The recommender plans it like a real file; its ``path`` is the history's when known (so its
    runs are matched by path), else a label that matches them by ``name``.
    """
    if not times:
        return None, f"{name} never ran on a schedule in the history, so it has no schedule to recommend."
    inferred = infer_cron(times)
    if inferred is None:
        return None, (f"{name} ran on a schedule {len(times)} time{'' if len(times) == 1 else 's'}, too few or too "
                      "irregular to tell its cron; pass --workflows-dir with its workflow file.")
    file = WorkflowFile(path=path or f"(inferred) {name}", name=name, schedules=(inferred.cron,))
    return file, f"No workflow file found for {name}: its current schedule `{inferred.cron.expression}` is {inferred.describe()}."
