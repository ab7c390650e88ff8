"""``HistoryStore.deferred``: several commits, one write — read back at once, replayed on a lost race,
kept through a crash, and none at all when nothing changed. On the fake GitHub's data branch, so a
write is a real commit."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from orchestrator.store import HistoryStore
from orchestrator.store.branch import BranchBackend
from tests.conftest import REPO
from tests.factories import run_concurrently
from tests.fakegithub import FakeGitHub
from tests.test_branch_backend import records

BRANCH = "data"


def prediction(made_at: str, p50: float, key: str = f"{REPO}:.github/workflows/ci.yml") -> dict[str, Any]:
    return {"made_at": made_at, "source": "recommend", "workflow_key": key, "duration_p50_seconds": p50}


def store_on(make_client: Any) -> HistoryStore:
    return HistoryStore(BranchBackend(make_client(), REPO, BRANCH), max_retries=40, backoff_seconds=0.001)


def test_commits_inside_the_block_are_read_back_at_once_and_written_as_one_commit(fake_github: FakeGitHub, make_client: Any) -> None:
    store = store_on(make_client)
    with store.deferred(message="Action run"):
        result = store.commit(runs=records(3), state_update=lambda s: {**s, "cursor": 1}, message="sync: 3 runs")
        assert result.added == 3 and [r.id for r in store.runs()] == [1, 2, 3]  # the fit sees the synced runs
        assert fake_github.ref_sha(BRANCH) is None  # … though nothing is written yet
        store.commit(predictions=[prediction("2025-05-02T00:00:00Z", 60.0)], message="Log 1 predictions (recommend)")
        assert len(store.predictions()) == 1
    (tip,) = fake_github.branch_history(BRANCH)
    files = fake_github.commit_files(tip)
    assert {"store.json", "state.json", "predictions/2025-05.json"} <= set(files) and any(p.startswith("runs/") for p in files)
    assert fake_github.commit(tip).message == ("Action run: initialise the store, store 3 runs, log 1 prediction, "
                                               "update the sync state\n\nsync: 3 runs\nLog 1 predictions (recommend)")
    fresh = store_on(make_client)
    assert [r.id for r in fresh.runs()] == [1, 2, 3] and fresh.state()["cursor"] == 1 and len(fresh.predictions()) == 1


def test_nothing_changed_writes_nothing(fake_github: FakeGitHub, make_client: Any) -> None:
    store_on(make_client).commit(runs=records(3), state_update=lambda s: {**s, "cursor": 1})
    before = fake_github.request_count("POST", "/git/commits")
    store = store_on(make_client)
    with store.deferred(message="Action run"):
        assert store.commit(runs=records(3), state_update=lambda s: {**s, "cursor": 1}).unchanged == 3
        store.commit(predictions=[])
    with store.deferred():
        pass
    assert len(fake_github.branch_history(BRANCH)) == 1
    assert fake_github.request_count("POST", "/git/commits") == before and fake_github.request_count("PATCH") == 0


def test_a_crash_inside_the_block_still_writes_what_was_gathered_then_propagates(fake_github: FakeGitHub, make_client: Any) -> None:
    store = store_on(make_client)
    with pytest.raises(RuntimeError, match="runner lost"):
        with store.deferred(message="Action run"):
            store.commit(runs=records(2), message="sync: 2 runs")
            raise RuntimeError("runner lost")
    assert len(fake_github.branch_history(BRANCH)) == 1
    assert [r.id for r in store_on(make_client).runs()] == [1, 2]


def test_a_nested_block_leaves_the_write_to_the_outermost(fake_github: FakeGitHub, make_client: Any) -> None:
    store = store_on(make_client)
    with store.deferred(message="outer"):
        with store.deferred(message="inner"):
            store.commit(runs=records(1))
        assert fake_github.ref_sha(BRANCH) is None
        store.commit(runs=records(1, first_id=5))
    (tip,) = fake_github.branch_history(BRANCH)
    assert fake_github.commit(tip).message.startswith("outer: initialise the store, store 2 runs")


def test_a_lost_race_is_replayed_onto_the_other_writers_version(fake_github: FakeGitHub, make_client: Any) -> None:
    store_on(make_client).commit(runs=records(1), state_update=lambda s: {**s, "writers": ["first"]})
    store = store_on(make_client)
    logs_seen: list[int] = []

    def to_log(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
        logs_seen.append(len(log))
        return [prediction("2025-05-03T00:00:00Z", 70.0)]

    with store.deferred(message="Action run"):
        store.commit(runs=records(2, first_id=10), state_update=lambda s: {**s, "writers": [*s["writers"], "deferred"]})
        store.commit(predictions=to_log)
        # Another job writes the branch meanwhile: a run, a state change and a prediction of its own.
        store_on(make_client).commit(runs=records(1, first_id=20), state_update=lambda s: {**s, "writers": [*s["writers"], "other"]},
                                     predictions=[prediction("2025-05-02T00:00:00Z", 65.0)])
    history = fake_github.branch_history(BRANCH)
    assert len(history) == 3  # first, the other job's, and ours: one commit, rebuilt on the other's
    assert fake_github.commit(history[0]).message.startswith("Action run: store 2 runs, log 1 prediction, update the sync state")
    fresh = store_on(make_client)
    assert sorted(r.id for r in fresh.runs()) == [1, 10, 11, 20]
    assert fresh.state()["writers"] == ["first", "other", "deferred"]  # the state update re-ran on the newer state
    assert [p["duration_p50_seconds"] for p in fresh.predictions()] == [65.0, 70.0]
    assert logs_seen == [0, 1]  # what to log was decided again against the newer log
    assert store.runs() == fresh.runs() and store.predictions() == fresh.predictions()


def test_refresh_inside_the_block_reads_other_writers_and_keeps_what_was_gathered(fake_github: FakeGitHub, make_client: Any) -> None:
    store_on(make_client).commit(runs=records(1))
    store = store_on(make_client)
    with store.deferred():
        store.commit(runs=records(1, first_id=10))
        store_on(make_client).commit(runs=records(1, first_id=20))
        store.refresh()
        assert sorted(r.id for r in store.runs()) == [1, 10, 20]
    assert sorted(r.id for r in store_on(make_client).runs()) == [1, 10, 20]
    assert len(fake_github.branch_history(BRANCH)) == 3


def test_sixteen_deferred_writers_racing_lose_nothing_and_write_one_commit_each(fake_github: FakeGitHub, make_client: Any) -> None:
    store_on(make_client).initialise()
    barrier = threading.Barrier(16)

    def writer(index: int) -> None:
        store = store_on(make_client)
        with store.deferred(message=f"writer {index}"):
            store.commit(runs=records(5, first_id=1000 + index * 10) + records(5, first_id=1), message="sync")
            store.commit(predictions=[prediction(f"2025-05-{index + 1:02d}T00:00:00Z", float(index))], message="log")
            barrier.wait()  # everyone has read the same version: all but one flush loses the race

    assert run_concurrently(writer, 16) == []
    fresh = store_on(make_client)
    keys = [r.key for r in fresh.runs()]
    assert len(keys) == len(set(keys)) == 16 * 5 + 5
    assert sorted(p["duration_p50_seconds"] for p in fresh.predictions()) == [float(i) for i in range(16)]
    assert len(fake_github.branch_history(BRANCH)) == 1 + 16
    assert fake_github.request_count("PATCH") > 16  # races happened
