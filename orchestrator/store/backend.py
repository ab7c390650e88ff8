"""Where the store's files live: a local directory or (``branch.py``) a data branch.

A backend only moves bytes. It offers a consistent snapshot of every file plus an opaque version
token, and a compare-and-swap write of changed files against that token. ``HistoryStore`` does
the merging and retries when another writer won the race, so the same store code serves both.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from ..errors import StaleWrite, StoreError


@dataclass(frozen=True)
class Snapshot:
    """Every store file as bytes, keyed by its store-relative POSIX path, plus a version token."""

    files: Mapping[str, bytes]
    token: str | None
    #: Where the files are, for messages: a directory, or ``owner/repo@branch``.
    location: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)


class Backend(ABC):
    """Storage of store files with optimistic concurrency."""

    @abstractmethod
    def read(self) -> Snapshot:
        """Return all files and a token naming this exact version (``None`` when empty)."""

    @abstractmethod
    def write(self, changes: Mapping[str, bytes], token: str | None, message: str) -> str | None:
        """Write ``changes`` atomically if the store is still at ``token``; else raise ``StaleWrite``.

        Returns the new token. ``message`` describes the change (a commit message on a branch).
        """

    @abstractmethod
    def describe(self) -> str:
        """A short human location, e.g. ``.workflow-orchestrator`` or ``owner/repo@data``."""


def content_token(files: Mapping[str, bytes]) -> str | None:
    """A digest of every path and its bytes; equal stores have equal tokens."""
    if not files:
        return None
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


class LocalBackend(Backend):
    """A directory on disk. Writes are temp file + ``os.replace`` under an advisory lock."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def read(self) -> Snapshot:
        files: dict[str, bytes] = {}
        if self.root.exists():
            if not self.root.is_dir():
                raise StoreError(f"store location {self.root} is not a directory; pass --data with a directory")
            try:
                for path in sorted(self.root.rglob("*.json")):
                    if path.is_file():
                        files[path.relative_to(self.root).as_posix()] = path.read_bytes()
            except PermissionError as exc:
                raise StoreError(f"cannot read store directory {self.root}: {exc.strerror}; check its permissions") from None
        return Snapshot(files=files, token=content_token(files), location=str(self.root))

    def write(self, changes: Mapping[str, bytes], token: str | None, message: str) -> str | None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store directory {self.root}: {exc.strerror}") from None
        with self._locked():
            current = self.read()
            if current.token != token:
                raise StaleWrite(f"{self.root} changed since it was read")
            for rel, data in sorted(changes.items()):
                self._replace(self.root / rel, data)
            files = dict(current.files)
            files.update(changes)
            return content_token(files)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.root / ".lock"
        try:
            handle = open(lock_path, "a+")
        except OSError as exc:
            raise StoreError(f"cannot write to store directory {self.root}: {exc.strerror}; check its permissions") from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _replace(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
