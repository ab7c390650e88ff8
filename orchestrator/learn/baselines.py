"""Naive ("dummy") predictors the models must beat, reported beside every model figure.

Like scikit-learn's ``DummyRegressor`` they ignore everything clever; unlike it they are
history-aware, because the naive answers people actually use are "the last run", "the median of
the last 50 runs" (what the workflow-time-predictor Action outputs) and the seed's per-hour
mean. Their inputs are the ``bl_*`` columns :meth:`History.features_at` computes from the same
"known before t" state as the model's features, so the comparison is fair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


__all__ = ["DurationBaseline", "SuccessBaseline", "DURATION_BASELINES", "SUCCESS_BASELINES"]

#: strategy → (p50 column, p90 column or None when the baseline makes no p90 claim)
DURATION_BASELINES: dict[str, tuple[str, str | None]] = {
    "per_hour_mean": ("bl_per_hour_mean", None),
    "last50_median": ("bl_last50_median", "bl_last50_p90"),
    "last_value": ("bl_last_value", None),
}
SUCCESS_BASELINES: dict[str, str] = {
    "historical_rate": "bl_historical_rate",
    "repeat_last": "bl_repeat_last",
}


def _check_fitted(estimator: object) -> None:
    if not hasattr(estimator, "strategy_column_"):
        raise RuntimeError(f"{type(estimator).__name__} is not fitted yet; call fit first")


class DurationBaseline:
    """p50 (and p90 where the strategy defines one) of a naive duration predictor.

    Parameters
    ----------
    strategy : one of :data:`DURATION_BASELINES`.
    """

    def __init__(self, strategy: str = "last50_median") -> None:
        self.strategy = strategy

    def fit(self, X: pd.DataFrame | None = None, y: np.ndarray | None = None) -> "DurationBaseline":
        """Validate the strategy; there is nothing else to learn (history arrives with ``X``)."""
        if self.strategy not in DURATION_BASELINES:
            raise ValueError(f"strategy {self.strategy!r} is not one of {sorted(DURATION_BASELINES)}")
        self.strategy_column_, self.p90_column_ = DURATION_BASELINES[self.strategy]
        return self

    def predict_quantiles(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(p50, p90) per row; p90 is NaN for strategies that only give a point value."""
        _check_fitted(self)
        p50 = X[self.strategy_column_].to_numpy(dtype=float)
        p90 = X[self.p90_column_].to_numpy(dtype=float) if self.p90_column_ else np.full(len(X), np.nan)
        return p50, p90


class SuccessBaseline:
    """Success probability of a naive predictor: the all-time rate, or the last outcome repeated."""

    def __init__(self, strategy: str = "historical_rate") -> None:
        self.strategy = strategy

    def fit(self, X: pd.DataFrame | None = None, y: np.ndarray | None = None) -> "SuccessBaseline":
        if self.strategy not in SUCCESS_BASELINES:
            raise ValueError(f"strategy {self.strategy!r} is not one of {sorted(SUCCESS_BASELINES)}")
        self.strategy_column_ = SUCCESS_BASELINES[self.strategy]
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of success per row (NaN without history)."""
        _check_fitted(self)
        return X[self.strategy_column_].to_numpy(dtype=float)
