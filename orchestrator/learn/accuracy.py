"""Accuracy tracking: predictions that were shown to people, scored against the runs that followed.

Every prediction a command or the action emits is appended to the store's predictions log with
the time it was made (:func:`make_prediction_log_entries`). A run is matched to the latest
prediction for its workflow made at or before the run's creation: the prediction "in force"
when the run was created. Baseline values are logged beside the model's, so the report can show
whether the model beat "median of the last 50" *on the predictions that were actually made*.
A prediction that only repeats the one in force is not logged again
(:func:`new_prediction_entries`): it would change no figure.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..model import RunRecord, format_time, parse_time
from .contexts import RunContext
from .predictor import Predictor
from .frame import runs_frame
from .metrics import brier, duration_metrics

__all__ = ["make_prediction_log_entries", "new_prediction_entries", "accuracy_report"]

#: Logged baseline fields: duration baselines → their p50 (and p90) keys; success baselines.
_DURATION_KEYS = {"last50_median": ("last50_median", "last50_p90"), "last_value": ("last_value", None),
                  "per_hour_mean": ("per_hour_mean", None)}
_SUCCESS_KEYS = ("historical_rate", "repeat_last")
#: Relative distance within which a p50 counts as accurate (``within_20pct``, ``accuracy_score``).
WITHIN = 0.2


def make_prediction_log_entries(predictor: Predictor, contexts: Sequence[RunContext],
                                made_at: datetime | None = None, source: str = "predict") -> list[dict[str, Any]]:
    """JSON-able log entries for ``contexts``: model p50/p90/p_success and every baseline value."""
    if not contexts:
        return []
    made = format_time(made_at or datetime.now(timezone.utc))
    table = predictor.predict_table(contexts)

    def num(value: Any) -> float | None:
        return float(value) if value is not None and np.isfinite(value) else None

    entries = []
    for context, row in zip(contexts, table.to_dict("records")):
        entries.append({
            "made_at": made,
            "source": source,
            "workflow_key": context.workflow_key,
            "at": format_time(context.at),
            "event": context.event,
            "branch": context.branch,
            "duration_p50_seconds": num(row["p50"]),
            "duration_p90_seconds": num(row["p90"]),
            "success_probability": num(row["p_success"]),
            "baselines": {key: num(row[key]) for key in ("last50_median", "last50_p90", "last_value",
                                                           "per_hour_mean", *_SUCCESS_KEYS)},
        })
    return entries


def new_prediction_entries(log: Sequence[dict[str, Any]], entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` less those that only repeat the prediction already in force for their workflow.

    :func:`accuracy_report` scores a run against its workflow's latest prediction made at or
    before the run was created. An entry whose values (and source, event and branch) equal that
    prediction's, as in force when the entry is made, therefore changes no figure; appending it
    anyway would grow the log and give every idle action run a commit to make. A workflow's
    entries in ``entries`` share their ``made_at``, and which of several predictions made at one
    moment is in force is an arbitrary tie, so they are kept or dropped together: dropped only
    when they and every logged prediction of that latest moment say the same. Entries accuracy
    cannot place (no workflow or time) are always kept. Exact for a log appended in the order
    predictions are made, as one clock gives: a prediction logged later with an earlier
    ``made_at`` could take the place of the one a skipped repeat relied on.
    """
    def moment(entry: dict[str, Any]) -> float | None:
        made = parse_time(entry.get("made_at"), "made_at", assume_utc=True)
        return made.timestamp() if made is not None and entry.get("workflow_key") else None

    batch: dict[str, tuple[float | None, set[tuple[Any, ...] | None]]] = {}
    for entry in entries:
        at = moment(entry)
        first, said = batch.setdefault(str(entry.get("workflow_key")), (at, set()))
        said.add(_said(entry) if at is not None and at == first else None)  # None: cannot be judged, so kept
    in_force: dict[str, tuple[float, set[tuple[Any, ...] | None]]] = {}
    for logged in log:
        key, at = str(logged.get("workflow_key")), moment(logged)
        made_now = batch[key][0] if key in batch else None
        if at is None or made_now is None or at > made_now:
            continue
        latest, said = in_force.get(key, (float("-inf"), set()))
        if at > latest:
            in_force[key] = (at, {_said(logged)})
        elif at == latest:
            said.add(_said(logged))
    repeats = {key for key, (_, said) in batch.items()
               if key in in_force and None not in said and len(said | in_force[key][1]) == 1}
    return [dict(entry) for entry in entries if str(entry.get("workflow_key")) not in repeats]


