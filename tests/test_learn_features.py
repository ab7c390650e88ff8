"""No leakage: what a run (or a prediction) may know is fixed by the runs finished before it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from orchestrator.learn.backtesting import backtest_predictions
from orchestrator.learn.features import History
from orchestrator.learn.frame import runs_frame
from orchestrator.learn.synthetic import synthetic_runs

#: Generated runs, each triggered by one of a few people or a bot, so the actor features vary.
RUNS = [replace(run, actor=("renovate[bot]", "ada", "grace", "linus", "new-contributor")[i % 5])
        for i, run in enumerate(synthetic_runs(600, 4, seed=1))]


def _features(runs):
    frame = runs_frame(runs)
    return frame, History(frame).training_frame(frame)


def _rewrite_after(runs, cutoff, rng):
    """Change every run created after ``cutoff``: new durations, flipped outcomes, other actors."""
    out = []
    for run in runs:
        if run.created_at > cutoff:
            conclusion = "success" if run.conclusion == "failure" else "failure"
            run = replace(run, conclusion=conclusion, actor=f"someone-else-{rng.integers(3)}",
                          updated_at=run.created_at + timedelta(seconds=float(rng.uniform(1, 50_000))))
        out.append(run)
    return out


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=50, max_value=550), st.integers(min_value=0, max_value=10_000))
def test_changing_future_runs_never_changes_past_features(cut_index: int, seed: int) -> None:
    cutoff = RUNS[cut_index].created_at
    _, before = _features(RUNS)
    _, after = _features(_rewrite_after(RUNS, cutoff, np.random.default_rng(seed)))
    past = before["created"] <= cutoff.timestamp()
    feature_columns = [c for c in before.columns if c not in ("duration", "success", "finished")]
    pd.testing.assert_frame_equal(before.loc[past, feature_columns], after.loc[past, feature_columns])


def test_a_runs_own_outcome_and_duration_are_not_in_its_features() -> None:
    target = 300
    changed = list(RUNS)
    changed[target] = replace(RUNS[target], conclusion="failure" if RUNS[target].conclusion == "success" else "success",
                              updated_at=RUNS[target].created_at + timedelta(hours=5))
    _, before = _features(RUNS)
    _, after = _features(changed)
    row = before.index[before["created"] == RUNS[target].created_at.timestamp()][0]
    columns = [c for c in before.columns if c not in ("duration", "success", "finished")]
    pd.testing.assert_series_equal(before.loc[row, columns], after.loc[row, columns])
    assert before.loc[row, "success"] != after.loc[row, "success"]


def test_backtest_predictions_of_earlier_folds_ignore_later_runs() -> None:
    before = backtest_predictions(RUNS)
    last_origin = before["origin"].max()
    cutoff = datetime.fromtimestamp(last_origin, tz=timezone.utc)
    after = backtest_predictions(_rewrite_after(RUNS, cutoff, np.random.default_rng(0)))
    early = before["origin"] < last_origin
    assert early.sum() > 100
    columns = ["model_p50", "model_p90", "model_p_success", "last50_median_p50", "historical_rate_p_success"]
    pd.testing.assert_frame_equal(before.loc[early, columns], after.loc[early, columns])
    assert not before.loc[~early, "duration"].equals(after.loc[~early, "duration"])


def test_features_see_only_runs_finished_before_the_query_time() -> None:
    frame = runs_frame(RUNS[:3])
    history = History(frame)
    first_end = RUNS[0].updated_at.timestamp()
    wf = np.array([RUNS[0].workflow_key] * 2, dtype=object)
    X = history.features_at(wf, np.array([first_end, first_end + 1]), ["push"] * 2, ["main"] * 2,
                            np.ones(2), np.ones(2))
    same = [r for r in RUNS[:3] if r.workflow_key == RUNS[0].workflow_key and r.updated_at.timestamp() < first_end]
    assert X["n"].tolist() == [len(same), len(same) + 1]
    assert X.loc[1, "bl_last_value"] == RUNS[0].duration_seconds


def test_actor_features_count_only_earlier_runs_of_the_same_repository() -> None:
    runs = RUNS[:60]
    history = History(runs_frame(runs))
    at = max(r.updated_at for r in runs).timestamp() + 1
    wf = np.array([runs[1].workflow_key] * 3, dtype=object)
    X = history.features_at(wf, np.full(3, at), ["push"] * 3, ["main"] * 3, np.ones(3), np.ones(3),
                            ["ada", "first-timer", "renovate[bot]"])
    same_repo = [r for r in runs if r.repository == runs[1].repository]
    count = {name: sum(r.actor == name for r in same_repo) for name in ("ada", "renovate[bot]")}
    assert 0 < count["ada"] < len(same_repo) and count["renovate[bot]"] > 0
    assert X["log_actor_runs"].tolist() == [np.log1p(count["ada"]), 0.0, np.log1p(count["renovate[bot]"])]
    assert X["is_bot"].tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(X.loc[1, "actor_rel"]) and np.isfinite(X.loc[0, "actor_rel"])
    unknown = history.features_at(wf[:1], np.full(1, at), ["push"], ["main"], np.ones(1), np.ones(1))
    assert unknown[["log_actor_runs", "actor_rel", "is_bot"]].isna().all(axis=None)


def test_importing_the_api_types_loads_neither_pandas_nor_sklearn() -> None:
    code = ("import sys; from orchestrator.learn import RunContext, Prediction; "
            "print('pandas' in sys.modules, 'sklearn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_local_clock_reads_a_zoned_workflows_hour_and_weekday_there_and_others_in_utc() -> None:
    from orchestrator.learn.frame import local_clock

    times = np.array([datetime(2025, 7, 1, 7, tzinfo=timezone.utc), datetime(2025, 1, 15, 8, tzinfo=timezone.utc),
                      datetime(2025, 1, 5, 20, tzinfo=timezone.utc), datetime(2025, 1, 5, 20, tzinfo=timezone.utc)])
    seconds = np.array([t.timestamp() for t in times])
    workflows = np.array(["r:berlin", "r:berlin", "r:tokyo", "r:utc"], dtype=object)
    hour, dow = local_clock(workflows, seconds, {"r:berlin": "Europe/Berlin", "r:tokyo": "Asia/Tokyo"})
    assert hour.tolist() == [9, 9, 5, 20], "09:00 in Berlin in summer and in winter alike"
    assert dow.tolist() == [1, 2, 0, 6], "Sunday 20:00 UTC is already Monday in Tokyo"


def test_group_keys_keep_workflow_and_branch_apart() -> None:
    """"ci" on branch "1x" and "ci1" on branch "x" must not share a branch history."""
    from orchestrator.model import RunRecord

    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    runs = [
        RunRecord(id=i + 1, repository="o/r", name=name, created_at=start + timedelta(hours=i),
                  run_started_at=start + timedelta(hours=i), updated_at=start + timedelta(hours=i, seconds=seconds),
                  event="push", head_branch=branch, status="completed", conclusion="success")
        for i, (name, branch, seconds) in enumerate([("ci", "1x", 100), ("ci1", "x", 1000)] * 5)
    ]
    history = History(runs_frame(runs))
    X = history.features_at(np.array(["o/r:ci"], dtype=object), np.array([(start + timedelta(days=1)).timestamp()]),
                            ["push"], ["1x"], np.zeros(1), np.ones(1))
    assert X.loc[0, "log_branch_n"] == np.log1p(5)
    assert X.loc[0, "rel_branch_last"] == 0.0, "its own branch's last run, not ci1's"
