"""Issue 11's evaluation protocol and bars: the one procedure behind every quality table.

The maintainers re-measure our predictions on hidden histories this way: each repository's
history is imported in time order, re-learned at 4 rolling origins, and every later run is
predicted with ``predict-runs``. A bench that measures anything else (another fold layout,
features that keep moving inside a fold, runs a store could not yet hold) reports figures they
will not see, so this module is that procedure and nothing more, and every table of
``bench/learn_quality.py`` goes through :func:`predict_fold` (one call per history and fold, so
the folds of several histories can run in parallel):

- the runs are sorted by creation; the origins sit at 50%, 62.5%, 75% and 87.5% of them;
- fold *k* fits ``Predictor().fit`` on what a store synced at origin *k* holds: the runs whose
  ``updated_at`` is before it, in-progress ones left out (cancelled ones stay: a store has them);
- it predicts, through ``Predictor.predict_table`` (the call behind ``predict-runs``), every
  judged run (success, failure, timed_out, startup_failure) created from origin *k* up to
  origin *k + 1* (the last fold: to the end), from the history frozen at the fit, so nothing
  learned after the origin leaks in; the baselines come from the same table, hence from the
  same frozen history.

Only the ``Predictor`` interface is relied on (it stays while its internals are rewritten); a
column missing from its table is an error, never a silently skipped metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from orchestrator.learn import Predictor, RunContext
from orchestrator.learn.calibration import p90_bound
from orchestrator.model import FAILURE, MAX_DURATION_SECONDS, SUCCESS, RunRecord

__all__ = [
    "ORIGIN_SHARES", "FOLDS", "DURATION_BASELINES", "SUCCESS_BASELINES", "Bars", "HISTORY_BARS", "POOLED_BARS",
    "MIN_SCORED_RUNS", "Metrics", "pinball", "predict_fold", "score",
]

ORIGIN_SHARES = (0.5, 0.625, 0.75, 0.875)
FOLDS = tuple(range(len(ORIGIN_SHARES)))
#: The simple duration rules the p50 is compared with; the best one is chosen per history after
#: the fact, which is the hardest fair opponent (a user could have picked it knowing the answer).
DURATION_BASELINES = ("last50_median", "last_value", "per_hour_mean")
SUCCESS_BASELINES = ("historical_rate", "repeat_last")
#: The median-of-50 rule's p90 (empirical 0.9 quantile of the last 50 runs), the p90's opponent.
P90_BASELINE = "last50_p90"
MODEL_COLUMNS = ("p50", "p90", "p_success")
REQUIRED_COLUMNS = MODEL_COLUMNS + DURATION_BASELINES + (P90_BASELINE,) + SUCCESS_BASELINES
#: Slack for float rounding in the bound check (seconds): a p90 clipped exactly to its bound is
#: within it.
BOUND_EPSILON = 1e-6
#: Issue 11 judges a history against the bars only from this many duration-scored runs: below a
#: few hundred, a ratio of errors is mostly noise. Smaller histories are shown all the same.
MIN_SCORED_RUNS = 300


@dataclass(frozen=True)
class Bars:
    """The "done when" thresholds of issue 11 (ratios are model ÷ baseline)."""

    p50_ratio: float
    coverage_low: float = 0.85
    coverage_high: float = 0.95
    pinball_ratio: float = 0.90
    brier_ratio: float = 0.95


#: One repository's (or one generated history's) own figures.
HISTORY_BARS = Bars(p50_ratio=1.00)
#: Several repositories in one store: the model must then gain from the other repositories.
POOLED_BARS = Bars(p50_ratio=0.92)


def _origins(runs: Sequence[RunRecord]) -> list[float]:
    """Creation times (epoch seconds) of the runs at each :data:`ORIGIN_SHARES` point, then +inf."""
    return [runs[int(len(runs) * share)].created_at.timestamp() for share in ORIGIN_SHARES] + [math.inf]


def _sorted(runs: Sequence[RunRecord]) -> list[RunRecord]:
    return sorted(runs, key=lambda r: (r.created_at, r.id, r.run_attempt))


def _judged(run: RunRecord) -> bool:
    return run.outcome in (SUCCESS, FAILURE)


def _actual_duration(run: RunRecord) -> float:
    """A judged run's duration, NaN beyond GitHub's 35-day limit (``updated_at`` touched later)."""
    seconds = run.duration_seconds
    return seconds if seconds <= MAX_DURATION_SECONDS else math.nan


def predict_fold(runs: Sequence[RunRecord], fold: int) -> pd.DataFrame:
    """Fit on what a store holds at origin ``fold`` of ``runs`` (one history, any order) and
    predict that fold's judged runs; one row per predicted run.

    Columns: ``repository``, ``workflow``, ``fold``, ``created`` (epoch s), ``duration`` (actual,
    NaN when not a duration), ``success`` (1/0), the model's :data:`MODEL_COLUMNS`, every
    baseline, ``longest`` (the workflow's longest judged duration in the training runs, NaN
    without one) and ``bound`` (``p90_bound(longest)``). A fold whose store would be empty makes
    no prediction (``predict-runs`` on an empty store has nothing to answer from): empty frame.
    """
    ordered = _sorted(runs)
    if not ordered:
        return pd.DataFrame()
    origins = _origins(ordered)
    start, end = origins[fold], origins[fold + 1]
    train = [r for r in ordered if r.completed and r.updated_at.timestamp() < start]
    test = [r for r in ordered if _judged(r) and start <= r.created_at.timestamp() < end]
    if not train or not test:
        return pd.DataFrame()
    predictor = Predictor().fit(train)
    table = predictor.predict_table([RunContext(r.workflow_key, r.created_at, event=r.event, branch=r.head_branch,
                                                actor=r.actor) for r in test])
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise KeyError(f"Predictor.predict_table no longer returns {missing}; the protocol needs every one")
    if len(table) != len(test):
        raise ValueError(f"predict_table answered {len(table)} rows for {len(test)} contexts")
    longest: dict[str, float] = {}
    for run in train:
        seconds = _actual_duration(run) if _judged(run) else math.nan
        if not math.isnan(seconds):
            longest[run.workflow_key] = max(seconds, longest.get(run.workflow_key, -math.inf))
    frame = pd.DataFrame({
        "repository": [r.repository for r in test],
        "workflow": [r.workflow_key for r in test],
        "fold": fold,
        "created": [r.created_at.timestamp() for r in test],
        "duration": [_actual_duration(r) for r in test],
        "success": [1.0 if r.outcome == SUCCESS else 0.0 for r in test],
        "longest": [longest.get(r.workflow_key, math.nan) for r in test],
    })
    for column in REQUIRED_COLUMNS:
        frame[column] = table[column].to_numpy(dtype=float)
    frame["bound"] = p90_bound(frame["longest"].to_numpy())
    return frame


@dataclass(frozen=True)
class Metrics:
    """Scores of one set of predicted runs, model and baselines on exactly the same runs."""

    predicted: int
    n_duration: int
    n_success: int
    p50_mae: float
    baseline_mae: dict[str, float]
    pinball: float
    pinball_baseline: float
    coverage: float
    brier: float
    baseline_brier: dict[str, float]
    violations: int
    #: p90s given for a workflow without any judged duration in the training runs: no bound
    #: applies to them, which is worth knowing about when it happens.
    unbounded: int

    @property
    def best_duration_baseline(self) -> str:
        return min(self.baseline_mae, key=lambda name: self.baseline_mae[name])

    @property
    def p50_ratio(self) -> float:
        return _ratio(self.p50_mae, self.baseline_mae[self.best_duration_baseline])

    @property
    def pinball_ratio(self) -> float:
        return _ratio(self.pinball, self.pinball_baseline)

    @property
    def best_success_baseline(self) -> str:
        return min(self.baseline_brier, key=lambda name: self.baseline_brier[name])

    @property
    def brier_ratio(self) -> float:
        return _ratio(self.brier, self.baseline_brier[self.best_success_baseline])

    def missed(self, bars: Bars) -> list[str]:
        """Names of the bars these figures miss (NaN, no scored run, misses every figure bar)."""
        checks = {
            "p50": self.p50_ratio <= bars.p50_ratio,
            "cov": bars.coverage_low <= self.coverage <= bars.coverage_high,
            "pin": self.pinball_ratio <= bars.pinball_ratio,
            "brier": self.brier_ratio <= bars.brier_ratio,
            "bound": self.violations == 0,
        }
        return [name for name, ok in checks.items() if not ok]


def _ratio(model: float, baseline: float) -> float:
    if baseline == 0:
        return 1.0 if model == 0 else math.inf
    return model / baseline


def pinball(actual: np.ndarray, predicted: np.ndarray, q: float = 0.9) -> float:
    """Mean quantile loss at ``q`` in seconds: low only for a p90 that is sharp *and* covers.
    (Defined here, not imported, so the bench does not lean on the learner's internals.)"""
    diff = actual - predicted
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff))) if len(diff) else math.nan


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def score(frame: pd.DataFrame) -> Metrics:
    """Score predictions from :func:`predict_fold` (any union of folds, or a subset of one, such
    as one repository's runs in a pooled store).

    A run counts for durations only where the model (p50 and p90) and every duration baseline
    answered, and for success only where the model and both success baselines did, so each
    ratio compares methods on the same runs. The bound check covers every predicted run.
    """
    if frame.empty:
        nan = math.nan
        return Metrics(0, 0, 0, nan, {b: nan for b in DURATION_BASELINES}, nan, nan, nan, nan,
                       {b: nan for b in SUCCESS_BASELINES}, 0, 0)
    timed = frame[frame[["duration", "p50", "p90", *DURATION_BASELINES, P90_BASELINE]].notna().all(axis=1)]
    judged = frame[frame[["p_success", *SUCCESS_BASELINES]].notna().all(axis=1)]
    actual = timed["duration"].to_numpy()
    outcome = judged["success"].to_numpy()
    p90 = frame["p90"].to_numpy()
    bound = frame["bound"].to_numpy()
    with np.errstate(invalid="ignore"):
        violations = int(np.sum(p90 > bound + BOUND_EPSILON))
    return Metrics(
        predicted=len(frame),
        n_duration=len(timed),
        n_success=len(judged),
        p50_mae=_mean(np.abs(actual - timed["p50"].to_numpy())),
        baseline_mae={b: _mean(np.abs(actual - timed[b].to_numpy())) for b in DURATION_BASELINES},
        pinball=pinball(actual, timed["p90"].to_numpy()),
        pinball_baseline=pinball(actual, timed[P90_BASELINE].to_numpy()),
        coverage=_mean(actual <= timed["p90"].to_numpy()),
        brier=_mean((outcome - judged["p_success"].to_numpy()) ** 2),
        baseline_brier={b: _mean((outcome - judged[b].to_numpy()) ** 2) for b in SUCCESS_BASELINES},
        violations=violations,
        unbounded=int(np.sum(np.isfinite(p90) & np.isnan(bound))),
    )
