"""The learned duration candidate: one gradient-boosted median model shared by all workflows.

Why this shape:

* **Target transform.** Durations are heavy-tailed and differ by orders of magnitude between
  workflows, so the target is ``log1p(duration) - log1p(median of the last 50 runs)``: the
  model learns *departures from a workflow's recent level* in relative terms, which is what
  transfers between a 20 s linter and a 40 min test matrix. The median survives the monotone
  transform, so back-transforming the predicted median of the log gives the median in seconds.
* **Quantile loss at 0.5** (``HistGradientBoostingRegressor(loss="quantile")``): the median
  minimises absolute error.
* **Judged before it is trusted.** The model is fitted once, on all but the latest
  ``holdout_share`` of the training runs, and predicts those latest runs out of time: that is
  its loss record in :class:`~.combine.Combiner`, which lets it speak for a workflow only where
  it beat the simple forecasters there. The same fitted model answers live queries, so the
  record describes exactly the model that is used. (The p90 comes from :mod:`.calibration`.)
* **Small and quick.** 40 boosting rounds on at most the latest 20,000 rows: a cold ``predict``
  refits it, and more rounds bought nothing measurable (docs/learning.md).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import numpy as np
import pandas as pd

from .features import DURATION_FEATURES

__all__ = ["DurationModel", "limited_threads"]


def _median_model(max_iter: int, random_state: int):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="quantile", quantile=0.5, max_iter=max_iter, learning_rate=0.15, max_leaf_nodes=15,
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
    """The gradient-boosted p50 over :data:`DURATION_FEATURES` rows.

    Parameters
    ----------
    min_history : runs a workflow needs before the model answers for it.
    holdout_share : latest share of training rows the model is not fitted on, but judged on.
    max_iter : boosting iterations.
    max_rows : fit on at most this many of the most recent rows.

    After ``fit``, ``holdout_rows_`` / ``holdout_p50_`` hold its out-of-time predictions of the
    held-out rows (positions in the training frame), and ``holdout_start_`` the creation time
    from which runs are out of its sample.
    """

    def __init__(self, min_history: int = 5, holdout_share: float = 0.2, max_iter: int = 40,
                 max_rows: int = 20_000, random_state: int = 0) -> None:
        self.min_history = min_history
        self.holdout_share = holdout_share
        self.max_iter = max_iter
        self.max_rows = max_rows
        self.random_state = random_state

    def _usable(self, X: pd.DataFrame) -> np.ndarray:
        return (X["n"].to_numpy() >= self.min_history) & np.isfinite(X["log_med50"].to_numpy())

    def fit(self, X: pd.DataFrame, duration: np.ndarray) -> "DurationModel":
        """Fit on rows in time order (oldest first); rows without enough history are skipped."""
        duration = np.asarray(duration, dtype=float)
        rows = np.flatnonzero(self._usable(X) & np.isfinite(duration))
        split = int(len(rows) * (1 - self.holdout_share))
        fit_rows = rows[:split][-self.max_rows:]
        self.holdout_rows_ = rows[split:]
        self.holdout_p50_ = np.zeros(0)
        self.model_ = None
        self.holdout_start_ = float(X["created"].iloc[rows[split]]) if split < len(rows) else np.inf
        if len(fit_rows) < 20 * self.min_history:
            self.holdout_rows_ = np.zeros(0, dtype=np.int64)
            self.holdout_start_ = np.inf
            return self
        known = X.iloc[fit_rows][list(DURATION_FEATURES)].notna().any()
        self.unknown_features_ = [str(name) for name in known.index[~known.to_numpy()]]
        target = np.log1p(duration[fit_rows]) - X["log_med50"].to_numpy()[fit_rows]
        with limited_threads(len(fit_rows)):
            self.model_ = _median_model(self.max_iter, self.random_state).fit(self._inputs(X.iloc[fit_rows]), target)
        self.holdout_p50_ = self.predict_p50(X.iloc[self.holdout_rows_])
        return self

    def _inputs(self, X: pd.DataFrame) -> pd.DataFrame:
        """The feature columns, with those never known in training held at 0.

        A store may lack a field everywhere (who triggered the runs, say); gradient boosting
        cannot bin an all-missing column, and a constant one simply goes unused.
        """
        inputs = X[list(DURATION_FEATURES)]
        return inputs.fillna(dict.fromkeys(self.unknown_features_, 0.0)) if self.unknown_features_ else inputs

    def predict_p50(self, X: pd.DataFrame) -> np.ndarray:
        """The model's p50 in seconds per row; NaN where it does not answer."""
        if not hasattr(self, "model_"):
            raise RuntimeError("DurationModel is not fitted yet; call fit first")
        out = np.full(len(X), np.nan)
        modelled = self._usable(X)
        if self.model_ is not None and modelled.any():
            with limited_threads(int(modelled.sum())):
                low = self.model_.predict(self._inputs(X.loc[modelled]))
            out[modelled] = np.maximum(np.expm1(low + X["log_med50"].to_numpy()[modelled]), 0.0)
        return out
