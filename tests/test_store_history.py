"""HistoryStore on a local directory: round trips, compactness, atomic writes, corrupt files."""

from __future__ import annotations

import json
import threading

import pytest

from orchestrator.errors import CorruptStoreFile, StoreError, StoreVersionError
from orchestrator.store import HistoryStore
from orchestrator.store.codec import SCHEMA_VERSION
from tests.factories import T0, record


def test_round_trip_is_exact(tmp_path):
    runs = [record(i, minutes=i) for i in range(1, 50)]
    HistoryStore.local(tmp_path).commit(runs)
    again = HistoryStore.local(tmp_path).runs()
    assert again == sorted(runs, key=lambda r: (r.created_at, r.id))
    assert [r.to_dict() for r in again] == [r.to_dict() for r in sorted(runs, key=lambda r: (r.created_at, r.id))]


def test_store_is_compact(tmp_path):
    from datetime import timedelta
    runs = [record(10_000_000_000 + i, at=T0 + timedelta(minutes=7 * i)) for i in range(2000)]
    store = HistoryStore.local(tmp_path)
    store.commit(runs)
    shard_bytes = sum(p.stat().st_size for p in (tmp_path / "runs").glob("*.json"))
    assert shard_bytes / len(runs) <= 150


def test_every_file_carries_schema_version_and_writer(tmp_path):
    HistoryStore.local(tmp_path).commit([record(1)], state_update=lambda s: {**s, "last_sync": "x"})
    for path in tmp_path.rglob("*.json"):
        document = json.loads(path.read_text())
        assert document["schemaVersion"] == 1  # the lowest version that holds it: no job timings here
        assert document["writer"].startswith("workflow-orchestrator ")


def test_a_shard_with_job_timings_is_version_2_and_reads_back_and_the_rest_stay_version_1(tmp_path):
    from datetime import timedelta

    from orchestrator.model import JobTiming

    jobs = (JobTiming(("ubuntu-latest",), 61), JobTiming(("self-hosted", "gpu"), 0))
    timed = record(1).__class__(**{**record(1).__dict__, "jobs": jobs})
    later = record(2, at=T0 + timedelta(days=40))
    store = HistoryStore.local(tmp_path)
    store.commit([timed, later])
    versions = {p.name: json.loads(p.read_text())["schemaVersion"] for p in (tmp_path / "runs").glob("*.json")}
    assert sorted(versions.values()) == [1, SCHEMA_VERSION] and SCHEMA_VERSION == 2
    back = {r.id: r for r in HistoryStore.local(tmp_path).runs()}
    assert back[1].jobs == jobs and back[2].jobs is None
    store.commit([record(1)])  # a sync re-listing the run keeps its jobs
    assert {r.id: r for r in HistoryStore.local(tmp_path).runs()}[1].jobs == jobs


def test_corrupt_shard_is_reported_by_name_and_never_overwritten(tmp_path):
    store = HistoryStore.local(tmp_path)
    store.commit([record(1)])
    shard = next((tmp_path / "runs").glob("*.json"))
    shard.write_bytes(b"{not json")
    fresh = HistoryStore.local(tmp_path)
    with pytest.raises(CorruptStoreFile) as caught:
        fresh.runs()
    assert shard.name in str(caught.value)
    with pytest.raises(CorruptStoreFile):
        fresh.commit([record(2)])
    assert shard.read_bytes() == b"{not json"


def test_newer_schema_is_refused_untouched(tmp_path):
    HistoryStore.local(tmp_path).commit([record(1)])
    state = tmp_path / "store.json"
    state.write_text(json.dumps({"schemaVersion": SCHEMA_VERSION + 1, "kind": "store"}))
    with pytest.raises(StoreVersionError, match="store.json"):
        HistoryStore.local(tmp_path).commit([record(2)])
    assert json.loads(state.read_text())["schemaVersion"] == SCHEMA_VERSION + 1


def test_foreign_directory_is_not_taken_over(tmp_path):
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(StoreError, match="not a workflow-orchestrator store"):
        HistoryStore.local(tmp_path).commit([record(1)])


def test_concurrent_writers_lose_nothing(tmp_path):
    HistoryStore.local(tmp_path).initialise()

    def writer(offset: int) -> None:
        store = HistoryStore.local(tmp_path)
        store.backoff_seconds = 0.001
        store.max_retries = 200
        for i in range(10):
            store.commit([record(offset * 1000 + i + 1)])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(HistoryStore.local(tmp_path).runs()) == 60


def test_run_moves_shard_when_a_newer_version_changes_its_month(tmp_path):
    from datetime import timedelta
    store = HistoryStore.local(tmp_path)
    store.commit([record(1, at=T0)])
    moved = record(1, at=T0 + timedelta(days=40), minutes=9)
    store.commit([moved])
    runs = HistoryStore.local(tmp_path).runs()
    assert len(runs) == 1 and runs[0].created_at == moved.created_at


def test_predictions_log_round_trip(tmp_path):
    store = HistoryStore.local(tmp_path)
    store.commit(predictions=[{"made_at": "2025-03-01T00:00:00Z", "workflow_key": "o/r:ci", "p50": 10}])
    store.commit(predictions=[{"made_at": "2025-03-02T00:00:00Z", "workflow_key": "o/r:ci", "p50": 12}])
    assert [p["p50"] for p in HistoryStore.local(tmp_path).predictions()] == [10, 12]


def test_local_write_leaves_no_temp_files(tmp_path):
    HistoryStore.local(tmp_path).commit([record(1)])
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_runs_key_ignores_predictions_and_state_but_not_runs(tmp_path):
    store = HistoryStore.local(tmp_path)
    store.commit([record(1)])
    key = store.runs_key()
    store.commit(predictions=[{"made_at": "2025-03-01T00:00:00Z"}], state_update=lambda s: {**s, "x": 1})
    assert HistoryStore.local(tmp_path).runs_key() == key
    store.commit([record(2)])
    assert store.runs_key() != key
