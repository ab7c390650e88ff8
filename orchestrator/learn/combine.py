"""Forecast combination per workflow: choose among cheap forecasters by their own recent error.

No single rule wins everywhere. The median of the last 50 runs is right for noisy but stable
workflows, the last value for one that fails in blocks, a short median after a level shift, the
same event's or branch's median where pull requests differ from pushes, the learned model where
patterns carry across workflows. So every forecaster (a *candidate*) predicts every training run
from what was known before it; once the run has finished its loss is known; and each workflow's
mean loss per candidate over its last :data:`WINDOW` runs, as of any moment, decides which
candidates speak for it next. The best few are combined with equal weights (the forecasting
competitions' lesson: an equal-weight combination of the best few is hard to beat, and it is
robust to the one candidate whose recent luck flatters it).

**Horizons.** A store is refitted now and then, and asked about runs until the next refit: the
last value is the best forecast of the next run of a workflow that fails in blocks, and a poor
one of its fiftieth. So losses are kept per forecast horizon (:data:`HORIZONS`, in runs ahead:
the forecast made when the run ``h - 1`` places earlier was created), and a query is judged by
the losses at the horizon nearest to how many runs lie between the history and it.

**Partial pooling.** A workflow with little history borrows its repository's choice: each
candidate's loss is shrunk, with the weight of :data:`PRIOR_RUNS` runs, toward the workflow's
loss of the reference candidate (the first one, which always has a record) times the
candidate's loss relative to the reference over the repository's runs where both answered. The
ratio is taken on common runs because candidates have records over different periods (the
learned model only on the latest runs): comparing raw means would compare periods, not
forecasters. A workflow's own record takes over as it grows.

The same mechanism serves durations (loss: absolute error relative to the workflow's level,
combined by the median of the chosen values) and success (loss: squared error, combined by
the mean of the chosen probabilities).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .features import _Timeline

__all__ = ["Combiner", "repository_of", "horizon_bucket", "HORIZONS", "PRIOR_RUNS", "TOP_K", "WINDOW"]

#: Forecast horizons (runs ahead) at which losses are kept.
HORIZONS = (1, 4, 16, 64)
#: Weight, in runs, of the repository's loss in a workflow's shrunk loss per candidate.
PRIOR_RUNS = 10.0
#: A workflow's loss per candidate is the mean over its last this many runs.
WINDOW = 20
#: Each workflow's latest this many runs make the loss records at horizons beyond the next run.
RECENT_RUNS = 1000
#: How many of the best candidates are combined, at most...
TOP_K = 3
#: ...and only those whose loss is within this share of the best one's: a candidate that alone
#: knows something (the hour of day, say) is not outvoted by two that do not.
TOLERANCE = 0.1

Loss = Callable[[np.ndarray, np.ndarray, pd.DataFrame], np.ndarray]
#: Combines the chosen values row by row: ``aggregate(values, axis=1)`` ignoring NaN.
Aggregate = Callable[..., np.ndarray]


def repository_of(workflows: np.ndarray) -> np.ndarray:
    """The repository part of workflow keys (``owner/name:path`` or ``owner/name#id``)."""
    inverse, unique = pd.factorize(np.asarray(workflows, dtype=object))
    parts = np.array([str(w).split(":", 1)[0].split("#", 1)[0] for w in unique], dtype=object)
    return parts[inverse] if len(unique) else np.zeros(0, dtype=object)


def horizon_bucket(runs_ahead: np.ndarray) -> np.ndarray:
    """The nearest of :data:`HORIZONS` (in log terms) to each number of runs ahead."""
    ahead = np.log(np.clip(np.nan_to_num(np.asarray(runs_ahead, dtype=float), nan=1.0), 1.0, None))
    choices = np.log(np.asarray(HORIZONS, dtype=float))
    return np.asarray(HORIZONS)[np.argmin(np.abs(ahead[:, None] - choices[None, :]), axis=1)]


def _window_mean(timeline: _Timeline, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per timeline row: the mean of the known ``values`` over the group's last :data:`WINDOW`
    rows up to and including it, and how many were known (vectorised with cumulative sums)."""
    known = np.isfinite(values)
    total = np.cumsum(np.where(known, values, 0.0))
    count = np.cumsum(known.astype(float))
    index = np.arange(len(values))
    begin = np.zeros(len(values), dtype=np.int64)
    for start, end in timeline.starts.values():
        begin[start:end] = start
    first = np.maximum(begin, index - WINDOW + 1)
    before_total = np.where(first > 0, total[first - 1], 0.0)
    before_count = np.where(first > 0, count[first - 1], 0.0)
    n = count - before_count
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (total - before_total) / n, np.nan), n


@dataclass
class Combined:
    """Per query: the combined value and the mean shrunk loss of the candidates used."""

    value: np.ndarray
    loss: np.ndarray
    names: np.ndarray
    ranked: np.ndarray
    picked: np.ndarray

    def chosen(self, row: int) -> tuple[str, ...]:
        """The candidates combined for one query, best first (for the reasoning)."""
        return tuple(self.names[self.ranked[row][self.picked[row]]])


@dataclass
class _HorizonRecord:
    timeline: _Timeline
    repository_ratio: dict[str, dict[str, float]]
    global_ratio: dict[str, float]


class Combiner:
    """Choose and combine candidate columns per workflow by their trailing loss.

    Parameters
    ----------
    candidates : name → column of the feature frame holding that candidate's forecast.
    loss : ``loss(actual, forecast, frame)`` per row (NaN where unknown).
    aggregate : combines the chosen values of each row, NaN-aware (``np.nanmedian``, ``np.nanmean``).
    top_k : how many of the lowest-loss candidates are combined.
    key_of : ``key_of(frame, workflows)``, the record each row's losses are kept under (default:
        its workflow); a finer key keeps apart runs that need different forecasters (a newcomer's).
    """

    def __init__(self, candidates: Mapping[str, str], loss: Loss, aggregate: Aggregate, top_k: int = TOP_K,
                 key_of: Callable[[pd.DataFrame, np.ndarray], np.ndarray] | None = None) -> None:
        self.candidates = dict(candidates)
        self.loss = loss
        self.aggregate = aggregate
        self.top_k = top_k
        self.key_of = key_of

    def fit(self, frames: Mapping[int, pd.DataFrame], target: str) -> "Combiner":
        """Learn the loss records from one training frame per horizon (rows with ``workflow``,
        ``finished``, the candidates and the ``target`` column)."""
        self.records_ = {h: self._record(frame, frame[target].to_numpy(dtype=float)) for h, frame in frames.items()}
        return self

    def _record(self, frame: pd.DataFrame, actual: np.ndarray) -> _HorizonRecord:
        names = list(self.candidates)
        workflows = self._keys(frame, frame["workflow"].to_numpy(dtype=object))
        losses = {name: self.loss(actual, self._values(frame, name), frame) for name in names}
        timeline = _Timeline.build(workflows, frame["finished"].to_numpy(dtype=float), losses)
        for name in names:
            timeline.stats[f"{name}:mean"], timeline.stats[f"{name}:n"] = _window_mean(timeline, timeline.stats[name])
        reference = losses[names[0]]
        codes, repos = pd.factorize(repository_of(workflows))
        repository_ratio: dict[str, dict[str, float]] = {}
        global_ratio: dict[str, float] = {}
        for name in names:
            both = np.isfinite(losses[name]) & np.isfinite(reference)
            own = np.bincount(codes[both], losses[name][both], minlength=len(repos))
            ref = np.bincount(codes[both], reference[both], minlength=len(repos))
            for repo, own_sum, ref_sum in zip(repos, own, ref):
                if ref_sum > 0:
                    repository_ratio.setdefault(str(repo), {})[name] = float(own_sum / ref_sum)
            global_ratio[name] = float(own.sum() / ref.sum()) if ref.sum() > 0 else np.nan
        return _HorizonRecord(timeline, repository_ratio, global_ratio)

    def _keys(self, frame: pd.DataFrame, workflows: np.ndarray) -> np.ndarray:
        return np.asarray(self.key_of(frame, workflows) if self.key_of else workflows, dtype=object)

    def _values(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        return frame[self.candidates[name]].to_numpy(dtype=float)

    def shrunk_losses(self, workflows: np.ndarray, times: np.ndarray, horizon: int) -> np.ndarray:
        """Per query and candidate: the workflow's trailing loss at ``horizon`` as of ``t``, shrunk
        toward its repository's (rows × candidates; NaN where neither is known)."""
        record = self.records_[horizon]
        rows = record.timeline.locate(workflows, times)
        codes, repos = pd.factorize(repository_of(workflows))
        names = list(self.candidates)
        reference = record.timeline.take(f"{names[0]}:mean", rows)
        out = np.full((len(workflows), len(names)), np.nan)
        for j, name in enumerate(names):
            own = record.timeline.take(f"{name}:mean", rows)
            count = np.nan_to_num(record.timeline.take(f"{name}:n", rows))
            fallback = record.global_ratio.get(name, np.nan)
            per_repo = np.array([record.repository_ratio.get(str(r), {}).get(name, fallback) for r in repos], dtype=float)
            ratio = per_repo[codes] if len(repos) else np.zeros(0)
            prior = ratio * reference
            own = np.where(np.isfinite(own), own, 0.0)
            with np.errstate(invalid="ignore"):
                out[:, j] = np.where(np.isfinite(prior), (count * own + PRIOR_RUNS * prior) / (count + PRIOR_RUNS),
                                     np.where(count > 0, own, np.nan))
        return out

    def combine(self, frame: pd.DataFrame, workflows: np.ndarray, times: np.ndarray, horizons: np.ndarray) -> Combined:
        """The combination for each row of ``frame`` (features as of each query's state ``times``,
        judged by the losses at each row's horizon, one of :data:`HORIZONS`)."""
        names = np.array(list(self.candidates), dtype=object)
        values = np.column_stack([self._values(frame, name) for name in names])
        workflows, times = self._keys(frame, np.asarray(workflows, dtype=object)), np.asarray(times, dtype=float)
        horizons = np.asarray(horizons)
        losses = np.full(values.shape, np.nan)
        for h in np.unique(horizons):
            rows = horizons == h
            losses[rows] = self.shrunk_losses(workflows[rows], times[rows], int(h))
        usable = np.isfinite(values) & np.isfinite(losses)
        ranked = np.argsort(np.where(usable, losses, np.inf), axis=1, kind="stable")[:, : self.top_k]
        best = np.take_along_axis(np.where(usable, losses, np.inf), ranked[:, :1], axis=1)
        close = np.take_along_axis(losses, ranked, axis=1) <= best * (1.0 + TOLERANCE) + 1e-12
        picked = np.take_along_axis(usable, ranked, axis=1) & close
        chosen_values = np.where(picked, np.take_along_axis(values, ranked, axis=1), np.nan)
        chosen_losses = np.where(picked, np.take_along_axis(losses, ranked, axis=1), np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row is expected: nothing known
            out = self.aggregate(chosen_values, axis=1) if len(frame) else np.zeros(0)
            loss = np.nanmean(chosen_losses, axis=1) if len(frame) else np.zeros(0)
        # No candidate with a loss record: the first known value, in the candidates' order.
        none = ~picked.any(axis=1)
        if none.any():
            known = np.isfinite(values[none])
            first = np.argmax(known, axis=1)
            out[none] = np.where(known.any(axis=1), values[none][np.arange(int(none.sum())), first], np.nan)
        return Combined(out, loss, names, ranked, picked)


def relative_abs_loss(actual: np.ndarray, forecast: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """|actual - forecast| relative to the workflow's level then (median of its last 50 runs):
    within one workflow it ranks candidates as the error in seconds does, and across a
    repository's workflows it is comparable, which the partial pooling needs."""
    level = frame["bl_last50_median"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(actual, dtype=float) - forecast) / (np.nan_to_num(level) + 1.0)


def pinball_loss(actual: np.ndarray, forecast: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Quantile loss at 0.9, relative to the workflow's level: low for a p90 that is both sharp
    and covering (a miss above costs nine times a margin below)."""
    level = frame["bl_last50_median"].to_numpy(dtype=float)
    diff = np.asarray(actual, dtype=float) - forecast
    with np.errstate(invalid="ignore"):
        return np.maximum(0.9 * diff, -0.1 * diff) / (np.nan_to_num(level) + 1.0)


def squared_loss(actual: np.ndarray, forecast: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Brier loss of a probability forecast."""
    return (np.asarray(actual, dtype=float) - forecast) ** 2
