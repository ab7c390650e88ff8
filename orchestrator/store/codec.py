"""The store's on-disk format: compact, column-oriented JSON shards, one per month.

A raw API run object is about 6 KB; a run here is about 70 bytes. Repeated strings (repository,
workflow name and path, event, branch, actor) are dictionary-encoded per shard, times are epoch
seconds with start and end stored as offsets, and trailing empty fields are dropped. Every file
says its ``schemaVersion`` and which tool version wrote it, so a newer file is refused rather than
misread, and a broken one is reported by path.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from ..errors import CorruptStoreFile, StoreVersionError
from ..model import JobTiming, ResourceUsage, RunRecord
from ..version import __version__

#: The newest file version this tool reads. Files are written at the lowest version that can hold
#: them: a runs shard is version 2 only when it holds job timings (its extra ``jobs`` column). A
#: store without job timings therefore stays readable by a tool that predates them; one with them
#: is refused by such a tool, naming the shard, and never misread.
SCHEMA_VERSION = 2
RUN_COLUMNS_V1 = ["id", "attempt", "number", "workflow", "event", "branch", "status", "conclusion",
                  "created", "started", "updated", "actor", "usage"]
RUN_COLUMNS = [*RUN_COLUMNS_V1, "jobs"]


def dumps(document: Mapping[str, Any]) -> bytes:
    """Serialise without spaces; sorted keys keep identical stores byte-identical."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def loads(path: str, data: bytes, kind: str) -> dict[str, Any]:
    """Parse one store file, checking it is JSON, of ``kind`` and of a version we can read."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptStoreFile(path, f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise CorruptStoreFile(path, "expected a JSON object")
    version = document.get("schemaVersion")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptStoreFile(path, "missing schemaVersion")
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"store file {path} has schemaVersion {version}, newer than this tool reads ({SCHEMA_VERSION}); "
            f"upgrade workflow-orchestrator (this is {__version__}). The file was left untouched."
        )
    if document.get("kind", kind) != kind:
        raise CorruptStoreFile(path, f"expected a {kind} file, found {document.get('kind')!r}")
    return document


def header(kind: str, version: int = 1) -> dict[str, Any]:
    return {"schemaVersion": version, "kind": kind, "writer": f"workflow-orchestrator {__version__}"}


def shard_name(created_at: datetime) -> str:
    """Runs are sharded by the month they were created in: ``runs/2025-01.json``."""
    return f"runs/{created_at:%Y-%m}.json"


class _Strings:
    """A per-shard string table: each distinct string is written once."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def ref(self, value: str | None) -> int | None:
        if value is None:
            return None
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]


def encode_runs(runs: Iterable[RunRecord]) -> bytes:
    """Encode one shard's runs, sorted by (created, id, attempt) so output is deterministic."""
    strings = _Strings()
    workflows: list[list[Any]] = []
    workflow_index: dict[tuple[Any, ...], int] = {}
    rows: list[list[Any]] = []
    for run in sorted(runs, key=lambda r: (r.created_at, r.id, r.run_attempt)):
        wf = (run.repository, run.workflow_id, run.name, run.path)
        if wf not in workflow_index:
            workflow_index[wf] = len(workflows)
            workflows.append([strings.ref(run.repository), run.workflow_id, strings.ref(run.name), strings.ref(run.path)])
        created = int(run.created_at.timestamp())
        started = None if run.run_started_at is None else int(run.run_started_at.timestamp()) - created
        base = created + (started or 0)
        usage = None
        if run.usage is not None:
            usage = [run.usage.cpu_percent, run.usage.memory_mb, run.usage.api_calls]
        # A job is [labels, seconds], its labels one string-table entry joined by newlines (a
        # runner label holds no newline; most runs of a workflow share one entry).
        jobs = None if run.jobs is None else [[strings.ref("\n".join(j.labels)), j.seconds] for j in run.jobs]
        row = [run.id, run.run_attempt, run.run_number, workflow_index[wf], strings.ref(run.event),
               strings.ref(run.head_branch), strings.ref(run.status), strings.ref(run.conclusion),
               created, started, int(run.updated_at.timestamp()) - base, strings.ref(run.actor), usage, jobs]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    with_jobs = any(len(row) > len(RUN_COLUMNS_V1) for row in rows)
    document = header("runs", 2 if with_jobs else 1)
    document.update({"columns": RUN_COLUMNS if with_jobs else RUN_COLUMNS_V1, "strings": strings.values,
                     "workflows": workflows, "rows": rows})
    return dumps(document)


def decode_runs(path: str, data: bytes) -> list[RunRecord]:
    """Decode a runs shard; any structural problem is reported as a corrupt file named ``path``."""
    document = loads(path, data, "runs")
    try:
        if document.get("columns") not in (RUN_COLUMNS, RUN_COLUMNS_V1):
            raise ValueError("unknown column layout")
        strings: list[str] = document["strings"]
        workflows = document["workflows"]
        runs = []
        for row in document["rows"]:
            row = list(row) + [None] * (len(RUN_COLUMNS) - len(row))
            (run_id, attempt, number, wf, event, branch, status, conclusion,
             created, started, updated, actor, usage, jobs) = row
            repo_ref, workflow_id, name_ref, path_ref = workflows[wf]

            def text(ref: int | None) -> str | None:
                return None if ref is None else strings[ref]

            created_at = _utc(created)
            started_at = None if started is None else _utc(created + started)
            base = created + (started or 0)
            runs.append(RunRecord(
                id=int(run_id), run_attempt=int(attempt), run_number=number, repository=text(repo_ref) or "",
                workflow_id=workflow_id, name=text(name_ref) or "", path=text(path_ref), event=text(event),
                head_branch=text(branch), status=text(status), conclusion=text(conclusion),
                created_at=created_at, run_started_at=started_at, updated_at=_utc(base + updated),
                actor=text(actor), usage=None if usage is None else ResourceUsage(*usage),
                jobs=None if jobs is None else tuple(
                    JobTiming(tuple((text(labels) or "").split("\n")) if text(labels) else (), int(seconds))
                    for labels, seconds in jobs),
            ))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise CorruptStoreFile(path, f"unexpected structure: {exc}") from None
    return runs


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def encode_records(kind: str, records: list[dict[str, Any]]) -> bytes:
    """A file of plain JSON records (the predictions log)."""
    document = header(kind)
    document["records"] = records
    return dumps(document)


def decode_records(path: str, data: bytes, kind: str) -> list[dict[str, Any]]:
    document = loads(path, data, kind)
    records = document.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CorruptStoreFile(path, "records must be a list of objects")
    return records


def encode_object(kind: str, body: Mapping[str, Any]) -> bytes:
    """A single JSON object file (``store.json``, ``state.json``) with the common header."""
    document = header(kind)
    document.update(body)
    return dumps(document)


def decode_object(path: str, data: bytes, kind: str) -> dict[str, Any]:
    document = loads(path, data, kind)
    return {k: v for k, v in document.items() if k not in ("schemaVersion", "kind", "writer")}
