"""The forecaster's promises (issue 11): the p90 bound, re-levelling after a shift, bimodal
workflows, the per-workflow choice of forecaster, and partial pooling for thin workflows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.learn import RunContext
from orchestrator.learn.calibration import P90_BOUND_MULTIPLE, p90_bound
from orchestrator.learn.predictor import Predictor
from orchestrator.model import RunRecord

T0 = datetime(2025, 1, 6, tzinfo=timezone.utc)


def run(i: int, seconds: float, workflow: str = "ci", success: bool = True, at: datetime | None = None,
        repo: str = "octo/repo", event: str = "push") -> RunRecord:
    created = at or T0 + timedelta(hours=2 * i)
    return RunRecord(id=i + 1, repository=repo, name=workflow, path=f".github/workflows/{workflow}.yml", workflow_id=None,
                     event=event, head_branch="main", status="completed", conclusion="success" if success else "failure",
                     created_at=created, run_started_at=created, updated_at=created + timedelta(seconds=seconds))


def predict(runs: list[RunRecord], workflow: str = "ci", after: timedelta = timedelta(minutes=5)):
    predictor = Predictor().fit(runs)
    at = max(r.updated_at for r in runs) + after
    key = next(r.workflow_key for r in runs if r.name == workflow)
    return predictor.predict_table([RunContext(key, at)]).iloc[0]


durations = st.one_of(st.just(0.0), st.floats(0, 60), st.floats(60, 4000), st.floats(4000, 30 * 24 * 3600))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), durations, st.booleans()), min_size=1, max_size=120))
def test_no_p90_is_above_the_bound_of_the_longest_known_run(history):
    runs = [run(i, seconds, workflow, ok) for i, (workflow, seconds, ok) in enumerate(history)]
    predictor = Predictor().fit(runs)
    at = max(r.updated_at for r in runs) + timedelta(minutes=1)
    keys = sorted({r.workflow_key for r in runs})
    table = predictor.predict_table([RunContext(key, at) for key in keys])
    for key, p50, p90 in zip(keys, table["p50"], table["p90"]):
        longest = max(r.duration_seconds for r in runs if r.workflow_key == key)
        if np.isfinite(p90):
            assert p90 <= p90_bound(np.array([longest]))[0] + 1e-6
            assert p50 <= p90 + 1e-9


def test_the_bound_is_a_documented_multiple_of_the_longest_run():
    assert p90_bound(np.array([60.0]))[0] == P90_BOUND_MULTIPLE * 60 + 60
    assert np.isnan(p90_bound(np.array([np.nan]))[0])


def test_five_runs_of_sixty_seconds_never_get_an_hour_long_p90():
    """The reported case: a job whose 5 runs all took 60 s was given a p90 of 2,687 s."""
    others = [run(i, 300 + (i % 7) * 400, "deploy", i % 9 != 0) for i in range(300)]
    thin = [run(1000 + i, 60.0, "tiny", at=T0 + timedelta(days=30, hours=i)) for i in range(5)]
    row = predict(others + thin, "tiny")
    assert 55 <= row["p50"] <= 65 and row["p90"] <= p90_bound(np.array([60.0]))[0]


def test_a_level_shift_is_followed_within_a_few_runs():
    rng = np.random.default_rng(3)
    before = [run(i, 300 * rng.lognormal(0, 0.05)) for i in range(120)]
    after = [run(120 + i, 900 * rng.lognormal(0, 0.05)) for i in range(5)]  # a new test suite: ×3
    row = predict(before + after)
    assert abs(row["p50"] - 900) < 0.2 * 900, row["chosen"]
    assert row["last50_median"] < 400  # the baseline still averages over the old level


def test_a_bimodal_workflow_follows_the_expected_outcome():
    """Failures end in 10 s, successes take 10 min, and failures come in blocks."""
    runs = []
    for i in range(240):
        failing = (i // 12) % 2 == 1
        runs.append(run(i, 10.0 if failing else 600.0, success=not failing))
    in_failing_block = runs[: 12 * 19 + 3]  # three failures into a failing block
    row = predict(in_failing_block)
    assert row["p_success"] < 0.5 and row["p50"] < 100, (row["p50"], row["chosen"])
    assert row["outcome_split"]
    in_passing_block = runs[: 12 * 18 + 3]  # three successes into a passing block
    assert predict(in_passing_block)["p50"] > 300


def test_a_workflow_whose_last_value_is_best_is_predicted_by_fast_forecasters():
    """Durations that wander slowly: the last runs say more than the median of 50."""
    level = 300.0
    runs = []
    for i in range(300):
        level *= float(np.exp(np.random.default_rng(i).normal(0, 0.08)))
        runs.append(run(i, level))
    row = predict(runs)
    assert abs(row["p50"] - runs[-1].duration_seconds) < abs(row["last50_median"] - runs[-1].duration_seconds)
    assert any(name in row["chosen"] for name in ("last run", "median of the last 3 runs", "weighted recent mean"))


def test_a_thin_workflow_borrows_its_repositorys_choice():
    """In a repository whose workflows all step up and stay, a new workflow with 8 runs is
    predicted from its own recent level, as its siblings are, rather than from all 8 runs."""
    runs = []
    for w in range(4):
        for i in range(80):
            runs.append(run(w * 1000 + i, 200.0 * (3 if i >= 60 else 1), f"w{w}", at=T0 + timedelta(hours=3 * i + w)))
    thin = [run(9000 + i, 100.0 * (3 if i >= 5 else 1), "thin", at=T0 + timedelta(hours=3 * 80 + i)) for i in range(8)]
    row = predict(runs + thin, "thin")
    assert row["p50"] > 250, row["chosen"]


def test_a_short_history_asked_about_far_ahead_keeps_a_p90_above_its_p50():
    """A 40-run workflow has no record 64 runs ahead: it is judged at the horizon it has one for,
    so its p90 is not the p50 copied (the review's reproduction)."""
    rng = np.random.default_rng(5)
    runs = [run(i, 500 * rng.lognormal(0, 0.2), at=T0 + timedelta(days=i)) for i in range(40)]
    row = predict(runs, after=timedelta(days=60))
    assert row["p90"] > row["p50"] * 1.05, (row["p50"], row["p90"])
