"""``org report``: many per-repository reports merged into one organisation report.

Each ``*.json`` file found (recursively) under the given directories is one repository's report,
as ``org run`` writes them::

    {"repository": "o/a", "generated_at": "...", "visibility": "private" | "public" | null,
     "error": null | {"kind": ..., "message": ...}, "sync": {...} | null,
     "recommend": <the data of ``recommend``> | null}

:func:`merge_reports` reads them (a corrupt file is named under ``errors`` and skipped, the
others go on) and works out, across the organisation:

* ``repositories``: how many, every one named, the failed ones with their reason;
* ``scheduled_runs``: runs per day by UTC hour before and after the recommendations, overall and
  per runner label group (a job's ``runs-on`` labels, normalised and joined: ``self-hosted,linux``),
  with the share of ticks at minute :00 (the top-of-hour pile-up GitHub's queue suffers from);
* ``attention``: the workflows that fail most, that have liveness warnings (dropped ticks, a
  schedule that stopped, a workflow GitHub reports disabled), and that have jobs without
  ``timeout-minutes``;
* ``cost``: expected USD per 30 days by repository, workflow and runner SKU, and the minutes
  expected to be spent on failed runs; each workflow's figure is measured (its jobs fetched) or
  estimated, and says which (``cost_basis``);
* ``conflicts``: workflows of *different* repositories whose jobs share a self-hosted runner
  group (the same label set) and whose run windows (tick to tick + p90 duration) overlap on the
  reference week after the recommendations;
* ``workflows``: one row per scheduled workflow (the CSV's rows).

Tick counting: every cron is expanded with :meth:`orchestrator.schedule.Cron.ticks` over a fixed
reference week (Monday 2025-01-06 00:00 UTC; a cron with a day-of-month or month restriction over
52 weeks from then) and averaged per day; runs per 30 days are the same count scaled to 30 days.
The hours are UTC: GitHub's scheduler and runner pools see UTC, whatever ``timezone:`` says.

:func:`render_markdown` writes the job summary (every repository-derived string escaped through
:mod:`orchestrator.report.markdown`, tables cut at :data:`MAX_TABLE_ROWS` with a line saying how
many more rows the CSV/JSON hold, the whole kept under GitHub's 1 MiB step summary limit);
:func:`write_csv` the one-row-per-workflow CSV (formula injection neutralised);
:func:`report_response` is the CLI's ``org report DIR... [--out FILE] [--csv FILE]``.
"""

from __future__ import annotations

import csv as _csv
import json
import math
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..action.outputs import MAX_SUMMARY_BYTES, fit_summary
from ..cost.rates import SELF_HOSTED
from ..cost.runners import sku_for
from ..errors import NotAvailable, OrchestratorError, ValidationError
from ..report.markdown import code, details, html, md, table

if TYPE_CHECKING:
    from ..api import APIResponse

__all__ = [
    "CSV_COLUMNS",
    "MAX_TABLE_ROWS",
    "REFERENCE_START",
    "find_report_files",
    "merge_reports",
    "render_markdown",
    "write_csv",
    "report_response",
    "runner_group",
    "safe_cell",
]

#: The Monday the ticks are counted from; any fixed week works, it only anchors the crons.
REFERENCE_START = datetime(2025, 1, 6, tzinfo=timezone.utc)
WEEK_SECONDS = 7 * 86400
#: A cron restricted by day of month or month is averaged over this many days instead of a week.
LONG_WINDOW_DAYS = 364
#: A run window's length when a workflow has no duration figure yet.
DEFAULT_WINDOW_SECONDS = 300.0
#: Rows per Markdown table; the rest are in the CSV and the JSON report.
MAX_TABLE_ROWS = 100
#: "Fails most": predicted success below this (more than one run in 20 fails).
FAILING_BELOW = 0.95
#: The JSON keeps at most this many conflict pairs (largest overlap first); ``count`` has them all.
MAX_CONFLICT_PAIRS = 10_000

