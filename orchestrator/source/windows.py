"""Time windows over run creation times: GitHub's ``created`` filter and coverage bookkeeping.

Sync lists runs window by window. What has been listed is recorded as a cursor
(``synced_through``), a floor (how far back the history reaches, ``None`` = everything) and the
windows still *pending* below the cursor. Merging two writers' records only ever widens what is
pending, so a race between syncs can cost a re-listing but never leave a silent gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from ..model import format_time, parse_time

ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Window:
    """Runs created in ``[lo, hi]``, both inclusive, to the second; ``None`` is an open end."""

    lo: datetime | None
    hi: datetime | None

    def created_filter(self) -> str | None:
        """GitHub's search syntax: ``A..B``, ``>=A``, ``<=B``, or no filter at all.

        An unfiltered listing is not subject to the 1,000-result cap, which makes a full backfill
        the cheapest listing of all.
        """
        lo, hi = format_time(self.lo), format_time(self.hi)
        if lo and hi:
            return f"{lo}..{hi}"
        if lo:
            return f">={lo}"
        if hi:
            return f"<={hi}"
        return None

    def to_json(self) -> list[str | None]:
        return [format_time(self.lo), format_time(self.hi)]

    @classmethod
    def from_json(cls, value: object) -> "Window":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError(f"pending window {value!r} is not [from, to]")
        return cls(parse_time(value[0], "pending.from"), parse_time(value[1], "pending.to"))


def normalise(windows: Iterable[Window]) -> list[Window]:
    """Union of closed windows, newest first; touching or overlapping ones are joined."""
    floor = datetime.min.replace(tzinfo=None)

    def lo_key(w: Window) -> datetime:
        return w.lo.replace(tzinfo=None) if w.lo else floor

    merged: list[Window] = []
    for window in sorted(windows, key=lo_key):
        if window.hi is not None and window.lo is not None and window.hi < window.lo:
            continue
        if merged:
            last = merged[-1]
            if last.hi is None or window.lo is None or window.lo <= last.hi + ONE_SECOND:
                hi = None if last.hi is None or window.hi is None else max(last.hi, window.hi)
                merged[-1] = Window(last.lo, hi)
                continue
        merged.append(window)
    return list(reversed(merged))


def earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The lower of two floors, where ``None`` means "from the very beginning"."""
    return None if a is None or b is None else min(a, b)


def latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two cursors, where ``None`` means "never synced"."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def subtract(window: Window, covered: Iterable[Window]) -> list[Window]:
    """The parts of ``window`` outside every ``covered`` window, newest first (second resolution)."""
    pieces = [window]
    for cut in covered:
        kept: list[Window] = []
        for piece in pieces:
            if not _overlaps(piece, cut):
                kept.append(piece)
                continue
            if cut.hi is not None and (piece.hi is None or piece.hi > cut.hi):
                kept.append(Window(cut.hi + ONE_SECOND, piece.hi))
            if cut.lo is not None and (piece.lo is None or piece.lo < cut.lo):
                kept.append(Window(piece.lo, cut.lo - ONE_SECOND))
        pieces = kept
    return normalise(pieces)


def _overlaps(a: Window, b: Window) -> bool:
    return (a.hi is None or b.lo is None or a.hi >= b.lo) and (b.hi is None or a.lo is None or b.hi >= a.lo)
