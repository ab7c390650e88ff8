"""The forecaster: every model of the learning stage, fitted together, answering any context.

What it learns, in order (each step uses only what the earlier steps knew as of each run):

1. **Success.** A logistic model over recency-weighted rates (:mod:`.success`) is one candidate
   beside the plain rates (last ~2, ~7, ~25 runs, last 50, all time, same event, the last outcome
   repeated). :class:`~.combine.Combiner` picks and averages the best few per workflow by their
   trailing Brier loss; a logistic recalibration fitted on the training runs' combined forecasts
   maps them to calibrated probabilities.
2. **Duration p50.** Candidates: medians of the last 3, 5, 10, 20 and 50 runs, an exponentially
   weighted mean, the last value, the median since a detected level shift, the same event's and
   branch's medians, the per-hour mean and median, the median of the outcome the success forecast expects
   (bimodal workflows: failures that end in seconds, successes that take minutes), and the
   pooled gradient-boosted model (:mod:`.duration`), which competes only where its out-of-time
   predictions on the latest runs earned it a loss record. The median of the best three per
   workflow, by trailing relative absolute error, is the p50.
3. **Duration p90.** Conformal calibration of the p50's log residuals (:mod:`.calibration`),
   bounded by a multiple of the workflow's longest run.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .calibration import MIN_BUCKET, P90Calibrator, conformal_quantile, own_keys, p90_bound
from .combine import Combiner, horizon_bucket, pinball_loss, relative_abs_loss, squared_loss
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
    "median at this hour": "cand_hour_med",
    "median of the expected outcome": "cand_outcome",
    "learned model": "cand_model",
}
#: p90 candidates: name → feature column (seconds).
P90_CANDIDATES = {
    "conformal p90 of the forecast": "cand_conformal_p90",
    "0.9 quantile of the last 50 runs": "bl_last50_p90",
    "0.9 quantile of the last 20 runs": "cand_p90_20",
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
#: A workflow is judged at a horizon only with at least this many training runs there; further
#: ahead it is judged at the longest horizon it has them for (a 40-run workflow has no record
#: 64 runs ahead, and nothing learned there should stand in for one).
HORIZON_RUNS = 20


class Forecaster:
    """p50, p90 and success probability per row of a :meth:`History.features_at` frame.

    Parameters
    ----------
    min_history : runs a workflow needs before the learned models speak for it.
    holdout_share : latest share of training runs the gradient-boosted candidate is judged on.
    """

    def __init__(self, min_history: int = 5, holdout_share: float = 0.2) -> None:
        self.min_history = min_history
        self.holdout_share = holdout_share

    def fit(self, frames: Mapping[int, pd.DataFrame]) -> "Forecaster":
        """Learn from one training frame per horizon of :data:`~.combine.HORIZONS`
        (:meth:`History.training_frame` with ``runs_ahead=h``, oldest first); the learned
        models fit on the next-run frame, ``frames[1]``."""
        frames = {h: frame.copy() for h, frame in frames.items()}
        one = full = frames[1]
        self.gap_, self.global_gap_ = _gaps(full)
        self.fitted_through_ = float(full["created"].max()) if len(full) else -np.inf

        self.success_model_ = SuccessModel(self.min_history).fit(full, full["success"].to_numpy(dtype=float))
        for frame in frames.values():
            frame["cand_success_model"] = self.success_model_.predict_proba(frame)
        self.success_combiner_ = Combiner(SUCCESS_CANDIDATES, squared_loss, np.nanmean).fit(frames, "success")
        raw = {h: self._raw_success(frame, h) for h, frame in frames.items()}
        # Averaging pulls probabilities together by an amount that depends on how far ahead
        # they look, so each horizon gets its own recalibration.
        self.recalibration_ = {h: RecalibratedProbability().fit(raw[h], frame["succ_rate_all"].to_numpy(dtype=float),
                                                                frame["success"].to_numpy(dtype=float))
                               for h, frame in frames.items()}

        self.duration_model_ = DurationModel(self.min_history, self.holdout_share).fit(full, full["duration"].to_numpy(dtype=float))
        for h, frame in frames.items():
            frame["p_success"] = self.recalibration_[h].transform(raw[h], frame["succ_rate_all"].to_numpy(dtype=float))
            frame["cand_outcome"] = _outcome_candidate(frame, frame["p_success"].to_numpy())
            out_of_sample = frame["created"].to_numpy(dtype=float) >= self.duration_model_.holdout_start_
            frame["cand_model"] = np.where(out_of_sample, self.duration_model_.predict_p50(frame), np.nan)
        self.duration_combiner_ = Combiner(DURATION_CANDIDATES, relative_abs_loss, np.nanmedian).fit(frames, "duration")
        for h, frame in frames.items():
            frame["p50"] = self.duration_combiner_.combine(frame, frame["workflow"].to_numpy(dtype=object),
                                                           frame["state"].to_numpy(dtype=float), _constant(frame, h)).value
        self.calibrator_ = P90Calibrator().fit(frames)
        for h, frame in frames.items():
            frame["cand_conformal_p90"] = self.calibrator_.p90(
                frame["p50"].to_numpy(), frame, frame["workflow"].to_numpy(dtype=object),
                frame["state"].to_numpy(dtype=float), _constant(frame, h))
        self.p90_combiner_ = Combiner(P90_CANDIDATES, pinball_loss, np.nanmedian, top_k=1, key_of=own_keys).fit(frames, "duration")
        # The choice optimises pinball loss, which need not cover 90%: a last conformal step per
        # horizon moves the chosen p90 so that 90% of the training runs, each predicted before
        # it ran, finished within it.
        self.p90_shift_ = {}
        for h, frame in sorted(frames.items()):
            chosen = self.p90_combiner_.combine(frame, frame["workflow"].to_numpy(dtype=object),
                                                frame["state"].to_numpy(dtype=float), _constant(frame, h)).value
            residual = np.log1p(frame["duration"].to_numpy(dtype=float)) - np.log1p(np.fmax(chosen, frame["p50"].to_numpy()))
            known = residual[np.isfinite(residual)]
            shorter = max((k for k in self.p90_shift_ if k < h), default=None)
            self.p90_shift_[h] = conformal_quantile(known) if len(known) >= MIN_BUCKET else \
                (self.p90_shift_[shorter] if shorter is not None else 0.0)
        self.max_horizon_ = _max_horizons(frames)
        one["p90"] = self._p90(one, one["p50"].to_numpy(), one["workflow"].to_numpy(dtype=object),
                               one["state"].to_numpy(dtype=float), _constant(one, 1))
        self.measured_ = _measured(one)
        return self

    def _p90(self, X: pd.DataFrame, p50: np.ndarray, workflows: np.ndarray, times: np.ndarray,
             horizons: np.ndarray) -> np.ndarray:
        """The p90 candidates combined by their trailing pinball loss, then held between the p50
        and the bound."""
        combined = np.fmax(self.p90_combiner_.combine(X, workflows, times, horizons).value, p50)
        shift = np.array([self.p90_shift_.get(int(h), 0.0) for h in horizons], dtype=float)
        bound = p90_bound(X["longest"].to_numpy(dtype=float))
        p90 = np.fmax((combined + 1.0) * np.exp(shift) - 1.0, p50)
        return np.where(np.isfinite(bound), np.fmin(p90, bound), p90)

    def _raw_success(self, frame: pd.DataFrame, horizon: int) -> np.ndarray:
        return self.success_combiner_.combine(frame, frame["workflow"].to_numpy(dtype=object),
                                              frame["state"].to_numpy(dtype=float), _constant(frame, horizon)).value

    def horizons(self, X: pd.DataFrame, workflows: np.ndarray, times: np.ndarray) -> np.ndarray:
        """How many runs ahead each query is (as a bucket of :data:`~.combine.HORIZONS`).

        The history is complete up to the fit; a query about a moment after it is the next run
        plus however many runs the workflow usually has in between (its median gap). A query
        whose state is newer than the fit (the features moved on: a history that kept growing,
        as in the ``backtest`` command) is about the next run.
        """
        since = np.nan_to_num(np.expm1(X["log_since_created"].to_numpy(dtype=float)))
        times = np.asarray(times, dtype=float)
        gap = pd.Index(np.asarray(workflows, dtype=object)).map(self.gap_).to_numpy(dtype=float, na_value=np.nan)
        gap = np.where(np.isfinite(gap) & (gap > 0), gap, self.global_gap_)
        fresh = times - since > self.fitted_through_
        ahead = 1.0 + np.maximum(0.0, times - self.fitted_through_) / gap
        longest = pd.Index(np.asarray(workflows, dtype=object)).map(self.max_horizon_).to_numpy(dtype=float, na_value=1.0)
        return np.minimum(horizon_bucket(np.where(fresh, 1.0, ahead)), np.nan_to_num(longest, nan=1.0).astype(int))

    def predict(self, X: pd.DataFrame, workflows: np.ndarray, times: np.ndarray) -> pd.DataFrame:
        """``p50``, ``p90``, ``p_success`` and the candidates behind each p50, one row per query."""
        if not hasattr(self, "calibrator_"):
            raise RuntimeError("Forecaster is not fitted yet; call fit first")
        X = X.copy()
        workflows = np.asarray(workflows, dtype=object)
        times = np.asarray(times, dtype=float)
        horizons = self.horizons(X, workflows, times)
        X["cand_success_model"] = self.success_model_.predict_proba(X)
        raw = self.success_combiner_.combine(X, workflows, times, horizons).value
        p_success = np.full(len(X), np.nan)
        for h in np.unique(horizons):
            rows = horizons == h
            p_success[rows] = self.recalibration_[int(h)].transform(raw[rows], X["succ_rate_all"].to_numpy(dtype=float)[rows])
        X["cand_outcome"] = _outcome_candidate(X, p_success)
        X["cand_model"] = self.duration_model_.predict_p50(X)
        combined = self.duration_combiner_.combine(X, workflows, times, horizons)
        X["cand_conformal_p90"] = self.calibrator_.p90(combined.value, X, workflows, times, horizons)
        p90 = self._p90(X, combined.value, workflows, times, horizons)
        p50 = np.fmin(combined.value, p90)  # the bound caps both
        chosen = [", ".join(combined.chosen(i)) for i in range(len(X))] if len(X) <= 100 else [""] * len(X)
        return pd.DataFrame({"p50": p50, "p90": p90, "p_success": p_success, "chosen": chosen,
                             "outcome_split": _bimodal(X), "horizon": horizons})

    def measured(self, workflow: str) -> dict[str, Any] | None:
        """The workflow's measured recent error (its last :data:`MEASURED_RUNS` scored runs)."""
        return self.measured_.get(workflow)


