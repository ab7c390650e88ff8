"""Forecast combination per workflow: choose among cheap forecasters by their own recent error.

No single rule wins everywhere. The median of the last 50 runs is right for noisy but stable
workflows, the last value for one that fails in blocks, a short median after a level shift, the
same event's or branch's median where pull requests differ from pushes, the learned model where
patterns carry across workflows. So every forecaster (a *candidate*) predicts every run from what
was known when the run was created; once the run has finished its loss is known; and each
workflow's trailing (exponentially weighted) loss per candidate, as of any moment, decides which
candidates speak for it next. The best few are combined with equal weights (the forecasting
competitions' lesson: an equal-weight combination of the best few is hard to beat, and it is
robust to the one candidate whose recent luck flatters it).

A workflow with little history borrows its repository's choice (partial pooling): each
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

from .features import _ewm, _Timeline

__all__ = ["Combiner", "repository_of", "PRIOR_RUNS", "TOP_K"]

#: Weight, in runs, of the repository's loss in a workflow's shrunk loss per candidate.
PRIOR_RUNS = 10.0
#: A workflow's own trailing loss counts as at most this many runs against the prior.
MEMORY_RUNS = 200.0
#: Smoothing of the trailing losses: the last ~10 runs weigh most.
LOSS_ALPHA = 0.1
#: How many of the best candidates are combined.
TOP_K = 3

Loss = Callable[[np.ndarray, np.ndarray, pd.DataFrame], np.ndarray]
#: Combines the chosen values row by row: ``aggregate(values, axis=1)`` ignoring NaN.
Aggregate = Callable[..., np.ndarray]


def repository_of(workflows: np.ndarray) -> np.ndarray:
    """The repository part of workflow keys (``owner/name:path`` or ``owner/name#id``)."""
    return np.array([w.split(":", 1)[0].split("#", 1)[0] for w in workflows], dtype=object)


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


class Combiner:
    """Choose and combine candidate columns per workflow by their trailing loss.

    Parameters
    ----------
    candidates : name → column of the feature frame holding that candidate's forecast.
    loss : ``loss(actual, forecast, frame)`` per row (NaN where unknown).
    aggregate : combines the chosen values of each row, NaN-aware (``np.nanmedian``, ``np.nanmean``).
    top_k : how many of the lowest-loss candidates are combined.
    """

    def __init__(self, candidates: Mapping[str, str], loss: Loss, aggregate: Aggregate, top_k: int = TOP_K) -> None:
        self.candidates = dict(candidates)
        self.loss = loss
        self.aggregate = aggregate
        self.top_k = top_k

    def fit(self, train: pd.DataFrame, actual: np.ndarray) -> "Combiner":
        """Learn the loss timelines from ``train`` (rows with ``workflow`` and ``finished``)."""
        names = list(self.candidates)
        workflows = train["workflow"].to_numpy(dtype=object)
        losses = {name: self.loss(actual, self._values(train, name), train) for name in names}
        timeline = _Timeline.build(workflows, train["finished"].to_numpy(dtype=float), losses)
        for name in names:
            series = pd.Series(timeline.stats[name])
            timeline.stats[f"{name}:ewm"] = _ewm(series, timeline.keys, LOSS_ALPHA)
            timeline.stats[f"{name}:n"] = series.notna().astype(float).groupby(timeline.keys, sort=False).cumsum().to_numpy()
        self.timeline_ = timeline
        reference = losses[names[0]]
        repos = repository_of(workflows)
        self.repository_ratio_: dict[str, dict[str, float]] = {}
        self.global_ratio_: dict[str, float] = {}
        for name in names:
            both = np.isfinite(losses[name]) & np.isfinite(reference)
            table = pd.DataFrame({"repo": repos[both], "own": losses[name][both], "ref": reference[both]})
            sums = table.groupby("repo")[["own", "ref"]].sum()
            for repo, row in sums.iterrows():
                if row["ref"] > 0:
                    self.repository_ratio_.setdefault(str(repo), {})[name] = float(row["own"] / row["ref"])
            total = table[["own", "ref"]].sum()
            self.global_ratio_[name] = float(total["own"] / total["ref"]) if total["ref"] > 0 else np.nan
        return self

    def _values(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        return frame[self.candidates[name]].to_numpy(dtype=float)

    def shrunk_losses(self, workflows: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Per query and candidate: the workflow's trailing loss as of ``t``, shrunk toward its
        repository's (rows × candidates; NaN where neither is known)."""
        rows = self.timeline_.locate(workflows, times)
        repos = repository_of(workflows)
        names = list(self.candidates)
        reference = self.timeline_.take(f"{names[0]}:ewm", rows)
        out = np.full((len(workflows), len(names)), np.nan)
        repo_index = pd.Index(repos)
        for j, name in enumerate(names):
            own = self.timeline_.take(f"{name}:ewm", rows)
            count = np.minimum(np.nan_to_num(self.timeline_.take(f"{name}:n", rows)), MEMORY_RUNS)
            known = {repo: ratios[name] for repo, ratios in self.repository_ratio_.items() if name in ratios}
            ratio = repo_index.map(known).to_numpy(dtype=float, na_value=np.nan)
            ratio = np.where(np.isfinite(ratio), ratio, self.global_ratio_.get(name, np.nan))
            prior = ratio * reference
            own = np.where(np.isfinite(own), own, 0.0)
            with np.errstate(invalid="ignore"):
                out[:, j] = np.where(np.isfinite(prior), (count * own + PRIOR_RUNS * prior) / (count + PRIOR_RUNS),
                                     np.where(count > 0, own, np.nan))
        return out

    def combine(self, frame: pd.DataFrame, workflows: np.ndarray, times: np.ndarray) -> Combined:
        """The combination for each row of ``frame`` (features as of each query's time)."""
        names = np.array(list(self.candidates), dtype=object)
        values = np.column_stack([self._values(frame, name) for name in names]) if len(names) else np.zeros((len(frame), 0))
        losses = self.shrunk_losses(np.asarray(workflows, dtype=object), np.asarray(times, dtype=float))
        usable = np.isfinite(values) & np.isfinite(losses)
        ranked = np.argsort(np.where(usable, losses, np.inf), axis=1, kind="stable")[:, : self.top_k]
        picked = np.take_along_axis(usable, ranked, axis=1)
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
    within one workflow it ranks candidates exactly as the error in seconds does, and across a
    repository's workflows it is comparable, which the partial pooling needs."""
    level = frame["bl_last50_median"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(actual, dtype=float) - forecast) / (np.nan_to_num(level) + 1.0)


def squared_loss(actual: np.ndarray, forecast: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Brier loss of a probability forecast."""
    return (np.asarray(actual, dtype=float) - forecast) ** 2

