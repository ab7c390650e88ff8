"""The forecaster: every model of the learning stage, fitted together, answering any context.

What it learns, in order (each step uses only what the earlier steps knew as of each run):

1. **Success.** A logistic model over recency-weighted rates (:mod:`.success`) is one candidate
   beside the plain rates (last ~2, ~7, ~25 runs, last 50, all time, same event, the last outcome
   repeated). :class:`~.combine.Combiner` picks and averages the best few per workflow by their
   trailing Brier loss; a logistic recalibration fitted on the training runs' combined forecasts
   maps them to calibrated probabilities.
2. **Duration p50.** Candidates: medians of the last 3, 5, 10, 20 and 50 runs, an exponentially
   weighted mean, the last value, the median since a detected level shift, the same event's and
   branch's medians, the per-hour mean, the median of the outcome the success forecast expects
   (bimodal workflows: failures that end in seconds, successes that take minutes), and the
   pooled gradient-boosted model (:mod:`.duration`), which competes only where its out-of-time
   predictions on the latest runs earned it a loss record. The median of the best three per
   workflow, by trailing relative absolute error, is the p50.
3. **Duration p90.** Conformal calibration of the p50's log residuals (:mod:`.calibration`),
   bounded by a multiple of the workflow's longest run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .calibration import P90Calibrator
from .combine import Combiner, relative_abs_loss, squared_loss
from .duration import DurationModel
from .success import RecalibratedProbability, SuccessModel

__all__ = ["Forecaster", "DURATION_CANDIDATES", "SUCCESS_CANDIDATES"]

#: Duration candidates: name → feature column (seconds), in preference order for a workflow
#: with no loss record yet.
DURATION_CANDIDATES = {
    "median of the last 50 runs": "bl_last50_median",
    "median of the last 20 runs": "cand_med20",
    "median of the last 10 runs": "cand_med10",
    "median of the last 5 runs": "cand_med5",
    "median of the last 3 runs": "cand_med3",
    "last run": "bl_last_value",
    "weighted recent mean": "cand_ewm",
    "median since a level shift": "cand_relevel",
    "same event's median": "cand_event_med",
    "same branch's median": "cand_branch_med5",
    "mean at this hour": "bl_per_hour_mean",
    "median of the expected outcome": "cand_outcome",
    "learned model": "cand_model",
}
#: Success candidates: name → feature column (probability).
SUCCESS_CANDIDATES = {
    "rate over the last ~7 runs": "succ_ewm_mid",
    "rate over the last ~2 runs": "succ_ewm_fast",
    "rate over the last ~25 runs": "succ_ewm_slow",
    "rate over the last 50 runs": "succ_rate50",
    "all-time rate": "succ_rate_all",
    "same event's rate": "event_succ_ewm",
    "last outcome": "last_success",
    "learned model": "cand_success_model",
}
#: Runs of recent history behind a workflow's "measured error" and confidence.
MEASURED_RUNS = 20


class Forecaster:
    """p50, p90 and success probability per row of a :meth:`History.features_at` frame.

    Parameters
    ----------
    min_history : runs a workflow needs before the learned models speak for it.
    holdout_share : latest share of training runs the gradient-boosted model is judged on.
    """

    def __init__(self, min_history: int = 5, holdout_share: float = 0.2) -> None:
        self.min_history = min_history
        self.holdout_share = holdout_share

    def fit(self, train: pd.DataFrame) -> "Forecaster":
        """Learn from the training frame (:meth:`History.training_frame`, oldest first)."""
        train = train.copy()
        workflows = train["workflow"].to_numpy(dtype=object)
        created = train["created"].to_numpy(dtype=float)
        success, duration = train["success"].to_numpy(dtype=float), train["duration"].to_numpy(dtype=float)

        self.success_model_ = SuccessModel(self.min_history).fit(train, success)
        train["cand_success_model"] = self.success_model_.predict_proba(train)
        self.success_combiner_ = Combiner(SUCCESS_CANDIDATES, squared_loss, np.nanmean).fit(train, success)
        raw = self.success_combiner_.combine(train, workflows, created).value
        self.recalibration_ = RecalibratedProbability().fit(raw, success)
        train["p_success"] = self.recalibration_.transform(raw)

        train["cand_outcome"] = _outcome_candidate(train, train["p_success"].to_numpy())
        self.duration_model_ = DurationModel(self.min_history, self.holdout_share).fit(train, duration)
        train["cand_model"] = np.nan
        train.iloc[self.duration_model_.holdout_rows_, train.columns.get_loc("cand_model")] = self.duration_model_.holdout_p50_
        self.duration_combiner_ = Combiner(DURATION_CANDIDATES, relative_abs_loss, np.nanmedian).fit(train, duration)
        train["p50"] = self.duration_combiner_.combine(train, workflows, created).value
        self.calibrator_ = P90Calibrator().fit(train, train["p50"].to_numpy())
        train["p90"] = self.calibrator_.p90(train["p50"].to_numpy(), train, workflows, created)
        self.measured_ = _measured(train)
        return self

    def predict(self, X: pd.DataFrame, workflows: np.ndarray, times: np.ndarray) -> pd.DataFrame:
        """``p50``, ``p90``, ``p_success`` and the candidates behind each p50, one row per query."""
        if not hasattr(self, "calibrator_"):
            raise RuntimeError("Forecaster is not fitted yet; call fit first")
        X = X.copy()
        workflows = np.asarray(workflows, dtype=object)
        times = np.asarray(times, dtype=float)
        X["cand_success_model"] = self.success_model_.predict_proba(X)
        p_success = self.recalibration_.transform(self.success_combiner_.combine(X, workflows, times).value)
        X["cand_outcome"] = _outcome_candidate(X, p_success)
        X["cand_model"] = self.duration_model_.predict_p50(X)
        combined = self.duration_combiner_.combine(X, workflows, times)
        p90 = self.calibrator_.p90(combined.value, X, workflows, times)
        p50 = np.fmin(combined.value, p90)  # the bound caps both
        chosen = [", ".join(combined.chosen(i)) for i in range(len(X))] if len(X) <= 100 else [""] * len(X)
        return pd.DataFrame({"p50": p50, "p90": p90, "p_success": p_success, "chosen": chosen,
                             "outcome_split": _bimodal(X)})

    def measured(self, workflow: str) -> dict[str, Any] | None:
        """The workflow's measured recent error (its last :data:`MEASURED_RUNS` scored runs)."""
        return self.measured_.get(workflow)


