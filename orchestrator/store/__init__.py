"""The history store: versioned compact JSON, the same in a directory and on a data branch."""

from .backend import Backend, LocalBackend, Snapshot
from .history import HistoryStore, MergeResult

__all__ = ["Backend", "LocalBackend", "Snapshot", "HistoryStore", "MergeResult"]