CSV_COLUMNS = (
    "repository", "workflow", "path", "current_schedule", "recommended_schedule", "change", "confidence",
    "predicted_success_rate", "expected_duration_seconds", "runs_per_30_days", "cost_per_run_usd",
    "cost_per_30_days_usd", "cost_basis", "wasted_minutes_per_30_days", "runner_skus", "jobs_without_timeout",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESTIMATE_NOTE = (
    "Cost is each workflow's expected cost per run times the runs its crons schedule per 30 days. A workflow "
    "whose jobs were measured through the jobs API (`org run --jobs N`) is priced job by job on the runners "
    "GitHub names; the others are estimated, every job billed as long as the run. Each job is rounded up to the "
    "minute at the rate table's price for its runner on the day of the next run; standard runners are free in "
    "public repositories. Wasted minutes are (1 − predicted success) × job minutes per run × runs per 30 days."
)


# ----- reading ------------------------------------------------------------------------------
def find_report_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every ``*.json`` file under ``paths`` (directories searched recursively, symlinked
    directories not followed; a file given by name is taken as it is), each once, sorted."""
    found: dict[str, Path] = {}
    for given in paths:
        root = Path(given)
        if root.is_file():
            found.setdefault(os.path.realpath(root), root)
            continue
        for folder, subfolders, files in os.walk(root):
            subfolders.sort()
            for name in sorted(files):
                if name.lower().endswith(".json"):
                    path = Path(folder) / name
                    found.setdefault(os.path.realpath(path), path)
    return sorted(found.values(), key=str)


def _load(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The report in ``path``, or why it cannot be used."""
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:
        return None, "JSON nested too deeply"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not a repository report object"
    repository = value.get("repository")
    if not isinstance(repository, str) or not repository.strip():
        return None, "no \"repository\" name: not a repository report"
    return _slim(value), None


#: The fields of a recommendation the organisation report reads; the rest (reasoning, forecasts,
#: scores) is dropped on reading, so a thousand repositories' reports fit in memory at once.
_REC_FIELDS = ("workflow", "path", "current_schedule", "recommended_schedule", "recommended_schedules", "timezone",
               "change", "confidence", "predicted_success_rate", "expected_duration_seconds", "duration_p90_seconds",
               "cost_per_run", "runners")


def _slim(report: dict[str, Any]) -> dict[str, Any]:
    data = report.get("recommend")
    if isinstance(data, Mapping):
        recs = []
        for rec in data.get("recommendations") or []:
            if isinstance(rec, Mapping):
                slim = {k: rec[k] for k in _REC_FIELDS if k in rec}
                slim["liveness"] = {"warnings": _mapping(rec.get("liveness")).get("warnings")}
                slim["timeout_minutes"] = {"jobs_without_timeout": _mapping(rec.get("timeout_minutes")).get("jobs_without_timeout")}
                recs.append(slim)
        data = {"recommendations": recs}
    return {"repository": report["repository"], "generated_at": report.get("generated_at"),
            "visibility": report.get("visibility"), "error": report.get("error"),
            "disabled": _disabled(report.get("sync")), "synced": isinstance(report.get("sync"), Mapping),
            "recommend": data}


# ----- ticks --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Ticks:
    """One cron's ticks on the reference window, in UTC."""

    days: int
    per_hour: tuple[int, ...]  # ticks per UTC hour over ``days``
    at_zero: int  # ticks at minute :00
    total: int
    week: tuple[int, ...]  # seconds from REFERENCE_START of the first week's ticks


_TICKS: dict[tuple[str, str | None], _Ticks | str] = {}


def _ticks(expression: str, zone: str | None) -> _Ticks | str:
    """The ticks of one cron (cached: organisations repeat their crons), or why it has none."""
    key = (expression, zone)
    cached = _TICKS.get(key)
    if cached is not None:
        return cached
    from ..schedule.cron import Cron

    try:
        cron = Cron.parse(expression, zone)
        days = 7 if cron.weekly_periodic else LONG_WINDOW_DAYS
        ticks = cron.ticks(REFERENCE_START, REFERENCE_START + timedelta(days=days))
    except OrchestratorError as exc:
        result: _Ticks | str = str(exc)
    except (KeyError, ValueError) as exc:  # an unknown time zone
        result = f"time zone {zone!r} is not known ({type(exc).__name__})"
    else:
        per_hour = [0] * 24
        at_zero = 0
        week = []
        for tick in ticks:
            per_hour[tick.hour] += 1
            at_zero += tick.minute == 0
            offset = int((tick - REFERENCE_START).total_seconds())
            if offset < WEEK_SECONDS:
                week.append(offset)
        result = _Ticks(days, tuple(per_hour), at_zero, len(ticks), tuple(week))
    _TICKS[key] = result
    return result


@dataclass
class _Plan:
    """A workflow's schedule (current or after the recommendation) reduced to what is summed."""

    per_hour: list[float]  # runs per day by UTC hour
    at_zero: float  # runs per day at minute :00
    per_day: float
    week: list[int]  # tick offsets on the reference week
    problems: list[str]


def _plan(crons: Sequence[str], zone: str | None) -> _Plan:
    per_hour, at_zero, per_day, week, problems = [0.0] * 24, 0.0, 0.0, [], []
    for expression in crons:
        found = _ticks(str(expression), zone)
        if isinstance(found, str):
            problems.append(f"cron {expression!r} skipped: {found}")
            continue
        for hour, count in enumerate(found.per_hour):
            per_hour[hour] += count / found.days
        at_zero += found.at_zero / found.days
        per_day += found.total / found.days
        week.extend(found.week)
    return _Plan(per_hour, at_zero, per_day, sorted(week), problems)


# ----- helpers ------------------------------------------------------------------------------
def runner_group(labels: Sequence[Any]) -> str:
    """A job's ``runs-on`` labels as one group name: lower-cased, each once, ``self-hosted`` first
    and the rest sorted (GitHub matches labels as a set, whatever their order or case)."""
    seen: list[str] = []
    for label in labels:
        text = str(label).strip().lower()
        if text and text not in seen:
            seen.append(text)
    rest = sorted(v for v in seen if v != SELF_HOSTED)
    return ",".join(([SELF_HOSTED] if SELF_HOSTED in seen else []) + rest) or "(none)"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and not isinstance(v, (dict, list))]
    return []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def _disabled(sync: Any) -> dict[str, str]:
    """path (or name) → state, of the workflows GitHub reports disabled in the report's sync."""
    out: dict[str, str] = {}
    for item in _mapping(sync).get("workflows") or []:
        if isinstance(item, Mapping) and str(item.get("state", "")).startswith("disabled"):
            out[str(item.get("path") or item.get("name") or "?")] = str(item["state"])
    return out