def _outcome_candidate(X: pd.DataFrame, p_success: np.ndarray) -> np.ndarray:
    """The median duration of the outcome the success forecast expects, when the workflow has
    both kinds on record (a failure that ends in seconds is a different run from a success)."""
    succ = X["cand_success_med"].to_numpy(dtype=float)
    fail = X["cand_failure_med"].to_numpy(dtype=float)
    expect_success = np.nan_to_num(p_success, nan=1.0) >= 0.5
    return np.where(expect_success, np.where(np.isfinite(succ), succ, fail), np.where(np.isfinite(fail), fail, succ))


def _bimodal(X: pd.DataFrame) -> np.ndarray:
    """Whether a workflow's failures and successes take clearly different times (×2 apart)."""
    succ = X["cand_success_med"].to_numpy(dtype=float)
    fail = X["cand_failure_med"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (np.maximum(succ, fail) + 1.0) / (np.minimum(succ, fail) + 1.0)
    return np.isfinite(ratio) & (ratio >= 2.0)


def _measured(train: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per workflow, over its latest scored runs: the forecast's errors beside the baselines'.

    These are honest out-of-time figures: every training row's forecast used only runs that
    had finished before it was created.
    """
    out: dict[str, dict[str, Any]] = {}
    timed = train[train["duration"].notna() & train["p50"].notna() & train["bl_last50_median"].notna()]
    for workflow, part in timed.groupby("workflow"):
        last = part.tail(MEASURED_RUNS)
        actual = last["duration"].to_numpy()
        judged = train[(train["workflow"] == workflow) & train["p_success"].notna()].tail(MEASURED_RUNS)
        out[str(workflow)] = {
            "n": int(len(last)),
            "p50_mae_seconds": float(np.mean(np.abs(actual - last["p50"].to_numpy()))),
            "baseline_last50_p50_mae_seconds": float(np.mean(np.abs(actual - last["bl_last50_median"].to_numpy()))),
            "p50_mae_relative": float(np.mean(np.abs(actual - last["p50"].to_numpy())) / (np.median(actual) + 1.0)),
            "p90_coverage": float(np.mean(actual <= last["p90"].to_numpy())),
            "brier": float(np.mean((judged["success"] - judged["p_success"]) ** 2)) if len(judged) else None,
        }
    return out


def confidence(n: int, measured: dict[str, Any] | None) -> float:
    """Data volume × measured accuracy of the chosen forecasts on the workflow's recent runs.

    Volume is ``1 - exp(-n / 20)``; accuracy averages ``1 / (1 + relative p50 error)`` and
    ``1 - Brier / 0.25`` (0.25 is the Brier of a coin flip). Without measurements the accuracy
    is taken as 0.5: nothing says the forecasts are good.
    """
    volume = 1.0 - math.exp(-n / 20.0)
    if not measured:
        return round(volume * 0.5, 3)
    duration_part = 1.0 / (1.0 + measured["p50_mae_relative"])
    score = measured.get("brier")
    success_part = max(0.0, 1.0 - score / 0.25) if score is not None else 0.5
    return round(volume * (duration_part + success_part) / 2.0, 3)

