"""Recommend ``timeout-minutes`` from how long successful runs really take.

A job without ``timeout-minutes`` can hang for GitHub's default 360 minutes; one set far above
reality wastes runner time when something hangs, one set below the slow tail kills good runs.
The recommendation is the p99 of successful run durations plus a margin, rounded up.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from .workflows import DEFAULT_TIMEOUT_MINUTES

__all__ = ["recommend_timeout"]


def recommend_timeout(
    successful_durations_seconds: Sequence[float],
    job_timeouts: Mapping[str, float | None],
    margin: float = 0.25,
    round_to_minutes: int = 5,
    min_runs: int = 10,
) -> dict[str, Any]:
    """The current per-job timeouts, the recommended value, and what it rests on.

    Run durations include every job of the run, so the value is generous for a single job.
    """
    # A run GitHub reports as longer than a job's 360-minute ceiling was touched again later (a
    # re-run, an edited check): its duration says nothing about how long the jobs take.
    credible = [d for d in successful_durations_seconds if 0 < d <= DEFAULT_TIMEOUT_MINUTES * 60]
    durations = np.asarray(credible, dtype=float)
    ignored = sum(1 for d in successful_durations_seconds if d > DEFAULT_TIMEOUT_MINUTES * 60)
    missing = sorted(job for job, minutes in job_timeouts.items() if minutes is None)
    out: dict[str, Any] = {
        "jobs": dict(job_timeouts),
        "jobs_without_timeout": missing,
        "default_minutes": DEFAULT_TIMEOUT_MINUTES,
        "recommended_minutes": None,
        "basis": None,
        "warnings": [],
    }
    if missing:
        out["warnings"].append(
            f"Jobs without timeout-minutes (GitHub stops them only after {DEFAULT_TIMEOUT_MINUTES} min): {', '.join(missing)}"
        )
    if len(durations) < min_runs:
        out["basis"] = f"too few successful runs to recommend a timeout ({len(durations)} < {min_runs})"
        return out
    p99 = float(np.quantile(durations, 0.99)) / 60.0
    minutes = max(round_to_minutes, int(math.ceil(p99 * (1 + margin) / round_to_minutes) * round_to_minutes))
    minutes = min(minutes, DEFAULT_TIMEOUT_MINUTES)
    out["recommended_minutes"] = minutes
    out["basis"] = (
        f"p99 of {len(durations)} successful runs is {p99:.1f} min; +{margin:.0%} margin, rounded up to {round_to_minutes} min"
        + (f" ({ignored} runs longer than {DEFAULT_TIMEOUT_MINUTES} min ignored)" if ignored else "")
    )
    set_values = [m for m in job_timeouts.values() if m is not None]
    if set_values and min(set_values) < p99:
        out["warnings"].append(
            f"timeout-minutes {min(set_values):g} is below the p99 of successful runs ({p99:.1f} min): "
            "slow good runs get cancelled"
        )
    return out