def _max_horizons(frames: Mapping[int, pd.DataFrame]) -> dict[str, int]:
    """Per workflow, the longest horizon with at least :data:`HORIZON_RUNS` training runs."""
    out: dict[str, int] = {}
    for h in sorted(frames):
        counts = frames[h].groupby("workflow", sort=False).size()
        for workflow in counts[counts >= HORIZON_RUNS].index:
            out[str(workflow)] = h
    return out


def _constant(frame: pd.DataFrame, horizon: int) -> np.ndarray:
    return np.full(len(frame), horizon)


def _gaps(train: pd.DataFrame) -> tuple[dict[str, float], float]:
    """Each workflow's median time between consecutive runs (seconds), and the overall one."""
    ordered = train.sort_values("created", kind="stable")
    gaps = ordered.groupby("workflow", sort=False)["created"].diff()
    per = gaps.groupby(ordered["workflow"]).median().dropna()
    overall = float(gaps.median()) if gaps.notna().any() else 3600.0
    return {str(k): float(v) for k, v in per.items() if v > 0}, max(overall, 1.0)


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

    Each of these forecasts was made from the runs that had finished before its run was
    created; the learned success model, the recalibrations and the p90's conformal step were
    fitted on a period that includes them, so the figures lean optimistic (the bench, not this,
    is the out-of-time measure).
    """
    out: dict[str, dict[str, Any]] = {}
    timed = train[train["duration"].notna() & train["p50"].notna() & train["bl_last50_median"].notna()]
    judged_by = dict(tuple(train[train["p_success"].notna()].groupby("workflow", sort=False).tail(MEASURED_RUNS)
                           .groupby("workflow", sort=False)))
    for workflow, last in timed.groupby("workflow", sort=False).tail(MEASURED_RUNS).groupby("workflow", sort=False):
        actual = last["duration"].to_numpy()
        judged = judged_by.get(workflow, train.iloc[:0])
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