# ----- one workflow -------------------------------------------------------------------------
def _workflow_row(repository: str, visibility: Any, rec: Mapping[str, Any], disabled: Mapping[str, str]) -> dict[str, Any]:
    """One scheduled workflow's figures, as the CSV and the tables show them (``_plans`` aside)."""
    zone = rec.get("timezone") if isinstance(rec.get("timezone"), str) and rec.get("timezone") != "UTC" else None
    current = _strings(rec.get("current_schedule"))
    change = rec.get("change") is True
    after_crons = _strings(rec.get("recommended_schedules")) or _strings(rec.get("recommended_schedule"))
    after = after_crons if change and after_crons else current
    before_plan, after_plan = _plan(current, zone), _plan(after, zone)
    runs_30 = before_plan.per_day * 30

    cost = _mapping(rec.get("cost_per_run"))
    usd = _number(cost.get("usd"))
    runners = {str(job): _strings(labels) for job, labels in _mapping(rec.get("runners")).items()}
    jobs = int(_number(cost.get("jobs")) or len(runners) or 1)
    minutes = _number(cost.get("minutes"))
    if minutes is None:  # no price: the expected duration, every job as long as the run
        expected = _number(rec.get("expected_duration_seconds"))
        minutes = None if expected is None else math.ceil(expected / 60 - 1e-9) * max(1, len(runners))
    success = _number(rec.get("predicted_success_rate"))
    wasted = None if success is None or minutes is None else (1 - success) * minutes * runs_30
    measured = cost.get("estimated") is False
    sku_usd = {str(sku): float(v) * runs_30 for sku, v in _mapping(cost.get("by_sku")).items() if _number(v) is not None}
    sku_minutes: dict[str, float] = defaultdict(float)
    for sku, value in _mapping(cost.get("minutes_by_sku")).items():
        if (v := _number(value)) is not None:
            sku_minutes[str(sku)] += v * runs_30
    per_job = (minutes / jobs) if minutes is not None and jobs else None
    if not sku_minutes and per_job is not None:  # a report of an older version: every job as long as the run
        for labels in runners.values():
            sku_minutes[sku_for(labels)] += per_job * runs_30
    # Measured jobs name the runners a matrix resolved to; the file's runs-on may not.
    skus = sorted(sku_minutes) if measured and sku_minutes else sorted({sku_for(labels) for labels in runners.values()})

    liveness = [str(w) for w in _mapping(rec.get("liveness")).get("warnings") or [] if w]
    path = str(rec.get("path") or "")
    state = disabled.get(path) or disabled.get(str(rec.get("workflow") or ""))
    if state:
        liveness.insert(0, f"GitHub reports the workflow {state}: its schedule does not run until it is enabled again")
    no_timeout = _strings(_mapping(rec.get("timeout_minutes")).get("jobs_without_timeout"))
    p90 = _number(rec.get("duration_p90_seconds")) or _number(rec.get("expected_duration_seconds"))
    return {
        "repository": repository,
        "visibility": visibility if visibility in ("public", "private") else None,
        "workflow": str(rec.get("workflow") or rec.get("path") or "?"),
        "path": path,
        "current_schedule": current,
        "recommended_schedule": after,
        "timezone": zone or "UTC",
        "change": change,
        "confidence": _round(_number(rec.get("confidence"))),
        "predicted_success_rate": _round(success),
        "expected_duration_seconds": _round(_number(rec.get("expected_duration_seconds")), 1),
        "duration_p90_seconds": _round(_number(rec.get("duration_p90_seconds")), 1),
        "runs_per_day": round(before_plan.per_day, 4),
        "runs_per_30_days": round(runs_30, 2),
        "cost_per_run_usd": _round(usd, 6),
        "cost_per_30_days_usd": None if usd is None else round(usd * runs_30, 4),
        "cost_basis": None if usd is None else "measured" if measured else "estimated",
        "job_minutes_per_run": minutes,
        "wasted_minutes_per_30_days": _round(wasted, 2),
        "unpriced_jobs": _strings(cost.get("unpriced_jobs")),
        "runner_skus": skus,
        "runner_groups": sorted({runner_group(labels) for labels in runners.values()}),
        "jobs_without_timeout": no_timeout,
        "liveness_warnings": liveness,
        "schedule_problems": sorted(set(before_plan.problems + after_plan.problems)),
        "_before": before_plan,
        "_after": after_plan,
        "_runners": runners,
        "_sku_usd": sku_usd,
        "_sku_minutes": dict(sku_minutes),
        "_window": p90 or DEFAULT_WINDOW_SECONDS,
    }


