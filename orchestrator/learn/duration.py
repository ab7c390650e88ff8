"""Duration quantiles (p50, p90) from one gradient-boosted model shared by all workflows.

Why this shape:

* **Target transform.** Durations are heavy-tailed and differ by orders of magnitude between
  workflows, so the target is ``log1p(duration) - log1p(median of the last 50 runs)``: the
  model learns *departures from a workflow's recent level* in relative terms, which is what
  transfers between a 20 s linter and a 40 min test matrix. Quantiles survive monotone
  transforms, so back-transforming a predicted quantile of the log gives that quantile in seconds.
* **Quantile loss.** ``HistGradientBoostingRegressor(loss="quantile")`` at 0.5 and 0.9: the
  median minimises absolute error, the 0.9 quantile is the "plan for this" figure.
* **Calibrated p90.** Boosted quantiles tend to under-cover out of sample, so a time-ordered
  holdout (the latest ``holdout_share`` of training runs) measures the shift in log space that
  makes 90% of held-out runs fall under p90 (split-conformal; it may also narrow an
  over-covering p90), and it is added after refitting.
* **Fallback.** With fewer than ``min_history`` earlier runs, the workflow's own empirical
  median and p90 are returned; with none, nothing is (``NaN``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import numpy as np
import pandas as pd

from .features import DURATION_FEATURES

__all__ = ["DurationModel", "limited_threads"]


def _quantile_model(q: float, max_iter: int, random_state: int):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="quantile", quantile=q, max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=15,
        min_samples_leaf=40, l2_regularization=1.0, early_stopping=False, random_state=random_state,
        categorical_features=[name == "event" for name in DURATION_FEATURES],
    )


#: Below this many rows fits run on one thread: OpenMP and BLAS workers spin-waiting on a busy
#: machine (CI runners, shared hosts) make small fits orders of magnitude slower, not faster.
SINGLE_THREAD_ROWS = 20_000


def limited_threads(n_rows: int) -> AbstractContextManager:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1 if n_rows < SINGLE_THREAD_ROWS else None)


class DurationModel:
    """p50/p90 duration model over :data:`DURATION_FEATURES` rows.

    Parameters
    ----------
    min_history : runs a workflow needs before the model (not its empirical quantiles) answers.
    holdout_share : latest share of training rows used to calibrate p90.
    max_iter : boosting iterations per quantile.
    max_rows : train on at most this many of the most recent rows (recent behaviour matters most,
        and it bounds fit time on very large stores).

    After ``fit``, ``holdout_rows_`` / ``holdout_p50_`` / ``holdout_p90_`` hold the out-of-time
    predictions of the early-fitted model on the holdout: the measured error the predictor reports.
    """

    def __init__(self, min_history: int = 5, holdout_share: float = 0.2, max_iter: int = 100,
                 max_rows: int = 60_000, random_state: int = 0) -> None:
        self.min_history = min_history
        self.holdout_share = holdout_share
        self.max_iter = max_iter
        self.max_rows = max_rows
        self.random_state = random_state

    def _usable(self, X: pd.DataFrame, duration: np.ndarray) -> np.ndarray:
        return (X["n"].to_numpy() >= self.min_history) & np.isfinite(X["log_med50"].to_numpy()) & np.isfinite(duration)

    def fit(self, X: pd.DataFrame, duration: np.ndarray) -> "DurationModel":
        """Fit on rows in time order (oldest first); rows without enough history are skipped."""
        duration = np.asarray(duration, dtype=float)
        rows = np.flatnonzero(self._usable(X, duration))[-self.max_rows:]
        self.n_train_ = len(rows)
        if len(rows) < 2 * self.min_history:
            self.p50_ = self.p90_ = None
            self.p90_shift_ = 0.0
            self.holdout_rows_ = np.zeros(0, dtype=np.int64)
            self.holdout_p50_ = self.holdout_p90_ = np.zeros(0)
            return self
        with limited_threads(len(rows)):
            return self._fit_rows(X, duration, rows)

    def _inputs(self, X: pd.DataFrame) -> pd.DataFrame:
        """The feature columns, with those never known in training held at 0.

        A store may lack a field everywhere (who triggered the runs, say); gradient boosting
        cannot bin an all-missing column, and a constant one simply goes unused.
        """
        inputs = X[list(DURATION_FEATURES)]
        return inputs.fillna(dict.fromkeys(self.unknown_features_, 0.0)) if self.unknown_features_ else inputs

    def _fit_rows(self, X: pd.DataFrame, duration: np.ndarray, rows: np.ndarray) -> "DurationModel":
        known = X.iloc[rows][list(DURATION_FEATURES)].notna().any()
        self.unknown_features_ = [str(name) for name in known.index[~known.to_numpy()]]
        inputs = self._inputs(X.iloc[rows])
        target = np.log1p(duration[rows]) - X["log_med50"].to_numpy()[rows]
        split = int(len(rows) * (1 - self.holdout_share))
        self.p90_shift_ = 0.0
        self.holdout_rows_ = rows[split:]
        self.holdout_p50_ = self.holdout_p90_ = np.full(len(rows) - split, np.nan)
        if len(rows) - split >= 20:
            early50 = _quantile_model(0.5, self.max_iter, self.random_state).fit(inputs.iloc[:split], target[:split])
            early90 = _quantile_model(0.9, self.max_iter, self.random_state).fit(inputs.iloc[:split], target[:split])
            base = X["log_med50"].to_numpy()[rows[split:]]
            late = inputs.iloc[split:]
            high = early90.predict(late)
            self.p90_shift_ = float(np.quantile(target[split:] - high, 0.9))
            self.holdout_p50_ = np.maximum(np.expm1(early50.predict(late) + base), 0.0)
            self.holdout_p90_ = np.maximum(np.expm1(high + self.p90_shift_ + base), self.holdout_p50_)
        self.p50_ = _quantile_model(0.5, self.max_iter, self.random_state).fit(inputs, target)
        self.p90_ = _quantile_model(0.9, self.max_iter, self.random_state).fit(inputs, target)
        return self

    def predict_quantiles(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(p50, p90) in seconds per row; NaN where the workflow has no known duration."""
        if not hasattr(self, "p90_shift_"):
            raise RuntimeError("DurationModel is not fitted yet; call fit first")
        p50 = X["bl_last50_median"].to_numpy(dtype=float).copy()
        p90 = X["bl_last50_p90"].to_numpy(dtype=float).copy()
        modelled = (X["n"].to_numpy() >= self.min_history) & np.isfinite(X["log_med50"].to_numpy())
        if self.p50_ is not None and modelled.any():
            with limited_threads(int(modelled.sum())):
                low, high = self._predict_rows(X, modelled)
            p50[modelled] = np.maximum(low, 0.0)
            p90[modelled] = np.maximum(high, p50[modelled])
        return p50, p90

    def _predict_rows(self, X: pd.DataFrame, modelled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Back-transformed (p50, p90) of the modelled rows, before clipping."""
        inputs = self._inputs(X.loc[modelled])
        base = X["log_med50"].to_numpy()[modelled]
        low = np.expm1(self.p50_.predict(inputs) + base)
        high = np.expm1(self.p90_.predict(inputs) + self.p90_shift_ + base)
        return low, high