def _said(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What a log entry tells accuracy and who asked: everything but the times it names."""
    baselines = entry.get("baselines") or {}
    return (entry.get("source"), entry.get("event"), entry.get("branch"), entry.get("duration_p50_seconds"),
            entry.get("duration_p90_seconds"), entry.get("success_probability"), tuple(sorted(baselines.items())))


def _log_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for entry in entries:
        made = parse_time(entry.get("made_at"), "made_at", assume_utc=True)
        if made is None or not entry.get("workflow_key"):
            continue
        base = entry.get("baselines") or {}
        rows.append({
            "workflow": entry["workflow_key"], "made": made.timestamp(),
            "model_p50": entry.get("duration_p50_seconds"), "model_p90": entry.get("duration_p90_seconds"),
            "model_p_success": entry.get("success_probability"),
            **{f"{k}_p50": base.get(p50) for k, (p50, _) in _DURATION_KEYS.items()},
            **{f"{k}_p90": base.get(p90) if p90 else None for k, (_, p90) in _DURATION_KEYS.items()},
            **{f"{k}_p_success": base.get(k) for k in _SUCCESS_KEYS},
        })
    frame = pd.DataFrame(rows)
    if not frame.empty:
        value_columns = [c for c in frame.columns if c not in ("workflow", "made")]
        frame[value_columns] = frame[value_columns].astype(float)
    return frame


def _scores(part: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": int(len(part))}
    for method in ("model", *_DURATION_KEYS):
        timed = part[part["duration"].notna() & part[f"{method}_p50"].notna()]
        actual, p50 = timed["duration"].to_numpy(), timed[f"{method}_p50"].to_numpy()
        metrics = duration_metrics(actual, p50, timed[f"{method}_p90"].to_numpy() if timed[f"{method}_p90"].notna().all() else None)
        positive = actual > 0
        metrics["mape"] = float(np.mean(np.abs(actual - p50)[positive] / actual[positive])) if positive.any() else None
        metrics["within_20pct"] = float(np.mean(np.abs(actual - p50) <= WITHIN * actual)) if len(actual) else None
        out[method] = metrics
    for method in ("model", *_SUCCESS_KEYS):
        out.setdefault(method, {}).update(brier=brier(part["success"].to_numpy(), part[f"{method}_p_success"].to_numpy())["brier"])
    return out


def accuracy_report(predictions_log: list[dict[str, Any]], runs: Sequence[RunRecord],
                    workflow_key: str | None = None) -> dict[str, Any]:
    """MAE, MAPE, share within ±20%, p90 coverage and Brier of logged predictions vs later runs,
    for the model and each logged baseline: overall, per workflow and per ISO week of the run."""
    log = _log_frame(predictions_log)
    frame = runs_frame(runs)
    frame = frame[frame["success"].notna()]
    if workflow_key is not None:
        frame = frame[frame["workflow"] == workflow_key]
        log = log[log["workflow"] == workflow_key] if not log.empty else log
    empty = {"matched_runs": 0, **_seed_figures(None), "overall": None, "workflows": {}, "weeks": {}}
    if log.empty or frame.empty:
        return empty
    matched = pd.merge_asof(
        frame[["workflow", "created", "duration", "success"]].sort_values("created"),
        # Stable: of predictions made at one moment the last logged is in force, whatever else the log holds.
        log.sort_values("made", kind="stable"), left_on="created", right_on="made", by="workflow", direction="backward",
    )
    matched = matched[matched["made"].notna()]
    if matched.empty:
        return empty
    weeks = pd.to_datetime(matched["created"], unit="s", utc=True).dt.isocalendar()
    matched["week"] = weeks["year"].astype(str) + "-W" + weeks["week"].astype(str).str.zfill(2)
    overall = _scores(matched)
    return {
        "matched_runs": int(len(matched)),
        **_seed_figures(matched),
        "overall": overall,
        "workflows": {str(w): _scores(p) for w, p in matched.groupby("workflow")},
        "weeks": {str(w): _scores(p) for w, p in matched.groupby("week")},
    }


def _seed_figures(matched: pd.DataFrame | None) -> dict[str, float | int | None]:
    """The design document's three headline figures, for the model's p50 (``None`` until a run
    with a known duration has followed a logged prediction).

    ``accuracy_score`` is the share of checked predictions whose actual duration fell within
    ±20% of the predicted p50: ``|actual - p50| <= 0.2 * p50``.
    """
    timed = None if matched is None else matched[matched["duration"].notna() & matched["model_p50"].notna()]
    if timed is None or timed.empty:
        return {"checked_predictions": 0, "mean_absolute_error": None,
                "mean_absolute_percentage_error": None, "accuracy_score": None}
    actual, p50 = timed["duration"].to_numpy(), timed["model_p50"].to_numpy()
    positive = actual > 0
    return {
        "checked_predictions": int(len(timed)),
        "mean_absolute_error": round(float(np.mean(np.abs(actual - p50))), 1),
        "mean_absolute_percentage_error": (round(float(np.mean(np.abs(actual - p50)[positive] / actual[positive])), 4)
                                           if positive.any() else None),
        "accuracy_score": round(float(np.mean(np.abs(actual - p50) <= WITHIN * p50)), 4),
    }
