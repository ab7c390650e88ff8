"""What the next run at a slot is expected to do, one answer for every command.

``predict``, ``batch``, ``recommend`` and the job summary all answer "how long will the next
scheduled run take, and will it pass?" for some slot. They answer it the same way: the learning
stage's forecast for the next run at the *current* slot (its level, measured against naive
baselines in ``bench/learn_quality.py``), moved to another slot by the repository's hour effects
(failure odds from :class:`~.failure.FailureModel`, duration shape from
:class:`~.slots.DurationShape`). Without a fitted predictor the level is the workflow's own
history. Every figure says which slot and which tick it is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import numpy as np

from ..model import format_time
from .cron import Cron
from .failure import FailureModel, logit
from .scoring import minute_of_week

__all__ = ["ModelLevel", "next_tick", "model_levels", "failure_grid", "slot_forecast"]


@dataclass(frozen=True)
class ModelLevel:
    """The learning stage's forecast for a scheduled run at ``at`` (the current slot's next tick)."""

    p50: float
    p90: float
    p_success: float | None
    at: datetime


def next_tick(cron: Cron, now: datetime) -> datetime | None:
    """The cron's first tick after ``now`` (UTC), looking up to four years ahead."""
    for days in (2, 40, 366 * 4):
        ticks = cron.ticks(now + timedelta(seconds=1), now + timedelta(days=days))
        if ticks:
            return ticks[0]
    return None


def model_levels(predictor: Any, crons: dict[str, Cron], now: datetime) -> tuple[dict[str, ModelLevel], str]:
    """The predictor's forecast for each workflow's next run at its current first cron, in one call.

    ``crons`` maps store keys to that cron. A failing model is reported in the note, not fatal.
    """
    ticks = {key: tick for key, cron in crons.items() if (tick := next_tick(cron, now)) is not None}
    if predictor is None or not ticks:
        return {}, ""
    from ..learn import RunContext  # the learning stage loads its libraries lazily

    keys = list(ticks)
    try:
        predictions = predictor.predict_runs([RunContext(key, ticks[key], "schedule") for key in keys])
    except Exception as exc:  # a model failure must not lose the recommendations
        return {}, f" (the learning model failed: {type(exc).__name__})"
    levels = {}
    for key, p in zip(keys, predictions):
        if p.duration_p50_seconds is not None and p.duration_p90_seconds is not None:
            levels[key] = ModelLevel(p.duration_p50_seconds, p.duration_p90_seconds, p.success_probability, ticks[key])
    return levels, ""


def failure_grid(failure: FailureModel, key: str, level: ModelLevel | None) -> np.ndarray:
    """P(failure) per UTC minute of the week for the workflow: the failure model's hours and
    weekdays, shifted (in log-odds) so that the current slot's next tick gets the predictor's
    probability when there is one."""
    grid = failure.grid(key)
    if level is None or level.p_success is None:
        return grid
    at = minute_of_week(level.at)
    shift = logit(1.0 - level.p_success) - logit(grid[at])
    return 1.0 / (1.0 + np.exp(-(logit(grid) + shift)))


def slot_forecast(
    cron: Cron, now: datetime, grid: np.ndarray, p50: np.ndarray, p90: np.ndarray, timed: bool, known: bool
) -> dict[str, Any]:
    """Figures for the next run at ``cron``: when, p50/p90 and success (``None`` where unknown)."""
    tick = next_tick(cron, now)
    if tick is None:
        return {"schedule": cron.expression, "at": None, "event": "schedule", "expected_duration_seconds": None,
                "duration_p90_seconds": None, "predicted_success_rate": None}
    hour = tick.astimezone(timezone.utc).hour
    return {
        "schedule": cron.expression,
        "at": format_time(tick),
        "event": "schedule",
        "expected_duration_seconds": round(float(p50[hour]), 1) if timed else None,
        "duration_p90_seconds": round(float(p90[hour]), 1) if timed else None,
        "predicted_success_rate": round(1.0 - float(grid[minute_of_week(tick)]), 4) if known else None,
    }
