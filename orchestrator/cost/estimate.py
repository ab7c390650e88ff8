"""What runs of a workflow cost: their jobs' runners, minutes and the day's rates.

Billing rules, as GitHub documents them: each job is rounded up to the whole minute; standard
GitHub-hosted runners are free in public repositories; self-hosted runners carry the rate
table's platform charge (0 by default).

Two sources of job minutes, and every answer says which it used (``estimated``, ``basis``):

* **measured**: runs whose jobs a sync fetched from the jobs API (``sync --jobs N``, one request
  per run, so only within a budget). Each job is priced on the runner the API names (a matrix's
  ``${{ matrix.os }}`` resolved) for its own minutes;
* **estimated** otherwise, from the run's duration and the workflow file's jobs, as if every job
  ran as long as the run: an upper bound for pipelines whose jobs run one after another.

A workflow's expected cost per run follows its measured runs when it has any (their job minutes
per SKU, scaled to the expected duration), and the estimate when not.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from ..model import JobTiming, RunRecord
from .rates import RateTable
from .runners import UNKNOWN, is_standard, sku_for

__all__ = ["job_minutes", "run_cost", "history_cost"]

#: Measured runs a workflow's expected cost per run is taken from (the newest ones).
MEASURED_SAMPLE = 20


def job_minutes(seconds: float) -> int:
    """Billed minutes of one job: rounded up to the whole minute (a job that ran bills at least 1)."""
    return max(1, math.ceil(max(float(seconds), 0.0) / 60.0 - 1e-9))


def _rate(labels: Sequence[str], on: date, table: RateTable, public: bool) -> tuple[str, float | None]:
    sku = sku_for(labels)
    if public and is_standard(labels):
        return sku, 0.0
    return sku, None if sku == UNKNOWN else table.rate(sku, on)


def _priced(minutes_by_job: Iterable[tuple[str, Sequence[str], float]], on: date, table: RateTable,
            public: bool) -> dict[str, Any]:
    """USD of jobs given as ``(name, labels, billed minutes)``; unpriced ones named, not guessed."""
    usd, by_sku, minutes_by_sku, unknown, minutes, jobs = 0.0, defaultdict(float), defaultdict(float), [], 0.0, 0
    for name, labels, billed in minutes_by_job:
        jobs += 1
        minutes += billed
        sku, rate = _rate(labels, on, table, public)
        minutes_by_sku[sku] += billed
        if rate is None:
            unknown.append(name)
            continue
        usd += billed * rate
        by_sku[sku] += billed * rate
    return {"usd": round(usd, 6), "minutes": round(minutes, 1), "jobs": jobs,
            "by_sku": {k: round(v, 6) for k, v in sorted(by_sku.items())},
            "minutes_by_sku": {k: round(v, 1) for k, v in sorted(minutes_by_sku.items())},
            "unpriced_jobs": unknown, "public": public}


def _measured_minutes(jobs: Sequence[JobTiming]) -> list[tuple[str, Sequence[str], float]]:
    return [(", ".join(j.labels) or "(no labels)", j.labels, float(job_minutes(j.seconds))) for j in jobs]


def run_cost(
    duration_seconds: float | None,
    job_labels: Mapping[str, Sequence[str]],
    on: date,
    table: RateTable,
    public: bool = False,
    measured: Sequence[RunRecord] = (),
) -> dict[str, Any] | None:
    """Expected USD and minutes of a run lasting ``duration_seconds``, priced on day ``on``.

    From the workflow's ``measured`` runs (those with jobs) when there are any: their mean billed
    minutes per runner, scaled by the expected duration over their median one (the expected
    duration is a median too, so a slot as fast as those runs costs what they cost on average).
    Otherwise estimated from the file's jobs (``runs-on`` labels). ``None`` when the duration or
    the jobs are unknown.
    """
    # A measured run where every job was skipped (``jobs == ()``) counts: it cost nothing.
    sample = sorted((r for r in measured if r.jobs is not None), key=lambda r: r.created_at, reverse=True)[:MEASURED_SAMPLE]
    if duration_seconds is None or not (job_labels or sample):
        return None
    if sample:
        typical = statistics.median(r.duration_seconds for r in sample)
        scale = duration_seconds / typical if typical > 0 else 1.0
        by_labels: dict[tuple[str, ...], float] = defaultdict(float)
        for run in sample:
            for _name, labels, billed in _measured_minutes(run.jobs or ()):
                by_labels[tuple(labels)] += billed / len(sample)
        out = _priced(((", ".join(k) or "(no labels)", k, v * scale) for k, v in sorted(by_labels.items())), on, table, public)
        out["jobs"] = round(sum(len(r.jobs or ()) for r in sample) / len(sample), 1)
        return {**out, "estimated": False, "measured_runs": len(sample),
                "basis": (f"job minutes measured through the jobs API on {len(sample)} run{'s' if len(sample) != 1 else ''} "
                          f"(each job rounded up to the minute), scaled to the expected duration, priced on {on.isoformat()}"
                          f"{'; standard runners are free in public repositories' if public else ''}")}
    minutes = job_minutes(duration_seconds)
    out = _priced(((job, labels, float(minutes)) for job, labels in sorted(job_labels.items())), on, table, public)
    return {**out, "estimated": True, "measured_runs": 0,
            "basis": (f"{len(job_labels)} job{'s' if len(job_labels) != 1 else ''} × {minutes} min each (the run's "
                      "duration rounded up; job minutes are estimated, not fetched), priced on "
                      f"{on.isoformat()}{'; standard runners are free in public repositories' if public else ''}")}


def history_cost(runs: Sequence[RunRecord], job_labels: Mapping[str, Sequence[str]], table: RateTable,
                 public: bool = False, days: int = 30) -> dict[str, Any] | None:
    """What the completed runs of the last ``days`` days of history cost (each priced on its own
    day, from its measured jobs when it has them), with the minutes spent on failed runs; ``None``
    with nothing to price."""
    done = [r for r in runs if r.completed]
    if not done or not (job_labels or any(r.jobs is not None for r in done)):
        return None
    end = max(r.created_at for r in done)
    recent = [r for r in done if (end - r.created_at).days < days]
    priced = []
    for run in recent:
        if run.jobs is not None:
            priced.append((run, _priced(_measured_minutes(run.jobs), run.created_at.date(), table, public)))
        elif job_labels:
            cost = run_cost(run.duration_seconds, job_labels, run.created_at.date(), table, public)
            priced.append((run, cost))
    measured = sum(1 for r, _ in priced if r.jobs is not None)
    usd = sum(c["usd"] for _, c in priced if c)
    minutes = sum(c["minutes"] for _, c in priced if c)
    wasted = sum(c["minutes"] for r, c in priced if c and r.outcome == "failure")
    return {
        "days": days, "runs": len(recent), "usd": round(usd, 4), "minutes": round(minutes, 1),
        "usd_per_run": round(usd / len(priced), 6) if priced else None,
        "minutes_on_failed_runs": round(wasted, 1), "public": public,
        "measured_runs": measured, "estimated": measured < len(recent),
        "unpriced_jobs": sorted({job for _, c in priced if c for job in c["unpriced_jobs"]}),
        "basis": (f"the last {days} days of history: {measured} run{'s' if measured != 1 else ''} priced from the jobs "
                  f"API's job minutes, {len(priced) - measured} estimated (every job billed as long as the run, "
                  "rounded up to the minute)"
                  + (f"; {len(recent) - len(priced)} unpriced (not measured, and no workflow file)" if len(priced) < len(recent) else "")),
    }
