"""What a new user meets first: new scheduled workflows, workflow identity, the CLI contract,
empty stores, unexpected failures (issue 10, items 1, 3, 6 and 7)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest

from orchestrator import WorkflowOrchestratorAPI
from orchestrator.catalog import resolve, with_known_paths, workflows
from orchestrator.cli import main
from orchestrator.schedule.infer import infer_cron
from tests.factories import api_run, record

SAMPLE = resources.files("orchestrator") / "sample"
NIGHTLY = "(DevTools) Regression Tests"
BRAND_NEW = """name: Brand new
on:
  schedule:
    - cron: '0 3 * * *'
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - run: echo hi
"""


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the bundled sample store (facebook/react, keyed by workflow id: no paths)."""
    with resources.as_file(SAMPLE) as src:
        shutil.copytree(src / "store", tmp_path / "store")
    return tmp_path / "store"


@pytest.fixture
def workflows_dir(tmp_path: Path) -> Path:
    """The sample's nightly workflow file beside a scheduled workflow that has never run."""
    directory = tmp_path / "wf"
    with resources.as_file(SAMPLE) as src:
        shutil.copytree(src / "workflows", directory)
    (directory / "brand-new.yml").write_text(BRAND_NEW)
    return directory


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    """Run the CLI with ``--json``; it must print exactly one JSON object, whatever happened."""
    capsys.readouterr()
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "Traceback" not in captured.out + captured.err
    return code, json.loads(captured.out)


def after_sample(sample: Path) -> datetime:
    """Just after the sample's newest run, so the history is current rather than a year old."""
    return WorkflowOrchestratorAPI(data_dir=sample).store.runs()[-1].created_at + timedelta(hours=1)


# ----- item 1: a scheduled workflow with no runs yet ------------------------------------------
def test_recommend_gives_a_new_scheduled_workflow_a_cold_start(sample, workflows_dir, capsys):
    code, body = cli(capsys, "--data", str(sample), "recommend", "--workflows-dir", str(workflows_dir))
    assert code == 0, body["message"]
    new = next(r for r in body["data"]["recommendations"] if r["workflow"] == "Brand new")
    minute, hour = (int(x) for x in new["considered_schedule"].split()[:2])
    assert minute % 5 != 0, "the cold start leaves the round minutes"
    assert new["change"] is False and new["recommended_schedule"] == "0 3 * * *", "confidence 0 never moves it"
    assert new["confidence"] == 0.0
    assert new["expected_duration_seconds"] is None and new["predicted_success_rate"] is None
    assert any(line.startswith("No runs yet") for line in new["reasoning"])
    again = cli(capsys, "--data", str(sample), "recommend", "--workflows-dir", str(workflows_dir))[1]
    assert next(r for r in again["data"]["recommendations"] if r["workflow"] == "Brand new") == new  # stable


def test_predict_and_batch_answer_a_new_scheduled_workflow_with_unknowns(sample, workflows_dir, capsys):
    code, body = cli(capsys, "--data", str(sample), "predict", "--workflow", "Brand new",
                     "--workflows-dir", str(workflows_dir))
    assert code == 0, body["message"]
    data = body["data"]
    assert data["workflow_name"] == "Brand new" and data["recommended_schedule"] == "0 3 * * *"
    assert data["expected_duration_seconds"] is None and data["predicted_success_rate"] is None
    assert data["resource_impact"] is None and data["confidence"] == 0.0
    assert "no runs yet" in data["reasoning"][0]
    code, body = cli(capsys, "--data", str(sample), "batch", "--workflows", "brand-new.yml", NIGHTLY,
                     "--workflows-dir", str(workflows_dir))
    assert code == 0 and set(body["data"]["predictions"]) == {"brand-new.yml", NIGHTLY}
    assert body["data"]["predictions"][NIGHTLY]["expected_duration_seconds"] > 0


