"""The expected cost of one run of a workflow: its jobs' runners, minutes and the day's rates.

Billing rules, as GitHub documents them: each job is rounded up to the whole minute; standard
GitHub-hosted runners are free in public repositories; self-hosted runners carry the rate
table's platform charge (0 by default). Job-level minutes would need the jobs API (one call per
run), so the minutes are *estimated* from the run's duration and the workflow's job count, as if
every job ran as long as the run (an upper bound for pipelines whose jobs run one after another),
and the answer says so.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Mapping, Sequence

from .rates import RateTable
from .runners import STANDARD, UNKNOWN, sku_for

__all__ = ["job_minutes", "run_cost", "history_cost"]


def job_minutes(seconds: float) -> int:
    """Billed minutes of one job: rounded up to the whole minute (a job that ran bills at least 1)."""
    return max(1, math.ceil(max(float(seconds), 0.0) / 60.0 - 1e-9))


def run_cost(
    duration_seconds: float | None,
    job_labels: Mapping[str, Sequence[str]],
    on: date,
    table: RateTable,
    public: bool = False,
) -> dict[str, Any] | None:
    """USD and minutes of a run lasting ``duration_seconds`` whose jobs have these ``runs-on``
    labels, priced on day ``on``; ``None`` when the duration or the jobs are unknown."""
    if duration_seconds is None or not job_labels:
        return None
    minutes = job_minutes(duration_seconds)
    usd, by_sku, unknown = 0.0, {}, []
    for job, labels in sorted(job_labels.items()):
        sku = sku_for(labels)
        rate = 0.0 if public and sku in STANDARD else (None if sku == UNKNOWN else table.rate(sku, on))
        if rate is None:
            unknown.append(job)
            continue
        usd += minutes * rate
        by_sku[sku] = round(by_sku.get(sku, 0.0) + minutes * rate, 6)
    return {
        "usd": round(usd, 6),
        "minutes": minutes * len(job_labels),
        "jobs": len(job_labels),
        "by_sku": by_sku,
        "unpriced_jobs": unknown,
        "public": public,
        "estimated": True,
        "basis": (f"{len(job_labels)} job{'s' if len(job_labels) != 1 else ''} × {minutes} min each (the run's "
                  "duration rounded up; job minutes are estimated, not fetched), priced on "
                  f"{on.isoformat()}{'; standard runners are free in public repositories' if public else ''}"),
    }


def history_cost(runs: Sequence[Any], job_labels: Mapping[str, Sequence[str]], table: RateTable,
                 public: bool = False, days: int = 30) -> dict[str, Any] | None:
    """What the completed runs of the last ``days`` days of history cost (each priced on its own
    day), with the minutes spent on failed runs; ``None`` without jobs or runs to price."""
    done = [r for r in runs if getattr(r, "completed", False)]
    if not job_labels or not done:
        return None
    end = max(r.created_at for r in done)
    recent = [r for r in done if (end - r.created_at).days < days]
    priced = [(r, run_cost(r.duration_seconds, job_labels, r.created_at.date(), table, public)) for r in recent]
    usd = sum(c["usd"] for _, c in priced if c)
    minutes = sum(c["minutes"] for _, c in priced if c)
    wasted = sum(c["minutes"] for r, c in priced if c and r.outcome == "failure")
    return {
        "days": days, "runs": len(recent), "usd": round(usd, 4), "minutes": minutes,
        "usd_per_run": round(usd / len(recent), 6) if recent else None,
        "minutes_on_failed_runs": wasted, "public": public, "estimated": True,
        "basis": f"the last {days} days of history, each run's jobs billed as long as the run, rounded up to the minute",
    }
