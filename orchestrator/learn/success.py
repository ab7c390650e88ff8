"""Success probability: a logistic model over recency-weighted outcome rates.

Real histories fail in long blocks (a nightly job red for six months, then green again), so the
all-time rate is wrong for months at a stretch and the last outcome alone is over-confident.
The inputs are therefore the workflow's outcome rate at several memory lengths (exponentially
weighted over the last ~2, ~7 and ~25 runs, the last 50, all time, and the same event), in
log-odds, plus the current streak; the model learns across workflows how much to trust each
memory. Logistic regression minimises log loss, so its probabilities come out calibrated
without a separate calibration step, and it is cheap enough to refit on every store change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .duration import limited_threads
from .features import EVENTS

__all__ = ["SuccessModel", "RATE_COLUMNS"]

#: Outcome rates at increasing memory lengths (see :class:`~orchestrator.learn.features.History`).
RATE_COLUMNS = ("succ_ewm_fast", "succ_ewm_mid", "succ_ewm_slow", "succ_rate50", "succ_rate_all", "event_succ_ewm")
#: Rates are clipped away from 0 and 1 before the log-odds so that a perfect record stays finite.
_EPS = 0.02


def _design(X: pd.DataFrame) -> np.ndarray:
    columns = []
    for name in RATE_COLUMNS:
        rate = X[name].to_numpy(dtype=float)
        rate = np.where(np.isfinite(rate), rate, X["succ_ewm_mid"].to_numpy(dtype=float))
        rate = np.clip(rate, _EPS, 1 - _EPS)
        columns.append(np.log(rate / (1 - rate)))
    streak = X["streak"].to_numpy(dtype=float)
    columns.append(np.sign(streak) * np.log1p(np.abs(streak)))
    columns.append(X["last_success"].to_numpy(dtype=float))
    columns.append(X["is_default"].to_numpy(dtype=float))
    columns.append((X["event"].to_numpy() == EVENTS.index("schedule")).astype(float))  # nightly jobs break in blocks
    return np.nan_to_num(np.column_stack(columns))


class SuccessModel:
    """Calibrated success probability per row.

    Parameters
    ----------
    min_history : judged runs a workflow needs before the model answers; below it the
        Laplace-smoothed rate ``(successes + 1) / (runs + 2)`` is returned, and nothing (NaN)
        without any history.
    C : inverse L2 strength of the logistic regression.
    max_rows : fit on at most this many of the most recent rows.
    """

    def __init__(self, min_history: int = 5, C: float = 1.0, max_rows: int = 60_000) -> None:
        self.min_history = min_history
        self.C = C
        self.max_rows = max_rows

    def fit(self, X: pd.DataFrame, success: np.ndarray) -> "SuccessModel":
        """Fit on rows in time order (oldest first)."""
        from sklearn.linear_model import LogisticRegression

        success = np.asarray(success, dtype=float)
        rows = np.flatnonzero((X["n"].to_numpy() >= self.min_history) & np.isfinite(success))[-self.max_rows:]
        self.n_train_ = len(rows)
        labels = success[rows]
        if len(rows) < 2 * self.min_history or labels.min() == labels.max():
            self.model_ = None
            return self
        with limited_threads(len(rows)):
            self.model_ = LogisticRegression(C=self.C, max_iter=500).fit(_design(X.iloc[rows]), labels)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of success per row; NaN where the workflow has no judged run yet."""
        if not hasattr(self, "n_train_"):
            raise RuntimeError("SuccessModel is not fitted yet; call fit first")
        n = X["n"].to_numpy(dtype=float)
        rate = X["succ_rate_all"].to_numpy(dtype=float)
        out = np.where(n > 0, (np.nan_to_num(rate) * n + 1) / (n + 2), np.nan)
        modelled = n >= self.min_history
        if self.model_ is not None and modelled.any():
            out[modelled] = self.model_.predict_proba(_design(X.loc[modelled]))[:, 1]
        return out


class RecalibratedProbability:
    """A logistic recalibration of combined probabilities, with the all-time rate beside them:
    ``sigmoid(a · logit(p) + c · logit(all-time rate) + b)``.

    Averaging the best few candidates pulls probabilities toward the middle (and the last
    outcome repeated is a 0 or 1); far from the fit, the all-time rate is what a block of
    failures decays to. Three parameters fitted on the training runs' forecasts, each made
    before its run, weigh the two and calibrate. Without both outcomes in training the
    combination is kept as it is.
    """

    def fit(self, p: np.ndarray, rate: np.ndarray, success: np.ndarray) -> "RecalibratedProbability":
        from sklearn.linear_model import LogisticRegression

        p, success = np.asarray(p, dtype=float), np.asarray(success, dtype=float)
        inputs = self._inputs(p, rate)
        known = np.isfinite(p) & np.isfinite(success)
        self.model_ = None
        if known.sum() >= 20 and 0 < success[known].mean() < 1:
            self.model_ = LogisticRegression(C=0.1).fit(inputs[known], success[known])
        return self

    @staticmethod
    def _inputs(p: np.ndarray, rate: np.ndarray) -> np.ndarray:
        rate = np.where(np.isfinite(rate), rate, p)
        return np.column_stack([_logit(p), _logit(rate)])

    def transform(self, p: np.ndarray, rate: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if not hasattr(self, "model_"):
            raise RuntimeError("RecalibratedProbability is not fitted yet; call fit first")
        if self.model_ is None:
            return p
        out = np.full(len(p), np.nan)
        known = np.isfinite(p)
        if known.any():
            out[known] = self.model_.predict_proba(self._inputs(p, np.asarray(rate, dtype=float))[known])[:, 1]
        return out


def _logit(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, _EPS, 1 - _EPS)
    return np.log(clipped / (1 - clipped))