def test_api_recommend_on_a_new_workflow_in_the_current_directory(sample, workflows_dir, monkeypatch):
    """``predict`` reads ./.github/workflows by default: a new file there used to crash it."""
    checkout = workflows_dir.parent / "checkout"
    shutil.copytree(workflows_dir, checkout / ".github" / "workflows")
    monkeypatch.chdir(checkout)
    api = WorkflowOrchestratorAPI(data_dir=sample)
    response = api.predict_execution_time(NIGHTLY)
    assert response.success, response.message
    assert response.data["recommended_schedule"]


def test_an_unexpected_failure_is_one_internal_error_with_a_saved_traceback(sample, capsys, monkeypatch):
    import orchestrator.api

    def broken(runs):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(orchestrator.api, "insights", broken)
    code, body = cli(capsys, "--data", str(sample), "insights", "--workflow", NIGHTLY)
    assert code == 1 and body["error"] == "InternalError" and not body["success"]
    saved = Path(body["data"]["traceback_file"])
    assert saved.is_file() and "ZeroDivisionError: injected" in saved.read_text()
    assert str(saved) in body["message"]
    capsys.readouterr()
    assert main(["--data", str(sample), "insights", "--workflow", NIGHTLY]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "internal error" in captured.out
    saved.unlink()


# ----- item 2: a schedule for every scheduled workflow, file or no file -----------------------
def test_predict_infers_the_schedule_from_history_without_a_workflow_file(sample, tmp_path):
    api = WorkflowOrchestratorAPI(data_dir=sample, clock=lambda: after_sample(sample))
    data = api.predict_execution_time(NIGHTLY, workflows_dir=tmp_path / "absent").data
    assert data["recommended_schedule"] is not None
    assert any("inferred from" in line and "`0 0 * * *`" in line for line in data["reasoning"])


def test_a_workflow_never_scheduled_gets_no_schedule_and_a_reason(tmp_path):
    source = tmp_path / "runs.json"
    source.write_text(json.dumps([api_run(i, at=datetime(2025, 3, 1, tzinfo=timezone.utc) + timedelta(hours=i))
                                  for i in range(1, 30)]))
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store")
    assert api.import_files([source]).success
    data = api.predict_execution_time("CI", workflows_dir=tmp_path / "absent").data
    assert data["recommended_schedule"] is None
    assert any("never ran on a schedule" in line for line in data["reasoning"])


@pytest.mark.parametrize("expression, delays", [
    ("0 0 * * *", (5, 25)), ("23 5 * * *", (0.1, 2)), ("37 * * * *", (0.2, 1.5)), ("*/15 * * * *", (0.2, 4)),
    ("0 */6 * * *", (3, 20)), ("30 9 * * 1", (0.2, 5)), ("0 2 * * 1-5", (4, 30)),
])
def test_infer_cron_reads_common_schedules_back_from_delayed_runs(expression, delays):
    from random import Random

    from orchestrator.schedule.cron import Cron

    rng = Random(expression)
    start = datetime(2025, 1, 6, tzinfo=timezone.utc)
    ticks = Cron.parse(expression).ticks(start, start + timedelta(days=60))[:200]
    times = [t + timedelta(minutes=rng.uniform(*delays)) for t in ticks]
    inferred = infer_cron(times)
    assert inferred is not None and inferred.cron.expression == expression
    assert inferred.matched == len(times)


def test_infer_cron_refuses_too_few_or_irregular_runs():
    start = datetime(2025, 1, 6, tzinfo=timezone.utc)
    assert infer_cron([start, start + timedelta(days=1)]) is None
    assert infer_cron([start + timedelta(days=d) for d in (0, 3, 50, 51, 140)]) is None


# ----- item 3: workflow identity ---------------------------------------------------------------
def test_runs_sharing_a_workflow_id_are_one_workflow_named_by_the_latest_with_aliases():
    t0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
    runs = [record(i, name=f"npm_and_yarn in /. for pkg{i} - Update #{i}", path=None, workflow_id=133270526,
                   at=t0 + timedelta(hours=i)) for i in range(1, 6)]
    runs += [record(10 + i, name="Old CI" if i < 3 else "CI", path=None, workflow_id=7, at=t0 + timedelta(hours=i))
             for i in range(6)]
    found = workflows(runs)
    assert len(found) == 2
    dependabot = next(w for w in found if w.workflow_id == 133270526)
    assert dependabot.name.endswith("#5") and dependabot.runs == 5 and len(dependabot.aliases) == 4
    ci = resolve(found, "Old CI")
    assert ci.name == "CI" and ci.aliases == ("Old CI",) and ci.runs == 6
    assert resolve(found, "7", "octo/repo") is ci and resolve(found, "old ci") is ci


def test_a_run_without_path_takes_the_path_its_workflow_id_has_elsewhere():
    with_path = record(1, workflow_id=5, path=".github/workflows/ci.yml")
    without = record(2, workflow_id=5, path=None, name="CI (from gh run list)")
    assert [w.key for w in workflows(with_known_paths([with_path, without]))] == ["octo/repo:.github/workflows/ci.yml"]
    assert len(workflows([with_path, without])) == 2  # what the store would show without it


def test_an_id_with_repo_is_never_ambiguous_in_the_ghaminer_store(tmp_path, capsys):
    ghaminer = Path(__file__).resolve().parents[2] / "shared" / "data" / "ghaminer"
    files = sorted(ghaminer.glob("*.csv"))
    if not files:
        pytest.skip("GHAminer data is not beside this checkout")
    store = tmp_path / "gh"
    assert cli(capsys, "--data", str(store), "import", *map(str, files))[0] == 0
    code, body = cli(capsys, "--data", str(store), "insights", "--workflow", "126440122",
                     "--repo", "kanekidies/oxygencs-grp1-eq4")
    assert code == 0, body["message"]
    assert body["data"]["workflow"]["workflow_id"] == 126440122
    listed = cli(capsys, "--data", str(store), "workflows")[1]["data"]["workflows"]
    assert sum(w["workflow_id"] == 133270526 for w in listed) == 1  # Dependabot: one workflow, not 90


def test_predictions_logged_under_the_old_keys_still_score(sample):
    api = WorkflowOrchestratorAPI(data_dir=sample)
    runs = api.store.runs()
    nightly = [r for r in runs if r.name == NIGHTLY]
    made = nightly[-20].created_at - timedelta(seconds=1)
    api.store.commit(predictions=[{"made_at": made.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "predict",
                                   "workflow_key": nightly[0].legacy_workflow_key, "duration_p50_seconds": 300.0,
                                   "duration_p90_seconds": 600.0, "success_probability": 0.5, "baselines": {}}])
    data = api.get_accuracy_metrics(NIGHTLY).data
    assert data["matched_runs"] >= 19 and data["mean_absolute_error"] is not None
    assert 0 <= data["accuracy_score"] <= 1


# ----- item 6: the CLI contract ------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["history", "--limit", "-1", "--workflow", "x"], ["history"], ["nonsense"], ["record", "--workflow", "x"],
    ["predict", "--workflow", "x", "--bogus"], ["recommend", "--min-confidence", "2"],
])
def test_usage_errors_are_one_json_object_with_exit_2(argv, capsys, tmp_path):
    code, body = cli(capsys, "--data", str(tmp_path), *argv)
    assert code == 2 and body["error"] == "UsageError" and not body["success"]


