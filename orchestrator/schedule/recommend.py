"""The core of the schedule recommender: workflow files + run history → recommendations.

For each scheduled workflow (longest runs first, so the hardest to place choose first) every
frequency-preserving rotation of each cron entry is scored on the UTC week (see
:mod:`.scoring`) against the repository's busy hours and the other workflows' planned windows;
the cheapest wins if it saves at least ``Weights.min_improvement``, else the schedule is kept.
Confidence is the share of bootstrap resamples of the history in which the decision holds,
scaled by data volume.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..cost.estimate import run_cost
from ..cost.rates import RateTable
from ..errors import UsageError, ValidationError
from ..learn.delay import ScheduleDelayModel
from ..model import SUCCESS, RunRecord, format_time
from .conflicts import WorkflowWindows, find_conflicts
from .plan import WorkflowPlan, choose, delay_grids, entry_occupancy, plan_workflow
from .results import result_for
from .failure import FailureModel
from .forecast import failure_grid, model_levels
from .scoring import BUSY_EVENTS, WEEK_MINUTES, BusyOccupancy, Weights, cost_table
from .slots import DurationShape
from .timeouts import recommend_timeout
from .workflows import WorkflowFile, read_workflows

__all__ = ["recommend", "schedule_timezones", "DEFAULT_BOOTSTRAP"]

#: Bootstrap resamples behind each confidence figure.
DEFAULT_BOOTSTRAP = 40


def recommend(
    runs: Sequence[RunRecord],
    workflows_dir: Path,
    repository: str | None = None,
    now: datetime | None = None,
    weights: Weights | None = None,
    predictor: Any = None,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    extra_files: Sequence[WorkflowFile] = (),
    rates: RateTable | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """Recommend a schedule for every scheduled workflow in ``workflows_dir``; JSON-able result.

    ``runs`` may hold several repositories: the delay model pools all of them, everything else
    uses ``repository`` (inferred when the runs hold exactly one). ``predictor`` is the learning
    stage's fitted predictor (``predict_runs``/``describe``); without it durations come from the
    workflow's own history. ``extra_files`` are planned as if they were in the directory (a
    schedule inferred from the history when the file is not at hand). Problems with single
    files are listed in ``errors``, not raised. ``rates`` prices each slot's expected run (the
    shipped table by default; ``public``: standard runners are free).
    """
    weights = weights or Weights()
    if now is not None and now.tzinfo is None:
        raise ValidationError("now", now.isoformat(), "a time with a zone, e.g. 2025-01-31T09:30:00Z")
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    files, file_errors = read_workflows(Path(workflows_dir))
    files = [*files, *extra_files]
    repo = _repository(runs, repository)
    completed = [r for r in _unique(runs) if r.completed and r.created_at <= now]
    repo_runs = [r for r in completed if r.repository == repo]
    failure = FailureModel(prior_strength=weights.prior_strength).fit(repo_runs, now)
    busy_model = BusyOccupancy([r for r in repo_runs if r.event in BUSY_EVENTS])
    busy, busy_runs = busy_model.occupancy, busy_model.runs
    shape = DurationShape(weights.prior_strength).fit(repo_runs)
    scheduled_files = [f for f in files if f.schedules]
    histories = {f.path: _history_of(f, repo_runs) for f in scheduled_files}
    keys = {f.path: _workflow_key(histories[f.path], repo, f.path) for f in scheduled_files}
    levels, model_note = model_levels(
        predictor, {keys[f.path]: f.schedules[0] for f in scheduled_files if histories[f.path]}, now
    )
    plans = [
        plan_workflow(f, keys[f.path], histories[f.path], shape, levels.get(keys[f.path]), model_note, now)
        for f in scheduled_files
    ]
    delay = ScheduleDelayModel(prior_strength=weights.prior_strength).fit([o for p in plans for o in p.observations])
    cold = failure.n_runs_ < weights.cold_start_runs
    delay_grid, drop_grid = delay_grids(delay)
    samples = [] if cold else _resamples(failure, delay, busy_model, shape, bootstrap, seed)

    placed = {(p.file.path, i): entry_occupancy(e, p, delay_grid, drop_grid) for p in plans for i, e in enumerate(p.entries)}
    current_windows = _windows(plans, placed)
    total = busy + sum(placed.values(), np.zeros(WEEK_MINUTES))
    for plan in sorted(plans, key=lambda p: (-float(np.median(p.p90)), p.file.path)):
        for index, entry in enumerate(plan.entries):
            own = (plan.file.path, index)
            entry.others = total - placed[own]  # every other run, the workflow's other entries included
            entry.tables = cost_table(
                weights, failure_grid(failure, plan.key, plan.level), delay_grid, drop_grid, plan.p50, plan.p90, entry.others
            )
            choose(entry, plan, weights, cold or not plan.runs, busy_runs > 0,
                   _resampled_tables(samples, plan, entry, busy, weights), failure.hour_evidence)
            moved = entry_occupancy(entry, plan, delay_grid, drop_grid)
            total += moved - placed[own]
            placed[own] = moved

    confidence = _confidence(plans, failure, weights, len(samples))
    planned_windows = _windows(plans, placed)
    conflicts_now, conflicts_after = find_conflicts(current_windows), find_conflicts(planned_windows)
    last_activity = max((r.created_at for r in repo_runs if r.event != "schedule"), default=None)
    history_start = min((r.created_at for r in repo_runs), default=None)
    recommendations = [
        result_for(
            p,
            failure,
            delay,
            busy,
            weights,
            predictor,
            cold or not p.runs,
            confidence[p.file.path],
            conflicts_now,
            conflicts_after,
            last_activity,
            history_start,
            now,
        )
        for p in plans
    ]
    table = rates or RateTable.load()
    for plan, rec in zip(plans, recommendations):
        _price(rec, plan, table, public)
    unscheduled = [
        {
            "workflow": f.name,
            "path": f.path,
            "timeout_minutes": recommend_timeout(
                [r.duration_seconds for r in _history_of(f, repo_runs) if r.outcome == SUCCESS], f.job_timeouts
            ),
        }
        for f in files
        if not f.schedules
    ]
    return {
        "repository": repo,
        "generated_at": format_time(now),
        "weights": weights.to_dict(),
        "cold_start": cold,
        "recommendations": recommendations,
        "conflicts": conflicts_now,
        "conflicts_after": conflicts_after,
        "unscheduled": unscheduled,
        "errors": [e.to_dict() for e in file_errors],
        "hourly_success": failure.hour_stats(),
        "minute_delays": delay.minute_profile(),
        "busy_hours": [{"hour": h, "active_runs": round(float(busy.reshape(7, 24, 60)[:, h].mean()), 3)} for h in range(24)],
    }


def _price(rec: dict[str, Any], plan: WorkflowPlan, table: RateTable, public: bool) -> None:
    """``cost_per_run`` of each slot's next run (the figure follows the slot, as durations do),
    from the workflow's runs with measured jobs when it has any."""
    file = plan.file
    measured = [r for r in plan.runs if r.jobs is not None]
    for slot in rec["slot_forecasts"].values():
        at = datetime.fromisoformat(slot["at"].replace("Z", "+00:00")).date() if slot.get("at") else None
        slot["cost_per_run"] = run_cost(slot["expected_duration_seconds"], file.job_runners, at, table, public, measured) if at else None
    rec["cost_per_run"] = rec["slot_forecasts"]["recommended"]["cost_per_run"]
    rec["runners"] = {job: list(labels) for job, labels in sorted(file.job_runners.items())}


