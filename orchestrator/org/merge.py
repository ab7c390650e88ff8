"""Per-repository reports merged into one organisation report (see :mod:`orchestrator.org.report`
for what it holds). Nothing here writes: :mod:`orchestrator.org.render` turns the result into
Markdown and CSV."""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..cost.rates import SELF_HOSTED
from ..cost.runners import sku_for
from .conflicts import find_conflicts
from .ticks import REFERENCE_START, SchedulePlan, schedule_plan
from .values import as_mapping, as_number, as_strings, rounded, runner_group, share_of, workflow_ref

__all__ = ["FAILING_BELOW", "find_report_files", "merge_reports"]

#: A run window's length when a workflow has no duration figure yet.
DEFAULT_WINDOW_SECONDS = 300.0
#: "Fails most": predicted success below this (more than one run in 20 fails).
FAILING_BELOW = 0.95
_ESTIMATE_NOTE = (
    "Cost is each workflow's expected cost per run times the runs its crons schedule per 30 days. A workflow "
    "whose jobs were measured through the jobs API (org run --jobs N) is priced job by job on the runners "
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


def load_report(path: Path) -> tuple[dict[str, Any] | None, str | None]:
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
                slim["liveness"] = {"warnings": as_mapping(rec.get("liveness")).get("warnings")}
                slim["timeout_minutes"] = {"jobs_without_timeout": as_mapping(rec.get("timeout_minutes")).get("jobs_without_timeout")}
                recs.append(slim)
        data = {"recommendations": recs}
    return {"repository": report["repository"], "generated_at": report.get("generated_at"),
            "visibility": report.get("visibility"), "error": report.get("error"),
            "disabled": _disabled(report.get("sync")), "synced": isinstance(report.get("sync"), Mapping),
            "recommend": data}


def _disabled(sync: Any) -> dict[str, str]:
    """path (or name) → state, of the workflows GitHub reports disabled in the report's sync."""
    out: dict[str, str] = {}
    for item in as_mapping(sync).get("workflows") or []:
        if isinstance(item, Mapping) and str(item.get("state", "")).startswith("disabled"):
            out[str(item.get("path") or item.get("name") or "?")] = str(item["state"])
    return out


# ----- one workflow -------------------------------------------------------------------------
def _workflow_row(repository: str, visibility: Any, rec: Mapping[str, Any], disabled: Mapping[str, str]) -> dict[str, Any]:
    """One scheduled workflow's figures, as the CSV and the tables show them (``_plans`` aside)."""
    zone = rec.get("timezone") if isinstance(rec.get("timezone"), str) and rec.get("timezone") != "UTC" else None
    current = as_strings(rec.get("current_schedule"))
    change = rec.get("change") is True
    after_crons = as_strings(rec.get("recommended_schedules")) or as_strings(rec.get("recommended_schedule"))
    after = after_crons if change and after_crons else current
    before_plan, after_plan = schedule_plan(current, zone), schedule_plan(after, zone)
    runs_30 = before_plan.per_day * 30

    cost = as_mapping(rec.get("cost_per_run"))
    usd = as_number(cost.get("usd"))
    runners = {str(job): as_strings(labels) for job, labels in as_mapping(rec.get("runners")).items()}
    jobs = int(as_number(cost.get("jobs")) or len(runners) or 1)
    minutes = as_number(cost.get("minutes"))
    if minutes is None:  # no price: the expected duration, every job as long as the run
        expected = as_number(rec.get("expected_duration_seconds"))
        minutes = None if expected is None else math.ceil(expected / 60 - 1e-9) * max(1, len(runners))
    success = as_number(rec.get("predicted_success_rate"))
    wasted = None if success is None or minutes is None else (1 - success) * minutes * runs_30
    measured = cost.get("estimated") is False
    sku_usd = {str(sku): float(v) * runs_30 for sku, v in as_mapping(cost.get("by_sku")).items() if as_number(v) is not None}
    sku_minutes: dict[str, float] = defaultdict(float)
    for sku, value in as_mapping(cost.get("minutes_by_sku")).items():
        if (v := as_number(value)) is not None:
            sku_minutes[str(sku)] += v * runs_30
    per_job = (minutes / jobs) if minutes is not None and jobs else None
    if not sku_minutes and per_job is not None:  # a report of an older version: every job as long as the run
        for labels in runners.values():
            sku_minutes[sku_for(labels)] += per_job * runs_30
    # Measured jobs name the runners a matrix resolved to; the file's runs-on may not.
    skus = sorted(sku_minutes) if measured and sku_minutes else sorted({sku_for(labels) for labels in runners.values()})

    liveness = [str(w) for w in as_mapping(rec.get("liveness")).get("warnings") or [] if w]
    path = str(rec.get("path") or "")
    state = disabled.get(path) or disabled.get(str(rec.get("workflow") or ""))
    if state:
        liveness.insert(0, f"GitHub reports the workflow {state}: its schedule does not run until it is enabled again")
    no_timeout = as_strings(as_mapping(rec.get("timeout_minutes")).get("jobs_without_timeout"))
    p90 = as_number(rec.get("duration_p90_seconds")) or as_number(rec.get("expected_duration_seconds"))
    return {
        "repository": repository,
        "visibility": visibility if visibility in ("public", "private") else None,
        "workflow": str(rec.get("workflow") or rec.get("path") or "?"),
        "path": path,
        "current_schedule": current,
        "recommended_schedule": after,
        "timezone": zone or "UTC",
        "change": change,
        "confidence": rounded(as_number(rec.get("confidence"))),
        "predicted_success_rate": rounded(success),
        "expected_duration_seconds": rounded(as_number(rec.get("expected_duration_seconds")), 1),
        "duration_p90_seconds": rounded(as_number(rec.get("duration_p90_seconds")), 1),
        "runs_per_day": round(before_plan.per_day, 4),
        "runs_per_30_days": round(runs_30, 2),
        "cost_per_run_usd": rounded(usd, 6),
        "cost_per_30_days_usd": None if usd is None else round(usd * runs_30, 4),
        "cost_basis": None if usd is None else "measured" if measured else "estimated",
        "job_minutes_per_run": minutes,
        "wasted_minutes_per_30_days": rounded(wasted, 2),
        "unpriced_jobs": as_strings(cost.get("unpriced_jobs")),
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
        report, problem = load_report(path)
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
            error = as_mapping(error)
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
        "conflicts": find_conflicts(rows),
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
            plan: SchedulePlan = row[f"_{side}"]
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
            "top_of_hour_share_before": share_of(zero_before, per_day_before),
            "top_of_hour_share_after": share_of(zero_after, per_day_after),
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


def _attention(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    rated = [r for r in rows if r["predicted_success_rate"] is not None and r["predicted_success_rate"] < FAILING_BELOW]
    rated.sort(key=lambda r: (r["predicted_success_rate"], -(r["wasted_minutes_per_30_days"] or 0.0), r["repository"]))
    return {
        "failing_below": FAILING_BELOW,
        "failing": [workflow_ref(r, "predicted_success_rate", "runs_per_30_days", "wasted_minutes_per_30_days") for r in rated],
        "liveness": [workflow_ref(r, "liveness_warnings") for r in rows if r["liveness_warnings"]],
        "without_timeout": [workflow_ref(r, "jobs_without_timeout", "runs_per_30_days") for r in rows if r["jobs_without_timeout"]],
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
        "by_workflow": [workflow_ref(r, "runs_per_30_days", "cost_per_run_usd", "cost_per_30_days_usd", "cost_basis",
                             "wasted_minutes_per_30_days", "runner_skus") for r in workflows],
    }
