"""``HistoryStore``: the run history, sync state and predictions log, on any :class:`Backend`.

Reads decode every file once per version of the store. Writes go through :meth:`commit`, which
reads the current version, merges, writes only the files that changed in one compare-and-swap,
and on :class:`StaleWrite` (another writer won) re-reads, re-merges and retries with jittered
backoff — so no run is lost however many writers race, locally or on a data branch.

Inside :meth:`HistoryStore.deferred` the commits of several steps (the action's sync, then the
predictions its recommendations log) are applied in memory and written together as one
compare-and-swap, i.e. one commit on a data branch: a job that dies midway cannot leave half of
a run stored, and a run that changed nothing writes nothing.
"""

from __future__ import annotations

import copy
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from ..errors import CorruptStoreFile, StaleWrite, StoreError
from ..model import RunRecord
from . import codec
from .backend import Backend, LocalBackend, Snapshot, content_token
from .merge import merge_runs

STORE_FILE, STATE_FILE = "store.json", "state.json"

#: Rewrites the sync state; called on the current state again whenever a write is retried.
StateUpdate = Callable[[dict[str, Any]], dict[str, Any]]
#: Prediction log entries to append, or a function of the current log (oldest first) returning
#: them, so a write retried after another writer's is decided again against the log it extends.
Predictions = Sequence[Mapping[str, Any]] | Callable[[list[dict[str, Any]]], Sequence[Mapping[str, Any]]]


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
    #: ``runs`` in time order, as readers see them (computed once per version).
    ordered: list[RunRecord] | None = None

    def log(self) -> list[dict[str, Any]]:
        """The predictions log of this version, oldest first."""
        return [r for path in sorted(self.predictions) for r in self.predictions[path]]


@dataclass(frozen=True)
class _Operation:
    """One :meth:`HistoryStore.commit` made while writes are deferred, kept to be replayed."""

    runs: list[RunRecord]
    state_update: StateUpdate | None
    predictions: Predictions
    message: str


@dataclass
class _Deferred:
    """The writes :meth:`HistoryStore.deferred` has gathered and the version they apply to."""

    message: str | None
    #: The version read from the backend that ``operations`` were applied to (``None`` until one is).
    base: _Loaded | None = None
    operations: list[_Operation] = field(default_factory=list)
    #: Runs added or updated and predictions appended by ``operations`` on ``base``.
    runs: int = 0
    predictions: int = 0

    def describe(self, changes: Mapping[str, bytes]) -> str:
        """The commit message: what the write does as a whole, then each step's own message."""
        parts = []
        if STORE_FILE in changes:
            parts.append("initialise the store")
        if self.runs:
            parts.append(f"store {self.runs} run{'' if self.runs == 1 else 's'}")
        if self.predictions:
            parts.append(f"log {self.predictions} prediction{'' if self.predictions == 1 else 's'}")
        if STATE_FILE in changes:
            parts.append("update the sync state")
        summary = ", ".join(parts) or "update workflow history"
        subject = f"{self.message}: {summary}" if self.message else summary[0].upper() + summary[1:]
        steps = "\n".join(op.message for op in self.operations)
        return f"{subject}\n\n{steps}" if steps else subject


