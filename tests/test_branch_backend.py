"""The data branch: orphan creation, compare-and-swap writes, refusals, 16 racing writers, compaction."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from orchestrator.errors import StaleWrite, StoreError, UsageError
from orchestrator.model import RunRecord
from orchestrator.source.github import GitHubUnavailable
from orchestrator.source.sync import sync
from orchestrator.store import HistoryStore
from orchestrator.store.branch import BranchBackend
from tests.conftest import REPO
from tests.factories import run_concurrently
from tests.fakegithub import FakeGitHub, make_runs

START = datetime(2025, 5, 1, tzinfo=timezone.utc)


def records(count: int, first_id: int = 1, start: datetime = START) -> list[RunRecord]:
    return [RunRecord.from_api({**raw, "created_at": raw["created_at"].isoformat(), "updated_at": raw["updated_at"].isoformat(),
                                "run_started_at": raw["run_started_at"].isoformat()}, REPO)
            for raw in make_runs(count, start, first_id=first_id)]


def test_first_write_creates_an_orphan_branch_holding_the_store(fake_github: FakeGitHub, make_client: Any) -> None:
    store = HistoryStore(BranchBackend(make_client(), REPO, "data"))
    store.commit(runs=records(3), message="first")
    history = fake_github.branch_history("data")
    files = fake_github.branch_files("data")
    assert len(history) == 1
    assert set(fake_github.branch_history("main")).isdisjoint(history)
    assert "store.json" in files and any(p.startswith("runs/") for p in files)
    assert [r.id for r in HistoryStore(BranchBackend(make_client(), REPO, "data")).runs()] == [1, 2, 3]


def test_the_default_branch_is_refused(fake_github: FakeGitHub, make_client: Any) -> None:
    tip = fake_github.ref_sha("main")
    with pytest.raises(UsageError, match="default branch"):
        HistoryStore(BranchBackend(make_client(), REPO, "main")).commit(runs=records(1))
    assert fake_github.ref_sha("main") == tip


def test_a_branch_that_is_not_a_store_is_refused(fake_github: FakeGitHub, make_client: Any) -> None:
    main_tip = fake_github.ref_sha("main")
    client = make_client()
    client.request("POST", f"/repos/{REPO}/git/refs", body={"ref": "refs/heads/docs", "sha": main_tip})
    with pytest.raises(StoreError, match="no store.json"):
        HistoryStore(BranchBackend(make_client(), REPO, "docs")).commit(runs=records(1))
    assert fake_github.ref_sha("docs") == main_tip


@pytest.mark.parametrize("name", ["", "a..b", "-", "x.lock", "feature/", "has space", "a//b"])
def test_malformed_branch_names_are_refused(make_client: Any, name: str) -> None:
    with pytest.raises(UsageError, match="--data-branch"):
        BranchBackend(make_client(), REPO, name)


def test_a_lost_race_is_a_stale_write_and_the_store_retries_it(fake_github: FakeGitHub, make_client: Any) -> None:
    HistoryStore(BranchBackend(make_client(), REPO, "data")).commit(runs=records(1))
    slow, fast = BranchBackend(make_client(), REPO, "data"), BranchBackend(make_client(), REPO, "data")
    snapshot = slow.read()
    fast.write({"runs/x.json": b"{}"}, fast.read().token, "fast")
    with pytest.raises(StaleWrite):
        slow.write({"runs/y.json": b"{}"}, snapshot.token, "slow")
    assert "runs/y.json" not in fake_github.branch_files("data")


def test_concurrent_creators_of_the_branch_both_keep_their_runs(fake_github: FakeGitHub, make_client: Any) -> None:
    a = HistoryStore(BranchBackend(make_client(), REPO, "data"), backoff_seconds=0.001)
    b = HistoryStore(BranchBackend(make_client(), REPO, "data"), backoff_seconds=0.001)
    a.runs(), b.runs()  # both read the branch while it does not exist
    a.commit(runs=records(2, first_id=1))
    b.commit(runs=records(2, first_id=10))
    created = [e for e in fake_github.requests if e.method == "POST" and e.path.endswith("/git/refs")]
    assert [e.status for e in created] == [201, 422]
    assert sorted(r.id for r in HistoryStore(BranchBackend(make_client(), REPO, "data")).runs()) == [1, 2, 10, 11]


def test_sixteen_concurrent_writers_lose_nothing_and_duplicate_nothing(fake_github: FakeGitHub, make_client: Any) -> None:
    barrier = threading.Barrier(16)

    def writer(index: int) -> None:
        store = HistoryStore(BranchBackend(make_client(), REPO, "data"), max_retries=40, backoff_seconds=0.01)
        store.runs()
        barrier.wait()
        # each writer brings 5 runs of its own and 5 that every writer also brings
        store.commit(runs=records(5, first_id=1000 + index * 10) + records(5, first_id=1), message=f"writer {index}")

    errors = run_concurrently(writer, 16)
    keys = [r.key for r in HistoryStore(BranchBackend(make_client(), REPO, "data")).runs()]
    assert errors == []
    assert len(keys) == len(set(keys)) == 16 * 5 + 5
    assert len(fake_github.branch_history("data")) == 16
    assert fake_github.request_count("PATCH") + fake_github.request_count("POST", "/git/refs") > 16  # races happened


def test_one_sync_makes_one_commit(fake_github: FakeGitHub, make_client: Any) -> None:
    fake_github.seed_runs(make_runs(450, datetime.now(timezone.utc) - timedelta(days=90), spacing=timedelta(hours=4)))
    client = make_client()
    sync(HistoryStore(BranchBackend(client, REPO, "data")), REPO, client)
    fake_github.seed_runs(make_runs(3, datetime.now(timezone.utc) - timedelta(minutes=30), first_id=900))
    client = make_client()
    result = sync(HistoryStore(BranchBackend(client, REPO, "data")), REPO, client)
    assert len(fake_github.branch_history("data")) == 2 and result["runs_added"] == 3
    assert fake_github.request_count("POST", "/git/commits") == 2


def test_a_dropped_answer_to_the_ref_update_is_recovered(fake_github: FakeGitHub, make_client: Any) -> None:
    HistoryStore(BranchBackend(make_client(), REPO, "data")).commit(runs=records(1))
    fake_github.inject_faults(reset_after_rate=1.0, methods=["PATCH"])
    store = HistoryStore(BranchBackend(make_client(attempts=2), REPO, "data"), backoff_seconds=0.001)
    with pytest.raises(GitHubUnavailable):
        store.commit(runs=records(1, first_id=50))  # every answer is lost: give up, but …
    fake_github.clear_faults()
    stored = [r.id for r in HistoryStore(BranchBackend(make_client(), REPO, "data")).runs()]
    assert stored == [1, 50]  # … the update had landed, once
    assert len(fake_github.branch_history("data")) == 2


def test_compaction_squashes_history_into_one_orphan_commit(fake_github: FakeGitHub, make_client: Any) -> None:
    for i in range(4):
        HistoryStore(BranchBackend(make_client(), REPO, "data")).commit(runs=records(2, first_id=10 * i + 1), message=f"c{i}")
    before = fake_github.branch_files("data")
    backend = BranchBackend(make_client(), REPO, "data")
    tip = backend.compact()
    assert fake_github.branch_history("data") == [tip]
    assert fake_github.branch_files("data") == before
    HistoryStore(backend).commit(runs=records(1, first_id=99))  # later writes build on the squashed commit
    assert len(fake_github.branch_history("data")) == 2


def test_compaction_refuses_when_the_branch_moves_meanwhile(fake_github: FakeGitHub, make_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    HistoryStore(BranchBackend(make_client(), REPO, "data")).commit(runs=records(1))
    backend = BranchBackend(make_client(), REPO, "data")
    real_tip = backend._tip
    tips = iter([real_tip(), "0" * 40])
    monkeypatch.setattr(backend, "_tip", lambda: next(tips))
    with pytest.raises(StaleWrite):
        backend.compact()
    assert len(fake_github.branch_history("data")) == 1