def test_global_options_work_before_or_after_the_command(sample, capsys):
    before = cli(capsys, "--data", str(sample), "health")
    after = cli(capsys, "health", "--data", str(sample))
    assert before[0] == after[0] == 0 and before[1]["data"]["runs"] == after[1]["data"]["runs"] > 0
    capsys.readouterr()
    assert main(["--json", "health", "--data", str(sample)]) == 0
    assert json.loads(capsys.readouterr().out)["success"]


def test_a_data_path_without_a_store_says_so_and_names_it(tmp_path, capsys):
    typo = tmp_path / "no-such-store"
    for argv in (["health"], ["workflows"], ["insights", "--workflow", "CI"], ["accuracy"]):
        code, body = cli(capsys, "--data", str(typo), *argv)
        assert code == 1 and str(typo) in body["message"] and "no workflow-orchestrator store" in body["message"]
    assert not typo.exists(), "reading commands never create a store"


# ----- item 7: nothing fake on an empty store --------------------------------------------------
def test_recommend_on_an_empty_store_keeps_every_schedule_with_unknown_figures(tmp_path, workflows_dir, capsys):
    code, body = cli(capsys, "--data", str(tmp_path / "empty"), "recommend", "--workflows-dir", str(workflows_dir))
    assert code == 0
    assert body["message"] == "2 scheduled workflows, 0 should move"
    assert body["data"]["warnings"] and "No run history" in body["data"]["warnings"][0]
    for rec in body["data"]["recommendations"]:
        assert rec["change"] is False and rec["recommended_schedule"] == rec["current_schedule"][0]
        assert rec["expected_duration_seconds"] is None and rec["predicted_success_rate"] is None
        assert rec["confidence"] == 0.0
        assert rec["reasoning"][0].startswith("Keep ")


