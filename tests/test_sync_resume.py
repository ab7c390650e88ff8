"""Sync stops cleanly on budgets, rate limits and failing servers, and the next one resumes with no gap."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import SourceError, StoreError
from orchestrator.source.sync import sync
from orchestrator.store import HistoryStore
from orchestrator.store.branch import BranchBackend
from tests.conftest import REPO
from tests.fakegithub import FakeGitHub, make_runs

NOW = datetime.now(timezone.utc).replace(microsecond=0)
MAX_SYNCS = 40


def keys(store: HistoryStore) -> list[tuple[int, int]]:
    return [r.key for r in store.runs()]


def sync_until_complete(store_for: Any, client_for: Any, **kwargs: Any) -> list[dict[str, Any]]:
    results = []
    for _ in range(MAX_SYNCS):
        results.append(sync(store_for(), REPO, client_for(), **kwargs))
        if results[-1]["complete"]:
            return results
    raise AssertionError(f"no complete sync after {MAX_SYNCS}: {results[-1]}")


@pytest.mark.parametrize("budget", [2, 3, 7])
def test_budget_stops_resume_until_complete_with_every_run_once(fake_github: FakeGitHub, make_client: Any, tmp_path: Path, budget: int) -> None:
    fake_github.seed_runs(make_runs(1234, NOW - timedelta(days=3), spacing=timedelta(minutes=3)))
    results = sync_until_complete(lambda: HistoryStore.local(tmp_path), make_client, max_requests=budget,
                                  since=NOW - timedelta(days=4))
    stored = keys(HistoryStore.local(tmp_path))
    assert sorted(stored) == [(i, 1) for i in range(1, 1235)]
    assert len(stored) == len(set(stored))
    assert all(r["requests"] <= budget for r in results)
    assert results[0]["stopped"] == "budget" and results[0]["pending"] and not results[0]["complete"]


def test_runs_created_between_interrupted_syncs_are_not_missed(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(600, NOW - timedelta(days=2), spacing=timedelta(minutes=4)))
    sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=3)
    fake_github.seed_runs(make_runs(40, NOW - timedelta(minutes=40), first_id=5000, spacing=timedelta(minutes=1)))
    sync_until_complete(lambda: HistoryStore.local(tmp_path), make_client, max_requests=3)
    assert len(keys(HistoryStore.local(tmp_path))) == 640


def test_a_spent_rate_limit_stops_cleanly_and_the_next_sync_resumes(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(700, NOW - timedelta(days=2), spacing=timedelta(minutes=4)))
    fake_github.set_rate_limit(remaining=4, reset_in=3600)  # e.g. other workflows spent the rest meanwhile
    stopped = sync(HistoryStore.local(tmp_path), REPO, make_client(reserve=0), max_requests=None)
    assert (stopped["stopped"], stopped["complete"], stopped["rate_limit_remaining"]) == ("rate_limited", False, 0)
    assert "resets in" in stopped["message"] and len(keys(HistoryStore.local(tmp_path))) == 300
    fake_github.set_rate_limit(remaining=5000)
    resumed = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None)
    assert resumed["complete"] and len(keys(HistoryStore.local(tmp_path))) == 700


def test_the_last_requests_of_the_rate_limit_are_kept_to_save_to_the_branch(fake_github: FakeGitHub, make_client: Any) -> None:
    fake_github.seed_runs(make_runs(900, NOW - timedelta(days=3), spacing=timedelta(minutes=4)))
    fake_github.set_rate_limit(remaining=30, reset_in=3600)
    client = make_client(reserve=20)
    stopped = sync(HistoryStore(BranchBackend(client, REPO, "data")), REPO, client, max_requests=None)
    assert (stopped["stopped"], stopped["complete"]) == ("rate_limited", False)
    assert not any(e.status in (403, 429) for e in fake_github.requests)  # it never ran into the limit …
    assert len(fake_github.branch_history("data")) == 1                    # … and had enough left to save
    fake_github.set_rate_limit(remaining=5000)
    assert len(HistoryStore(BranchBackend(make_client(), REPO, "data")).runs()) == stopped["runs_added"] == 700


def test_a_429_with_a_short_retry_after_is_waited_out(fake_github: FakeGitHub, make_client: Any, tmp_path: Path, sleeps: list[float]) -> None:
    fake_github.seed_runs(make_runs(250, NOW - timedelta(days=1), spacing=timedelta(minutes=4)))
    fake_github.secondary_rate_limit(2, retry_after=3, status=429)
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None)
    assert result["complete"] and len(keys(HistoryStore.local(tmp_path))) == 250
    assert len(sleeps) == 2 and all(3 <= s <= 4 for s in sleeps)


def test_a_retry_after_beyond_the_bound_stops_instead_of_sleeping(fake_github: FakeGitHub, make_client: Any, tmp_path: Path, sleeps: list[float]) -> None:
    fake_github.seed_runs(make_runs(10, NOW - timedelta(hours=1)))
    fake_github.secondary_rate_limit(1, retry_after=3600, status=403)
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(max_wait=60), max_requests=None)
    assert result["stopped"] == "rate_limited" and not result["complete"] and sleeps == []
    assert sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None)["complete"]


def test_repeated_server_errors_stop_the_sync_and_it_resumes(fake_github: FakeGitHub, make_client: Any, tmp_path: Path, sleeps: list[float]) -> None:
    fake_github.seed_runs(make_runs(450, NOW - timedelta(days=1), spacing=timedelta(minutes=3)))
    client = make_client()
    client.request("GET", f"/repos/{REPO}")
    fake_github.inject_faults(error_rate=1.0, statuses=(502,))
    failed = sync(HistoryStore.local(tmp_path), REPO, client, max_requests=None)
    assert failed["stopped"] == "unavailable" and not failed["complete"]
    assert len(sleeps) == client.settings.retry.attempts - 1
    fake_github.clear_faults()
    assert sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None)["complete"]
    assert len(keys(HistoryStore.local(tmp_path))) == 450


def test_faults_on_five_percent_of_requests_still_converge_with_nothing_lost(fake_github: FakeGitHub, make_client: Any) -> None:
    fake_github.seed_runs(make_runs(2600, NOW - timedelta(days=6), spacing=timedelta(minutes=3)))
    fake_github.inject_faults(error_rate=0.03, reset_rate=0.01, reset_after_rate=0.01, seed=11)

    def store() -> HistoryStore:
        return HistoryStore(BranchBackend(make_client(), REPO, "data"), max_retries=20, backoff_seconds=0.001)

    results = sync_until_complete(store, make_client, max_requests=12, since=NOW - timedelta(days=7))
    fake_github.clear_faults()
    stored = keys(store())
    assert sorted(stored) == [(i, 1) for i in range(1, 2601)]
    assert len(stored) == len(set(stored))
    assert len(results) > 2
    assert any(e.fault for e in fake_github.requests)


def test_a_refusal_midway_saves_what_was_listed_then_reports_it(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    fake_github.seed_runs(make_runs(500, NOW - timedelta(days=2), spacing=timedelta(minutes=5)))
    fake_github.inject_faults(error_rate=1.0, statuses=(422,), after=3)  # workflows + two pages, then refusals
    with pytest.raises(SourceError, match="422"):
        sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None)
    assert len(keys(HistoryStore.local(tmp_path))) == 200
    fake_github.clear_faults()
    assert sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None)["complete"]
    assert len(keys(HistoryStore.local(tmp_path))) == 500


def test_a_damaged_cursor_is_reported_with_the_way_out(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    store = HistoryStore.local(tmp_path)
    store.commit(state_update=lambda s: {**s, "sync": {REPO: {"synced_through": "2025-01-01T00:00:00Z", "pending": [["x"]]}}})
    with pytest.raises(StoreError, match="remove its entry"):
        sync(HistoryStore.local(tmp_path), REPO, make_client())
