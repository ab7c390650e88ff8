"""The plan being made: each scheduled workflow's entries, where they run, and how one is moved.

Entries start at their current rotation; :func:`choose` moves one to the rotation whose expected
saving most exceeds its churn (or, on a cold start, to the path-hashed minute), and only if the
move provably keeps frequency and spacing.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence

import numpy as np

from ..learn.delay import ScheduleDelayModel, TickObservation, match_ticks
from ..model import RunRecord
from .forecast import ModelLevel
from .cron import MIN_GAP_MINUTES, Cron, frequency_signature, is_round_minute
from .scoring import WEEK_MINUTES, Weights, window_occupancy
from .slots import DurationShape, Horizon, duration_by_hour, horizon_for
from .workflows import WorkflowFile

__all__ = [
    "PlanEntry",
    "WorkflowPlan",
    "plan_workflow",
    "delay_grids",
    "entry_occupancy",
    "choose",
    "churn",
    "hour_distance",
    "MAX_SCHEDULE_DELAY_SECONDS",
]

#: A scheduled run later than this after its tick (or later than the cron's interval) is not
#: counted as that tick's run: GitHub's worst queueing is tens of minutes, not hours.
MAX_SCHEDULE_DELAY_SECONDS = 3 * 3600.0


@dataclass
class PlanEntry:
    """One cron entry of one workflow while the plan is being made."""

    cron: Cron
    horizon: Horizon
    rotations: list[tuple[int, int]]
    chosen: int = 0  # index into rotations; 0 is the current schedule
    costs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tables: dict[str, np.ndarray] = field(default_factory=dict)
    others: np.ndarray = field(default_factory=lambda: np.zeros(WEEK_MINUTES))
    boot: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # resamples × rotations, measured terms
    holds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per resample
    note: str | None = None
    declined: str | None = None  # a cheaper rotation in another hour, not worth the hour move


@dataclass
class WorkflowPlan:
    """One scheduled workflow while the plan is being made: its history, durations, entries."""

    file: WorkflowFile
    key: str
    runs: list[RunRecord]
    p50: np.ndarray
    p90: np.ndarray
    duration_source: str
    entries: list[PlanEntry]
    observations: list[TickObservation]
    level: ModelLevel | None = None  # the predictor's forecast at the current slot's next tick


def plan_workflow(
    file: WorkflowFile,
    key: str,
    history: list[RunRecord],
    shape: DurationShape,
    level: ModelLevel | None,
    model_note: str,
    now: datetime,
) -> WorkflowPlan:
    """Durations, rotations and matched ticks of one workflow (``level`` from the predictor)."""
    p50, p90, source = duration_by_hour(key, history, shape, level)
    source += model_note
    entries = [PlanEntry(c, horizon_for(c, now), c.rotations()) for c in file.schedules]
    scheduled = [r.created_at for r in history if r.event == "schedule"]
    observations: list[TickObservation] = []
    if scheduled:
        start, end = min(scheduled) - timedelta(days=1), max(scheduled) + timedelta(seconds=1)
        ticks = sorted({t for c in file.schedules for t in c.ticks(start, end)})
        shortest = min(c.min_gap_minutes for c in file.schedules) * 60.0
        limit = min(MAX_SCHEDULE_DELAY_SECONDS, max(shortest, MIN_GAP_MINUTES * 60.0))
        observations = match_ticks(key, ticks, scheduled, max_delay_seconds=limit)
    return WorkflowPlan(file, key, history, p50, p90, source, entries, observations, level)


def delay_grids(model: ScheduleDelayModel) -> tuple[np.ndarray, np.ndarray]:
    """Expected delay (seconds) and drop probability for every UTC minute of the week."""
    cells = np.arange(WEEK_MINUTES)
    return model.predict(cells % 60, (cells // 60) % 24)


def entry_occupancy(entry: PlanEntry, plan: WorkflowPlan, delay: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """Expected active runs per minute of the week of one entry at its chosen rotation."""
    mows = entry.horizon.minutes_of_week([entry.rotations[entry.chosen]])[0]
    starts = mows + delay[mows] / 60.0
    lengths = np.maximum(plan.p90[(mows // 60) % 24] / 60.0, 1.0)
    return window_occupancy(starts, lengths, 1.0 - drop[mows], entry.horizon.weeks)


def hour_distance(rotation: tuple[int, int]) -> int:
    """How many hours a rotation moves the runs (either way round the clock)."""
    return min(rotation[0] % 24, (-rotation[0]) % 24)


def churn(entry: PlanEntry, weights: Weights) -> np.ndarray:
    """What each rotation must save per run before it is worth making: nothing to keep the
    schedule, ``min_improvement`` to touch it, and ``hour_move`` more to change its hour (the
    team's cost of a job running at a different time of day)."""
    moved = np.array([hour_distance(r) > 0 for r in entry.rotations])
    touched = np.arange(len(entry.rotations)) > 0
    return touched * weights.min_improvement + moved * weights.hour_move


def choose(
    entry: PlanEntry,
    plan: WorkflowPlan,
    weights: Weights,
    cold: bool,
    busy_known: bool,
    resampled_tables: list[np.ndarray] | None = None,
    evidence: Callable[[Sequence[int]], dict[str, Any]] | None = None,
) -> None:
    """Pick the rotation: by the learned costs, or by the path hash on a cold start.

    The expected-gain-versus-churn rule: the rotation whose expected saving per run minus its
    :func:`churn` is largest, if that is positive; else keep. An hour move thus has to beat the
    best slot in the current hour by ``hour_move``, so a nightly job only leaves its hour for a
    clear expected saving. The resampled tables (every learned term refitted on a week-block
    bootstrap of the history) then say how often the decision holds (``entry.holds``).

    An hour move whose gain over the best slot in the current hour is mostly failure risk must
    also pass the persistence test (``evidence``, :meth:`.failure.FailureModel.hour_evidence`):
    the current hours must have been worse than the same workflows' other hours in most of the
    weeks that compare them. A
    workflow's own broken spell, bounded in time, does not pass it; a flaky window every night does.
    "Most weeks" is a one-sided sign test at ``PERSISTENCE_LEVEL`` (:func:`lasting`).
    """
    if entry.cron.min_gap_minutes < MIN_GAP_MINUTES:
        entry.note = f"runs less than {MIN_GAP_MINUTES} min apart, which GitHub does not honour; left unchanged"
        return
    mows = entry.horizon.minutes_of_week(entry.rotations)
    if cold:
        table = weights.overlap * entry.tables["overlap"] + weights.round_minute * entry.tables["round_minute"]
        entry.costs = table[mows].mean(axis=1)
        allowed = _cold_rotations(entry, plan.file.path, busy_known)
        pick = min(allowed, key=lambda i: (round(float(entry.costs[i]), 9), i))
        if entry.costs[0] - entry.costs[pick] < weights.min_improvement and pick == 0:
            return
    else:
        entry.costs = entry.tables["total"][mows].mean(axis=1)
        net = entry.costs[0] - entry.costs - churn(entry, weights)
        pick = int(np.argmax(net)) if net.max() > 0 else 0
        if pick and hour_distance(entry.rotations[pick]) and evidence is not None:
            pick, net = _persistent_hour_move(entry, pick, net, mows, weights, evidence)
        best = int(np.argmin(entry.costs))
        if entry.declined is None and hour_distance(entry.rotations[best]) != hour_distance(entry.rotations[pick]):
            entry.declined = (
                f"`{entry.cron.shifted(*entry.rotations[best]).expression}` would save a further "
                f"{entry.costs[pick] - entry.costs[best]:.3f} per run, less than the {weights.hour_move:g} "
                "a move to another hour must save (weights.hour_move)"
            )
        if resampled_tables:
            prior = weights.round_minute * entry.tables["round_minute"][mows].mean(axis=1)
            entry.boot = np.array([t[mows].mean(axis=1) for t in resampled_tables]) - prior
            entry.holds = _holds(entry, pick, net, weights)
    candidate = entry.cron.shifted(*entry.rotations[pick])
    if frequency_signature(candidate) == frequency_signature(entry.cron) and candidate.min_gap_minutes >= MIN_GAP_MINUTES:
        entry.chosen = pick


def _persistent_hour_move(
    entry: PlanEntry,
    pick: int,
    net: np.ndarray,
    mows: np.ndarray,
    weights: Weights,
    evidence: Callable[[Sequence[int]], dict[str, Any]],
) -> tuple[int, np.ndarray]:
    """``pick`` and ``net``, unless what ``pick`` gains over the best slot in the current hour is
    mostly failure risk that the persistence test does not back: then the best rotation within
    the current hour, and ``net`` with the other hours ruled out."""
    same_hour = np.array([hour_distance(r) == 0 for r in entry.rotations])
    rival = int(np.argmax(np.where(same_hour, net, -np.inf)))
    failure = weights.failure * entry.tables["failure"][mows].mean(axis=1)
    if failure[rival] - failure[pick] < 0.5 * (entry.costs[rival] - entry.costs[pick]):
        return pick, net  # the hour move is mostly about delays, drops or overlap, not failures
    # Only the current hours are tested: the new ones were picked as the best of many, so a test
    # of them would be flattered by the choice.
    hours_now = sorted({int(h) for h in (mows[0] // 60) % 24})
    now = evidence(hours_now)
    if lasting(now["weeks"], now["weeks_worse"]):
        return pick, net
    entry.declined = (
        f"`{entry.cron.shifted(*entry.rotations[pick]).expression}` would save {failure[rival] - failure[pick]:.3f} "
        f"failed runs per run, but {_hours_text(hours_now)} UTC ran worse than the same workflows' other hours "
        f"in only {now['weeks_worse']} of {now['weeks']} weeks: no lasting hour effect, so the hour is kept"
    )
    return (rival if net[rival] > 0 else 0), np.where(same_hour, net, -np.inf)


def _holds(entry: PlanEntry, pick: int, net: np.ndarray, weights: Weights) -> np.ndarray:
    """In which resamples the decision holds: the same rule applied to the measured terms only
    (the fixed round-minute prior is left out, so a move that only the prior favours holds in
    none of them and cannot headline as confident).

    A move holds when it really saves: its measured saving over the current schedule is at least
    ``min_improvement`` and, if it changes the hour, it also beats the best slot in the current
    hour (so the minute's gain cannot vouch for the hour). A keep holds when the best
    alternative's measured saving stays below its churn.
    """
    boot = entry.boot  # resamples × rotations, measured cost per run
    cost_of_moving = churn(entry, weights)
    if pick:
        holds = boot[:, 0] - boot[:, pick] >= weights.min_improvement
        if hour_distance(entry.rotations[pick]):
            same_hour = [i for i, r in enumerate(entry.rotations) if hour_distance(r) == 0]
            rival = min(same_hour, key=lambda i: float(entry.costs[i]))
            holds &= boot[:, pick] < boot[:, rival]
        return holds
    if len(net) < 2:
        return np.ones(len(boot), dtype=bool)
    rival = 1 + int(np.argmax(net[1:]))
    return boot[:, 0] - boot[:, rival] < cost_of_moving[rival]


#: The persistence test's level: the current hours must be worse in more weeks than a fair coin
#: would make them (one-sided sign test), so a hour with no effect passes one time in ten.
PERSISTENCE_LEVEL = 0.1


def lasting(weeks: int, showing: int) -> bool:
    """Whether an effect showed in clearly more than half of ``weeks`` (``showing`` of them)."""
    tail = sum(math.comb(weeks, k) for k in range(showing, weeks + 1)) / 2.0**weeks if weeks else 1.0
    return tail <= PERSISTENCE_LEVEL


def _hours_text(hours: Sequence[int]) -> str:
    """``[4, 5]`` → ``04:00–06:00``; other sets as a list of hours."""
    if len(hours) > 1 and hours == list(range(hours[0], hours[-1] + 1)):
        return f"{hours[0]:02d}:00–{(hours[-1] + 1) % 24:02d}:00"
    return ", ".join(f"{h:02d}:00" for h in hours)


def _cold_rotations(entry: PlanEntry, path: str, busy_known: bool) -> list[int]:
    """Rotations allowed on a cold start: the hashed minute (like Jenkins ``H``), any hour only if
    the repository's busy hours are known, otherwise the current hour."""
    minutes = entry.cron.minutes
    if not all(is_round_minute(m) for m in minutes):
        target_dm = 0  # already off the round minutes: no reason to move it blindly
    else:
        digest = int(hashlib.sha256(path.encode("utf-8")).hexdigest(), 16)
        off_round = [m for m in range(60) if not is_round_minute(m)]
        target_dm = (off_round[digest % len(off_round)] - minutes[0]) % 60
    allowed = [i for i, (dh, dm) in enumerate(entry.rotations) if dm == target_dm and (busy_known or dh == 0)]
    return allowed or [0]
