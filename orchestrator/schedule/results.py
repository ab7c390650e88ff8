"""Assemble one workflow's recommendation: the JSON-able record the shells and charts read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from ..learn.delay import ScheduleDelayModel
from ..model import SUCCESS
from .liveness import liveness
from .plan import WorkflowPlan
from .reasoning import explain
from .failure import FailureModel
from .forecast import failure_grid, slot_forecast
from .scoring import Weights
from .timeouts import recommend_timeout

__all__ = ["result_for"]


def result_for(
    plan: WorkflowPlan,
    failure: FailureModel,
    delay: ScheduleDelayModel,
    busy: np.ndarray,
    weights: Weights,
    predictor: Any,
    cold: bool,
    confidence: dict[str, Any],
    conflicts_now: list[dict[str, Any]],
    conflicts_after: list[dict[str, Any]],
    last_activity: datetime | None,
    history_start: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """Everything said about one workflow: schedules, figures, timeouts, conflicts, liveness, reasons."""
    recommended = [e.cron.shifted(*e.rotations[e.chosen]) if e.chosen else e.cron for e in plan.entries]
    grid = failure_grid(failure, plan.key, plan.level)
    timed = bool(plan.runs) and plan.duration_source != "no runs"
    slots = {
        name: slot_forecast(cron, now, grid, plan.p50, plan.p90, timed, bool(plan.runs))
        for name, cron in (("current", plan.entries[0].cron), ("recommended", recommended[0]))
    }
    describe = _describe(predictor, plan.key)
    scheduled = [r.created_at for r in plan.runs if r.event == "schedule"]
    successes = [r.duration_seconds for r in plan.runs if r.outcome == SUCCESS]
    mine_now = [c for c in conflicts_now if plan.file.path in c["paths"]]
    mine_after = [c for c in conflicts_after if plan.file.path in c["paths"]]
    result = {
        "workflow": plan.file.name,
        "path": plan.file.path,
        "workflow_key": plan.key,
        "current_schedule": [e.cron.expression for e in plan.entries],
        "recommended_schedule": recommended[0].expression,
        "recommended_schedules": [c.expression for c in recommended],
        "timezone": plan.entries[0].cron.timezone or "UTC",
        "pattern": plan.entries[0].cron.pattern,
        "change": any(e.chosen for e in plan.entries),
        "cold_start": cold,
        "current_human": [e.cron.describe() for e in plan.entries],
        "recommended_human": recommended[0].describe(),
        "confidence": confidence["value"],
        "confidence_detail": confidence,
        # The next run at the recommended slot; before a workflow's first run its duration arrays
        # are zeros and its success rate is the repository's prior, so both are unknown (None).
        "expected_duration_seconds": slots["recommended"]["expected_duration_seconds"],
        "duration_p90_seconds": slots["recommended"]["duration_p90_seconds"],
        "predicted_success_rate": slots["recommended"]["predicted_success_rate"],
        "prediction_for": _slot_of(slots["recommended"]),
        "slot_forecasts": slots,
        "duration_source": plan.duration_source,
        "resource_impact": describe.get("resource_impact"),
        "runs": len(plan.runs),
        "score": _score(plan),
        "timeout_minutes": recommend_timeout(successes, plan.file.job_timeouts),
        "conflicts": [_other_side(c, plan.file.path) for c in mine_after],
        "liveness": liveness(
            [e.cron for e in plan.entries], plan.observations, scheduled, last_activity, history_start, now
        ),
    }
    result["reasoning"] = explain(
        plan, result, failure, delay, busy, weights, [_other_side(c, plan.file.path) for c in mine_now]
    )
    return result


def _slot_of(forecast: dict[str, Any]) -> dict[str, Any]:
    return {k: forecast[k] for k in ("schedule", "at", "event")}


def _describe(predictor: Any, key: str) -> dict[str, Any]:
    if predictor is None:
        return {}
    try:
        return dict(predictor.describe(key))
    except Exception:  # an unknown workflow or an unfitted model: fields stay empty
        return {}


def _score(plan: WorkflowPlan) -> dict[str, Any]:
    """Cost per run now and after, total and by term, so the choice can be audited."""
    out: dict[str, Any] = {"entries": []}
    for entry in plan.entries:
        if not entry.tables:
            out["entries"].append({"cron": entry.cron.expression, "note": entry.note})
            continue
        mows = entry.horizon.minutes_of_week([entry.rotations[0], entry.rotations[entry.chosen]])
        terms = {name: [round(float(v), 4) for v in table[mows].mean(axis=1)] for name, table in entry.tables.items()}
        out["entries"].append(
            {
                "cron": entry.cron.expression,
                "current": terms.pop("total")[0],
                "recommended": float(entry.tables["total"][mows[1]].mean().round(4)),
                "terms": terms,
                "note": entry.note,
            }
        )
    return out


def _other_side(conflict: dict[str, Any], path: str) -> dict[str, Any]:
    i = 1 if conflict["paths"][0] == path else 0
    return {
        "workflow": conflict["workflows"][i],
        "path": conflict["paths"][i],
        "minutes_per_day": conflict["minutes_per_day"],
        "shared_concurrency_group": conflict["shared_concurrency_group"],
    }
