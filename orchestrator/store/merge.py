"""The merge of run histories: a union keyed by ``(run id, attempt)``.

Two writers (a sync, a ``record`` step, an import) may hold different versions of one run. The
merged record is chosen by a total order — newer ``updated_at`` first, then a completed state,
then the record's canonical content — so the merge is deterministic, commutative, associative
and idempotent whatever order writers arrive in (tests/test_store_merge.py proves it with
hypothesis). Metadata a newer version lacks (a recorded run's resource usage, the jobs a sync
fetched, the workflow id an import did not know) is filled from the other versions by a per-field
rule that is again order-independent.

One invariant stands above the order: no stored run lasts longer than GitHub lets a run last
(:data:`~orchestrator.model.MAX_DURATION_SECONDS`). A merged result over it — a version whose
``updated_at`` was touched months later, or a ``run_started_at`` filled in from a version with a
wrong start — is refused: the stored version stays, and a new run is not added. Sources skip such
runs themselves with a counted reason; the merge is the guarantee for every writer. The algebra
above holds for every history whose merged runs are within the limit (every real one); where a
version is refused, the result may depend on the order versions arrive in, but it never breaks
the limit and never loses a stored run.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Iterable, Mapping

from ..model import RunRecord

#: Fields that only describe a run and never go stale: safe to take from another version.
FILLABLE = ("run_number", "workflow_id", "path", "event", "head_branch", "run_started_at", "actor", "usage", "jobs")


def rank(run: RunRecord) -> tuple:
    """The total order of versions of one run on the fields that can go stale; the greatest wins."""
    canonical = tuple(repr(getattr(run, f.name)) for f in fields(run) if f.name not in FILLABLE)
    return (run.updated_at, run.completed, canonical)


def _fill_key(value: object) -> str:
    return repr(value)


def merge_versions(versions: Iterable[RunRecord]) -> RunRecord:
    """Merge versions of the same ``(id, attempt)`` into one record.

    Stale-able fields come from the best-ranked version. Each descriptive field takes the
    greatest non-empty value any version has: a per-field join, so merging in any grouping or
    order gives the same record (values of one attempt agree in practice; the order only matters
    to break the tie deterministically when they do not).
    """
    versions = list(versions)
    winner = max(versions, key=rank)
    filled = {}
    for name in FILLABLE:
        values = [getattr(v, name) for v in versions if getattr(v, name) is not None]
        best = max(values, key=_fill_key) if values else None
        if best != getattr(winner, name):
            filled[name] = best
    return replace(winner, **filled) if filled else winner


def merge_runs(
    existing: Mapping[tuple[int, int], RunRecord], incoming: Iterable[RunRecord]
) -> tuple[dict[tuple[int, int], RunRecord], dict[str, int]]:
    """Merge ``incoming`` into ``existing``; returns the new mapping and added/updated/unchanged counts.

    A result over the duration limit is refused and counted as unchanged: the store did not change.
    """
    merged = dict(existing)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for run in incoming:
        current = merged.get(run.key)
        result = run if current is None else merge_versions((current, run))
        if result.over_max_duration:
            counts["unchanged"] += 1
        elif current is None:
            merged[run.key] = run
            counts["added"] += 1
        elif _same(result, current):
            counts["unchanged"] += 1
        else:
            merged[run.key] = result
            counts["updated"] += 1
    return merged, counts


def _same(a: RunRecord, b: RunRecord) -> bool:
    """Equal in every field, resource usage and jobs included (dataclass equality ignores them)."""
    return a == b and a.usage == b.usage and a.jobs == b.jobs
