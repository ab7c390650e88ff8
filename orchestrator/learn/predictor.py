"""The facade the API calls: fit once per store content, answer many contexts, explain one workflow.

Models are refitted whenever the store changes and never otherwise: :func:`fit_predictor`
keeps fitted predictors keyed by the store's content token, so a stale model can only be
returned if two different stores share a token, which the store's content hashing rules out.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import pickle
from collections import Counter, OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import WorkflowNotFound
from ..model import RunRecord
from .baselines import DURATION_BASELINES, SUCCESS_BASELINES
from .combine import HORIZONS, RECENT_RUNS
from .contexts import Prediction, RunContext
from .features import History
from .forecast import Forecaster, confidence
from .frame import runs_frame
from .impact import resource_impact

__all__ = ["Predictor", "fit_predictor", "clear_cache"]

#: Fitted predictors kept in memory (one per store content); a CLI process needs one, a
#: long-lived API or test session a few.
CACHE_SIZE = 4
_CACHE: "OrderedDict[str, Predictor]" = OrderedDict()


def _most_common(frame: pd.DataFrame, column: str) -> dict[str, str]:
    """Each workflow's most frequent value of ``column``: what an unspecified context assumes."""
    return {str(w): Counter(values).most_common(1)[0][0] for w, values in frame.groupby("workflow")[column]}


