"""The predictor facade: cache keyed by store content, describe(), confidence, impact, accuracy."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from orchestrator.errors import ValidationError, WorkflowNotFound
from orchestrator.learn import RunContext, accuracy_report, clear_cache, fit_predictor, make_prediction_log_entries
from orchestrator.learn.impact import resource_impact
from orchestrator.learn.synthetic import synthetic_runs
from orchestrator.model import ResourceUsage

RUNS = synthetic_runs(1500, 3, seed=5)
KEY = RUNS[0].workflow_key
END = max(r.updated_at for r in RUNS)


def test_cache_returns_the_same_model_for_the_same_content_and_refits_on_change() -> None:
    clear_cache()
    first = fit_predictor(RUNS, cache_key="content-a")
    assert fit_predictor(RUNS, cache_key="content-a") is first
    changed = fit_predictor(RUNS[:-100], cache_key="content-b")
    assert changed is not first
    assert changed.n_runs_ != first.n_runs_
    assert fit_predictor(RUNS, cache_key=None) is not first


def test_predict_runs_keeps_order_and_answers_every_context() -> None:
    predictor = fit_predictor(RUNS, cache_key="content-a")
    keys = sorted({r.workflow_key for r in RUNS})
    contexts = [RunContext(keys[i % 3], END + timedelta(hours=i), event="pull_request" if i % 2 else None)
                for i in range(300)]
    out = predictor.predict_runs(contexts)
    assert len(out) == 300
    singles = [predictor.predict_runs([c])[0] for c in contexts[:5]]
    # Same answers one by one as in a batch (up to the last bit of a BLAS dot product).
    for batched, single in zip(out[:5], singles):
        assert batched.to_dict() == pytest.approx(single.to_dict(), rel=1e-12)
    assert all(p.duration_p50_seconds <= p.duration_p90_seconds for p in out)
    assert all(0 < p.success_probability < 1 for p in out)


def test_describe_gives_the_seed_fields_with_measured_error_and_reasons() -> None:
    info = fit_predictor(RUNS, cache_key="content-a").describe(KEY, at=END)
    for field in ("expected_duration_seconds", "duration_p90_seconds", "predicted_success_rate", "confidence",
                  "resource_impact", "reasoning", "n_runs", "measured_error", "baselines"):
        assert info[field] is not None, field
    assert info["measured_error"]["p50_mae_seconds"] > 0
    assert any("each forecast from the runs before it" in line for line in info["reasoning"])
    with pytest.raises(WorkflowNotFound):
        fit_predictor(RUNS, cache_key="content-a").describe("nobody/none:x")


def test_confidence_grows_with_data_volume() -> None:
    small = fit_predictor(RUNS[:60]).describe(KEY, at=END)["confidence"]
    large = fit_predictor(RUNS, cache_key="content-a").describe(KEY, at=END)["confidence"]
    assert 0 < small < large <= 1


@pytest.mark.parametrize(("seconds", "memory", "cpu", "level"), [
    (60, None, None, "low"), (600, None, None, "medium"), (3600, None, None, "high"),
    (60, 4096, None, "medium"), (60, 8192, None, "high"), (60, None, 250, "high"), (None, None, None, None),
])
def test_resource_impact_thresholds(seconds, memory, cpu, level) -> None:
    assert resource_impact(seconds, memory, cpu)[0] == level


def test_recorded_usage_reaches_describe() -> None:
    heavy = [r.with_usage(ResourceUsage(memory_mb=9000.0)) if r.workflow_key == KEY else r for r in RUNS]
    info = fit_predictor(heavy).describe(KEY, at=END)
    assert info["resource_impact"] == "high"
    assert "recorded memory" in info["reasoning"][-1]


def test_context_time_must_be_aware() -> None:
    with pytest.raises(ValidationError):
        RunContext(KEY, datetime(2025, 1, 1))


def test_accuracy_matches_each_run_to_the_prediction_in_force() -> None:
    cut = RUNS[1000].created_at
    predictor = fit_predictor(RUNS[:1000])
    early = make_prediction_log_entries(predictor, [RunContext(KEY, cut)], made_at=cut)
    later_at = RUNS[1200].created_at
    late = make_prediction_log_entries(predictor, [RunContext(KEY, later_at)], made_at=later_at)
    late[0]["duration_p50_seconds"] = 1e9  # makes runs matched to it unmistakable
    report = accuracy_report(early + late, RUNS, workflow_key=KEY)
    after_cut = [r for r in RUNS if r.workflow_key == KEY and r.created_at >= cut]
    assert report["matched_runs"] == len(after_cut)
    matched_late = [r for r in after_cut if r.created_at >= later_at]
    expected_mae_share = len(matched_late) / len(after_cut)
    assert report["overall"]["model"]["p50_mae_seconds"] == pytest.approx(1e9 * expected_mae_share, rel=1e-3)
    assert set(report["workflows"]) == {KEY}
    assert sum(w["runs"] for w in report["weeks"].values()) == len(after_cut)
    assert report["overall"]["last50_median"]["within_20pct"] is not None
    assert report["overall"]["historical_rate"]["brier"] is not None


def test_accuracy_without_predictions_is_empty() -> None:
    assert accuracy_report([], RUNS)["matched_runs"] == 0


def test_disk_cache_survives_the_process_cache_and_keeps_only_the_current_content(tmp_path) -> None:
    clear_cache()
    first = fit_predictor(RUNS, cache_key="disk-a", cache_dir=tmp_path)
    clear_cache()
    again = fit_predictor(RUNS[:10], cache_key="disk-a", cache_dir=tmp_path)
    assert again.n_runs_ == first.n_runs_, "loaded from disk, not refitted on the runs passed"
    fit_predictor(RUNS[:500], cache_key="disk-b", cache_dir=tmp_path)
    assert len(list(tmp_path.glob("predictor-*.pickle"))) == 1


def test_a_model_pickled_by_other_learning_code_is_refitted_not_loaded(tmp_path, monkeypatch) -> None:
    """Same store content, same version string, but changed learning code (new features or
    attributes): loading the old pickle would fail later, inside predict."""
    from orchestrator.learn import predictor as module

    clear_cache()
    old = fit_predictor(RUNS, cache_key="disk-c", cache_dir=tmp_path)
    clear_cache()
    monkeypatch.setattr(module, "_code_digest", lambda: "other learning code")
    refitted = fit_predictor(RUNS[:300], cache_key="disk-c", cache_dir=tmp_path)
    assert sum(refitted.n_runs_.values()) == 300 < sum(old.n_runs_.values()), "fitted, not loaded from the old file"
    assert len(list(tmp_path.glob("predictor-*.pickle"))) == 1
