"""The p90's guard rails: the bound no p90 may exceed, whatever the calibration says.

A workflow's p90 is a plan ("9 in 10 runs finish within this"). Calibrated residuals can be
wide on a thin or noisy history, and one long approval wait once gave a 60-second job a p90 of
45 minutes. No p90 is therefore ever above :data:`P90_BOUND_MULTIPLE` times the longest run
the workflow has had so far: a run that long has been seen, so planning for it is honest, and
anything beyond is a guess no history supports. As new long runs arrive the bound grows with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - pandas is only needed once something is fitted
    import pandas as pd

__all__ = ["P90_BOUND_MULTIPLE", "p90_bound", "P90Calibrator", "conformal_quantile", "own_keys", "newcomer"]

#: No p90 exceeds this multiple of the workflow's longest known run (plus a minute, so a job
#: whose runs all took 0 s, "under a minute" at minute resolution, may still be given one).
P90_BOUND_MULTIPLE = 2.0
BOUND_FLOOR_SECONDS = 60.0


def p90_bound(longest: np.ndarray) -> np.ndarray:
    """The largest p90 allowed for workflows whose longest known runs are ``longest`` seconds
    (NaN, no known duration, stays NaN: there is nothing to bound)."""
    return P90_BOUND_MULTIPLE * np.asarray(longest, dtype=float) + BOUND_FLOOR_SECONDS


# ----- the conformal p90 --------------------------------------------------------------------
#: Coverage the p90 is calibrated for.
LEVEL = 0.9
#: A bucket needs this many residuals before its own quantile is used (else a coarser one).
MIN_BUCKET = 40
#: A workflow's own residuals: the last this many, weighed against the bucket's like this many.
OWN_WINDOW = 30
OWN_PRIOR = 15.0
_N_EDGES = (10.0, 50.0)
_VOLATILITY_EDGES = (0.15, 0.5)


def conformal_quantile(residuals: np.ndarray) -> float:
    """The split-conformal quantile: the ⌈(n+1)·0.9⌉-th smallest of n residuals."""
    n = len(residuals)
    return float(np.quantile(residuals, min(1.0, LEVEL * (n + 1) / n), method="higher"))


#: An actor with fewer earlier runs than this is a newcomer: GitHub holds a first-time
#: contributor's pull-request runs until a maintainer approves them, so their spans run long.
NEWCOMER_RUNS = 8


def newcomer(X: "pd.DataFrame") -> np.ndarray:
    """Whether each row's run was triggered by a newcomer (known when the run is created)."""
    return np.nan_to_num(X["log_actor_runs"].to_numpy(dtype=float), nan=np.inf) < np.log1p(NEWCOMER_RUNS)


def _buckets(X: "pd.DataFrame") -> list[np.ndarray]:
    """Each row's bucket at three levels, finest first: (newcomer, history length, volatility,
    event class), (newcomer, history length, volatility), (newcomer, volatility)."""
    n_bin = np.digitize(np.nan_to_num(X["n"].to_numpy(dtype=float)), _N_EDGES)
    vol_bin = np.digitize(np.nan_to_num(X["log_std20"].to_numpy(dtype=float), nan=1.0), _VOLATILITY_EDGES)
    event = X["event"].to_numpy()
    event_bin = np.select([event == 0, event == 1, event == 2], [0, 1, 2], 3)  # push, pull_request, schedule, other
    new = newcomer(X) * 10_000
    return [new + n_bin * 100 + vol_bin * 10 + event_bin, new + n_bin * 100 + vol_bin * 10 + 9, new + 1000 + vol_bin]


def own_keys(X: "pd.DataFrame", workflows: np.ndarray) -> np.ndarray:
    """A workflow's own p90 record, kept apart for newcomers' runs and everyone else's: a
    newcomer's run may wait for a maintainer's approval, a regular's does not."""
    return np.asarray(workflows, dtype=object) + np.where(newcomer(X), "\x1fnew", "")


