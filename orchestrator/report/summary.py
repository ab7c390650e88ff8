"""The job summary: what a person reads after the scheduled recommendation run.

It is a list of independent Markdown sections (so the writer can drop whole sections to stay under
GitHub's 1 MiB limit): the verdict, the schedule table, the reasoning under each workflow,
conflicts, liveness warnings, timeouts, accuracy, then charts. Each chart is Mermaid (rendered by
GitHub itself, no third-party chart service) followed by the same numbers in a collapsible table
for viewers that do not render Mermaid. Every repository-derived string goes through
:mod:`orchestrator.report.markdown`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from .markdown import code, details, html, md, md_with_code, mermaid_label, table

__all__ = ["SummaryContext", "build_summary", "cron_text", "crons_of", "liveness_warnings", "timeout_of", "MAX_TABLE_ROWS"]

#: Rows beyond this go to the JSON report only; a summary is read, not searched.
MAX_TABLE_ROWS = 150
MAX_GANTT_TASKS = 60
#: The day the Gantt chart draws; any fixed Monday works, it only anchors cron ticks.
_REFERENCE_DAY = datetime(2025, 1, 6)


@dataclass
class SummaryContext:
    """Everything the summary shows, already gathered by the action's run."""

    repository: str
    mode: str
    timezone: str = "UTC"
    data_branch: str = ""
    min_confidence: float = 0.0
    sync: Mapping[str, Any] | None = None
    recommendations: Sequence[Mapping[str, Any]] = ()
    #: Workflows GitHub reports disabled ({name, path, state}), from the sync.
    disabled: Sequence[Mapping[str, Any]] = ()
    conflicts: Sequence[Mapping[str, Any]] = ()
    #: Workflows without a schedule; only their timeout recommendations are shown.
    unscheduled: Sequence[Mapping[str, Any]] = ()
    #: (UTC hour of day, success rate 0-1 or None, runs) for all 24 hours.
    success_by_hour: Sequence[tuple[int, float | None, int]] = ()
    #: (minute of hour, median schedule delay in seconds or None, ticks seen) for all 60 minutes.
    delay_by_minute: Sequence[tuple[int, float | None, int]] = ()
    #: name → MAE in seconds and count, the model first, then the baselines.
    accuracy: Sequence[tuple[str, float | None, int]] = ()
    problems: Sequence[str] = ()
    report_path: str = ""
    #: The pull request ``apply: pull-request`` opened or updated ({number, url, branch}).
    pull_request: Mapping[str, Any] | None = None


