"""Error measures shared by the backtest and accuracy tracking, so both report the same numbers."""

from __future__ import annotations

import numpy as np

__all__ = ["duration_metrics", "brier", "pinball"]


def pinball(actual: np.ndarray, predicted: np.ndarray, q: float) -> float:
    """Mean quantile (pinball) loss at level ``q``, in seconds: low for a sharp *and* covering p90."""
    diff = actual - predicted
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def duration_metrics(actual: np.ndarray, p50: np.ndarray, p90: np.ndarray | None) -> dict[str, float | int | None]:
    """p50 MAE (seconds and relative to the median actual), p90 coverage and pinball loss at 0.9.

    Rows where a method made no prediction are skipped, so compare methods on equal ``n`` only
    (the backtest guarantees that by evaluating runs every method could predict).
    """
    actual = np.asarray(actual, dtype=float)
    p50 = np.asarray(p50, dtype=float)
    keep = np.isfinite(actual) & np.isfinite(p50)
    if not keep.any():
        return {"n": 0, "p50_mae_seconds": None, "p50_mae_relative": None, "p90_coverage": None, "pinball_90": None}
    a, m = actual[keep], p50[keep]
    mae = float(np.mean(np.abs(a - m)))
    median = float(np.median(a))
    out: dict[str, float | int | None] = {
        "n": int(keep.sum()),
        "p50_mae_seconds": mae,
        "p50_mae_relative": mae / median if median > 0 else None,
        "p90_coverage": None,
        "pinball_90": None,
    }
    if p90 is not None:
        high = np.asarray(p90, dtype=float)[keep]
        if np.isfinite(high).all():
            out["p90_coverage"] = float(np.mean(a <= high))
            out["pinball_90"] = pinball(a, high, 0.9)
    return out


def brier(actual: np.ndarray, probability: np.ndarray) -> dict[str, float | int | None]:
    """Brier score (mean squared error of the success probability) over rows with both values."""
    actual = np.asarray(actual, dtype=float)
    probability = np.asarray(probability, dtype=float)
    keep = np.isfinite(actual) & np.isfinite(probability)
    if not keep.any():
        return {"n": 0, "brier": None}
    return {"n": int(keep.sum()), "brier": float(np.mean((actual[keep] - probability[keep]) ** 2))}
