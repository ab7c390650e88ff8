"""The merge is a union keyed by (id, attempt): deterministic, commutative, associative, idempotent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.model import ResourceUsage, RunRecord
from orchestrator.store.merge import merge_runs, merge_versions
from tests.factories import T0

versions = st.builds(
    RunRecord,
    id=st.integers(1, 3),
    run_attempt=st.integers(1, 2),
    repository=st.just("octo/repo"),
    name=st.sampled_from(["CI", "Nightly"]),
    created_at=st.just(T0),
    updated_at=st.integers(0, 3).map(lambda m: T0 + timedelta(minutes=m)),
    status=st.sampled_from(["completed", "in_progress"]),
    conclusion=st.sampled_from([None, "success", "failure"]),
    workflow_id=st.sampled_from([None, 7, 8]),
    path=st.sampled_from([None, ".github/workflows/ci.yml"]),
    event=st.sampled_from([None, "push", "schedule"]),
    usage=st.sampled_from([None, ResourceUsage(cpu_percent=50.0), ResourceUsage(memory_mb=100.0)]),
)


def union(*batches: list[RunRecord]) -> dict:
    merged: dict = {}
    for batch in batches:
        merged, _ = merge_runs(merged, batch)
    return {key: (run, run.usage) for key, run in merged.items()}


@settings(max_examples=200, deadline=None)
@given(st.lists(versions, max_size=8), st.lists(versions, max_size=8))
def test_commutative(a, b):
    assert union(a, b) == union(b, a)


@settings(max_examples=200, deadline=None)
@given(st.lists(versions, max_size=6), st.lists(versions, max_size=6), st.lists(versions, max_size=6))
def test_associative(a, b, c):
    ab, _ = merge_runs({}, a + b)
    left, _ = merge_runs(ab, c)
    bc, _ = merge_runs({}, b + c)
    right, _ = merge_runs(dict(merge_runs({}, a)[0]), bc.values())
    assert {k: (v, v.usage) for k, v in left.items()} == {k: (v, v.usage) for k, v in right.items()}


@settings(max_examples=200, deadline=None)
@given(st.lists(versions, max_size=8))
def test_idempotent(a):
    once, _ = merge_runs({}, a)
    twice, counts = merge_runs(once, a)
    assert twice == once
    assert counts["added"] == 0 and counts["updated"] == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(versions, min_size=1, max_size=8))
def test_union_keeps_every_key(a):
    merged, _ = merge_runs({}, a)
    assert set(merged) == {run.key for run in a}


def test_newer_updated_at_wins():
    old = RunRecord(id=1, repository="o/r", name="CI", created_at=T0, updated_at=T0, status="in_progress")
    new = RunRecord(id=1, repository="o/r", name="CI", created_at=T0, updated_at=T0 + timedelta(minutes=3),
                    conclusion="success")
    assert merge_versions([old, new]).conclusion == "success"
    assert merge_versions([new, old]).conclusion == "success"


def test_recorded_usage_survives_a_later_synced_version():
    recorded = RunRecord(id=9, repository="o/r", name="CI", created_at=T0, updated_at=T0 + timedelta(minutes=2),
                         conclusion="success", usage=ResourceUsage(cpu_percent=80.0))
    synced = RunRecord(id=9, repository="o/r", name="CI", created_at=T0, updated_at=T0 + timedelta(minutes=3),
                       conclusion="success", workflow_id=5, path=".github/workflows/ci.yml")
    merged = merge_versions([recorded, synced])
    assert merged.updated_at == synced.updated_at
    assert merged.workflow_id == 5 and merged.usage == ResourceUsage(cpu_percent=80.0)
