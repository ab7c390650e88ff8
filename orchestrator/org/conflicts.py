"""Conflicts across repositories on shared self-hosted runners.

Workflows of *different* repositories whose jobs share a self-hosted runner group (the same
``runs-on`` label set) and whose run windows (tick to tick + p90 duration) overlap on the
reference week after the recommendations.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Mapping, Sequence

from ..cost.rates import SELF_HOSTED
from ..cost.runners import sku_for
from .values import runner_group, workflow_ref

__all__ = ["MAX_CONFLICT_PAIRS", "find_conflicts"]

#: The JSON keeps at most this many conflict pairs (largest overlap first); ``count`` has them all.
MAX_CONFLICT_PAIRS = 10_000
WEEK_MINUTES = 7 * 1440


def _coverage(ticks: Sequence[int], seconds: float) -> Any:
    """The minutes of the (cyclic) reference week a workflow's run windows hold, as indices:
    each tick's minute to tick + the window length rounded up to whole minutes (a runner is
    held for whole minutes, and ticks fall on whole minutes, so overlaps are exact in minutes)."""
    import numpy as np

    length = min(max(1, math.ceil(float(seconds) / 60 - 1e-9)), WEEK_MINUTES)
    if not ticks:
        return np.empty(0, dtype=np.int64)
    starts = np.asarray(ticks, dtype=np.int64) // 60
    return np.unique((starts[:, None] + np.arange(length)[None, :]).ravel() % WEEK_MINUTES)


def _spans(flags: Any) -> int:
    """How many separate stretches the set minute flags form on the cyclic week."""
    import numpy as np

    starts = int(np.count_nonzero(flags & ~np.roll(flags, 1)))
    return starts or int(bool(flags.any()))  # every minute set: one stretch with no start


def _overlap_matrix(covers: Sequence[Any]) -> tuple[Any, Any, int]:
    """The workflows' minute flags, the minutes each pair shares (one product of the flags), and
    the most workflows holding the group's runners in one minute."""
    import numpy as np

    flags = np.zeros((len(covers), WEEK_MINUTES), dtype=bool)
    for row, minutes in enumerate(covers):
        flags[row, minutes] = True
    load = flags.sum(axis=0)
    peak = int(load.max()) if len(covers) else 0
    busy = flags[:, load >= 2].astype(np.float32)  # a minute one workflow holds alone shares nothing
    return flags, busy @ busy.T, peak


def find_conflicts(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pairs of workflows of different repositories on the same self-hosted runner group whose
    p90 run windows overlap on the reference week after the recommendations (before: for contrast).

    Per group, each workflow's week is a row of minute flags; one matrix product gives the minutes
    every pair shares (exact: ticks are whole minutes and windows are rounded up to whole minutes).
    """
    import numpy as np

    members: dict[str, list[int]] = defaultdict(list)
    for wid, row in enumerate(rows):
        for group in {runner_group(labels) for labels in row["_runners"].values() if sku_for(labels) == SELF_HOSTED}:
            members[group].append(wid)

    repo_index: dict[str, int] = {}
    found: list[tuple[float, str, int, int, float, int, int]] = []  # (-minutes, group, a, b, before, row a, row b)
    flags_of: dict[str, Any] = {}
    groups_out = []
    total = before_total = 0
    for group in sorted(members):
        wids = members[group]
        repos = np.array([repo_index.setdefault(rows[w]["repository"], len(repo_index)) for w in wids])
        if len(set(repos.tolist())) < 2:
            continue  # one repository alone on its runners: its own recommender saw its conflicts
        other = np.triu(repos[:, None] != repos[None, :], k=1)
        figures = {}
        for side in ("before", "after"):
            flags, shared, peak = _overlap_matrix([_coverage(rows[w][f"_{side}"].week, rows[w]["_window"]) for w in wids])
            shared = np.where(other, shared, 0)
            figures[side] = (flags, shared, peak, int(np.count_nonzero(shared)))
        after_flags, after, peak_after, count_after = figures["after"]
        _, before, peak_before, count_before = figures["before"]
        flags_of[group] = after_flags
        total += count_after
        before_total += count_before
        groups_out.append({"group": group, "workflows": len(wids), "repositories": len(set(repos.tolist())),
                           "pairs_before": count_before, "pairs_after": count_after,
                           "peak_concurrent_workflows_before": peak_before, "peak_concurrent_workflows_after": peak_after})
        a_index, b_index = np.nonzero(after)
        values = after[a_index, b_index]
        keep = np.argsort(-values, kind="stable")[:MAX_CONFLICT_PAIRS]  # row-major order breaks ties
        for k in keep:
            i, j = int(a_index[k]), int(b_index[k])
            found.append((-float(values[k]), group, wids[i], wids[j], float(before[i, j]), i, j))
        del figures, after, before

    found.sort(key=lambda f: f[:4])
    pairs_out = [{
        "runner_group": group,
        "workflows": [workflow_ref(rows[a]), workflow_ref(rows[b])],
        "minutes_per_day": round(-negative / 7, 2),
        "minutes_per_day_before": round(was / 7, 2),
        "overlapping_windows_per_week": _spans(flags_of[group][i] & flags_of[group][j]),
    } for negative, group, a, b, was, i, j in found[:MAX_CONFLICT_PAIRS]]
    return {
        "basis": "run windows from each tick to tick + p90 duration (expected duration, else 5 min) rounded up to "
                 "whole minutes, on the reference week in UTC, for jobs with the same self-hosted label set in "
                 "different repositories",
        "count": total,
        "count_before": before_total,
        "truncated": max(0, total - len(pairs_out)),
        "groups": groups_out,
        "pairs": pairs_out,
    }
