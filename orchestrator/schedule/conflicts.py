"""Conflicts: pairs of scheduled workflows whose predicted running windows overlap.

Two overlapping workflows compete for runners, and when they share a ``concurrency:`` group a
newer pending run cancels the older one, so the overlap costs a whole run, not just time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["WorkflowWindows", "find_conflicts"]


@dataclass(frozen=True)
class WorkflowWindows:
    """One workflow's expected active runs per UTC minute of the week, and its concurrency groups."""

    name: str
    path: str
    occupancy: np.ndarray
    concurrency_groups: tuple[str, ...] = ()


def find_conflicts(windows: Sequence[WorkflowWindows], min_minutes_per_day: float = 1.0) -> list[dict[str, Any]]:
    """Every pair overlapping at least ``min_minutes_per_day``, longest overlap first.

    Overlap per minute is the smaller of the two expected occupancies, so a window that happens
    every week counts in full and one seen in one week out of four counts a quarter.
    """
    found: list[dict[str, Any]] = []
    for i, first in enumerate(windows):
        for second in windows[i + 1 :]:
            minutes = float(np.minimum(first.occupancy, second.occupancy).sum()) / 7.0
            if minutes < min_minutes_per_day:
                continue
            shared = sorted(set(first.concurrency_groups) & set(second.concurrency_groups))
            found.append(
                {
                    "workflows": [first.name, second.name],
                    "paths": [first.path, second.path],
                    "minutes_per_day": round(minutes, 1),
                    "shared_concurrency_group": bool(shared),
                    "concurrency_groups": shared,
                }
            )
    return sorted(found, key=lambda c: (-c["minutes_per_day"], c["paths"]))
