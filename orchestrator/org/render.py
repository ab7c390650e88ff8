"""The organisation report as a job summary (Markdown) and a CSV of one row per workflow.

Every repository-derived string is escaped through :mod:`orchestrator.report.markdown`; tables
are cut at :data:`MAX_TABLE_ROWS` with a line saying how many more rows the CSV and JSON hold;
the whole stays under GitHub's 1 MiB step summary limit. CSV cells that a spreadsheet would run
as formulas are neutralised.
"""

from __future__ import annotations

import csv as _csv
import math
import os
from typing import Any, Mapping, Sequence

from ..action.outputs import MAX_SUMMARY_BYTES, fit_summary
from ..report.markdown import code, details, html, md, table
from .merge import FAILING_BELOW
from .values import as_number

__all__ = ["CSV_COLUMNS", "MAX_TABLE_ROWS", "render_markdown", "safe_cell", "write_csv"]

#: Rows per Markdown table; the rest are in the CSV and the JSON report.
MAX_TABLE_ROWS = 100
CSV_COLUMNS = (
    "repository", "workflow", "path", "current_schedule", "recommended_schedule", "change", "confidence",
    "predicted_success_rate", "expected_duration_seconds", "runs_per_30_days", "cost_per_run_usd",
    "cost_per_30_days_usd", "cost_basis", "wasted_minutes_per_30_days", "runner_skus", "jobs_without_timeout",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# ----- Markdown -----------------------------------------------------------------------------
def _usd(value: Any) -> str:
    return "–" if as_number(value) is None else f"${float(value):,.2f}"


def _pct(value: Any) -> str:
    return "–" if as_number(value) is None else f"{100 * float(value):.0f}%"


def _num(value: Any, digits: int = 1) -> str:
    return "–" if as_number(value) is None else f"{float(value):,.{digits}f}"


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
        f"- Cost of scheduled runs: **{_usd(cost['usd_per_30_days'])} per 30 days** (workflows priced from measured "
        f"jobs: {cost['measured_workflows']:,}, estimated: {cost['estimated_workflows']:,}); about "
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
    parts = [f"### Cost\n\n{md(cost['note'], 1000)}"]
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
