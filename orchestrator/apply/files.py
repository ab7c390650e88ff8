"""Which workflow files an apply changes, and how: the recommendations → edited texts and a diff.

Only the cron values that ``recommend`` would change at ``min-confidence`` are touched (see
:mod:`.edit`); a file that cannot be edited safely is named under ``errors`` and left alone.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .edit import CronEdit, EditRefused, edit_crons, schedule_crons

__all__ = ["FileChange", "planned_changes", "unified_diff", "write_locally"]


@dataclass
class FileChange:
    """One workflow file: its repository path, where it is on disk, its text before and after,
    and the moves it carries (``{"path", "workflow", "from", "to", "confidence"}`` each)."""

    path: str
    local: Path
    before: str
    after: str
    moves: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)  # workflow name → its reasons


def _normal(cron: str) -> str:
    return " ".join(str(cron).split())


def planned_changes(
    recommendations: Sequence[Mapping[str, Any]], workflows_dir: Path
) -> tuple[list[FileChange], list[dict[str, str]]]:
    """The edits every recommended change makes; problems per file under the second value."""
    changes: list[FileChange] = []
    errors: list[dict[str, str]] = []
    for rec in recommendations:
        if not rec.get("change") or not rec.get("path"):
            continue
        path = str(rec["path"])
        local = Path(workflows_dir) / Path(path).name
        try:
            before = local.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append({"path": path, "message": f"cannot be read: {exc}"})
            continue
        try:
            after, moves = _edited(before, rec)
        except EditRefused as exc:
            errors.append({"path": path, "message": str(exc)})
            continue
        if after != before:
            change = FileChange(path, local, before, after, moves, {str(rec.get("workflow")): list(rec.get("reasoning") or [])})
            changes.append(change)
    return changes, errors


def _edited(text: str, rec: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """``text`` with the recommendation's moved entries rewritten, and those moves.

    The recommender numbers only the valid cron entries; they are matched, in order, to the
    file's ``on.schedule`` entries holding the same cron.
    """
    in_file = [_normal(c) if c is not None else None for c in schedule_crons(text)]
    edits, moves, start = [], [], 0
    for current, target in zip(rec.get("current_schedule") or [], rec.get("recommended_schedules") or []):
        wanted = _normal(current)
        index = next((i for i in range(start, len(in_file)) if in_file[i] == wanted), None)
        if index is None:
            raise EditRefused(f"no on.schedule entry holds {current!r} any more: the file changed since it was read")
        start = index + 1
        if _normal(target) != wanted:
            edits.append(CronEdit(index, current, target))
            moves.append({"path": rec["path"], "workflow": rec.get("workflow"), "from": current, "to": target,
                          "confidence": rec.get("confidence")})
    return (edit_crons(text, edits) if edits else text), moves


def unified_diff(changes: Sequence[FileChange]) -> str:
    """One unified diff of every changed file, ``a/…`` and ``b/…`` as git shows them."""
    return "".join(
        "".join(difflib.unified_diff(c.before.splitlines(keepends=True), c.after.splitlines(keepends=True),
                                     fromfile=f"a/{c.path}", tofile=f"b/{c.path}"))
        for c in changes
    )


def write_locally(changes: Sequence[FileChange]) -> None:
    """Write each edited file in place (temp file + rename, so a crash never leaves half a file)."""
    for change in changes:
        target = change.local
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(change.after.encode("utf-8"))
            os.chmod(tmp, target.stat().st_mode & 0o777)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