class HistoryStore:
    """The history of one or more repositories' workflow runs."""

    def __init__(self, backend: Backend, max_retries: int = 8, backoff_seconds: float = 0.2) -> None:
        self.backend = backend
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self._loaded: _Loaded | None = None
        self._deferred: _Deferred | None = None

    @classmethod
    def local(cls, path: str | PathLike[str]) -> "HistoryStore":
        return cls(LocalBackend(path))

    # ----- reading ----------------------------------------------------------------------------
    def _load(self, refresh: bool = False) -> _Loaded:
        if self._loaded is None or refresh:
            self._loaded = self._decode(self.backend.read())
        return self._loaded

    def refresh(self) -> None:
        """Forget the cached version; the next read sees what other writers did.

        While writes are deferred, the newest version is read at once and the gathered writes
        replayed onto it, so reads still include them.
        """
        if self._deferred is not None and self._deferred.base is not None:
            self._replay(self._deferred, self._decode(self.backend.read()))
        else:
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
        """Every stored run attempt, oldest first.

        A run stored without its workflow's path (a ``gh run list`` or GHAminer row) is read
        with the path its workflow id has elsewhere in the store, so one workflow imported from
        two sources is one workflow (:func:`orchestrator.catalog.with_known_paths`); the stored
        files are not rewritten.
        """
        from ..catalog import with_known_paths

        loaded = self._load()
        if loaded.ordered is None:
            ordered = sorted(loaded.runs.values(), key=lambda r: (r.created_at, r.id, r.run_attempt))
            loaded.ordered = with_known_paths(ordered)
        return list(loaded.ordered)

    def state(self) -> dict[str, Any]:
        """The sync state: cursors per repository and the last sync time (a copy)."""
        return copy.deepcopy(self._load().state)

    def predictions(self) -> list[dict[str, Any]]:
        """The predictions log, oldest first."""
        return self._load().log()

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
        state_update: StateUpdate | None = None,
        predictions: Predictions = (),
        message: str = "Update workflow history",
    ) -> MergeResult:
        """Merge runs, update state and append predictions in one write; retried when stale.

        While writes are deferred (:meth:`deferred`) nothing is written yet: the change is applied
        to the version in memory, so later reads see it, and kept to be written with the others.
        """
        incoming = list(runs)
        if self._deferred is not None:
            return self._defer(self._deferred, _Operation(incoming, state_update, predictions, message))
        for attempt in range(self.max_retries + 1):
            loaded = self._load(refresh=attempt > 0)
            changes, result, _logged, new_loaded = self._apply(loaded, incoming, state_update, predictions)
            if not changes:
                return result
            try:
                token = self.backend.write(changes, loaded.snapshot.token, message)
            except StaleWrite:
                self._wait_to_retry(attempt)
                continue
            new_loaded.snapshot = Snapshot(files=new_loaded.snapshot.files, token=token, location=loaded.snapshot.location)
            self._loaded = new_loaded
            return result
        raise AssertionError("unreachable")

    @contextmanager
    def deferred(self, message: str | None = None) -> Iterator[None]:
        """Gather every :meth:`commit` made inside the block into one write when it ends.

        ``message`` starts the commit message, which goes on to say what was stored and lists each
        step's own message. The write is the usual compare-and-swap against the version the
        gathered commits were applied to; when another writer got there first, the newest version
        is read and every gathered commit replayed onto it, with :meth:`commit`'s jittered retry.
        Nothing changed means nothing is written. An exception inside the block still writes what
        was gathered (a crash while recommending must not lose the sync), then propagates as it
        was, with a note if that write failed too. Inside another ``deferred`` block it does
        nothing: the outermost one writes.
        """
        if self._deferred is not None:
            yield
            return
        gathered = self._deferred = _Deferred(message)
        try:
            yield
        except BaseException as crash:
            self._deferred = None
            try:
                self._flush(gathered)
            except Exception as failed:  # noqa: BLE001 - the crash is what propagates; this is its note
                crash.add_note(f"What was gathered for {self.backend.describe()} could not be saved either: {failed}")
            raise
        self._deferred = None
        self._flush(gathered)

    def _defer(self, deferred: _Deferred, operation: _Operation) -> MergeResult:
        """Apply ``operation`` to the version in memory and keep it for the write (and replays)."""
        loaded = self._load()
        if deferred.base is None:
            deferred.base = loaded
        _changes, result, logged, self._loaded = self._apply(loaded, operation.runs, operation.state_update, operation.predictions)
        deferred.operations.append(operation)
        deferred.runs += result.added + result.updated
        deferred.predictions += logged
        return result

    def _replay(self, deferred: _Deferred, fresh: _Loaded) -> None:
        """Apply every gathered commit again, in order, onto ``fresh`` (a newer backend version)."""
        loaded, deferred.runs, deferred.predictions = fresh, 0, 0
        for op in deferred.operations:
            _changes, result, logged, loaded = self._apply(loaded, op.runs, op.state_update, op.predictions)
            deferred.runs += result.added + result.updated
            deferred.predictions += logged
        deferred.base, self._loaded = fresh, loaded

    def _flush(self, deferred: _Deferred) -> None:
        """Write what ``deferred`` gathered as one compare-and-swap; replayed when stale."""
        try:
            for attempt in range(self.max_retries + 1):
                if attempt > 0:
                    self._replay(deferred, self._decode(self.backend.read()))
                base, current = deferred.base, self._loaded
                if base is None or current is None:
                    return
                changes = {path: data for path, data in current.snapshot.files.items() if base.snapshot.files.get(path) != data}
                if not changes:
                    return
                try:
                    token = self.backend.write(changes, base.snapshot.token, deferred.describe(changes))
                except StaleWrite:
                    self._wait_to_retry(attempt)
                    continue
                current.snapshot = Snapshot(files=current.snapshot.files, token=token, location=current.snapshot.location)
                return
        except BaseException:
            self._loaded = None  # what was not written must not be read as if it had been
            raise

    def _wait_to_retry(self, attempt: int) -> None:
        """After a lost race: give up after the last attempt, else back off with jitter."""
        if attempt == self.max_retries:
            raise StoreError(
                f"gave up writing to {self.backend.describe()} after {self.max_retries + 1} attempts: "
                "other writers kept changing it. Nothing was lost; run again."
            ) from None
        time.sleep(self.backoff_seconds * (2 ** min(attempt, 5)) * random.uniform(0.5, 1.5))

    def initialise(self) -> None:
        """Write ``store.json`` to an empty store, so it is recognisable as ours."""
        self.commit(message="Initialise workflow-orchestrator store")

    def _apply(
        self,
        loaded: _Loaded,
        incoming: list[RunRecord],
        state_update: StateUpdate | None,
        predictions: Predictions,
    ) -> tuple[dict[str, bytes], MergeResult, int, _Loaded]:
        """The changed files, the merge counts, how many predictions are appended, and the
        version they make (its token names its content until a write gives it the backend's)."""
        entries = predictions(loaded.log()) if callable(predictions) else predictions
        changes, result, new_loaded = self._changes(loaded, incoming, state_update, entries)
        files = dict(loaded.snapshot.files)
        files.update(changes)
        token = content_token(files) if changes else loaded.snapshot.token
        new_loaded.snapshot = Snapshot(files=files, token=token, location=loaded.snapshot.location)
        return changes, result, len(entries), new_loaded

    def _changes(
        self,
        loaded: _Loaded,
        incoming: list[RunRecord],
        state_update: StateUpdate | None,
        predictions: Sequence[Mapping[str, Any]],
    ) -> tuple[dict[str, bytes], MergeResult, _Loaded]:
        changes: dict[str, bytes] = {}
        if not loaded.initialised:
            changes[STORE_FILE] = codec.encode_object("store", {})
        merged, counts = merge_runs(loaded.runs, incoming)
        shard_of = dict(loaded.shard_of)
        touched: set[str] = set()
        for run in incoming:
            current = merged.get(run.key)
            if current is None or loaded.runs.get(run.key) is current:
                continue  # refused by the merge (over 35 days), or unchanged
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