class P90Calibrator:
    """A p90 calibrated by construction: conformal quantiles of ``log((actual + 1) / (p50 + 1))``.

    The residual's 0.9 quantile is learned per forecast horizon (the p50 of a run many runs
    ahead misses by more), in buckets pooled across workflows, by whether a newcomer triggered
    the run, history length, volatility (spread of the last 20 log durations) and event,
    falling back to a coarser bucket when one holds fewer than :data:`MIN_BUCKET` runs. Each
    workflow then moves it toward the conformal quantile of its own last :data:`OWN_WINDOW`
    residuals at that horizon (a local, rolling quantile: when a workflow drifts, its own
    recent misses widen its p90 within a few runs). The p90 is ``(p50 + 1) · exp(q) - 1``,
    never below the p50 and never above :func:`p90_bound` (where a p50 would exceed the
    bound, the forecaster lowers the p50 to it).
    """

    def fit(self, frames: "Mapping[int, pd.DataFrame]") -> "P90Calibrator":
        """Learn from one frame per horizon, each with ``duration`` and the forecast ``p50``."""
        self.horizons_ = {h: self._fit_one(frame) for h, frame in frames.items()}
        return self

    @staticmethod
    def _fit_one(train: "pd.DataFrame") -> dict:
        import pandas as pd

        from .features import _rolling, _Timeline

        residual = np.log1p(train["duration"].to_numpy(dtype=float)) - np.log1p(train["p50"].to_numpy(dtype=float))
        known = np.isfinite(residual)
        overall = conformal_quantile(residual[known]) if known.any() else 0.0
        levels = []
        for keys in _buckets(train):
            table = pd.DataFrame({"key": keys[known], "r": residual[known]}).groupby("key")["r"]
            sizes = table.size()
            levels.append({k: conformal_quantile(v.to_numpy()) for k, v in table if sizes[k] >= MIN_BUCKET})
        line = _Timeline.build(own_keys(train, train["workflow"].to_numpy(dtype=object))[known],
                               train["finished"].to_numpy(dtype=float)[known], {"r": residual[known]})
        line.stats["q"] = _rolling(pd.Series(line.stats["r"]), line.codes, OWN_WINDOW, "quantile", LEVEL)
        line.stats["n"] = np.minimum(line.group_index() + 1.0, OWN_WINDOW)
        return {"global": overall, "levels": levels, "own": line}

    def p90(self, p50: np.ndarray, X: "pd.DataFrame", workflows: np.ndarray, times: np.ndarray,
            horizons: np.ndarray) -> np.ndarray:
        """The calibrated, bounded p90 for predictions ``p50`` with features ``X``."""
        q = np.zeros(len(X))
        horizons = np.asarray(horizons)
        for h in np.unique(horizons):
            rows = horizons == h
            q[rows] = self._quantile(self.horizons_[int(h)], X[rows], np.asarray(workflows, dtype=object)[rows],
                                     np.asarray(times, dtype=float)[rows])
        p50 = np.asarray(p50, dtype=float)
        p90 = np.maximum((p50 + 1.0) * np.exp(q) - 1.0, p50)
        bound = p90_bound(X["longest"].to_numpy(dtype=float))
        return np.where(np.isfinite(bound), np.minimum(p90, bound), p90)

    @staticmethod
    def _quantile(fitted: dict, X: "pd.DataFrame", workflows: np.ndarray, times: np.ndarray) -> np.ndarray:
        import pandas as pd

        pooled = np.full(len(X), fitted["global"])
        decided = np.zeros(len(X), dtype=bool)
        for keys, table in zip(_buckets(X), fitted["levels"]):
            codes, unique = pd.factorize(keys)
            value = np.array([table.get(k, np.nan) for k in unique], dtype=float)[codes] if len(unique) else np.zeros(0)
            take = ~decided & np.isfinite(value)
            pooled[take] = value[take]
            decided |= take
        own_line = fitted["own"]
        rows = own_line.locate(own_keys(X, workflows), times)
        own, count = own_line.take("q", rows), np.nan_to_num(own_line.take("n", rows))
        return np.where(count > 0, (count * np.nan_to_num(own) + OWN_PRIOR * pooled) / (count + OWN_PRIOR), pooled)
