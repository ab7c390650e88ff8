"""Sync lists everything, exactly once, at close to the ⌈N/100⌉ request floor."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from orchestrator.source.sync import sync
from orchestrator.store import HistoryStore
from tests.conftest import REPO
from tests.fakegithub import FakeGitHub, make_runs

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def stored_keys(store_dir: Path) -> list[tuple[int, int]]:
    return [r.key for r in HistoryStore.local(store_dir).runs()]


def test_first_sync_backfills_everything_at_the_request_floor(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(2345, NOW - timedelta(days=40), spacing=timedelta(minutes=20)))
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None)
    assert sorted(stored_keys(tmp_path)) == [(i, 1) for i in range(1, 2346)]
    assert result["complete"] and result["pending"] == [] and result["runs_added"] == 2345
    # the runs pages, one page of workflows, and page one of the next sync's window (for its ETag)
    assert result["requests"] == math.ceil(2345 / 100) + 2
    assert result["synced_through"] is not None and result["rate_limit_remaining"] < 5000


def test_days_with_more_than_1000_runs_are_listed_completely_despite_the_cap(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    start = (NOW - timedelta(days=5)).replace(hour=0, minute=0, second=0)
    fake_github.seed_runs(make_runs(3 * 1250, start, spacing=timedelta(seconds=69)))  # 1,250 runs a day
    fake_github.seed_runs(make_runs(50, start - timedelta(days=30), first_id=10_001))  # before --since
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None, since=start)
    keys = stored_keys(tmp_path)
    assert sorted(keys) == [(i, 1) for i in range(1, 3751)]
    assert len(keys) == len(set(keys))
    floor = math.ceil(3750 / 100) + 1
    assert result["complete"] and result["requests"] <= 1.05 * floor
    capped = [e for e in fake_github.requests if e.path.endswith("/actions/runs") and "created" in e.query]
    assert len({e.query["created"] for e in capped}) >= 4  # the listing was split at the cap


def test_a_sync_with_nothing_new_costs_at_most_three_requests(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(150, NOW - timedelta(hours=30), spacing=timedelta(minutes=10)))
    client = make_client()
    sync(HistoryStore.local(tmp_path), REPO, client)
    sync(HistoryStore.local(tmp_path), REPO, client)  # already answered 304: the backfill recorded its ETag
    before = fake_github.request_count()
    quiet = sync(HistoryStore.local(tmp_path), REPO, client)
    statuses = [e.status for e in fake_github.requests[before:]]
    assert quiet["requests"] <= 3 and statuses == [304, 304]
    assert quiet["complete"] and quiet["runs_added"] == quiet["runs_updated"] == 0


def test_later_syncs_add_new_runs_and_update_runs_that_were_in_progress(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(20, NOW - timedelta(hours=5), spacing=timedelta(minutes=10)))
    fake_github.seed_runs([{"id": 900, "created_at": NOW - timedelta(minutes=30), "status": "in_progress", "conclusion": None}])
    client = make_client()
    first = sync(HistoryStore.local(tmp_path), REPO, client)
    fake_github.update_run(900, status="completed", conclusion="failure", updated_at=NOW)
    fake_github.seed_runs(make_runs(5, NOW - timedelta(minutes=20), first_id=1000, spacing=timedelta(minutes=1)))
    fake_github.seed_runs([{"id": 7, "run_attempt": 2, "created_at": NOW - timedelta(hours=5) + timedelta(minutes=60),
                            "run_started_at": NOW - timedelta(minutes=3), "updated_at": NOW}])  # a re-run
    second = sync(HistoryStore.local(tmp_path), REPO, client)
    runs = {r.key: r for r in HistoryStore.local(tmp_path).runs()}
    assert first["open_runs"] == 1 and second["open_runs"] == 0
    assert (second["runs_added"], second["runs_updated"]) == (6, 1)  # 5 new runs + attempt 2; run 900 completed
    assert runs[(900, 1)].conclusion == "failure" and (7, 2) in runs and (7, 1) in runs


def test_runs_open_beyond_the_overlap_are_fetched_one_by_one(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs([{"id": 5, "created_at": NOW - timedelta(days=9), "status": "queued", "conclusion": None}])
    fake_github.seed_runs(make_runs(3, NOW - timedelta(hours=1), first_id=10))
    client = make_client()
    sync(HistoryStore.local(tmp_path), REPO, client)
    fake_github.update_run(5, status="completed", conclusion="cancelled", updated_at=NOW)
    result = sync(HistoryStore.local(tmp_path), REPO, client)
    assert fake_github.request_count("GET", "/actions/runs/5") == 1
    assert result["open_runs"] == 0
    assert {r.id: r.conclusion for r in HistoryStore.local(tmp_path).runs()}[5] == "cancelled"


def test_workflows_are_reported_with_their_state(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.add_workflow(2, "Nightly", ".github/workflows/nightly.yml", state="disabled_inactivity")
    client = make_client()
    first = sync(HistoryStore.local(tmp_path), REPO, client)
    second = sync(HistoryStore.local(tmp_path), REPO, client)  # answered 304: the stored list is reported
    expected = [{"id": 1, "name": "CI", "path": ".github/workflows/ci.yml", "state": "active"},
                {"id": 2, "name": "Nightly", "path": ".github/workflows/nightly.yml", "state": "disabled_inactivity"}]
    assert first["workflows"] == expected and second["workflows"] == expected
    assert HistoryStore.local(tmp_path).state()["sync"][REPO]["workflows"] == expected


def test_more_than_1000_runs_in_one_second_end_with_a_warning_not_a_loop(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    burst = NOW - timedelta(hours=2)
    fake_github.seed_runs(make_runs(1010, burst, spacing=timedelta(0)))
    fake_github.seed_runs(make_runs(3, burst - timedelta(hours=1), first_id=5000))
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), since=NOW - timedelta(days=1))
    ids = {r.id for r in HistoryStore.local(tmp_path).runs()}
    assert result["warnings"] and "1,000" in result["warnings"][0]
    assert len(ids & set(range(1, 1011))) == 1000 and {5000, 5001, 5002} <= ids


def test_since_earlier_than_the_stored_history_extends_it(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(30, NOW - timedelta(days=30), spacing=timedelta(days=1)))
    client = make_client()
    sync(HistoryStore.local(tmp_path), REPO, client, since=NOW - timedelta(days=10))
    assert len(stored_keys(tmp_path)) == 10
    result = sync(HistoryStore.local(tmp_path), REPO, client, since=NOW - timedelta(days=40))
    assert len(stored_keys(tmp_path)) == 30 and result["complete"]


def test_jobs_are_measured_within_their_budget_in_turn_across_workflows_and_stored(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.add_workflow(2, "Nightly", ".github/workflows/nightly.yml")
    fake_github.seed_runs(make_runs(20, NOW - timedelta(hours=6), spacing=timedelta(minutes=10)))
    fake_github.seed_runs(make_runs(10, NOW - timedelta(hours=6), spacing=timedelta(minutes=20), first_id=101, workflow_id=2,
                                    name="Nightly", path=".github/workflows/nightly.yml"))
    fake_github.set_jobs(110, [{"labels": ["macos-14"], "seconds": 61}, {"labels": ["ubuntu-latest"], "seconds": 5, "offset": 61},
                               {"labels": ["windows-latest"], "seconds": None}])
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=20, jobs=4)
    assert result["complete"] and result["jobs_measured"] == 4 and result["job_requests"] == 4
    asked = [e.path.split("/")[-4] for e in fake_github.requests if e.path.endswith("/jobs")]
    assert asked == ["20", "110", "19", "109"]  # newest first, the two workflows in turn
    runs = {r.id: r for r in HistoryStore.local(tmp_path).runs()}
    assert [(j.labels, j.seconds) for j in runs[110].jobs] == [(("macos-14",), 61), (("ubuntu-latest",), 5)]  # the skipped job left out
    assert runs[20].jobs is not None and runs[18].jobs is None
    fake_github.seed_runs(make_runs(1, NOW - timedelta(hours=1), first_id=21))
    fake_github.seed_runs(make_runs(1, NOW - timedelta(hours=2), first_id=111, workflow_id=2, name="Nightly",
                                    path=".github/workflows/nightly.yml"))
    again = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=20, jobs=3)
    asked = [e.path.split("/")[-4] for e in fake_github.requests if e.path.endswith("/jobs")][4:]
    assert asked == ["21", "111", "18"] and again["jobs_measured"] == 3  # runs measured before are not asked again
    assert {r.id: r for r in HistoryStore.local(tmp_path).runs()}[110].jobs == runs[110].jobs


def test_after_a_304_an_open_run_beyond_the_first_page_is_still_followed(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(150, NOW - timedelta(hours=20), spacing=timedelta(minutes=5)))
    fake_github.update_run(3, status="in_progress", conclusion=None)  # an old run: it sits on page two
    client = make_client()
    sync(HistoryStore.local(tmp_path), REPO, client)
    sync(HistoryStore.local(tmp_path), REPO, client)  # records the window's ETag
    fake_github.update_run(3, status="completed", conclusion="success", updated_at=NOW)
    before = fake_github.request_count()
    result = sync(HistoryStore.local(tmp_path), REPO, client)
    assert [e.status for e in fake_github.requests[before:]] == [304, 304, 200]
    assert result["runs_updated"] == 1 and result["open_runs"] == 0


def test_a_run_whose_jobs_cannot_be_read_stays_unmeasured_and_the_sync_goes_on(fake_github: FakeGitHub, make_client: Any,
                                                                              tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(3, NOW - timedelta(hours=2), spacing=timedelta(minutes=10)))
    fake_github.set_jobs(3, [{"labels": [{"not": "a label"}], "seconds": 60}])
    fake_github.set_jobs(2, [{"labels": ["x" * 5000], "seconds": 60}])
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=20, jobs=3)
    assert result["complete"] and result["jobs_measured"] == 1 and result["runs_added"] == 3
    assert result["jobs_unreadable"] == 2 and result["runs_skipped"] == 0
    runs = {r.id: r for r in HistoryStore.local(tmp_path).runs()}
    assert runs[3].jobs is None and runs[2].jobs is None and runs[1].jobs is not None


def test_a_jobs_page_that_fails_leaves_the_run_unmeasured_keeps_the_sync_and_is_not_asked_again(
        fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(3, NOW - timedelta(hours=3), spacing=timedelta(minutes=10)))
    fake_github.set_jobs(3, [{"labels": ["ubuntu-latest"], "seconds": 10}] * 150)  # two pages of jobs
    fake_github.inject_faults(error_rate=1.0, statuses=(404,), after=3)  # workflows, runs, jobs page 1 answer
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=20, jobs=5)
    fake_github.clear_faults()
    assert result["complete"] and result["runs_added"] == 3 and result["jobs_measured"] == 0
    assert all(r.jobs is None for r in HistoryStore.local(tmp_path).runs())
    fake_github.seed_runs(make_runs(1, NOW - timedelta(minutes=5), first_id=4))
    before = len(fake_github.requests)
    again = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=20, jobs=5)
    asked = [e.path.split("/")[-4] for e in fake_github.requests[before:] if e.path.endswith("/jobs")]
    assert "3" not in asked and "4" in asked and again["jobs_measured"] >= 1  # given up on, not retried every sync


def test_a_run_with_more_job_pages_than_the_budget_left_is_skipped_not_half_measured(
        fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(2, NOW - timedelta(hours=3), spacing=timedelta(minutes=10)))
    fake_github.set_jobs(2, [{"labels": ["ubuntu-latest"], "seconds": 10}] * 350)  # four pages: page one says so
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=20, jobs=2)
    runs = {r.id: r for r in HistoryStore.local(tmp_path).runs()}
    assert runs[2].jobs is None and runs[1].jobs is not None and result["job_requests"] == 2
