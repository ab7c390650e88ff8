"""``HistoryStore``: the run history, sync state and predictions log, on any :class:`Backend`.

Reads decode every file once per version of the store. Writes go through :meth:`commit`, which
reads the current version, merges, writes only the files that changed in one compare-and-swap,
and on :class:`StaleWrite` (another writer won) re-reads, re-merges and retries with jittered
backoff — so no run is lost however many writers race, locally or on a data branch.
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass
from os import PathLike
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..errors import CorruptStoreFile, StaleWrite, StoreError
from ..model import RunRecord
from . import codec
from .backend import Backend, LocalBackend, Snapshot, content_token
from .merge import merge_runs

STORE_FILE, STATE_FILE = "store.json", "state.json"


@dataclass(frozen=True)
class MergeResult:
    """What one commit changed: runs added, updated, and seen again unchanged."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class _Loaded:
    """One decoded version of the store."""

    snapshot: Snapshot
    runs: dict[tuple[int, int], RunRecord]
    shard_of: dict[tuple[int, int], str]
    state: dict[str, Any]
    predictions: dict[str, list[dict[str, Any]]]
    initialised: bool


class HistoryStore:
    """The history of one or more repositories' workflow runs."""

    def __init__(self, backend: Backend, max_retries: int = 8, backoff_seconds: float = 0.2) -> None:
        self.backend = backend
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self._loaded: _Loaded | None = None

    @classmethod
    def local(cls, path: str | PathLike[str]) -> "HistoryStore":
        return cls(LocalBackend(path))

    # ----- reading ----------------------------------------------------------------------------
    def _load(self, refresh: bool = False) -> _Loaded:
        if self._loaded is None or refresh:
            self._loaded = self._decode(self.backend.read())
        return self._loaded

    def refresh(self) -> None:
        """Forget the cached version; the next read sees what other writers did."""
        self._loaded = None

    def _decode(self, snapshot: Snapshot) -> _Loaded:
        where = snapshot.location or self.backend.describe()
        runs: dict[tuple[int, int], RunRecord] = {}
        shard_of: dict[tuple[int, int], str] = {}
        predictions: dict[str, list[dict[str, Any]]] = {}
        state: dict[str, Any] = {}
        initialised = STORE_FILE in snapshot.files
        for path, data in sorted(snapshot.files.items()):
            shown = f"{where}/{path}"
            if path == STORE_FILE:
                codec.decode_object(shown, data, "store")
            elif path == STATE_FILE:
                state = codec.decode_object(shown, data, "state")
            elif path.startswith("runs/"):
                for run in codec.decode_runs(shown, data):
                    if run.key in runs:
                        raise CorruptStoreFile(shown, f"run {run.id} attempt {run.run_attempt} also stored in {shard_of[run.key]}")
                    runs[run.key] = run
                    shard_of[run.key] = path
            elif path.startswith("predictions/"):
                predictions[path] = codec.decode_records(shown, data, "predictions")
        if snapshot.files and not initialised:
            raise StoreError(
                f"{where} holds files but no {STORE_FILE}: it is not a workflow-orchestrator store. "
                "Point --data at an empty or existing store directory."
            )
        return _Loaded(snapshot, runs, shard_of, state, predictions, initialised)

    def runs(self) -> list[RunRecord]:
        """Every stored run attempt, oldest first."""
        return sorted(self._load().runs.values(), key=lambda r: (r.created_at, r.id, r.run_attempt))

    def state(self) -> dict[str, Any]:
        """The sync state: cursors per repository and the last sync time (a copy)."""
        return copy.deepcopy(self._load().state)

    def predictions(self) -> list[dict[str, Any]]:
        """The predictions log, oldest first."""
        loaded = self._load()
        return [r for path in sorted(loaded.predictions) for r in loaded.predictions[path]]

    def content_key(self) -> str | None:
        """Names this exact content; fitted models are cached under it and never go stale."""
        return self._load().snapshot.token

    def runs_key(self) -> str | None:
        """Names the run history alone: logging a prediction or a sync cursor leaves it unchanged,
        so fitted models keyed by it survive those writes."""
        files = self._load().snapshot.files
        return content_token({path: data for path, data in files.items() if path.startswith("runs/")})

    def files(self) -> Mapping[str, bytes]:
        """The raw store files of the current version (for size measurement and health)."""
        return self._load().snapshot.files

    def location(self) -> str:
        return self.backend.describe()

    def is_initialised(self) -> bool:
        return self._load().initialised

    # ----- writing ----------------------------------------------------------------------------
    def commit(
        self,
        runs: Iterable[RunRecord] = (),
        state_update: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        predictions: Sequence[Mapping[str, Any]] = (),
        message: str = "Update workflow history",
    ) -> MergeResult:
        """Merge runs, update state and append predictions in one write; retried when stale."""
        incoming = list(runs)
        for attempt in range(self.max_retries + 1):
            loaded = self._load(refresh=attempt > 0)
            changes, result, new_loaded = self._changes(loaded, incoming, state_update, predictions)
            if not changes:
                return result
            try:
                token = self.backend.write(changes, loaded.snapshot.token, message)
            except StaleWrite:
                if attempt == self.max_retries:
                    raise StoreError(
                        f"gave up writing to {self.backend.describe()} after {self.max_retries + 1} attempts: "
                        "other writers kept changing it. Nothing was lost; run again."
                    ) from None
                time.sleep(self.backoff_seconds * (2 ** min(attempt, 5)) * random.uniform(0.5, 1.5))
                continue
            files = dict(loaded.snapshot.files)
            files.update(changes)
            new_loaded.snapshot = Snapshot(files=files, token=token, location=loaded.snapshot.location)
            self._loaded = new_loaded
            return result
        raise AssertionError("unreachable")

    def initialise(self) -> None:
        """Write ``store.json`` to an empty store, so it is recognisable as ours."""
        self.commit(message="Initialise workflow-orchestrator store")

    def _changes(
        self,
        loaded: _Loaded,
        incoming: list[RunRecord],
        state_update: Callable[[dict[str, Any]], dict[str, Any]] | None,
        predictions: Sequence[Mapping[str, Any]],
    ) -> tuple[dict[str, bytes], MergeResult, _Loaded]:
        changes: dict[str, bytes] = {}
        if not loaded.initialised:
            changes[STORE_FILE] = codec.encode_object("store", {})
        merged, counts = merge_runs(loaded.runs, incoming)
        shard_of = dict(loaded.shard_of)
        touched: set[str] = set()
        for run in incoming:
            current = merged[run.key]
            if loaded.runs.get(run.key) is current:
                continue
            shard = codec.shard_name(current.created_at)
            old = shard_of.get(run.key)
            if old and old != shard:
                touched.add(old)
            shard_of[run.key] = shard
            touched.add(shard)
        if touched:
            by_shard: dict[str, list[RunRecord]] = {name: [] for name in touched}
            for key, shard in shard_of.items():
                if shard in by_shard:
                    by_shard[shard].append(merged[key])
            for name, shard_runs in by_shard.items():
                encoded = codec.encode_runs(shard_runs)
                if loaded.snapshot.files.get(name) != encoded:
                    changes[name] = encoded
        state = loaded.state
        if state_update is not None:
            state = state_update(copy.deepcopy(loaded.state))
            encoded_state = codec.encode_object("state", state)
            if loaded.snapshot.files.get(STATE_FILE) != encoded_state:
                changes[STATE_FILE] = encoded_state
        all_predictions = {k: list(v) for k, v in loaded.predictions.items()}
        if predictions:
            for record in predictions:
                all_predictions.setdefault(_prediction_shard(record), []).append(dict(record))
            for path in {_prediction_shard(r) for r in predictions}:
                changes[path] = codec.encode_records("predictions", all_predictions[path])
        result = MergeResult(**counts)
        new_loaded = _Loaded(loaded.snapshot, merged, shard_of, state, all_predictions, True)
        return changes, result, new_loaded


def _prediction_shard(record: Mapping[str, Any]) -> str:
    """Predictions are sharded by the month they were made in (``made_at``, ISO)."""
    month = str(record.get("made_at", ""))[:7]
    return f"predictions/{month if len(month) == 7 else 'undated'}.json"
