"""Run records → one column-oriented pandas frame, the only input the learners read.

Times become float seconds since the epoch (UTC) so that "what was known before time t" is a
plain comparison and a ``searchsorted``; outcomes become 1 (success), 0 (failure) or NaN
(cancelled, skipped, still running), because only a verdict on the code is something to learn.
"""

from __future__ import annotations

from collections import Counter
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..model import FAILURE, SUCCESS, RunRecord

__all__ = ["runs_frame", "default_branches", "local_clock", "DEFAULT_BRANCH_NAMES", "MAX_RUN_SECONDS"]

#: GitHub cancels any workflow run after 35 days, so a longer span between ``created_at`` and
#: ``updated_at`` means the record was touched later (a re-run, log deletion) and measures nothing.
MAX_RUN_SECONDS = 35 * 24 * 3600

#: Branch names taken as the default when a workflow has no push or schedule run to tell.
DEFAULT_BRANCH_NAMES = ("main", "master")


def runs_frame(runs: Sequence[RunRecord]) -> pd.DataFrame:
    """Return one row per run attempt, sorted by creation time (then id, attempt).

    Columns: ``workflow``, ``created``, ``finished`` (epoch seconds; NaN while in progress),
    ``duration`` (NaN unless the run ended in success or failure, since a cancelled run's length
    says nothing about how long the work takes, and NaN beyond :data:`MAX_RUN_SECONDS`), ``success`` (1/0/NaN), ``event``, ``branch``,
    ``is_default`` (the workflow's default branch class), ``attempt``, ``cpu``, ``memory``.
    """
    outcomes = [r.outcome for r in runs]
    judged = np.array([o in (SUCCESS, FAILURE) for o in outcomes], dtype=bool)
    frame = pd.DataFrame(
        {
            "workflow": [r.workflow_key for r in runs],
            "id": np.array([r.id for r in runs], dtype=np.int64),
            "created": np.array([r.created_at.timestamp() for r in runs], dtype=float),
            "finished": np.array([r.updated_at.timestamp() for r in runs], dtype=float),
            "duration": np.array([r.duration_seconds for r in runs], dtype=float),
            "success": np.array([1.0 if o == SUCCESS else 0.0 for o in outcomes], dtype=float),
            "event": [r.event or "" for r in runs],
            "branch": [r.head_branch or "" for r in runs],
            "actor": [r.actor or "" for r in runs],
            "attempt": np.array([r.run_attempt for r in runs], dtype=float),
            "cpu": np.array([_usage(r, "cpu_percent") for r in runs], dtype=float),
            "memory": np.array([_usage(r, "memory_mb") for r in runs], dtype=float),
        }
    )
    frame.loc[~judged, ["duration", "success"]] = np.nan
    frame.loc[frame["duration"] > MAX_RUN_SECONDS, "duration"] = np.nan
    in_progress = np.array([not r.completed for r in runs], dtype=bool)
    frame.loc[in_progress, "finished"] = np.nan
    frame = frame.sort_values(["created", "id", "attempt"], kind="stable", ignore_index=True)
    defaults = default_branches(frame)
    frame["is_default"] = (frame["branch"] == frame["workflow"].map(defaults)).astype(float)
    return frame


def default_branches(frame: pd.DataFrame) -> dict[str, str]:
    """The default-branch class per workflow: its most common branch among push/schedule runs.

    Pull-request branches are many and short-lived; pushes and schedules run on the branch that
    matters. Without any, ``main`` or ``master`` (whichever occurs, ``main`` first) stands in.
    """
    result: dict[str, str] = {}
    pushed = frame[frame["event"].isin(("push", "schedule")) & (frame["branch"] != "")]
    for workflow, branches in pushed.groupby("workflow", sort=False)["branch"]:
        result[str(workflow)] = Counter(branches).most_common(1)[0][0]
    for workflow, branches in frame.groupby("workflow", sort=False)["branch"]:
        if workflow not in result:
            seen = set(branches)
            result[str(workflow)] = next((b for b in DEFAULT_BRANCH_NAMES if b in seen), DEFAULT_BRANCH_NAMES[0])
    return result


def local_clock(workflows: np.ndarray, times: np.ndarray,
                timezones: Mapping[str, str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hour of day (0-23) and day of week (0 = Monday) of each time, for its workflow.

    A workflow whose schedule names an IANA ``timezone:`` lives by that zone's clock (a 09:00
    Europe/Berlin job stays at 09:00 across daylight saving), so its hour and weekday are read
    there; every other workflow's in UTC, the zone GitHub evaluates a plain cron in.
    """
    times = np.asarray(times, dtype=float)
    hour = ((times // 3600) % 24).astype(np.int64)
    dow = (((times // 86400) + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
    for key, zone in (timezones or {}).items():
        mask = np.asarray(workflows, dtype=object) == key
        if mask.any():
            local = pd.to_datetime(times[mask], unit="s", utc=True).tz_convert(zone)
            hour[mask] = local.hour.to_numpy()
            dow[mask] = local.day_of_week.to_numpy()
    return hour, dow


def _usage(run: RunRecord, name: str) -> float:
    value = getattr(run.usage, name, None) if run.usage else None
    return float(value) if value is not None else np.nan