# ----- history and plans ----------------------------------------------------------------------
def schedule_timezones(runs: Sequence[RunRecord], workflows_dir: Path, repository: str | None = None) -> dict[str, str]:
    """Store key → IANA zone, for each workflow in ``workflows_dir`` with history whose schedule
    names a ``timezone:`` (the first one named, when its crons differ).

    The learning stage reads such a workflow's hour and weekday on that clock. The files are
    ``repository``'s (inferred when the runs hold one; with several and none named, nothing can
    be matched and ``{}`` is returned). Unreadable files are skipped; :func:`recommend` reports them.
    """
    names = {r.repository for r in runs}
    repo = repository or (next(iter(names)) if len(names) == 1 else None)
    if repo is None or not Path(workflows_dir).is_dir():
        return {}
    files, _ = read_workflows(Path(workflows_dir))
    repo_runs = [r for r in runs if r.repository == repo]
    zones: dict[str, str] = {}
    for file in files:
        zone = next((cron.timezone for cron in file.schedules if cron.timezone), None)
        history = _history_of(file, repo_runs) if zone else []
        if history:
            zones[_workflow_key(history, None, file.path)] = str(zone)
    return zones


def _repository(runs: Sequence[RunRecord], repository: str | None) -> str | None:
    if repository:
        return repository
    names = {r.repository for r in runs}
    if len(names) > 1:
        raise UsageError(f"the history holds {len(names)} repositories; pass --repo OWNER/NAME to say which one")
    return next(iter(names), None)


