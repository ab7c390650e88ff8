"""The cost model: rate tables with effective dates, per-job rounding, public repositories free,
self-hosted platform charges, runner labels, and a user's own rate file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from orchestrator.cost.estimate import job_minutes, run_cost
from orchestrator.cost.rates import RateTable
from orchestrator.cost.runners import labels_of, sku_for
from orchestrator.errors import ValidationError
from orchestrator.schedule.workflows import parse_workflow


def test_the_table_in_force_on_the_day_prices_the_minute() -> None:
    table = RateTable.load()
    assert table.rate("linux", date(2026, 1, 1)) == 0.006  # GitHub's 2026-01-01 prices
    assert table.rate("windows", date(2026, 6, 1)) == 0.010 and table.rate("macos", date(2026, 6, 1)) == 0.062
    assert table.rate("linux", date(2025, 12, 31)) == 0.008  # the day before: the previous table
    assert table.rate("linux", date(2022, 12, 31)) is None  # before every table
    # larger, arm64 and GPU runners, as GitHub's price list gives them before and from 2026-01-01
    assert [table.rate(s, date(2026, 6, 1)) for s in ("linux_16_core", "windows_8_core", "linux_4_core_arm",
                                                      "windows_2_core_arm", "macos_l", "macos_xl", "linux_4_core_gpu")] == [
        0.042, 0.042, 0.008, 0.008, 0.077, 0.102, 0.052]
    assert [table.rate(s, date(2025, 6, 1)) for s in ("linux_16_core", "linux_4_core_arm", "macos_xl", "linux_4_core_gpu")] == [
        0.064, 0.01, 0.16, 0.07]
    assert table.rate("no-such-runner", date(2026, 6, 1)) is None


@pytest.mark.parametrize("seconds, minutes", [(0, 1), (1, 1), (60, 1), (61, 2), (359.5, 6), (3600, 60)])
def test_each_job_is_rounded_up_to_the_whole_minute(seconds: float, minutes: int) -> None:
    assert job_minutes(seconds) == minutes


def test_a_run_is_its_jobs_minutes_at_their_runners_rates() -> None:
    table = RateTable.load()
    jobs = {"build": ("ubuntu-latest",), "mac": ("macos-14",), "win": ("windows-latest",)}
    cost = run_cost(61, jobs, date(2026, 3, 1), table)
    assert cost["minutes"] == 6 and cost["jobs"] == 3  # 2 minutes each
    assert cost["usd"] == pytest.approx(2 * (0.006 + 0.062 + 0.010))
    assert cost["estimated"] is True and "estimated" in cost["basis"]


def test_standard_runners_are_free_in_public_repositories_but_larger_ones_are_not() -> None:
    table = RateTable.load()
    jobs = {"build": ("ubuntu-latest",), "big": ("ubuntu-22.04-16core",)}
    public = run_cost(600, jobs, date(2026, 3, 1), table, public=True)
    assert public["usd"] == pytest.approx(10 * 0.042) and public["by_sku"] == {"linux": 0.0, "linux_16_core": 0.42}
    arm = run_cost(600, {"a": ("ubuntu-24.04-arm",), "b": ("linux-arm64-4core",)}, date(2026, 3, 1), table, public=True)
    assert arm["by_sku"] == {"linux_2_core_arm": 0.0, "linux_4_core_arm": pytest.approx(0.08)}
    assert run_cost(600, {"build": ("ubuntu-latest",)}, date(2026, 3, 1), table, public=True)["usd"] == 0.0


def test_self_hosted_runners_cost_the_configured_platform_charge(tmp_path: Path) -> None:
    jobs = {"build": ("self-hosted", "linux", "x64")}
    assert run_cost(120, jobs, date(2026, 3, 1), RateTable.load())["usd"] == 0.0  # 0 by default
    own = tmp_path / "rates.json"
    own.write_text(json.dumps({"self_hosted_per_minute": 0.002,
                               "tables": [{"effective_from": "2024-01-01", "rates": {"linux": 0.004}}]}))
    table = RateTable.load(own)
    assert run_cost(120, jobs, date(2026, 3, 1), table)["usd"] == pytest.approx(0.004)
    assert run_cost(120, {"b": ("ubuntu-latest",)}, date(2026, 3, 1), table)["usd"] == pytest.approx(0.008)


def test_a_bad_user_file_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "mine.json"
    bad.write_text('{"tables": [{"effective_from": "soon", "rates": {}}]}')
    with pytest.raises(ValidationError, match="mine.json"):
        RateTable.load(bad)
    bad.write_text("{")
    with pytest.raises(ValidationError, match="JSON"):
        RateTable.load(bad)
    with pytest.raises(ValidationError, match="readable"):
        RateTable.load(tmp_path / "missing.json")


@pytest.mark.parametrize("runs_on, sku", [
    ("ubuntu-latest", "linux"), ("ubuntu-24.04-arm", "linux_2_core_arm"), ("windows-2022", "windows"),
    ("windows-11-arm", "windows_2_core_arm"), ("ubuntu-slim", "linux_slim"), ("macos-14", "macos"),
    ("macos-14-large", "macos_l"), ("macos-14-xlarge", "macos_xl"), (["self-hosted", "linux"], "self-hosted"),
    ({"group": "big-runners"}, "self-hosted"), ("linux-8-cores", "linux_8_core"), ("ubuntu-2core", "linux_2_core_advanced"),
    ("windows-2022-16core", "windows_16_core"), ("gpu-t4-4core", "linux_4_core_gpu"), ("windows-gpu-4-core", "windows_4_core_gpu"),
    ("${{ matrix.os }}", "unknown"),
])
def test_runner_labels_name_a_sku(runs_on: object, sku: str) -> None:
    assert sku_for(labels_of(runs_on)) == sku


def test_every_sku_the_labels_can_name_has_a_rate_in_the_shipped_table() -> None:
    table = RateTable.load()
    named = {sku_for((label,)) for label in ("ubuntu-latest", "windows-latest", "macos-latest", "ubuntu-slim", "macos-15-large",
                                              "macos-15-xlarge", "ubuntu-24.04-arm", "windows-11-arm", "gpu", "windows-gpu")}
    named |= {sku_for((f"{os}-{cores}core",)) for os in ("ubuntu", "windows", "ubuntu-arm", "windows-arm")
              for cores in (2, 4, 8, 16, 32, 64) if not (os == "windows" and cores == 2)}
    named |= {sku_for(("ubuntu-96core",)), sku_for(("windows-96core",))}
    assert {sku for sku in named if table.rate(sku, date(2026, 6, 1)) is None} == set()
    assert all(table.rates[0].keys() == t.keys() for t in table.rates)  # both price lists cover the same SKUs


def test_standard_images_are_told_from_larger_runners() -> None:
    from orchestrator.cost.runners import is_standard

    assert all(is_standard((label,)) for label in ("ubuntu-latest", "ubuntu-24.04", "windows-2025", "macos-15", "macos-15-intel",
                                                   "ubuntu-24.04-arm", "windows-11-arm", "ubuntu-slim"))
    assert not any(is_standard(labels) for labels in (("macos-14-large",), ("ubuntu-22.04-16core",), ("linux-arm64-4core",),
                                                     ("self-hosted", "linux"), ("ubuntu-latest", "gpu")))


def test_workflow_files_carry_each_jobs_runner_and_an_unknown_one_is_not_priced() -> None:
    text = ("on: push\njobs:\n  a: {runs-on: ubuntu-latest, steps: [{run: x}]}\n"
            "  b: {runs-on: '${{ matrix.os }}', steps: [{run: x}]}\n  c: {uses: ./.github/workflows/r.yml}\n")
    workflow, _ = parse_workflow(text, ".github/workflows/x.yml")
    assert workflow.job_runners == {"a": ("ubuntu-latest",), "b": ("${{ matrix.os }}",)}
    cost = run_cost(30, workflow.job_runners, date(2026, 3, 1), RateTable.load())
    assert cost["unpriced_jobs"] == ["b"] and cost["usd"] == pytest.approx(0.006)


def test_insights_show_the_cost_of_the_last_30_days_from_the_workflow_file(tmp_path: Path) -> None:
    from orchestrator import WorkflowOrchestratorAPI
    from orchestrator.store import HistoryStore
    from tests.test_schedule_recommend import History

    history = History(2)
    history.scheduled("nightly", "0 3 * * *", 60, delay_min=1, drop=0.0, fail=0.25, minutes=5.5)
    runs = [r.__class__(**{**r.__dict__, "path": ".github/workflows/nightly.yml"}) for r in history.runs]
    HistoryStore.local(tmp_path / "store").commit(runs, message="test")
    wf = tmp_path / "wf"
    wf.mkdir()
    (wf / "nightly.yml").write_text("name: nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n"
                                    "  a: {runs-on: ubuntu-latest, steps: [{run: x}]}\n  b: {runs-on: macos-14, steps: [{run: x}]}\n")
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store")
    cost = api.get_workflow_insights("nightly", workflows_dir=wf).data["cost"]
    recent = [r for r in runs if (max(x.created_at for x in runs) - r.created_at).days < 30]
    minutes = [job_minutes(r.duration_seconds) for r in recent]
    assert cost["runs"] == len(recent) and cost["minutes"] == 2 * sum(minutes)
    expected = sum(m * (0.008 + 0.08 if r.created_at.year < 2026 else 0.006 + 0.062) for r, m in zip(recent, minutes))
    assert cost["usd"] == pytest.approx(expected, abs=1e-3) and cost["estimated"]
    failed = sum(2 * m for r, m in zip(recent, minutes) if r.outcome == "failure")
    assert cost["minutes_on_failed_runs"] == failed > 0
    assert api.get_workflow_insights("nightly", workflows_dir=tmp_path / "none").data["cost"] is None


def _timed(run: object, *jobs: tuple[tuple[str, ...], int]) -> object:
    from dataclasses import replace

    from orchestrator.model import JobTiming

    return replace(run, jobs=tuple(JobTiming(labels, seconds) for labels, seconds in jobs))  # type: ignore[arg-type]


def _run(i: int, seconds: int) -> object:
    from datetime import datetime, timedelta, timezone

    from orchestrator.model import RunRecord

    start = datetime(2026, 3, 1, tzinfo=timezone.utc) + timedelta(days=i)
    return RunRecord(id=i, repository="o/r", name="nightly", path=".github/workflows/nightly.yml", created_at=start,
                     run_started_at=start, updated_at=start + timedelta(seconds=seconds), conclusion="success", event="schedule")


def test_measured_jobs_price_each_job_on_its_own_runner_and_minutes() -> None:
    table = RateTable.load()
    measured = [_timed(_run(i, 130), (("macos-14",), 61), (("ubuntu-latest",), 5)) for i in range(3)]
    # the file says one job on a matrix expression (unpriceable); the jobs API named the real runners
    cost = run_cost(130, {"build": ("${{ matrix.os }}",)}, date(2026, 3, 9), table, measured=measured)
    assert cost["estimated"] is False and cost["measured_runs"] == 3 and cost["unpriced_jobs"] == []
    assert cost["minutes"] == 3 and cost["usd"] == pytest.approx(2 * 0.062 + 1 * 0.006)  # 61 s → 2 min, 5 s → 1 min
    assert "measured through the jobs API on 3 runs" in cost["basis"]
    slower = run_cost(260, {}, date(2026, 3, 9), table, measured=measured)  # a slot twice as slow costs twice as much
    assert slower["usd"] == pytest.approx(2 * cost["usd"])
    estimate = run_cost(130, {"build": ("ubuntu-latest",)}, date(2026, 3, 9), table)
    assert estimate["estimated"] is True and estimate["measured_runs"] == 0


def test_history_cost_prices_measured_runs_exactly_and_estimates_the_rest() -> None:
    from orchestrator.cost.estimate import history_cost

    table = RateTable.load()
    runs = [_timed(_run(0, 300), (("ubuntu-latest",), 100), (("windows-latest",), 30)), _run(1, 300)]
    cost = history_cost(runs, {"a": ("ubuntu-latest",), "b": ("windows-latest",)}, table)
    assert cost["measured_runs"] == 1 and cost["estimated"] is True and cost["runs"] == 2
    assert cost["minutes"] == (2 + 1) + (5 + 5)
    assert cost["usd"] == pytest.approx(2 * 0.006 + 1 * 0.010 + 5 * 0.006 + 5 * 0.010, abs=1e-4)
    only_measured = history_cost(runs[:1], {}, table)  # no workflow file: the measured run is still priced
    assert only_measured["estimated"] is False and only_measured["usd"] == pytest.approx(0.022, abs=1e-4)
    assert history_cost(runs[1:], {}, table) is None


def test_a_sync_with_a_jobs_budget_turns_estimates_into_measured_figures(fake_github: object, make_client: object, tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from orchestrator import WorkflowOrchestratorAPI
    from orchestrator.source.sync import sync
    from orchestrator.store import HistoryStore
    from tests.fakegithub import make_runs

    now = datetime.now(timezone.utc).replace(microsecond=0)
    fake_github.seed_runs(make_runs(12, now - timedelta(days=6), spacing=timedelta(hours=12)))  # type: ignore[attr-defined]
    for run_id in range(1, 13):
        fake_github.set_jobs(run_id, [{"labels": ["ubuntu-latest"], "seconds": 90},  # type: ignore[attr-defined]
                                      {"labels": ["macos-14"], "seconds": 150, "offset": 90}])
    wf = tmp_path / "wf"
    wf.mkdir()
    (wf / "ci.yml").write_text("name: CI\non: push\njobs:\n  a: {runs-on: '${{ matrix.os }}', steps: [{run: x}]}\n")
    store = HistoryStore.local(tmp_path / "store")
    sync(store, "octo/demo", make_client(), max_requests=50)  # type: ignore[operator]
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store")
    before = api.get_workflow_insights("CI", workflows_dir=wf).data["cost"]
    assert before["measured_runs"] == 0 and before["usd"] == 0 and before["estimated"]
    assert before["unpriced_jobs"] == ["a"]  # the file's matrix expression cannot be priced
    fake_github.seed_runs(make_runs(1, now - timedelta(hours=1), first_id=13))  # type: ignore[attr-defined]
    fake_github.set_jobs(13, [{"labels": ["ubuntu-latest"], "seconds": 90}, {"labels": ["macos-14"], "seconds": 150}])  # type: ignore[attr-defined]
    result = sync(HistoryStore.local(tmp_path / "store"), "octo/demo", make_client(), max_requests=50, jobs=5)  # type: ignore[operator]
    assert result["jobs_measured"] >= 1
    after = WorkflowOrchestratorAPI(data_dir=tmp_path / "store").get_workflow_insights("CI", workflows_dir=wf).data["cost"]
    assert after["measured_runs"] == result["jobs_measured"] and after["usd"] == pytest.approx(
        after["measured_runs"] * (2 * 0.006 + 3 * 0.062), abs=1e-4)


def test_predict_prices_a_workflow_without_a_schedule_from_its_measured_jobs_and_public_makes_standard_runners_free(
        tmp_path: Path) -> None:
    from orchestrator import WorkflowOrchestratorAPI
    from orchestrator.store import HistoryStore

    runs = [_timed(_run(i, 130), (("macos-14",), 61), (("ubuntu-latest",), 5)) for i in range(12)]
    HistoryStore.local(tmp_path / "store").commit(runs, message="test")
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store")
    cost = api.predict_execution_time("nightly", workflows_dir=tmp_path / "none").data["cost_per_run"]
    assert cost["estimated"] is False and cost["measured_runs"] == 12 and set(cost["by_sku"]) == {"linux", "macos"}
    assert cost["usd"] > 0 and cost["public"] is False
    free = api.predict_batch(["nightly"], workflows_dir=tmp_path / "none", public=True).data["predictions"]["nightly"]
    assert free["cost_per_run"]["usd"] == 0 and free["cost_per_run"]["public"] is True


def test_labels_that_only_contain_arm_are_not_arm_and_a_group_of_larger_runners_is_hosted() -> None:
    assert sku_for(("farm-linux",)) == "linux" and sku_for(("warm-pool-linux-8-cores",)) == "linux_8_core"
    assert sku_for(labels_of({"group": "big", "labels": "ubuntu-22.04-16core"})) == "linux_16_core"
    assert sku_for(labels_of({"group": "ours", "labels": ["linux", "x64"]})) == "self-hosted"


def test_health_says_the_newest_format_the_store_holds(tmp_path: Path) -> None:
    from orchestrator import WorkflowOrchestratorAPI
    from orchestrator.store import HistoryStore

    HistoryStore.local(tmp_path).commit([_run(1, 60)], message="test")
    assert WorkflowOrchestratorAPI(data_dir=tmp_path).health_check().data["schema_version"] == 1
    HistoryStore.local(tmp_path).commit([_timed(_run(2, 60), (("ubuntu-latest",), 60))], message="test")
    health = WorkflowOrchestratorAPI(data_dir=tmp_path).health_check().data
    assert health["schema_version"] == 2 and health["reads_schema_version"] == 2