def _number(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


class Predictor:
    """Duration quantiles, success probability and baselines for any (workflow, time) context.

    Parameters
    ----------
    min_history : runs a workflow needs before the learned models speak for it.
    holdout_share : latest share of training runs the gradient-boosted candidate is judged on.
    """

    def __init__(self, min_history: int = 5, holdout_share: float = 0.2) -> None:
        self.min_history = min_history
        self.holdout_share = holdout_share

    # ----- fitting -------------------------------------------------------------------------
    def fit(self, runs: Sequence[RunRecord], timezones: Mapping[str, str] | None = None) -> "Predictor":
        """Learn from every judged run in ``runs`` (any order, several repositories allowed).

        ``timezones`` maps workflow keys to their schedule's IANA zone, whose clock their hour
        and weekday features then follow.
        """
        frame = runs_frame(runs)
        self.history_ = History(frame, timezones)
        train = self.history_.training_frame(frame)
        # Beyond the next run, the loss records and residuals behind the choices are kept for
        # each workflow's recent runs only (four full frames would quadruple the fit).
        frames = {h: self.history_.training_frame(frame, runs_ahead=h, last=RECENT_RUNS) for h in HORIZONS if h > 1}
        self.forecaster_ = Forecaster(self.min_history, self.holdout_share).fit({1: train, **frames})
        self.common_event_ = _most_common(frame, "event")
        self.common_actor_ = _most_common(frame, "actor")
        self.default_branch_ = self.history_.default_branch
        self.usage_ = frame.groupby("workflow")[["cpu", "memory"]].median()
        self.n_runs_ = train.groupby("workflow").size().to_dict()
        return self

    # ----- predicting ----------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "history_"):
            raise RuntimeError("Predictor is not fitted yet; call fit first")

    def predict_table(self, contexts: Sequence[RunContext]) -> pd.DataFrame:
        """Model p50/p90/p_success and every baseline per context, one row each, in order."""
        self._check()
        workflows = np.array([c.workflow_key for c in contexts], dtype=object)
        times = np.array([c.at.timestamp() for c in contexts], dtype=float)
        events = [c.event if c.event is not None else self.common_event_.get(c.workflow_key, "") for c in contexts]
        defaults = [self.default_branch_.get(c.workflow_key, "") for c in contexts]
        branches = [c.branch if c.branch is not None else d for c, d in zip(contexts, defaults)]
        is_default = np.array([b == d for b, d in zip(branches, defaults)], dtype=float)
        actors = [c.actor if c.actor is not None else self.common_actor_.get(c.workflow_key, "") for c in contexts]
        X = self.history_.features_at(workflows, times, events, branches, is_default, np.ones(len(contexts)), actors)
        forecast = self.forecaster_.predict(X, workflows, times)
        table = pd.DataFrame({"workflow": workflows, "p50": forecast["p50"].to_numpy(),
                              "p90": forecast["p90"].to_numpy(), "p_success": forecast["p_success"].to_numpy(),
                              "n": X["n"].to_numpy(), "streak": X["streak"].to_numpy(),
                              "chosen": forecast["chosen"].to_numpy(), "outcome_split": forecast["outcome_split"].to_numpy()})
        for name, (low, high) in DURATION_BASELINES.items():
            table[name] = X[low].to_numpy()
            if high:
                table[name.replace("median", "p90")] = X[high].to_numpy()
        for name, column in SUCCESS_BASELINES.items():
            table[name] = X[column].to_numpy()
        return table

    def predict_runs(self, contexts: Sequence[RunContext]) -> list[Prediction]:
        """One :class:`Prediction` per context, vectorised (thousands per call are cheap)."""
        if not contexts:
            return []
        table = self.predict_table(contexts)
        return [Prediction(_number(a), _number(b), _number(c))
                for a, b, c in zip(table["p50"], table["p90"], table["p_success"])]

    def knows(self, workflow_key: str) -> bool:
        """Whether the workflow has completed runs to predict from."""
        self._check()
        return workflow_key in self.n_runs_

    def describe(self, workflow_key: str, at: datetime | None = None, event: str | None = None) -> dict[str, Any]:
        """Everything ``predict`` shows for one workflow's run at ``at`` (by ``event``, default
        its most common), with the reasons and measured errors."""
        self._check()
        if workflow_key not in self.n_runs_:
            raise WorkflowNotFound(f"workflow {workflow_key!r} has no completed runs in the store; "
                                   "run sync (or import) first, or check the name with `workflows`")
        at = at or datetime.now(timezone.utc)
        row = self.predict_table([RunContext(workflow_key, at, event)]).iloc[0]
        n = int(self.n_runs_[workflow_key])
        measured = self.forecaster_.measured(workflow_key)
        usage = self.usage_.loc[workflow_key]
        impact, impact_reason = resource_impact(_number(row["p50"]), _number(usage["memory"]), _number(usage["cpu"]))
        return {
            "workflow_key": workflow_key,
            "n_runs": n,
            "expected_duration_seconds": _number(row["p50"]),
            "duration_p90_seconds": _number(row["p90"]),
            "predicted_success_rate": _number(row["p_success"]),
            "confidence": confidence(n, measured),
            "resource_impact": impact,
            "reasoning": self._reasons(row, n, measured, impact_reason),
            "measured_error": measured,
            "baselines": {k: _number(v) for k, v in row.items()
                          if k not in ("workflow", "p50", "p90", "p_success", "n", "streak", "chosen", "outcome_split")},
        }

    def _reasons(self, row: pd.Series, n: int, measured: dict[str, Any] | None, impact: str) -> list[str]:
        reasons = [f"Learned from {n} completed run{'' if n == 1 else 's'} of this workflow "
                   f"(forecasters chosen by their own recent error; partial pooling across the "
                   f"{len(self.n_runs_)} workflow{'' if len(self.n_runs_) == 1 else 's'} in the store)."]
        if _number(row["p50"]) is not None:
            reasons.append(f"Typical duration {row['p50']:.0f} s (p50), from: {row['chosen'] or 'its runs so far'}; "
                           f"9 in 10 runs expected within {row['p90']:.0f} s (conformal p90).")
            if row["outcome_split"] and "median of the expected outcome" in str(row["chosen"]):
                reasons.append("Failures and successes of this workflow take clearly different times, so the p50 "
                               "follows the outcome the success forecast expects.")
        if measured and measured.get("n"):
            reasons.append(
                f"Measured on this workflow's latest {measured['n']} run{'' if measured['n'] == 1 else 's'}, each "
                f"forecast from the runs before it (calibration fitted on the same period): p50 off by "
                f"{measured['p50_mae_seconds']:.0f} s on average, vs {measured['baseline_last50_p50_mae_seconds']:.0f} s "
                f"for the median of the last 50 runs; {measured['p90_coverage']:.0%} finished within the p90.")
        if _number(row["p_success"]) is not None:
            streak = int(row["streak"])
            kind = ("success" if streak > 0 else "failure") + ("" if abs(streak) == 1 else "es" if streak > 0 else "s")
            reasons.append(f"Success probability {row['p_success']:.0%}: recent outcomes weigh most "
                           f"(current streak: {abs(streak)} {kind}; all-time rate {row['historical_rate']:.0%}).")
        reasons.append(impact)
        return reasons


def fit_predictor(runs: Sequence[RunRecord], cache_key: str | None = None,
                  cache_dir: str | os.PathLike[str] | None = None,
                  timezones: Mapping[str, str] | None = None) -> Predictor:
    """A fitted :class:`Predictor` for ``runs``, reused while ``cache_key`` (the store's content
    token) and ``timezones`` are unchanged; ``cache_key=None`` always fits afresh.

    With ``cache_dir`` (a local directory the user owns, e.g. ``.workflow-orchestrator/cache``)
    the fitted predictor is also pickled there under a name derived from the key, so a cold
    ``predict`` process loads instead of refitting; files of other keys are removed, so only the
    current store content's model is ever on disk. The file name also covers the learning code
    itself (:func:`_code_digest`), so a model pickled by other code is refitted, never loaded
    into classes whose attributes or features have changed. Never point it at a shared or
    downloaded directory: unpickling runs code.
    """
    if cache_key is not None and timezones:
        cache_key += "|" + ",".join(f"{key}={zone}" for key, zone in sorted(timezones.items()))
    if cache_key is not None and cache_key in _CACHE:
        _CACHE.move_to_end(cache_key)
        return _CACHE[cache_key]
    path = None
    if cache_key is not None and cache_dir is not None:
        digest = hashlib.sha256(f"{_code_digest()}:{cache_key}".encode()).hexdigest()[:24]
        path = Path(cache_dir) / f"predictor-{digest}.pickle"
    predictor = _load(path) if path is not None else None
    if predictor is None:
        predictor = Predictor().fit(runs, timezones)
        if path is not None:
            _save(path, predictor)
    if cache_key is not None:
        _CACHE[cache_key] = predictor
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return predictor


@functools.cache
def _code_digest() -> str:
    """Digest of this package's source: what a pickled predictor's meaning depends on."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _load(path: Path) -> Predictor | None:
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None  # absent, partial or from another version: refitting is always correct
    return loaded if isinstance(loaded, Predictor) else None


def _save(path: Path, predictor: Predictor) -> None:
    """Write atomically (temp file + ``os.replace``) and drop predictors of older store contents."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        with temp.open("wb") as handle:
            pickle.dump(predictor, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
        for old in path.parent.glob("predictor-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        return  # a read-only directory only costs a refit next time


def clear_cache() -> None:
    """Forget every cached predictor (tests; a process that knows the store was replaced)."""
    _CACHE.clear()
