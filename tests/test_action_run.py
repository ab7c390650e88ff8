"""One action run against a stand-in API: modes, min-confidence, annotations, what counts as failure."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.action.commands import Log
from orchestrator.action.outputs import write_outputs
from orchestrator.action.run import run, step_outputs, write_report
from orchestrator.action.settings import load_settings
from orchestrator.api import APIResponse
from orchestrator.schedule.decision import decide

HOSTILE = "Deploy <b>\n::error::x"


def recommendation(name: str, confidence: float, change: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "workflow": name, "path": f".github/workflows/{name.split()[0].lower()}.yml", "current_schedule": ["0 3 * * *"],
        "recommended_schedule": "17 2 * * *", "timezone": "UTC", "change": change, "confidence": confidence,
        "expected_duration_seconds": 300.0, "duration_p90_seconds": 420.0, "predicted_success_rate": 0.95,
        "reasoning": ["Hour 2 has 97% success rate (n=60)"], "timeout_minutes": {"jobs": {"b": 30}, "recommended_minutes": 15},
        "liveness": {"warnings": []}, "conflicts": [], **extra,
    }


class StandInAPI:
    """Answers like WorkflowOrchestratorAPI and records how it was called."""

    def __init__(self, sync: APIResponse | None = None, recommend: APIResponse | None = None,
                 accuracy: APIResponse | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._sync = sync or APIResponse(True, "Synced", {"runs_added": 40, "runs_updated": 2, "complete": True, "requests": 3})
        self._recommend = recommend or APIResponse(True, "2 recommendations", {
            "recommendations": [
                recommendation("Nightly", 0.9),
                recommendation("Weekly report", 0.4),
                recommendation(HOSTILE, 0.7, change=False, predicted_success_rate=0.5,
                               liveness={"warnings": ["Last scheduled run was 70 days ago"]}),
            ],
            "conflicts": [],
            "errors": [{"path": ".github/workflows/broken.yml", "message": "invalid cron '61 * * * *'"}],
            "hourly_success": [{"hour": h, "runs": 4, "success_rate": 0.75} for h in range(24)],
            "minute_delays": [{"minute": m, "ticks": 3, "median_delay_seconds": 120.0} for m in range(60)],
        })
        self._accuracy = accuracy or APIResponse(True, "Accuracy", {"matched_runs": 9, "overall": {
            "runs": 9, "model": {"n": 9, "p50_mae_seconds": 31.5}, "last50_median": {"n": 9, "p50_mae_seconds": 52.0}}})

    def sync(self, *args: Any, **kwargs: Any) -> APIResponse:
        self.calls.append(("sync", args, kwargs))
        return self._sync

    def recommend(self, *args: Any, **kwargs: Any) -> APIResponse:
        """Like the real API, applies the ``min_confidence`` the action passes (schedule.decision)."""
        self.calls.append(("recommend", args, kwargs))
        data = dict(self._recommend.data or {})
        if "recommendations" in data:
            data["recommendations"] = [decide(r, kwargs["min_confidence"]) for r in data["recommendations"]]
        return APIResponse(self._recommend.success, self._recommend.message, data, error=self._recommend.error)

    def get_accuracy_metrics(self, *args: Any, **kwargs: Any) -> APIResponse:
        self.calls.append(("accuracy", args, kwargs))
        return self._accuracy


def settings(tmp_path: Path, **inputs: str) -> Any:
    env = {"INPUT_TOKEN": "t", "GITHUB_REPOSITORY": "octo/repo", "GITHUB_WORKSPACE": str(tmp_path)}
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return load_settings(env)


def test_recommend_mode_syncs_then_recommends_and_applies_min_confidence(tmp_path: Path) -> None:
    api, stream = StandInAPI(), io.StringIO()
    result = run(settings(tmp_path, **{"lookback-days": "30", "max-requests": "77"}), Log(stream), api=api)
    assert [c[0] for c in api.calls] == ["sync", "recommend", "accuracy"]
    assert api.calls[0][1] == ("octo/repo",) and api.calls[0][2]["max_requests"] == 77
    assert api.calls[0][2]["since"] is not None
    assert api.calls[1][1] == (tmp_path / ".github/workflows",)
    out = result.outputs
    assert out["changes"] == "1"  # Weekly report's 0.4 is below min-confidence 0.6
    assert json.loads(out["schedules"]) == {".github/workflows/nightly.yml": "17 2 * * *"}
    recs = json.loads(out["recommendations"])
    assert [r["change"] for r in recs] == [True, False, False] and recs[2]["workflow"] == HOSTILE
    assert (out["runs-synced"], out["complete"], out["accuracy-mae"]) == ("42", "true", "31.5")
    weekly = next(r for r in result.report["recommend"]["recommendations"] if r["workflow"] == "Weekly report")
    assert api.calls[1][2]["min_confidence"] == 0.6  # the API decides, so the CLI and the action agree
    assert weekly["change"] is False and weekly["considered_schedule"] == "17 2 * * *"
    assert weekly["recommended_schedule"] == "0 3 * * *" and "below min-confidence" in weekly["reasoning"][0]
    assert not result.failures
    log = stream.getvalue()
    assert "::notice title=Reschedule Nightly,file=.github/workflows/nightly.yml::Move Nightly from 0 3 * * * to 17 2 * * *" in log
    assert "Reschedule Weekly" not in log
    assert "::warning title=Schedule of Deploy <b>%0A%3A%3Aerror%3A%3Ax,file=.github/workflows/deploy.yml::Last scheduled run was 70 days ago" in log
    assert "fails often" in log and "::warning title=Workflow file skipped,file=.github/workflows/broken.yml::invalid cron" in log
    assert not any(line.startswith("::error") for line in log.splitlines())


def test_disabled_workflows_are_warned_about(tmp_path: Path) -> None:
    api, stream = StandInAPI(sync=APIResponse(True, "Synced", {"runs_added": 0, "runs_updated": 0, "complete": True, "workflows": [
        {"id": 1, "name": "CI", "path": ".github/workflows/ci.yml", "state": "active"},
        {"id": 2, "name": "Old <cron>", "path": ".github/workflows/old.yml", "state": "disabled_inactivity"}]})), io.StringIO()
    result = run(settings(tmp_path), Log(stream), api=api)
    assert "::warning title=Old <cron> is disabled,file=.github/workflows/old.yml::Old <cron> is disabled_inactivity" in stream.getvalue()
    liveness = next(s for s in result.summary_sections if s.startswith("### Liveness warnings"))
    assert "- **Old &lt;cron&gt;** is `disabled_inactivity`" in liveness


def test_lookback_zero_means_everything(tmp_path: Path) -> None:
    api = StandInAPI()
    run(settings(tmp_path, **{"lookback-days": "0"}), Log(io.StringIO()), api=api)
    assert api.calls[0][2]["since"] is None


def test_workflows_input_reaches_the_api_as_a_list(tmp_path: Path) -> None:
    api = StandInAPI()
    run(settings(tmp_path, workflows="nightly.yml,Weekly report"), Log(io.StringIO()), api=api)
    assert api.calls[1][2]["workflows"] == ["nightly.yml", "Weekly report"]
    run(settings(tmp_path), Log(io.StringIO()), api=api)
    assert api.calls[-2][2]["workflows"] is None


def test_sync_mode_only_syncs(tmp_path: Path) -> None:
    api = StandInAPI()
    result = run(settings(tmp_path, mode="sync"), Log(io.StringIO()), api=api)
    assert [c[0] for c in api.calls] == ["sync"]
    assert result.outputs["changes"] == "0" and result.outputs["recommendations"] == "[]"
    assert result.outputs["accuracy-mae"] == ""


def test_report_mode_does_not_sync(tmp_path: Path) -> None:
    api = StandInAPI()
    result = run(settings(tmp_path, mode="report"), Log(io.StringIO()), api=api)
    assert [c[0] for c in api.calls] == ["recommend", "accuracy"]
    assert result.outputs["runs-synced"] == "" and result.outputs["complete"] == ""


def test_partial_sync_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    api, stream = StandInAPI(sync=APIResponse(True, "stopped", {"runs_added": 10, "runs_updated": 0, "complete": False})), io.StringIO()
    result = run(settings(tmp_path), Log(stream), api=api)
    assert not result.failures and result.outputs["complete"] == "false"
    assert "::warning title=Partial sync::" in stream.getvalue()
    assert [c[0] for c in api.calls] == ["sync", "recommend", "accuracy"]


@pytest.mark.parametrize("error", ["SourceError", "UsageError", "StoreError", "CorruptStoreFile"])
def test_a_failed_sync_fails_the_run_and_skips_recommending(tmp_path: Path, error: str) -> None:
    api = StandInAPI(sync=APIResponse(False, "GitHub answered 401", None, error=error))
    result = run(settings(tmp_path), Log(io.StringIO()), api=api)
    assert result.failures == ["sync: GitHub answered 401"]
    assert [c[0] for c in api.calls] == ["sync"]
    assert any("GitHub answered 401" in s for s in result.summary_sections)


def test_no_history_yet_is_not_a_failure(tmp_path: Path) -> None:
    api = StandInAPI(recommend=APIResponse(False, "the store has no runs to learn from", None, error="NotAvailable"),
                     accuracy=APIResponse(False, "no predictions", None, error="NotAvailable"))
    result = run(settings(tmp_path), Log(io.StringIO()), api=api)
    assert not result.failures
    assert result.outputs["changes"] == "0" and result.outputs["accuracy-mae"] == ""
    assert "the store has no runs to learn from" in result.summary_sections[0]


def test_report_files_and_trimmed_summary(tmp_path: Path) -> None:
    result = run(settings(tmp_path), Log(io.StringIO()), api=StandInAPI())
    summary = write_report(tmp_path, result)
    report = json.loads((tmp_path / result.report_path).read_text())
    assert report["sync"]["runs_added"] == 40 and len(report["recommend"]["recommendations"]) == 3
    assert (tmp_path / "workflow-orchestrator-report" / "summary.md").read_text().startswith("## Workflow Orchestrator")
    assert summary.startswith("## Workflow Orchestrator — octo/repo")
    for path in (tmp_path / "workflow-orchestrator-report").iterdir():  # removable by the runner's own user
        assert path.stat().st_mode & 0o777 == 0o666


def test_outputs_stay_small_for_thousands_of_workflows(tmp_path: Path) -> None:
    many = [recommendation(f"wf{i} " + "x" * 200, 0.9, path=f".github/workflows/{'deep/' * 20}wf{i}.yml") for i in range(5000)]
    outputs = step_outputs(many, None, None, "r.json")
    assert len(outputs["recommendations"].encode()) <= 128 * 1024
    assert len(outputs["schedules"].encode()) <= 128 * 1024
    assert json.loads(outputs["recommendations"])[0]["workflow"].startswith("wf0 ")
    assert outputs["changes"] == "5000"
    write_outputs(tmp_path / "out", outputs)  # within GitHub's limits, so the write is accepted
