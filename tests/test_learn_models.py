"""Models, baselines and the backtest on a generated history with known structure."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from orchestrator.learn import RunContext, backtest, fit_predictor
from orchestrator.learn.baselines import DurationBaseline, SuccessBaseline
from orchestrator.learn.duration import DurationModel
from orchestrator.learn.features import History
from orchestrator.learn.frame import runs_frame
from orchestrator.learn.success import SuccessModel
from orchestrator.learn.synthetic import synthetic_runs

RUNS = synthetic_runs(3000, 6, seed=3)


@pytest.fixture(scope="module")
def report():
    return backtest(RUNS)


def test_backtest_reports_model_and_every_baseline_per_workflow(report) -> None:
    assert report["folds"] == 5
    assert set(report["overall"]["duration"]) == {"model", "per_hour_mean", "last50_median", "last_value"}
    assert set(report["overall"]["success"]) == {"model", "historical_rate", "repeat_last"}
    assert len(report["workflows"]) == 6
    counts = {m["n"] for m in report["overall"]["duration"].values()}
    assert len(counts) == 1, "every method is scored on the same runs"


def test_model_beats_the_baselines_where_structure_exists(report) -> None:
    overall = report["overall"]
    assert overall["p50_mae_vs_best_baseline"] < 1.0
    assert overall["brier_vs_best_baseline"] < 1.0
    assert 0.8 <= overall["duration"]["model"]["p90_coverage"] <= 0.97


def test_backtest_for_one_workflow_scores_only_it(report) -> None:
    key = RUNS[0].workflow_key
    single = backtest(RUNS, workflow_key=key)
    assert list(single["workflows"]) == [key]
    assert single["overall"]["duration"]["model"] == report["workflows"][key]["duration"]["model"]


def test_last50_baseline_is_the_median_and_p90_of_the_previous_50_durations() -> None:
    frame = runs_frame(RUNS)
    X = History(frame).training_frame(frame)
    key = RUNS[0].workflow_key
    own = sorted((r for r in RUNS if r.workflow_key == key), key=lambda r: r.created_at)
    target = own[200]
    earlier = sorted((r for r in own if r.updated_at < target.created_at), key=lambda r: r.updated_at)[-50:]
    row = X[(X["workflow"] == key) & (X["created"] == target.created_at.timestamp())].iloc[0]
    p50, p90 = DurationBaseline("last50_median").fit().predict_quantiles(row.to_frame().T)
    durations = [r.duration_seconds for r in earlier]
    assert p50[0] == pytest.approx(np.median(durations))
    assert p90[0] == pytest.approx(np.percentile(durations, 90))
    rate = SuccessBaseline("historical_rate").fit().predict_proba(row.to_frame().T)[0]
    judged = [r for r in own if r.updated_at < target.created_at]
    assert rate == pytest.approx(np.mean([r.conclusion == "success" for r in judged]))


def test_little_history_answers_from_its_own_runs_and_none_without_any() -> None:
    few = [r for r in RUNS if r.workflow_key == RUNS[0].workflow_key][:3]
    predictor = fit_predictor(RUNS[500:] + few)
    late = few[-1].updated_at + timedelta(minutes=1)
    known, unknown = predictor.predict_runs([RunContext(few[0].workflow_key, late), RunContext("nobody/none:x", late)])
    assert known.duration_p50_seconds == pytest.approx(np.median([r.duration_seconds for r in few]))
    observed = np.mean([r.conclusion == "success" for r in few])
    assert 0 < known.success_probability < 1, "three runs never make an outcome certain"
    assert abs(known.success_probability - observed) < 0.35
    assert unknown.duration_p50_seconds is None and unknown.success_probability is None


@pytest.mark.parametrize("estimator", [DurationModel(), SuccessModel(), DurationBaseline(), SuccessBaseline()])
def test_estimators_refuse_to_predict_before_fit(estimator) -> None:
    frame = runs_frame(RUNS[:50])
    X = History(frame).training_frame(frame)
    method = getattr(estimator, "predict_quantiles", None) or getattr(estimator, "predict_p50", None) \
        or estimator.predict_proba
    with pytest.raises(RuntimeError, match="not fitted"):
        method(X)


def test_unknown_baseline_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="strategy"):
        DurationBaseline("mode").fit()


def test_a_store_without_any_judged_run_predicts_nothing_instead_of_failing() -> None:
    cancelled = [replace(r, conclusion="cancelled") for r in RUNS[:40]]
    predictor = fit_predictor(cancelled)
    only = predictor.predict_runs([RunContext(RUNS[0].workflow_key, RUNS[50].created_at)])[0]
    assert only.duration_p50_seconds is None and only.success_probability is None
    assert backtest(cancelled)["scored_runs"] == 0


def test_first_time_contributors_runs_that_wait_for_approval_widen_their_p90() -> None:
    """GitHub holds a first-time contributor's pull-request runs until a maintainer approves them."""
    runs = []
    for i, run in enumerate(synthetic_runs(2000, 3, seed=7)):
        if i % 4:
            runs.append(replace(run, actor=("ada", "grace", "linus")[i % 3]))
        else:  # someone new each time, whose run waits hours for approval before it starts
            runs.append(replace(run, actor=f"newcomer-{i}", updated_at=run.updated_at + timedelta(hours=3)))
    predictor = fit_predictor(runs, cache_key=None)
    at = max(r.updated_at for r in runs) + timedelta(hours=1)
    key = runs[0].workflow_key
    regular, newcomer = predictor.predict_runs([RunContext(key, at, actor="ada"), RunContext(key, at, actor="someone-new")])
    assert newcomer.duration_p90_seconds > regular.duration_p90_seconds + 3600
    assert regular.duration_p90_seconds < 3 * 3600
