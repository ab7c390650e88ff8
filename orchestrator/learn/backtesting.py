"""Rolling-origin backtest: the model and every baseline, evaluated strictly in time order.

The runs are ordered by creation; the latest ``1 - min_train_share`` of them are cut into
``folds`` consecutive blocks. For each block the models are fitted only on runs that had
*finished* before the block's first run was created, then predict every run of the block from
the features known at that run's creation (so lag features keep moving inside a block, as they
do in production between two refits). Baselines see exactly the same information. A run is
scored only when every method could answer it (its workflow had a known earlier duration), so
all methods are compared on the same runs.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..model import RunRecord, format_time
from .baselines import DURATION_BASELINES, SUCCESS_BASELINES, DurationBaseline, SuccessBaseline
from .combine import HORIZONS, RECENT_RUNS
from .features import History
from .forecast import Forecaster
from .frame import runs_frame
from .metrics import brier, duration_metrics

__all__ = ["backtest", "backtest_predictions", "summarize_backtest"]


def backtest_predictions(runs: Sequence[RunRecord], folds: int = 5, min_train_share: float = 0.5,
                         timezones: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every scored run with its actual values and each method's predictions, in time order
    (``timezones`` as for :meth:`Predictor.fit`)."""
    frame = runs_frame(runs)
    history = History(frame, timezones)
    data = history.training_frame(frame)
    ahead = {h: history.training_frame(frame, runs_ahead=h) for h in HORIZONS}
    starts = [int(len(data) * (min_train_share + k * (1 - min_train_share) / folds)) for k in range(folds)]
    created = data["created"].to_numpy()
    parts = []
    for k, start in enumerate(starts):
        if start >= len(data):
            continue
        origin = created[start]
        end = created[starts[k + 1]] if k + 1 < len(starts) and starts[k + 1] < len(data) else math.inf
        train = data[data["finished"] < origin]
        test = data[(created >= origin) & (created < end)].copy()
        if test.empty or train.empty:
            continue
        # As Predictor.fit builds them at that moment: beyond the next run, each workflow's
        # latest runs only.
        frames = {h: _latest(part[part["finished"] < origin], None if h == 1 else RECENT_RUNS)
                  for h, part in ahead.items()}
        forecast = Forecaster().fit(frames).predict(test, test["workflow"].to_numpy(dtype=object),
                                                    test["created"].to_numpy(dtype=float))
        test["model_p50"], test["model_p90"] = forecast["p50"].to_numpy(), forecast["p90"].to_numpy()
        test["model_p_success"] = forecast["p_success"].to_numpy()
        for name in DURATION_BASELINES:
            test[f"{name}_p50"], test[f"{name}_p90"] = DurationBaseline(name).fit().predict_quantiles(test)
        for name in SUCCESS_BASELINES:
            test[f"{name}_p_success"] = SuccessBaseline(name).fit().predict_proba(test)
        test["fold"] = k
        test["origin"] = origin
        parts.append(test)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def _latest(frame: pd.DataFrame, last: int | None) -> pd.DataFrame:
    """Each workflow's latest ``last`` rows (all of them with ``None``), in the frame's order."""
    return frame if last is None else frame[frame.groupby("workflow", sort=False).cumcount(ascending=False) < last]


def _summary(part: pd.DataFrame) -> dict[str, Any]:
    answerable = [part[f"{m}_p50"].notna() for m in ("model", *DURATION_BASELINES)]
    timed = part[part["duration"].notna() & np.logical_and.reduce(answerable)]
    judged = part[part["success"].notna() & (part["n"] > 0)]
    duration = {m: duration_metrics(timed["duration"].to_numpy(), timed[f"{m}_p50"].to_numpy(), timed[f"{m}_p90"].to_numpy())
                for m in ("model", *DURATION_BASELINES)}
    success = {m: brier(judged["success"].to_numpy(), judged[f"{m}_p_success"].to_numpy())
               for m in ("model", *SUCCESS_BASELINES)}
    return {
        "duration": duration,
        "success": success,
        "p50_mae_vs_best_baseline": _ratio(duration, "p50_mae_seconds", DURATION_BASELINES),
        "brier_vs_best_baseline": _ratio(success, "brier", SUCCESS_BASELINES),
    }


def _ratio(results: dict[str, dict[str, Any]], key: str, baselines: Sequence[str]) -> float | None:
    """Model figure ÷ the best baseline's (below 1 = the model wins)."""
    best = min((results[b][key] for b in baselines if results[b][key] is not None), default=None)
    model = results["model"][key]
    if model is None or not best:
        return None
    return model / best


def backtest(runs: Sequence[RunRecord], workflow_key: str | None = None, folds: int = 5,
             min_train_share: float = 0.5, timezones: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Model vs every baseline, overall and per workflow (only ``workflow_key`` when given).

    The models are always trained across all workflows of ``runs``; ``workflow_key`` only
    narrows which runs are scored.
    """
    return summarize_backtest(backtest_predictions(runs, folds, min_train_share, timezones), workflow_key)


def summarize_backtest(table: pd.DataFrame, workflow_key: str | None = None) -> dict[str, Any]:
    """The :func:`backtest` report from a :func:`backtest_predictions` table (or a subset of it)."""
    if not table.empty and workflow_key is not None:
        table = table[table["workflow"] == workflow_key]
    origins = sorted(set(table["origin"])) if not table.empty else []
    return {
        "folds": len(origins),
        "origins": [format_time(datetime.fromtimestamp(t, tz=timezone.utc)) for t in origins],
        "scored_runs": int(len(table)),
        "methods": {"duration": ["model", *DURATION_BASELINES], "success": ["model", *SUCCESS_BASELINES]},
        "overall": _summary(table) if not table.empty else None,
        "workflows": {str(w): _summary(part) for w, part in table.groupby("workflow")} if not table.empty else {},
    }
