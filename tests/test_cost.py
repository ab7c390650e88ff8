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
    assert table.rate("linux-2", date(2026, 1, 1)) == 0.006  # GitHub's 2026-01-01 prices
    assert table.rate("windows-2", date(2026, 6, 1)) == 0.010 and table.rate("macos", date(2026, 6, 1)) == 0.062
    assert table.rate("linux-2", date(2025, 12, 31)) == 0.008  # the day before: the previous table
    assert table.rate("linux-2", date(2022, 12, 31)) is None  # before every table
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
    assert public["usd"] == pytest.approx(10 * 0.042) and public["by_sku"] == {"linux-2": 0.0, "linux-16": 0.42}
    assert run_cost(600, {"build": ("ubuntu-latest",)}, date(2026, 3, 1), table, public=True)["usd"] == 0.0


def test_self_hosted_runners_cost_the_configured_platform_charge(tmp_path: Path) -> None:
    jobs = {"build": ("self-hosted", "linux", "x64")}
    assert run_cost(120, jobs, date(2026, 3, 1), RateTable.load())["usd"] == 0.0  # 0 by default
    own = tmp_path / "rates.json"
    own.write_text(json.dumps({"self_hosted_per_minute": 0.002,
                               "tables": [{"effective_from": "2024-01-01", "rates": {"linux-2": 0.004}}]}))
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
    ("ubuntu-latest", "linux-2"), ("ubuntu-24.04-arm", "linux-arm64-2"), ("windows-2022", "windows-2"),
    ("macos-14", "macos"), ("macos-14-xlarge", "macos-xl"), (["self-hosted", "linux"], "self-hosted"),
    ({"group": "big-runners"}, "self-hosted"), ("linux-8-cores", "linux-8"), ("gpu-t4-4core", "linux-gpu-4"),
    ("${{ matrix.os }}", "unknown"),
])
def test_runner_labels_name_a_sku(runs_on: object, sku: str) -> None:
    assert sku_for(labels_of(runs_on)) == sku


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