# ----- formatting helpers -------------------------------------------------------------------
def cron_text(expression: str) -> str:
    """A cron in words via cron-descriptor ("At 03:17 AM, Monday through Friday")."""
    from cron_descriptor import get_description  # imported here: only the summary needs it

    try:
        return str(get_description(expression))
    except Exception:  # cron-descriptor raises its own exception types for odd crons
        return "unrecognised cron"


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or seconds != seconds:
        return "–"
    seconds = float(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _cost(cost: Any) -> str:
    """``$0.036 (6 min)`` from measured jobs, ``≈$0.036 (6 min)`` estimated; ``free`` in a public
    repository; ``–`` when unknown."""
    if not isinstance(cost, Mapping) or not isinstance(cost.get("usd"), (int, float)):
        return "–"
    about = "" if cost.get("estimated") is False else "≈"
    minutes = f"{about}{float(cost.get('minutes') or 0):.0f} min"
    if cost["usd"] == 0 and cost.get("public"):
        return f"free ({minutes})"
    return f"{about}${cost['usd']:.3f} ({minutes})"


def _percent(value: Any) -> str:
    return f"{100 * float(value):.0f}%" if isinstance(value, (int, float)) and value == value else "–"


def crons_of(rec: Mapping[str, Any]) -> list[str]:
    """The workflow's current crons (a workflow may have several ``schedule`` entries)."""
    return [str(c) for c in rec.get("current_schedule") or []]


def _name(rec: Mapping[str, Any]) -> str:
    return str(rec.get("workflow") or rec.get("path") or "?")


def _lines(value: Any) -> list[str]:
    """Reasoning or warnings: a list of sentences, or a mapping (liveness) holding ``warnings``."""
    if isinstance(value, Mapping):
        value = value.get("warnings")
    return [str(item) for item in value or [] if item]


def timeout_of(rec: Mapping[str, Any]) -> tuple[int | None, str, list[str]]:
    """(recommended timeout-minutes, the jobs' current settings as text, warnings) of a workflow."""
    value = rec.get("timeout_minutes")
    if not isinstance(value, Mapping):
        return None, "", []
    jobs = value.get("jobs") or {}
    current = ", ".join(f"{job}: {'none' if minutes is None else f'{minutes:g}'}" for job, minutes in jobs.items())
    recommended = value.get("recommended_minutes")
    return (recommended if isinstance(recommended, int) else None), current, _lines(value.get("warnings"))


def liveness_warnings(rec: Mapping[str, Any]) -> list[str]:
    """The liveness warnings of one recommendation, as lines."""
    return _lines(rec.get("liveness"))


# ----- sections -----------------------------------------------------------------------------
def _header(ctx: SummaryContext) -> str:
    lines = [f"## Workflow Orchestrator — {md(ctx.repository)}"]
    sync = ctx.sync
    if sync is not None:
        synced = int(sync.get("runs_added", 0) or 0) + int(sync.get("runs_updated", 0) or 0)
        state = "complete" if sync.get("complete", True) else "**partial**"
        lines.append(
            f"Sync {state}: {synced} runs added or updated with {sync.get('requests', '?')} API requests "
            f"(rate limit left: {sync.get('rate_limit_remaining', '?')}); history on branch {code(ctx.data_branch)}."
        )
        if not sync.get("complete", True):
            reason = f" ({md(sync['message'], 300)})" if sync.get("message") else ""
            lines.append(
                f"> [!WARNING]\n> The sync stopped early{reason}. Everything below uses the history stored so far; "
                "the next run resumes where this one stopped."
            )
    if ctx.recommendations:
        changes = sum(1 for r in ctx.recommendations if r.get("change"))
        lines.append(
            f"**{changes} of {len(ctx.recommendations)} scheduled workflows should move** "
            f"(changes need confidence ≥ {ctx.min_confidence:.2f}). Crons are in UTC unless a workflow sets "
            f"`timezone:`; the charts show {md(_hours_zone(ctx))} hours."
        )
    elif ctx.mode != "sync":
        lines.append("No scheduled workflows were found to recommend for.")
    if ctx.pull_request:
        url = str(ctx.pull_request.get("url", ""))
        link = f"[#{int(ctx.pull_request.get('number', 0))}]({url})" if url.startswith(("https://", "http://")) else md(url)
        lines.append(f"Pull request {link} proposes the changes (branch {code(ctx.pull_request.get('branch'))}).")
    for problem in ctx.problems:
        lines.append(f"> [!CAUTION]\n> {md(problem, 600)}")
    return "\n\n".join(lines)


def _schedule_table(ctx: SummaryContext) -> str:
    rows = []
    for rec in list(ctx.recommendations)[:MAX_TABLE_ROWS]:
        current = crons_of(rec)
        recommended = rec.get("recommended_schedule")
        human = list(rec.get("current_human") or [cron_text(c) for c in current])
        now = "<br>".join(f"{code(c)} {md(h)}" for c, h in zip(current, human + [""] * len(current))) or "–"
        after = "–"
        if recommended:
            after = f"{code(recommended)} {md(rec.get('recommended_human') or cron_text(str(recommended)))}"
        if rec.get("timezone") and rec.get("timezone") != "UTC":
            after += f" ({md(rec['timezone'])})"
        rows.append([
            f"{md(_name(rec))}<br>{code(rec.get('path') or '')}",
            now,
            after,
            f"{_duration(rec.get('expected_duration_seconds'))} / {_duration(rec.get('duration_p90_seconds'))}",
            _percent(rec.get("predicted_success_rate")),
            _cost(rec.get("cost_per_run")),
            _percent(rec.get("confidence")),
            "**change**" if rec.get("change") else "keep",
        ])
    text = "### Schedules\n\n" + table(
        ["Workflow", "Current", "Recommended", "Duration p50 / p90", "Success", "Cost per run", "Confidence", "Decision"],
        rows, "lllrrrrl",
    )
    if any(isinstance(r.get("cost_per_run"), Mapping) for r in ctx.recommendations):
        text += ("\n\nCost per run: each job rounded up to the minute at GitHub's rate for its runner on the day of "
                 "the next run (self-hosted runners at the rate table's platform charge; standard runners are free in "
                 "public repositories). Figures marked ≈ are estimates, every job billed as long as the run; the "
                 "others come from jobs measured through the jobs API (the `jobs-budget` input).")
    hidden = len(ctx.recommendations) - MAX_TABLE_ROWS
    if hidden > 0:
        text += f"\n\n{hidden} more workflows are in the full report ({code(ctx.report_path)})."
    return text


def _reasoning(ctx: SummaryContext) -> str:
    blocks = ["### Why"]
    for rec in list(ctx.recommendations)[:MAX_TABLE_ROWS]:
        lines = _lines(rec.get("reasoning"))
        if not lines:
            continue
        verdict = "change" if rec.get("change") else "keep"
        bullets = "\n".join(f"- {md_with_code(line)}" for line in lines[:12])
        blocks.append(f"**{md(_name(rec))}** ({verdict})\n\n{bullets}")
    return "\n\n".join(blocks) if len(blocks) > 1 else ""


def _conflicts(ctx: SummaryContext) -> str:
    if not ctx.conflicts:
        return ""
    rows = []
    for conflict in list(ctx.conflicts)[:MAX_TABLE_ROWS]:
        pair = list(conflict.get("workflows") or [])
        minutes = conflict.get("minutes_per_day")
        shared = conflict.get("shared_concurrency_group")
        rows.append([
            md(pair[0] if pair else "?"),
            md(pair[1] if len(pair) > 1 else "?"),
            f"{float(minutes):.0f}" if isinstance(minutes, (int, float)) else "–",
            code(shared) if isinstance(shared, str) else ("yes" if shared else "no"),
        ])
    return "### Conflicts\n\nPredicted running windows (p90) of the current schedules that overlap each day.\n\n" + table(
        ["Workflow", "Overlaps with", "Minutes per day", "Shared concurrency group"], rows, "llrl"
    )


def _liveness(ctx: SummaryContext) -> str:
    items = [f"- **{md(w.get('name') or w.get('path'))}** is {code(w.get('state'))}: GitHub does not run its schedule "
             "until it is enabled again." for w in ctx.disabled]
    items += [f"- **{md(_name(rec))}**: {md(line, 500)}" for rec in ctx.recommendations for line in liveness_warnings(rec)]
    if not items:
        return ""
    return "### Liveness warnings\n\n" + "\n".join(items[:MAX_TABLE_ROWS])


def _timeouts(ctx: SummaryContext) -> str:
    rows = []
    for rec in list(ctx.recommendations) + list(ctx.unscheduled):
        recommended, current, warnings = timeout_of(rec)
        if recommended is None and not warnings:
            continue
        rows.append([
            md(_name(rec)),
            md(current) if current else "–",
            "–" if recommended is None else str(recommended),
            "<br>".join(md(w, 500) for w in warnings) or "–",
        ])
    if not rows:
        return ""
    return (
        "### Timeouts\n\nRecommended `timeout-minutes` is the p99 of successful runs plus a margin; "
        "a job without one is stopped only after 360 minutes.\n\n"
        + table(["Workflow", "Current timeout-minutes", "Recommended", "Notes"], rows[:MAX_TABLE_ROWS], "llrl")
    )


def _accuracy(ctx: SummaryContext) -> str:
    if not ctx.accuracy:
        return "### Prediction accuracy\n\nNo earlier predictions have been checked against real runs yet."
    rows = [[md(name), _duration(mae), str(n)] for name, mae, n in ctx.accuracy]
    return "### Prediction accuracy\n\nDuration predictions checked against the runs that followed them (lower MAE is better).\n\n" + table(
        ["Predictor", "MAE", "Runs"], rows, "lrr"
    )


def _chart(title: str, body: str, table_md: str) -> str:
    return f"### {title}\n\n```mermaid\n{body}\n```\n\n" + details(html(f"{title} as a table"), table_md)


def _hours_zone(ctx: SummaryContext) -> str:
    """The zone the hour chart is drawn in: ``timezone`` if its offset is whole hours now, else UTC."""
    offset = datetime.now(ZoneInfo(ctx.timezone)).utcoffset() or timedelta(0)
    return ctx.timezone if offset.total_seconds() % 3600 == 0 else "UTC"


def _success_chart(ctx: SummaryContext) -> str:
    zone = _hours_zone(ctx)
    shift = int((datetime.now(ZoneInfo(zone)).utcoffset() or timedelta(0)).total_seconds() // 3600)
    points = sorted(((h + shift) % 24, r, n) for h, r, n in ctx.success_by_hour if r is not None)
    if not points:
        return ""
    rows = [[f"{h:02d}:00", _percent(r), str(n)] for h, r, n in points]
    rows_md = table([f"Hour ({md(zone)})", "Success", "Runs"], rows, "lrr")
    if len(points) < 2:  # one bar is not a chart
        return f"### Success rate by hour\n\n{rows_md}"
    hours = ", ".join(str(h) for h, _, _ in points)
    values = ", ".join(f"{100 * r:.0f}" for _, r, _ in points)
    body = (
        "xychart-beta\n"
        f'    title "Success rate by hour of day ({mermaid_label(zone)})"\n'
        f"    x-axis [{hours}]\n"
        '    y-axis "Success %" 0 --> 100\n'
        f"    bar [{values}]"
    )
    return _chart("Success rate by hour", body, rows_md)


def _delay_chart(ctx: SummaryContext) -> str:
    points = [(m, d, n) for m, d, n in ctx.delay_by_minute if d is not None]
    if not points:
        return ""
    rows = [[f":{m:02d}", _duration(d), str(n)] for m, d, n in points]
    rows_md = table(["Minute", "Median delay", "Ticks"], rows, "lrr")
    if len(points) < 2:  # one point is not a line
        return f"### Schedule delay by minute\n\n{rows_md}"
    minutes = ", ".join(str(m) for m, _, _ in points)
    values = ", ".join(f"{d / 60:.1f}" for _, d, _ in points)
    body = (
        "xychart-beta\n"
        '    title "Median schedule delay by minute of the hour"\n'
        f"    x-axis [{minutes}]\n"
        '    y-axis "Delay (min)"\n'
        f"    line [{values}]"
    )
    return _chart("Schedule delay by minute", body, rows_md)


def day_windows(ctx: SummaryContext) -> list[tuple[str, str, datetime, datetime]]:
    """(section, workflow, start, end) of each run window on the reference day, in the display zone."""
    from croniter import croniter  # the summary is the only part of the action that draws windows

    shown = ZoneInfo(ctx.timezone)
    day_start = _REFERENCE_DAY.replace(tzinfo=shown)
    windows: list[tuple[str, str, datetime, datetime]] = []
    for rec in ctx.recommendations:
        length = rec.get("duration_p90_seconds") or rec.get("expected_duration_seconds") or 300
        zone = _zone(rec.get("timezone")) or shown
        plans = [("Current", c) for c in crons_of(rec)]
        if rec.get("change") and rec.get("recommended_schedule"):
            plans.append(("Recommended", str(rec["recommended_schedule"])))
        for section, cron in plans:
            try:
                ticks = croniter(cron, (day_start - timedelta(seconds=1)).astimezone(zone))
            except (ValueError, KeyError):
                continue
            for _ in range(4):  # a few ticks show an hourly pattern without drowning the chart
                start = ticks.get_next(datetime).astimezone(shown)
                if start >= day_start + timedelta(days=1):
                    break
                end = min(start + timedelta(seconds=float(length)), day_start + timedelta(hours=23, minutes=59))
                windows.append((section, _name(rec), start, end))
    windows.sort(key=lambda w: (w[0] != "Current", w[2]))
    return windows[:MAX_GANTT_TASKS]


def _zone(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name)) if name else None
    except (KeyError, ValueError):
        return None


def _gantt(ctx: SummaryContext) -> str:
    windows = day_windows(ctx)
    if not windows:
        return ""
    lines = [
        "gantt",
        f"    title Run windows (p90) on a Monday ({mermaid_label(ctx.timezone)})",
        "    dateFormat HH:mm",
        "    axisFormat %H:%M",
    ]
    section = None
    for index, (name, workflow, start, end) in enumerate(windows, 1):
        if name != section:
            lines.append(f"    section {name}")
            section = name
        lines.append(f"    {index}. {mermaid_label(workflow)} :w{index}, {start:%H:%M}, {end:%H:%M}")
    rows = [[name, md(workflow), f"{start:%H:%M}", f"{end:%H:%M}"] for name, workflow, start, end in windows]
    return _chart("Run windows over the day", "\n".join(lines), table(["Schedule", "Workflow", "Start", "End (p90)"], rows, "lllr"))


def build_summary(ctx: SummaryContext) -> list[str]:
    """The summary as independent Markdown sections, most important first."""
    sections = [_header(ctx)]
    if ctx.recommendations:
        sections += [_schedule_table(ctx), _reasoning(ctx)]
    sections += [_conflicts(ctx), _liveness(ctx), _timeouts(ctx)]
    if ctx.mode != "sync":
        sections.append(_accuracy(ctx))
    sections += [_success_chart(ctx), _delay_chart(ctx), _gantt(ctx)]
    return [s for s in sections if s]