def test_the_schedule_package_gives_functions_whichever_name_is_imported_first():
    """``schedule.recommend`` is a function and the module's name: importing another name of
    that module first once left the module where the function belongs."""
    import subprocess
    import sys

    code = ("from orchestrator.schedule import schedule_timezones\n"
            "from orchestrator.schedule import recommend\n"
            "assert callable(recommend), recommend\n")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_backtest_rows_are_shown_by_workflow_name(sample, capsys):
    code, body = cli(capsys, "--data", str(sample), "backtest")
    assert code == 0 and body["data"]["workflow_names"]["facebook/react#94341022"] == NIGHTLY
    capsys.readouterr()
    assert main(["--data", str(sample), "backtest"]) == 0
    out = capsys.readouterr().out
    assert NIGHTLY in out and "facebook/react#94341022" not in out


def test_predict_batch_and_recommend_give_one_answer_for_one_slot(sample, workflows_dir):
    """One workflow, one history, one clock: the same success and p50/p90 for the same slot,
    each saying which slot and tick it is for (issue 12)."""
    now = after_sample(sample)
    api = WorkflowOrchestratorAPI(data_dir=sample, clock=lambda: now)
    name = "(DevTools) Regression Tests"
    fields = ("expected_duration_seconds", "duration_p90_seconds", "predicted_success_rate", "prediction_for")
    predicted = api.predict_execution_time(name, workflows_dir=workflows_dir).data
    batch = api.predict_batch([name], workflows_dir=workflows_dir).data["predictions"][name]
    rec = next(r for r in api.recommend(workflows_dir).data["recommendations"] if r["workflow"] == name)
    assert {f: predicted[f] for f in fields} == {f: batch[f] for f in fields} == {f: rec[f] for f in fields}
    slot = rec["prediction_for"]
    assert slot["schedule"] == rec["recommended_schedule"] and slot["event"] == "schedule"
    assert datetime.fromisoformat(slot["at"].replace("Z", "+00:00")) > now
    assert 0 < rec["predicted_success_rate"] < 1 and rec["expected_duration_seconds"] > 0
    # At the current slot the figures are exactly the learning model's forecast for that tick.
    current = rec["slot_forecasts"]["current"]
    described = api._predictor(workflows_dir, None).describe(rec["workflow_key"], at=datetime.fromisoformat(
        current["at"].replace("Z", "+00:00")), event="schedule")
    assert current["predicted_success_rate"] == round(described["predicted_success_rate"], 4)
    assert current["expected_duration_seconds"] == round(described["expected_duration_seconds"], 1)
