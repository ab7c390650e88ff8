"""`record` is a claim, not GitHub's word: it never rewrites a stored run's timing, never starts in
the future, and no writer can store a duration GitHub never allows (issue 10, item 4)."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import WorkflowOrchestratorAPI
from orchestrator.cli import main
from orchestrator.model import MAX_DURATION_SECONDS, OVER_MAX_DURATION, ResourceUsage, RunRecord
from orchestrator.source.sync import _Collected, sync
from orchestrator.store import HistoryStore
from orchestrator.store.merge import merge_runs
from tests.conftest import REPO
from tests.factories import T0, api_run, record
from tests.fakegithub import FakeGitHub, make_runs

NOW = datetime(2026, 1, 20, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
USAGE = {"cpu_percent": 40, "memory_mb": 512}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def api_with(tmp_path: Path, rows: list[dict[str, Any]]) -> WorkflowOrchestratorAPI:
    """An API on a fresh store holding ``rows`` (REST run objects), its clock at :data:`NOW`."""
    source = tmp_path / "seed.json"
    source.write_text(json.dumps(rows))
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store", clock=lambda: NOW)
    assert api.import_files([source]).success
    return api


def files(directory: Path) -> dict[Path, bytes]:
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*.json")}


def stored(api: WorkflowOrchestratorAPI, run_id: int) -> RunRecord:
    [run] = [r for r in HistoryStore.local(api.store.backend.root).runs() if r.id == run_id]
    return run


# ----- the reported bug, through the CLI -----------------------------------------------------------
LINTER = {"repo": "AUTOMATIC1111/stable-diffusion-webui", "runs": {"21153677922": {
    "id": 21153677922, "workflow_id": 37521102, "workflow_name": "Linter", "branch": "patch-1",
    "status": "completed", "conclusion": "success", "event": "pull_request",
    "created_at": "2026-01-19T22:58:45Z", "updated_at": "2026-01-19T22:59:04Z"}}}


@pytest.fixture
def linter_store(tmp_path: Path) -> Path:
    """A store holding the GHAminer run of the report (19 s, created 2026-01-19, no run_started_at)."""
    source = tmp_path / "AUTOMATIC1111.json"
    source.write_text(json.dumps(LINTER))
    assert main(["--data", str(tmp_path / "store"), "import", str(source), "--json"]) == 0
    return tmp_path / "store"


def record_cli(capsys: Any, store: Path, start: str, duration: str = "20", success: str = "true") -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["--data", str(store), "record", "--workflow", "Linter", "--run-id", "21153677922",
                 "--start-time", start, "--duration", duration, "--success", success, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_record_ten_months_off_a_stored_run_is_refused_naming_both_times(capsys, linter_store):
    before = files(linter_store)
    code, body = record_cli(capsys, linter_store, "2025-03-10T09:00:00Z")
    assert code == 2 and body["error"] == "ValidationError"
    assert "2025-03-10T09:00:00Z" in body["message"] and "2026-01-19T22:58:45Z" in body["message"]
    assert files(linter_store) == before
    [run] = HistoryStore.local(linter_store).runs()
    assert run.duration_seconds == 19.0 and run.run_started_at is None


def test_a_record_in_2099_is_refused(capsys, linter_store):
    before = files(linter_store)
    code, body = record_cli(capsys, linter_store, "2099-01-01T00:00:00Z")
    assert code == 2 and "start-time" in body["message"] and "2099-01-01T00:00:00Z" in body["message"]
    assert files(linter_store) == before


def test_an_agreeing_record_attaches_its_usage_and_keeps_the_timing(capsys, linter_store):
    capsys.readouterr()
    code = main(["--data", str(linter_store), "record", "--workflow", "Linter", "--run-id", "21153677922",
                 "--start-time", "2026-01-19T22:58:50Z", "--duration", "20", "--success", "true",
                 "--resource-usage", json.dumps(USAGE), "--json"])
    body = json.loads(capsys.readouterr().out)
    assert code == 0 and body["data"]["updated"] == 1 and "keeps its timing" in body["message"]
    [run] = HistoryStore.local(linter_store).runs()
    assert (run.created_at, run.run_started_at, run.duration_seconds) == (
        datetime(2026, 1, 19, 22, 58, 45, tzinfo=timezone.utc), None, 19.0)
    assert run.usage == ResourceUsage(cpu_percent=40.0, memory_mb=512.0)


# ----- the future --------------------------------------------------------------------------------
@pytest.mark.parametrize("start,duration,ok", [
    (NOW + timedelta(minutes=4), 0, True),
    (NOW + timedelta(minutes=6), 0, False),            # starts more than 5 minutes after now
    (NOW - timedelta(minutes=1), 3600, False),         # ends an hour from now
    (NOW - timedelta(hours=1), 3600 + 240, True),      # ends within the clock skew
])
def test_records_starting_or_ending_in_the_future_are_refused(tmp_path, start, duration, ok):
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store", clock=lambda: NOW)
    response = api.record_execution("CI", start, duration, True, repo="octo/repo")
    assert response.success is ok, response.message
    if not ok:
        assert response.error == "ValidationError" and stamp(NOW + timedelta(minutes=5)) in response.message
        assert not (tmp_path / "store").exists() or not files(tmp_path / "store")


# ----- a record of a stored run ------------------------------------------------------------------
def test_agreement_is_within_a_minute_or_a_tenth_of_the_stored_duration(tmp_path):
    # run 1 lasts 300 s (tolerance 60 s); run 2 lasts 3600 s (tolerance 360 s)
    api = api_with(tmp_path, [api_run(1, minutes=5), api_run(2, minutes=60, at=T0 + DAY)])
    started = {1: T0 + timedelta(seconds=20), 2: T0 + DAY + timedelta(seconds=20)}
    for run_id, duration, ok in [(1, 360, True), (1, 240, True), (1, 361, False), (1, 20, False),
                                 (2, 3960, True), (2, 3240, True), (2, 3961, False)]:
        response = api.record_execution("CI", started[run_id], duration, True, run_id=run_id)
        assert response.success is ok, (run_id, duration, response.message)
        if not ok:
            stored_duration = stored(api, run_id).duration_seconds
            assert f"{duration}" in response.message and f"{stored_duration:g}" in response.message


def test_a_start_outside_the_stored_run_is_refused(tmp_path):
    api = api_with(tmp_path, [api_run(1, minutes=5)])
    before = files(tmp_path / "store")
    late = api.record_execution("CI", T0 + timedelta(hours=2), 300, True, run_id=1)
    early = api.record_execution("CI", T0 - timedelta(hours=2), 300, True, run_id=1)
    assert not late.success and not early.success and "start-time" in late.message
    assert files(tmp_path / "store") == before


@pytest.mark.parametrize("conclusion,success,ok", [
    ("failure", True, False), ("success", False, False), ("success", True, True), ("failure", False, True),
    ("timed_out", False, True), ("cancelled", False, True), ("cancelled", True, False),
])
def test_the_outcome_must_agree_with_the_stored_conclusion(tmp_path, conclusion, success, ok):
    api = api_with(tmp_path, [api_run(1, conclusion=conclusion)])
    response = api.record_execution("CI", T0 + timedelta(seconds=20), 300, success, run_id=1, resource_usage=USAGE)
    assert response.success is ok, response.message
    if not ok:
        assert "success" in response.message and repr(conclusion) in response.message
    assert stored(api, 1).conclusion == conclusion


def test_a_record_naming_another_workflow_or_repository_is_refused(tmp_path):
    api = api_with(tmp_path, [api_run(1), api_run(2, name="Nightly", workflow_id=9,
                                                   path=".github/workflows/nightly.yml")])
    start = T0 + timedelta(seconds=20)
    for workflow, repo in [("Nightly", None), ("Linter", None), ("CI", "octo/other")]:
        response = api.record_execution(workflow, start, 300, True, run_id=1, repo=repo)
        assert not response.success and response.error == "ValidationError", workflow
        assert "run 1" in response.message
    for workflow in ("CI", "ci.yml", ".github/workflows/ci.yml", "161335"):
        assert api.record_execution(workflow, start, 300, True, run_id=1).success, workflow


def test_a_workflow_path_cannot_disagree_with_a_run_stored_without_one(tmp_path):
    """``gh run list`` rows carry no path; the record action names the workflow by its path."""
    api = api_with(tmp_path, [api_run(1, path=None)])
    response = api.record_execution(".github/workflows/ci.yml", T0 + timedelta(seconds=20), 300, True,
                                    run_id=1, resource_usage=USAGE)
    assert response.success, response.message
    assert stored(api, 1).path is None and stored(api, 1).usage is not None


def test_a_run_stored_in_progress_takes_the_usage_and_waits_for_sync_for_its_outcome(tmp_path):
    api = api_with(tmp_path, [api_run(1, status="in_progress", conclusion=None, minutes=1)])
    response = api.record_execution("CI", T0 + timedelta(seconds=20), 900, False, run_id=1, resource_usage=USAGE)
    assert response.success and "next sync" in response.message
    run = stored(api, 1)
    assert (run.status, run.conclusion, run.duration_seconds) == ("in_progress", None, 60.0)
    synced = tmp_path / "synced.json"
    synced.write_text(json.dumps([api_run(1, minutes=15, conclusion="success")]))
    assert api.import_files([synced]).data["updated"] == 1
    run = stored(api, 1)
    assert (run.conclusion, run.duration_seconds) == ("success", 900.0) and run.usage is not None


def test_recording_one_start_twice_with_another_duration_is_refused(tmp_path):
    """Without --run-id the id comes from the start time: the second claim names the same run."""
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store", clock=lambda: NOW)
    assert api.record_execution("CI", T0, 60, True, repo="octo/repo").data["added"] == 1
    assert api.record_execution("CI", T0, 80, True, repo="octo/repo").message.startswith("Already had")
    again = api.record_execution("CI", T0, 600, True, repo="octo/repo")
    assert not again.success and "duration" in again.message
    assert [r.duration_seconds for r in api.store.runs()] == [60.0]


# ----- the 35-day invariant ------------------------------------------------------------------------
def test_the_merge_refuses_results_over_35_days():
    ok = record(1)
    touched_later = record(1, minutes=36 * 24 * 60)
    merged, counts = merge_runs({}, [touched_later])
    assert merged == {} and counts == {"added": 0, "updated": 0, "unchanged": 1}
    merged, counts = merge_runs({ok.key: ok}, [touched_later])
    assert merged[ok.key] is ok and counts["unchanged"] == 1
    # Each version alone is fine; filling the first one's run_started_at into the second is not.
    early_start = RunRecord(id=2, repository="o/r", name="CI", created_at=T0 - 40 * DAY, run_started_at=T0 - 40 * DAY,
                            updated_at=T0 - 40 * DAY + timedelta(seconds=20), conclusion="success")
    no_start = RunRecord(id=2, repository="o/r", name="CI", created_at=T0, updated_at=T0 + timedelta(minutes=3),
                         conclusion="success")
    merged, _ = merge_runs({early_start.key: early_start}, [no_start])
    assert merged[early_start.key] is early_start


def test_a_commit_never_replaces_a_run_with_a_version_over_35_days(tmp_path):
    store = HistoryStore.local(tmp_path)
    store.commit([record(1)])
    before = files(tmp_path)
    result = store.commit([record(1, minutes=40 * 24 * 60)])
    assert (result.added, result.updated) == (0, 0) and files(tmp_path) == before


def test_a_commit_of_a_new_run_over_35_days_stores_nothing(tmp_path):
    store = HistoryStore.local(tmp_path)
    assert store.commit([record(1, minutes=40 * 24 * 60)]).added == 0
    assert store.runs() == []


def test_sync_skips_runs_over_35_days_by_name_and_closes_them(fake_github: FakeGitHub, make_client: Any, tmp_path: Path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    fake_github.seed_runs(make_runs(3, now - timedelta(hours=3)))
    fake_github.seed_runs([{"id": 900, "created_at": now - 50 * DAY, "run_started_at": now - 50 * DAY,
                            "updated_at": now - DAY, "status": "completed", "conclusion": "success"},
                           {"id": 901, "created_at": now - 40 * DAY, "run_started_at": now - 40 * DAY,
                            "updated_at": now - 40 * DAY + timedelta(minutes=1), "status": "in_progress", "conclusion": None}])
    client = make_client()
    first = sync(HistoryStore.local(tmp_path), REPO, client, max_requests=None)
    assert first["skipped_reasons"] == {OVER_MAX_DURATION: 1} and first["runs_skipped"] == 1
    assert sorted(r.id for r in HistoryStore.local(tmp_path).runs()) == [1, 2, 3, 901]
    assert first["open_runs"] == 1
    fake_github.update_run(901, status="completed", conclusion="success", updated_at=now)
    second = sync(HistoryStore.local(tmp_path), REPO, client, max_requests=None)
    assert second["skipped_reasons"] == {OVER_MAX_DURATION: 1} and second["open_runs"] == 0
    assert not any(r.over_max_duration for r in HistoryStore.local(tmp_path).runs())


# ----- the property: hostile sequences of import / record / sync ---------------------------------------
IDS = st.sampled_from([1, 2, 3])
OFFSET = st.integers(-60 * 24 * 60, 0).map(lambda m: timedelta(minutes=m))  # up to 60 days back from NOW
SPAN = st.one_of(st.integers(0, 3600), st.integers(30 * 86400, 45 * 86400)).map(lambda s: timedelta(seconds=s))
CONCLUSION = st.sampled_from(["success", "failure", None])


@st.composite
def imports(draw: Any) -> tuple[str, list[dict[str, Any]]]:
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        created = NOW + draw(OFFSET)
        started = created + draw(SPAN) if draw(st.booleans()) else None
        conclusion = draw(CONCLUSION)
        rows.append(api_run(draw(IDS), at=created, run_started_at=stamp(started) if started else None,
                            updated_at=stamp((started or created) + draw(SPAN)),
                            status="completed" if conclusion else "in_progress", conclusion=conclusion))
    return "import", rows


@st.composite
def records(draw: Any) -> tuple[str, dict[str, Any]]:
    return "record", {
        "run_id": draw(st.one_of(st.none(), IDS)),
        "start_time": NOW + draw(st.one_of(OFFSET, st.integers(0, 3 * 24 * 60).map(lambda m: timedelta(minutes=m)))),
        "duration_seconds": draw(st.one_of(st.integers(0, 7200), st.integers(MAX_DURATION_SECONDS - 60, MAX_DURATION_SECONDS))),
        "success": draw(st.booleans()),
        "resource_usage": draw(st.sampled_from([None, USAGE, {"api_calls": 7}])),
    }


@st.composite
def syncs(draw: Any) -> tuple[str, dict[str, Any]]:
    """A newer version of a run, as sync lists it: later ``updated_at``, perhaps months later."""
    return "sync", {"run_id": draw(IDS), "later": draw(SPAN) + timedelta(seconds=1), "conclusion": draw(CONCLUSION),
                    "created": NOW + draw(OFFSET), "span": draw(SPAN)}


def synced_version(runs: dict[tuple[int, int], RunRecord], spec: dict[str, Any]) -> dict[str, Any]:
    known = runs.get((spec["run_id"], 1))
    created = known.created_at if known else spec["created"]
    started = known.started_at if known else created
    updated = (known.updated_at if known else started + spec["span"]) + spec["later"]
    return api_run(spec["run_id"], at=created, run_started_at=stamp(started), updated_at=stamp(updated),
                   status="completed" if spec["conclusion"] else "in_progress", conclusion=spec["conclusion"])


def timings(runs: dict[tuple[int, int], RunRecord]) -> dict[tuple[int, int], tuple]:
    return {key: (r.created_at, r.run_started_at, r.updated_at) for key, r in runs.items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(imports(), records(), syncs()), min_size=1, max_size=10))
def test_no_sequence_of_writers_stores_over_35_days_lets_a_record_move_a_run_or_loses_one(operations):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        api = WorkflowOrchestratorAPI(data_dir=root / "store", clock=lambda: NOW)
        seen: set[tuple[int, int]] = set()
        for step, (kind, spec) in enumerate(operations):
            before = {r.key: r for r in HistoryStore.local(root / "store").runs()}
            if kind == "import":
                source = root / f"import-{step}.json"
                source.write_text(json.dumps(spec))
                response = api.import_files([source])
                assert response.success, response.message
            elif kind == "record":
                response = api.record_execution("CI", repo="octo/repo", **spec)
                assert response.success or response.error == "ValidationError", response.message
            else:  # what sync does with a listed run: normalise it, then commit
                collected = _Collected()
                collected.add(synced_version(before, spec), "octo/repo")
                api.store.commit(list(collected.runs.values()))
            after = {r.key: r for r in HistoryStore.local(root / "store").runs()}
            assert not [r for r in after.values() if r.duration_seconds > MAX_DURATION_SECONDS], kind
            assert seen <= set(after), f"{kind} lost runs"
            if kind == "record":
                assert {k: t for k, t in timings(after).items() if k in before} == timings(before)
            seen |= set(after)
