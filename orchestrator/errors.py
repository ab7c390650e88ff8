"""The project's small exception tree.

Every error a user can cause or meet derives from :class:`OrchestratorError`; the CLI turns it
into exit code 1 (2 for :class:`UsageError`) with its message, the action into ``::error::`` plus
a summary line. Messages say what was wrong *and* how to fix it.
"""

from __future__ import annotations

from pathlib import Path


class OrchestratorError(Exception):
    """Base class of every error the tool reports to a user."""


class UsageError(OrchestratorError):
    """A command, option or input value is malformed (CLI exit code 2)."""


class ValidationError(UsageError):
    """One named input has a bad value; the message names the input, the value and what is expected."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{field}: {shown} is not valid; expected {expected}")
        self.field = field
        #: The bad value itself, so a caller can tell a missing value from a malformed one.
        self.value = value


class WorkflowNotFound(OrchestratorError):
    """A workflow name, path or id matched nothing, or matched several workflows."""


class StoreError(OrchestratorError):
    """The history store cannot be read or written."""


class CorruptStoreFile(StoreError):
    """A store file is unreadable; it is reported by name and never overwritten."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(
            f"store file {path} is corrupt ({reason}); it was left untouched. "
            "Restore it from the data branch history or move it aside, then run again."
        )
        self.path = str(path)


class StoreVersionError(StoreError):
    """A store file was written by a newer version of the tool than this one."""


class StaleWrite(StoreError):
    """Another writer moved the store on since it was read (compare-and-swap lost)."""


class SourceError(OrchestratorError):
    """The GitHub API (or an import file) could not be read."""


class ImportRejected(OrchestratorError):
    """An import file was read, but every row of it was skipped for one reason an option cures
    (e.g. no repository: pass ``--repo OWNER/NAME``). Importing nothing and reporting success
    would hide the fix, so the whole import is refused before anything is written (exit code 1)."""


class NotAvailable(OrchestratorError):
    """A feature needs data or a component that is not there (e.g. no history to learn from)."""