# ----- merging ------------------------------------------------------------------------------
def merge_reports(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """The organisation report of every repository report under ``paths`` (files or directories).

    A file that is not a readable report is named under ``errors`` and skipped; a repository
    reported twice keeps its newest report (``generated_at``), and the other is named too.
    """
    errors: list[dict[str, str]] = []
    reports: dict[str, tuple[dict[str, Any], Path]] = {}
    files = find_report_files(paths)
    for path in files:
        report, problem = _load(path)
        if report is None:
            errors.append({"file": str(path), "message": str(problem)})
            continue
        key = report["repository"].strip().lower()
        if key in reports:
            kept, kept_path = reports[key]
            newer = str(report.get("generated_at") or "") > str(kept.get("generated_at") or "")
            loser = kept_path if newer else path
            errors.append({"file": str(loser), "message": f"repository {report['repository']} is reported twice; "
                                                          f"kept the newer report, {newer and path or kept_path}"})
            if not newer:
                continue
        reports[key] = (report, path)

    repositories, failed, rows = [], [], []
    generated = []
    for report, path in sorted(reports.values(), key=lambda item: item[0]["repository"].lower()):
        name = report["repository"].strip()
        visibility = report.get("visibility") if report.get("visibility") in ("public", "private") else None
        error = report.get("error")
        data = report.get("recommend")
        if isinstance(report.get("generated_at"), str):
            generated.append(report["generated_at"])
        entry: dict[str, Any] = {"repository": name, "visibility": visibility, "file": str(path), "status": "ok",
                                 "workflows": 0, "changes": 0}
        if not error and data is None and report.get("synced"):
            # ``org run --sync-only``: the history was updated, nothing was recommended.
            entry.update(status="synced only")
            repositories.append(entry)
            continue
        if error or not isinstance(data, Mapping):
            error = _mapping(error)
            reason = {
                "repository": name,
                "kind": str(error.get("kind") or ("Error" if report.get("error") else "Incomplete")),
                "message": str(error.get("message") or (report.get("error") if report.get("error") else
                                                        "the report has neither recommendations nor an error")),
            }
            failed.append(reason)
            entry.update(status="failed", kind=reason["kind"])
            repositories.append(entry)
            continue
        disabled = report["disabled"]
        recs = [r for r in data.get("recommendations") or [] if isinstance(r, Mapping)]
        for rec in recs:
            rows.append(_workflow_row(name, visibility, rec, disabled))
        entry.update(workflows=len(recs), changes=sum(1 for r in recs if r.get("change") is True))
        repositories.append(entry)

    rows.sort(key=lambda r: (r["repository"].lower(), r["path"], r["workflow"]))
    result = {
        "generated_from": {"files": len(files), "reports": len(reports),
                           "newest_report": max(generated, default=None), "oldest_report": min(generated, default=None)},
        "reference_week": {"start": REFERENCE_START.strftime("%Y-%m-%dT%H:%M:%SZ"), "days": 7,
                           "note": "crons are counted in UTC on this week (52 weeks for day-of-month or month "
                                   "restrictions) and averaged per day"},
        "repositories": {
            "count": len(repositories),
            "succeeded": len(repositories) - len(failed),
            "failed_count": len(failed),
            "synced_only": sum(1 for r in repositories if r["status"] == "synced only"),
            "failed": failed,
            "names": [r["repository"] for r in repositories],
            "list": repositories,
        },
        "workflows_count": len(rows),
        "changes": sum(1 for r in rows if r["change"]),
        "scheduled_runs": _scheduled_runs(rows),
        "attention": _attention(rows),
        "cost": _cost(rows, repositories),
        "conflicts": _conflicts(rows),
        "schedule_problems": [{"repository": r["repository"], "workflow": r["workflow"], "message": p}
                              for r in rows for p in r["schedule_problems"]],
        "errors": errors,
        "workflows": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
    }
    return result


def _hours(before: Sequence[float], after: Sequence[float]) -> list[dict[str, Any]]:
    return [{"hour": h, "before": round(before[h], 3), "after": round(after[h], 3)} for h in range(24)]


def _scheduled_runs(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Runs per day by UTC hour, before and after, for all workflows and per runner group."""
    total = {"before": [0.0] * 24, "after": [0.0] * 24}
    zero = {"before": 0.0, "after": 0.0}
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        for side in ("before", "after"):
            plan: _Plan = row[f"_{side}"]
            for hour in range(24):
                total[side][hour] += plan.per_hour[hour]
            zero[side] += plan.at_zero
        for labels in row["_runners"].values():
            name = runner_group(labels)
            group = groups.setdefault(name, {
                "group": name, "self_hosted": name.split(",", 1)[0] == SELF_HOSTED,
                "sku": sku_for(labels), "repositories": set(), "workflows": set(), "jobs": 0,
                "before": [0.0] * 24, "after": [0.0] * 24, "zero_before": 0.0, "zero_after": 0.0,
            })
            group["repositories"].add(row["repository"])
            group["workflows"].add((row["repository"], row["path"], row["workflow"]))
            group["jobs"] += 1
            for side in ("before", "after"):
                plan = row[f"_{side}"]
                for hour in range(24):
                    group[side][hour] += plan.per_hour[hour]
                group[f"zero_{side}"] += plan.at_zero

    def figures(before: list[float], after: list[float], zero_before: float, zero_after: float) -> dict[str, Any]:
        per_day_before, per_day_after = sum(before), sum(after)
        peak_before = max(range(24), key=lambda h: before[h])
        peak_after = max(range(24), key=lambda h: after[h])
        return {
            "runs_per_day_before": round(per_day_before, 3),
            "runs_per_day_after": round(per_day_after, 3),
            "top_of_hour_share_before": _share(zero_before, per_day_before),
            "top_of_hour_share_after": _share(zero_after, per_day_after),
            "peak_hour_before": {"hour": peak_before, "runs_per_day": round(before[peak_before], 3)},
            "peak_hour_after": {"hour": peak_after, "runs_per_day": round(after[peak_after], 3)},
        }

    out_groups = []
    for group in sorted(groups.values(), key=lambda g: (-sum(g["before"]), g["group"])):
        out_groups.append({
            "group": group["group"], "self_hosted": group["self_hosted"], "sku": group["sku"],
            "repositories": len(group["repositories"]), "workflows": len(group["workflows"]), "jobs": group["jobs"],
            **figures(group["before"], group["after"], group["zero_before"], group["zero_after"]),
            "by_hour": _hours(group["before"], group["after"]),
        })
    return {
        "unit": "job runs per day for runner groups, workflow runs per day overall; UTC hours",
        **figures(total["before"], total["after"], zero["before"], zero["after"]),
        "by_hour": _hours(total["before"], total["after"]),
        "by_runner_group": out_groups,
    }


def _ref(row: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {"repository": row["repository"], "workflow": row["workflow"], "path": row["path"],
            **{k: row[k] for k in keys}}


def _attention(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    rated = [r for r in rows if r["predicted_success_rate"] is not None and r["predicted_success_rate"] < FAILING_BELOW]
    rated.sort(key=lambda r: (r["predicted_success_rate"], -(r["wasted_minutes_per_30_days"] or 0.0), r["repository"]))
    return {
        "failing_below": FAILING_BELOW,
        "failing": [_ref(r, "predicted_success_rate", "runs_per_30_days", "wasted_minutes_per_30_days") for r in rated],
        "liveness": [_ref(r, "liveness_warnings") for r in rows if r["liveness_warnings"]],
        "without_timeout": [_ref(r, "jobs_without_timeout", "runs_per_30_days") for r in rows if r["jobs_without_timeout"]],
    }


def _cost(rows: Sequence[Mapping[str, Any]], repositories: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    by_repo: dict[str, dict[str, Any]] = {
        r["repository"]: {"repository": r["repository"], "visibility": r["visibility"], "status": r["status"],
                          "workflows": r["workflows"], "changes": r["changes"], "runs_per_30_days": 0.0,
                          "usd_per_30_days": 0.0, "wasted_minutes_per_30_days": 0.0, "unpriced_workflows": 0}
        for r in repositories
    }
    by_sku: dict[str, dict[str, Any]] = {}
    total_usd = total_wasted = 0.0
    unpriced = 0
    for row in rows:
        repo = by_repo[row["repository"]]
        repo["runs_per_30_days"] += row["runs_per_30_days"]
        if row["cost_per_30_days_usd"] is None:
            repo["unpriced_workflows"] += 1
            unpriced += 1
        else:
            repo["usd_per_30_days"] += row["cost_per_30_days_usd"]
            total_usd += row["cost_per_30_days_usd"]
        if row["wasted_minutes_per_30_days"] is not None:
            repo["wasted_minutes_per_30_days"] += row["wasted_minutes_per_30_days"]
            total_wasted += row["wasted_minutes_per_30_days"]
        for sku in set(row["_sku_usd"]) | set(row["_sku_minutes"]):
            entry = by_sku.setdefault(sku, {"sku": sku, "usd_per_30_days": 0.0, "job_minutes_per_30_days": 0.0,
                                            "workflows": 0})
            entry["usd_per_30_days"] += row["_sku_usd"].get(sku, 0.0)
            entry["job_minutes_per_30_days"] += row["_sku_minutes"].get(sku, 0.0)
            entry["workflows"] += 1
    for entry in by_repo.values():
        for key in ("runs_per_30_days", "usd_per_30_days", "wasted_minutes_per_30_days"):
            entry[key] = round(entry[key], 2)
    for entry in by_sku.values():
        entry["usd_per_30_days"] = round(entry["usd_per_30_days"], 2)
        entry["job_minutes_per_30_days"] = round(entry["job_minutes_per_30_days"], 1)
    workflows = sorted((r for r in rows if r["cost_per_30_days_usd"] is not None),
                       key=lambda r: (-r["cost_per_30_days_usd"], r["repository"], r["path"]))
    priced = [r for r in rows if r["cost_basis"]]
    return {
        "estimated": any(r["cost_basis"] == "estimated" for r in priced),
        "measured_workflows": sum(1 for r in priced if r["cost_basis"] == "measured"),
        "estimated_workflows": sum(1 for r in priced if r["cost_basis"] == "estimated"),
        "note": _ESTIMATE_NOTE,
        "usd_per_30_days": round(total_usd, 2),
        "wasted_minutes_per_30_days": round(total_wasted, 1),
        "unpriced_workflows": unpriced,
        "by_repository": sorted(by_repo.values(), key=lambda r: (-r["usd_per_30_days"], r["repository"].lower())),
        "by_sku": sorted(by_sku.values(), key=lambda s: (-s["usd_per_30_days"], -s["job_minutes_per_30_days"], s["sku"])),
        "by_workflow": [_ref(r, "runs_per_30_days", "cost_per_run_usd", "cost_per_30_days_usd", "cost_basis",
                             "wasted_minutes_per_30_days", "runner_skus") for r in workflows],
    }


# ----- cross-repository conflicts on shared self-hosted runners -----------------------------
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


def _conflicts(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
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
        "workflows": [_ref(rows[a]), _ref(rows[b])],
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


# ----- Markdown -----------------------------------------------------------------------------
def _usd(value: Any) -> str:
    return "–" if _number(value) is None else f"${float(value):,.2f}"


def _pct(value: Any) -> str:
    return "–" if _number(value) is None else f"{100 * float(value):.0f}%"


def _num(value: Any, digits: int = 1) -> str:
    return "–" if _number(value) is None else f"{float(value):,.{digits}f}"


def _crons(crons: Sequence[str]) -> str:
    return "<br>".join(code(c) for c in crons[:6]) + (f" +{len(crons) - 6}" if len(crons) > 6 else "") or "–"


def _workflow_cell(ref: Mapping[str, Any]) -> str:
    return f"{md(ref['workflow'])}<br>{code(ref['path'])}" if ref.get("path") else md(ref["workflow"])


def _more(hidden: int, noun: str = "rows") -> str:
    return f"\n\n{hidden:,} more {noun} in the CSV/JSON report." if hidden > 0 else ""


def _capped(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str, noun: str = "rows") -> str:
    return table(headers, rows[:MAX_TABLE_ROWS], align) + _more(len(rows) - MAX_TABLE_ROWS, noun)


def _header(report: Mapping[str, Any]) -> str:
    repos, runs, cost, conflicts = (report["repositories"], report["scheduled_runs"], report["cost"],
                                    report["conflicts"])
    lines = ["## Workflow Orchestrator — organisation report"]
    failed = f" ({repos['failed_count']} failed)" if repos["failed_count"] else ""
    lines.append(
        f"**{repos['count']:,} repositories**{failed}, **{report['workflows_count']:,} scheduled workflows**, "
        f"**{report['changes']:,} should move**."
    )
    bullets = [
        f"- Scheduled runs at minute :00 UTC: **{_pct(runs['top_of_hour_share_before'])} → "
        f"{_pct(runs['top_of_hour_share_after'])}** of {_num(runs['runs_per_day_before'], 0)} runs per day; busiest hour "
        f"{runs['peak_hour_before']['hour']:02d}:00 ({_num(runs['peak_hour_before']['runs_per_day'])} runs) → "
        f"{runs['peak_hour_after']['hour']:02d}:00 ({_num(runs['peak_hour_after']['runs_per_day'])} runs).",
        f"- Estimated cost of scheduled runs: **{_usd(cost['usd_per_30_days'])} per 30 days**; about "
        f"**{_num(cost['wasted_minutes_per_30_days'], 0)} job minutes per 30 days** go to runs expected to fail.",
        f"- Cross-repository conflicts on shared self-hosted runners after the recommendations: "
        f"**{conflicts['count']:,}** (before: {conflicts['count_before']:,}).",
    ]
    lines.append("\n".join(bullets))
    if report["errors"]:
        items = "\n".join(f"> - {code(e['file'])}: {md(e['message'])}" for e in report["errors"][:MAX_TABLE_ROWS])
        lines.append(f"> [!WARNING]\n> {len(report['errors']):,} report file(s) could not be used:\n{items}"
                     + ("\n> …" if len(report["errors"]) > MAX_TABLE_ROWS else ""))
    if report["schedule_problems"]:
        lines.append(f"{len(report['schedule_problems']):,} cron entries could not be counted (see "
                     "`schedule_problems` in the JSON report).")
    return "\n\n".join(lines)


def _failed_section(report: Mapping[str, Any]) -> str:
    failed = report["repositories"]["failed"]
    if not failed:
        return ""
    rows = [[md(f["repository"]), md(f["kind"], 60), md(f["message"], 300)] for f in failed]
    return "### Repositories that failed\n\n" + _capped(["Repository", "Kind", "Reason"], rows, "lll", "failed repositories")


def _hour_chart(report: Mapping[str, Any]) -> str:
    runs = report["scheduled_runs"]
    hours = runs["by_hour"]
    rows = [[f"{h['hour']:02d}:00", _num(h["before"], 2), _num(h["after"], 2)] for h in hours]
    rows_md = table(["Hour (UTC)", "Runs per day now", "After the recommendations"], rows, "lrr")
    title = "Scheduled runs by hour (UTC)"
    intro = ("Workflow runs per day that the crons schedule in each UTC hour, averaged over the reference week: "
             "bars are the current schedules, the line is after the recommendations.")
    points = [h for h in hours if h["before"] > 0 or h["after"] > 0]
    if len(points) < 2:  # one bar is not a chart
        return f"### {title}\n\n{rows_md}" if points else ""
    axis = ", ".join(str(h["hour"]) for h in hours)
    before = ", ".join(f"{h['before']:.2f}" for h in hours)
    after = ", ".join(f"{h['after']:.2f}" for h in hours)
    body = (
        "xychart-beta\n"
        '    title "Scheduled runs per day by UTC hour: now (bars), after (line)"\n'
        f"    x-axis [{axis}]\n"
        '    y-axis "Runs per day"\n'
        f"    bar [{before}]\n"
        f"    line [{after}]"
    )
    return f"### {title}\n\n{intro}\n\n```mermaid\n{body}\n```\n\n" + details(html(f"{title} as a table"), rows_md)


def _groups_section(report: Mapping[str, Any]) -> str:
    groups = report["scheduled_runs"]["by_runner_group"]
    if not groups:
        return ""
    rows = [[
        code(g["group"]), "yes" if g["self_hosted"] else "no", str(g["repositories"]), str(g["workflows"]),
        _num(g["runs_per_day_before"]), f"{_pct(g['top_of_hour_share_before'])} → {_pct(g['top_of_hour_share_after'])}",
        f"{g['peak_hour_before']['hour']:02d}:00 ({_num(g['peak_hour_before']['runs_per_day'])}) → "
        f"{g['peak_hour_after']['hour']:02d}:00 ({_num(g['peak_hour_after']['runs_per_day'])})",
    ] for g in groups]
    return ("### Runner groups\n\nJob runs per day on each runner label set; the top-of-hour pile-up is the share "
            "of them scheduled at minute :00 UTC, now → after the recommendations.\n\n"
            + _capped(["Runner labels", "Self-hosted", "Repositories", "Workflows", "Job runs per day",
                       "At :00", "Busiest hour (runs)"], rows, "llrrrrl", "runner groups"))


def _cost_section(report: Mapping[str, Any]) -> str:
    cost = report["cost"]
    parts = [f"### Cost\n\n{md(cost['note'], 1000)}\n\n{cost['measured_workflows']:,} workflows priced from measured jobs, "
             f"{cost['estimated_workflows']:,} estimated."]
    if cost["unpriced_workflows"]:
        parts.append(f"{cost['unpriced_workflows']:,} workflows have no price (no duration yet, or runners the rate "
                     "table cannot name) and are left out of the dollar figures.")
    if cost["by_sku"]:
        rows = [[code(s["sku"]), _usd(s["usd_per_30_days"]), _num(s["job_minutes_per_30_days"], 0), str(s["workflows"])]
                for s in cost["by_sku"]]
        parts.append("#### By runner SKU\n\n" + _capped(["SKU", "USD per 30 days", "Job minutes per 30 days", "Workflows"],
                                                         rows, "lrrr", "SKUs"))
    repos = [r for r in cost["by_repository"] if r["status"] == "ok"]
    if repos:
        rows = [[md(r["repository"]), md(r["visibility"] or "–"), str(r["workflows"]), str(r["changes"]),
                 _num(r["runs_per_30_days"], 0), _usd(r["usd_per_30_days"]), _num(r["wasted_minutes_per_30_days"], 0)]
                for r in repos]
        parts.append("#### By repository\n\n" + _capped(
            ["Repository", "Visibility", "Scheduled workflows", "Should move", "Runs per 30 days", "USD per 30 days",
             "Minutes on failed runs"], rows, "llrrrrr", "repositories"))
    if cost["by_workflow"]:
        rows = [[md(w["repository"]), _workflow_cell(w), _num(w["runs_per_30_days"], 0), _usd(w["cost_per_run_usd"]),
                 _usd(w["cost_per_30_days_usd"]), md(w["cost_basis"] or "–"), _num(w["wasted_minutes_per_30_days"], 0),
                 ", ".join(code(s) for s in w["runner_skus"]) or "–"] for w in cost["by_workflow"]]
        parts.append("#### Most expensive workflows\n\n" + _capped(
            ["Repository", "Workflow", "Runs per 30 days", "Per run", "USD per 30 days", "Basis", "Minutes on failed runs",
             "SKUs"], rows, "llrrrlrl", "workflows"))
    return "\n\n".join(parts)


def _failing_section(report: Mapping[str, Any]) -> str:
    failing = report["attention"]["failing"]
    if not failing:
        return ""
    rows = [[md(w["repository"]), _workflow_cell(w), f"{100 * w['predicted_success_rate']:.1f}%", _num(w["runs_per_30_days"], 0),
             _num(w["wasted_minutes_per_30_days"], 0)] for w in failing]
    return (f"### Scheduled workflows that fail most\n\nPredicted success below {_pct(FAILING_BELOW)} at the "
            "recommended slot, worst first.\n\n"
            + _capped(["Repository", "Workflow", "Predicted success", "Runs per 30 days", "Minutes on failed runs"],
                      rows, "llrrr", "workflows"))


def _liveness_section(report: Mapping[str, Any]) -> str:
    items = report["attention"]["liveness"]
    if not items:
        return ""
    rows = [[md(w["repository"]), _workflow_cell(w), "<br>".join(md(line, 400) for line in w["liveness_warnings"][:5])]
            for w in items]
    return ("### Liveness warnings\n\nSchedules that drop ticks, stopped running, or that GitHub reports disabled.\n\n"
            + _capped(["Repository", "Workflow", "Warnings"], rows, "lll", "workflows"))


def _timeout_section(report: Mapping[str, Any]) -> str:
    items = report["attention"]["without_timeout"]
    if not items:
        return ""
    rows = [[md(w["repository"]), _workflow_cell(w), ", ".join(code(j) for j in w["jobs_without_timeout"][:10]) +
             (f" +{len(w['jobs_without_timeout']) - 10}" if len(w["jobs_without_timeout"]) > 10 else ""),
             _num(w["runs_per_30_days"], 0)] for w in items]
    return ("### Jobs without `timeout-minutes`\n\nGitHub stops such a job only after 360 minutes; a hung scheduled "
            "run holds its runner that long.\n\n"
            + _capped(["Repository", "Workflow", "Jobs", "Runs per 30 days"], rows, "lllr", "workflows"))


def _conflict_section(report: Mapping[str, Any]) -> str:
    conflicts = report["conflicts"]
    if not conflicts["groups"]:
        return ""
    group_rows = [[code(g["group"]), str(g["repositories"]), str(g["workflows"]),
                   f"{g['pairs_before']:,} → {g['pairs_after']:,}",
                   f"{g['peak_concurrent_workflows_before']} → {g['peak_concurrent_workflows_after']}"]
                  for g in conflicts["groups"]]
    text = ("### Shared self-hosted runners\n\nWorkflows of different repositories whose jobs use the same "
            "self-hosted label set, with run windows (each tick to tick + p90 duration, on the reference week in "
            "UTC) that overlap. Each repository's recommendations were made without seeing the others, so they "
            "can meet on a shared pool.\n\n"
            + _capped(["Runner labels", "Repositories", "Workflows", "Overlapping pairs now → after",
                       "Most workflows at once now → after"], group_rows, "lrrrr", "runner groups"))
    pairs = conflicts["pairs"]
    if pairs:
        rows = [[code(p["runner_group"]), f"{md(p['workflows'][0]['repository'])}: {_workflow_cell(p['workflows'][0])}",
                 f"{md(p['workflows'][1]['repository'])}: {_workflow_cell(p['workflows'][1])}",
                 _num(p["minutes_per_day"]), _num(p["minutes_per_day_before"]), str(p["overlapping_windows_per_week"])]
                for p in pairs]
        hidden = conflicts["count"] - min(len(pairs), MAX_TABLE_ROWS)
        text += "\n\n#### Conflicts after the recommendations\n\n" + table(
            ["Runner labels", "Workflow", "Overlaps with", "Minutes per day", "Before", "Windows per week"],
            rows[:MAX_TABLE_ROWS], "lllrrr")
        if hidden > 0:
            kept = f" (the JSON keeps the {len(pairs):,} largest)" if conflicts["truncated"] else ""
            text += f"\n\n{hidden:,} more conflicts in the JSON report{kept}."
    return text


def render_markdown(report: Mapping[str, Any], limit: int = MAX_SUMMARY_BYTES) -> str:
    """The organisation report as a job summary, at most ``limit`` bytes of UTF-8."""
    sections = [_header(report), _failed_section(report), _hour_chart(report), _groups_section(report),
                _cost_section(report), _failing_section(report), _liveness_section(report),
                _timeout_section(report), _conflict_section(report)]
    return fit_summary([s for s in sections if s], limit,
                       "Every figure is in the JSON report (`org report --json`) and the CSV (`--csv`).")


# ----- CSV ----------------------------------------------------------------------------------
def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @``, tab or CR gets a
    leading apostrophe (OWASP's CSV injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return safe_cell("; ".join(str(v) for v in value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, int):
        return str(value)
    return safe_cell(value)


def write_csv(report: Mapping[str, Any], path: str | os.PathLike[str]) -> int:
    """One row per scheduled workflow (:data:`CSV_COLUMNS`); returns the rows written."""
    rows = report.get("workflows") or []
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = _csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([_csv_value(row, column) for column in CSV_COLUMNS])
    return len(rows)


# ----- the command --------------------------------------------------------------------------
def report_response(dirs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None,
                    csv: str | os.PathLike[str] | None = None) -> "APIResponse":
    """``org report DIR...``: merge, then write the Markdown to ``out`` and the CSV to ``csv``.

    Raises :class:`ValidationError` for a missing directory or an unwritable output, and
    :class:`NotAvailable` when the directories hold no report file at all.
    """
    from ..api import APIResponse

    if not dirs:
        raise ValidationError("DIR", None, "one or more directories holding per-repository report JSON files")
    for given in dirs:
        if not Path(given).is_dir():
            raise ValidationError("DIR", str(given), "an existing directory of per-repository report JSON files")
    if not find_report_files(dirs):
        raise NotAvailable(f"no *.json report files under {', '.join(str(d) for d in dirs)}; "
                           "run `org run` first, or point at the directory it wrote")
    report = merge_reports(dirs)
    written = {}
    for flag, target, write in (("--out", out, lambda p: Path(p).write_text(render_markdown(report), encoding="utf-8")),
                                ("--csv", csv, lambda p: write_csv(report, p))):
        if target is None:
            continue
        try:
            write(target)
        except OSError as exc:
            raise ValidationError(flag, str(target), f"a writable file ({exc.strerror or exc})") from None
        written[flag.strip("-")] = str(target)
    repos = report["repositories"]
    message = (f"{repos['count']} repositories ({repos['failed_count']} failed), {report['workflows_count']} scheduled "
               f"workflows, {report['changes']} should move; ~${report['cost']['usd_per_30_days']:,.2f} per 30 days; "
               f"{report['conflicts']['count']} shared-runner conflicts")
    if report["errors"]:
        message += f"; {len(report['errors'])} file(s) skipped"
    report["written"] = written
    return APIResponse(True, message, report)