def _unique(runs: Sequence[RunRecord]) -> list[RunRecord]:
    """One record per ``(id, attempt)``, the newest ``updated_at`` winning, as the store merges;
    overlapping imports would otherwise count a run twice and look like a stray second run."""
    latest: dict[tuple[int, int], RunRecord] = {}
    for run in runs:
        kept = latest.get(run.key)
        if kept is None or run.updated_at > kept.updated_at:
            latest[run.key] = run
    return list(latest.values())


def _history_of(file: WorkflowFile, runs: Sequence[RunRecord]) -> list[RunRecord]:
    """Runs of this workflow: by path, or by name when the history has no paths (GHAminer).

    A workflow known by id has runs under several names (renames, Dependabot's titles): every
    run of an id that ran under the file's name belongs to it.
    """
    by_path = [r for r in runs if r.path == file.path]
    if by_path:
        return by_path
    keys = {r.workflow_key for r in runs if r.path is None and r.name == file.name}
    return [r for r in runs if r.path is None and r.workflow_key in keys]


def _workflow_key(history: Sequence[RunRecord], repo: str | None, path: str) -> str:
    """The store's key for the workflow (its runs' key; ``repo:path`` before it has run)."""
    if history:
        return Counter(r.workflow_key for r in history).most_common(1)[0][0]
    return f"{repo}:{path}" if repo else path


@dataclass
class _Resample:
    """Every data-driven model refitted on a week-block bootstrap resample of the history."""

    failure: FailureModel
    delay: np.ndarray
    drop: np.ndarray
    busy: np.ndarray
    shape: DurationShape


def _resamples(
    failure: FailureModel, delay: ScheduleDelayModel, busy: BusyOccupancy, shape: DurationShape, count: int, seed: int
) -> list[_Resample]:
    """``count`` resamples of every learned term: failure odds, delay and drops, busy hours and
    the duration shape (the round-minute prior is fixed and is not resampled)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        f_b, d_b = failure.resampled(rng), delay.resampled(rng)
        delay_b, drop_b = delay_grids(d_b)
        out.append(_Resample(f_b, delay_b, drop_b, busy.resampled(rng), shape.resampled(rng)))
    return out


def _resampled_tables(
    samples: Sequence[_Resample], plan: WorkflowPlan, entry: Any, busy: np.ndarray, weights: Weights
) -> list[np.ndarray]:
    """The entry's total cost table under each resample (other workflows' planned windows fixed)."""
    tables = []
    anchor = plan.level.at.hour if plan.level else None
    level50, level90 = (float(np.median(plan.p50)), float(np.median(plan.p90))) if anchor is None else (
        float(plan.p50[anchor]), float(plan.p90[anchor]))
    for s in samples:
        factor = s.shape.factor(plan.key)
        factor = factor / (np.median(factor) if anchor is None else factor[anchor])
        others = entry.others - busy + s.busy
        tables.append(
            cost_table(weights, failure_grid(s.failure, plan.key, plan.level), s.delay, s.drop, level50 * factor, level90 * factor, others)["total"]
        )
    return tables


def _confidence(
    plans: Sequence[WorkflowPlan], failure: FailureModel, weights: Weights, samples: int
) -> dict[str, dict[str, Any]]:
    """The probability that each decision is right: the share of bootstrap resamples in which it
    holds on the measured terms (``PlanEntry.holds``, the weakest entry counting), × volume."""
    volume = failure.n_runs_ / (failure.n_runs_ + weights.cold_start_runs)
    out: dict[str, dict[str, Any]] = {}
    for plan in plans:
        shares = [
            float(np.mean(entry.holds)) if entry.holds.size else (0.0 if samples else 1.0) for entry in plan.entries
        ]
        share = min(shares) if shares else 0.0
        out[plan.file.path] = {
            "value": round(share * volume, 2),
            "bootstrap_share": round(share, 3),
            "samples": samples,
            "volume": round(volume, 3),
            "runs": failure.n_runs_,
        }
    return out


def _windows(plans: Sequence[WorkflowPlan], placed: dict[tuple[str, int], np.ndarray]) -> list[WorkflowWindows]:
    """Each workflow's windows (all its cron entries together), for the conflict report."""
    return [
        WorkflowWindows(
            p.file.name,
            p.file.path,
            sum((placed[(p.file.path, i)] for i in range(len(p.entries))), np.zeros(WEEK_MINUTES)),
            p.file.concurrency_groups,
        )
        for p in plans
    ]
