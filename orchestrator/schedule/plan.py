"""The plan being made: each scheduled workflow's entries, where they run, and how one is moved.

Entries start at their current rotation; :func:`choose` moves one to the cheapest rotation of
its cost table (or, on a cold start, to the path-hashed minute), and only if the move saves at
least ``Weights.min_improvement`` per run and provably keeps frequency and spacing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ..learn.delay import ScheduleDelayModel, TickObservation, match_ticks
from ..model import RunRecord
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
    boot: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # resamples × rotations
    note: str | None = None
    declined: str | None = None  # a farther, cheaper rotation not clearly better (for reasoning)


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


def plan_workflow(
    file: WorkflowFile,
    key: str,
    history: list[RunRecord],
    shape: DurationShape,
    model_level: tuple[float, float] | None,
    model_note: str,
    now: datetime,
) -> WorkflowPlan:
    """Durations, rotations and matched ticks of one workflow (``model_level`` from the predictor)."""
    p50, p90, source = duration_by_hour(key, history, shape, model_level)
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
    return WorkflowPlan(file, key, history, p50, p90, source, entries, observations)


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


#: A rotation is clearly worse than the cheapest one when it costs at least
#: ``Weights.min_improvement`` more and the cheapest beats it in this share of the resamples.
CLEAR_SHARE = 0.8


def hour_distance(rotation: tuple[int, int]) -> int:
    """How many hours a rotation moves the runs (either way round the clock)."""
    return min(rotation[0] % 24, (-rotation[0]) % 24)


def choose(
    entry: PlanEntry,
    plan: WorkflowPlan,
    weights: Weights,
    cold: bool,
    busy_known: bool,
    resampled_tables: list[np.ndarray] | None = None,
) -> None:
    """Pick the rotation: by the learned costs, or by the path hash on a cold start.

    With resampled cost tables (every data-driven term refitted on a week-block bootstrap of the
    history) the move is minimal: among the rotations the cheapest does not clearly beat, the
    current schedule if it is one, else the cheapest that moves the fewest hours. So a nightly job
    keeps its hour and only leaves the round minute unless another hour is clearly better.
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
    else:
        entry.costs = entry.tables["total"][mows].mean(axis=1)
        pick = int(np.argmin(entry.costs))
        if resampled_tables:
            entry.boot = np.array([t[mows].mean(axis=1) for t in resampled_tables])
            pick = _minimal_move(entry, pick, weights)
    if entry.costs[0] - entry.costs[pick] < weights.min_improvement and not (cold and pick != 0):
        if pick == 0 and entry.costs[0] - entry.costs.min() >= weights.min_improvement and entry.boot.size:
            best = int(np.argmin(entry.costs))
            share = float(np.mean(entry.boot[:, best] < entry.boot[:, 0]))
            entry.note = (
                f"the best slot with the same frequency would save {entry.costs[0] - entry.costs[best]:.3f} per run, "
                f"but beats this one in only {share:.0%} of {len(entry.boot)} resamples of the history"
            )
        return
    candidate = entry.cron.shifted(*entry.rotations[pick])
    if frequency_signature(candidate) == frequency_signature(entry.cron) and candidate.min_gap_minutes >= MIN_GAP_MINUTES:
        entry.chosen = pick


def _minimal_move(entry: PlanEntry, best: int, weights: Weights) -> int:
    """The rotation closest to the current schedule among those ``best`` does not clearly beat."""
    costs, boot = entry.costs, entry.boot
    beaten = np.mean(boot[:, [best]] < boot, axis=0)
    clearly_worse = (costs - costs[best] >= weights.min_improvement) & (beaten >= CLEAR_SHARE)
    open_ = [i for i in range(len(costs)) if not clearly_worse[i]]
    pick = min(open_, key=lambda i: (hour_distance(entry.rotations[i]), i != 0, float(costs[i]), i))
    if hour_distance(entry.rotations[best]) != hour_distance(entry.rotations[pick]):
        entry.declined = (
            f"`{entry.cron.shifted(*entry.rotations[best]).expression}` would save a further "
            f"{costs[pick] - costs[best]:.3f} per run but beats `{entry.cron.shifted(*entry.rotations[pick]).expression}` "
            f"in only {float(np.mean(boot[:, best] < boot[:, pick])):.0%} of {len(boot)} resamples of the history, "
            "so the move with fewer hours is taken"
        )
    return pick


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
