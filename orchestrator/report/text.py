"""How a response reads in a terminal: one headline, then a table or aligned key lines.

``--json`` prints :meth:`APIResponse.to_dict` as one JSON object instead; this is for people, the
way ``gh`` or ``kubectl get`` read: lists are tables (``workflows``, ``history``, ``batch``,
``recommend``, ``accuracy``), single answers are ``key  value`` lines. Figures are rounded to
what they can mean (whole seconds, durations as ``5m 36s``, rates as whole percents), counts
carry the right plural, unknown values show as ``-``.

Every field may be null or missing (an empty store, a workflow with no runs yet, a response
shape from a newer API), and a terminal must never get a traceback for it: a formatter that
meets a shape it does not expect gives way to a compact ``key  value`` rendering of the data.
Every string from a repository goes through :func:`one_line` (by way of :func:`_text` or the
table), so a workflow name holding a newline or an ANSI escape cannot break the layout.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from .table import BLANK, one_line, pairs, table, truncate

__all__ = ["render", "insights_text", "one_line"]

Formatter = Callable[[Mapping[str, Any], str], list[str]]

UNKNOWN = BLANK
#: Widest a cell or value may get (terminal columns) before it ends in ``…``.
NAME_WIDTH, REPO_WIDTH, PATH_WIDTH, REF_WIDTH, CRON_WIDTH, LINE_WIDTH = 40, 36, 44, 24, 28, 160
#: Longest tables of a kind a person scrolls through; ``--json`` has everything.
MAX_ROWS, MAX_WEEKS, MAX_REASONS = 20, 8, 3
USAGE_ERRORS = ("UsageError", "ValidationError")
#: Commands whose failed response still carries answers worth showing (``batch``: the names
#: that were found, when another was not).
PARTIAL = frozenset({"batch"})
METHOD_LABELS = {
    "model": "model", "per_hour_mean": "per-hour mean", "last50_median": "median of last 50",
    "last_value": "last value", "historical_rate": "historical rate", "repeat_last": "repeat last outcome",
}
OUTCOME_NOUNS = {"success": ("success", "successes"), "failure": ("failure", "failures"),
                 "excluded": ("excluded", "excluded"), "in_progress": ("in progress", "in progress")}


# ----- values --------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _text(value: Any, limit: int = LINE_WIDTH) -> str:
    """A repository-controlled string as one safe line; ``-`` when unknown."""
    if value is None or value == "":
        return UNKNOWN
    return truncate(one_line(value), limit) or UNKNOWN


def _round(value: float) -> int:
    """Half away from zero, as people round (Python's ``round`` sends 58.5 to 58)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _int(value: Any) -> str:
    """A count with thousands separators (``6,409``)."""
    return f"{_round(value):,}" if _is_number(value) else UNKNOWN


def _id(value: Any) -> str:
    """An identifier (run or workflow id, commit): as it is, never with separators."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else _text(value, 40)


def _plural(count: Any, singular: str, plural: str | None = None) -> str:
    return singular if _is_number(count) and count == 1 else (plural or singular + "s")


def _count(count: Any, singular: str, plural: str | None = None) -> str:
    """``1 workflow``, ``2 workflows``, ``6 successes``; ``- runs`` when the count is unknown."""
    return f"{_int(count)} {_plural(count, singular, plural)}"


def _duration(seconds: Any) -> str:
    """Seconds as a person reads them: ``42s``, ``5m 36s``, ``1h 02m``, ``3d 04h``."""
    if not _is_number(seconds):
        return UNKNOWN
    sign, total = ("-" if seconds < 0 else ""), _round(abs(seconds))
    if total < 60:
        return f"{sign}{total}s"
    if total < 3600:
        return f"{sign}{total // 60}m {total % 60:02d}s"
    if total < 86400:
        return f"{sign}{total // 3600}h {total % 3600 // 60:02d}m"
    return f"{sign}{total // 86400}d {total % 86400 // 3600:02d}h"


def _percent(rate: Any) -> str:
    """A 0–1 rate as a whole percent; never rounds a near-certainty up to 100% or down to 0%."""
    if not _is_number(rate):
        return UNKNOWN
    if 0.995 <= rate < 1:
        return ">99%"
    if 0 < rate < 0.005:
        return "<1%"
    return f"{_round(100 * rate)}%"


def _points(change: Any) -> str:
    """A change of a rate, in percentage points (``-21 points``)."""
    if not _is_number(change):
        return UNKNOWN
    points = _round(100 * change)
    return f"{points:+d} {_plural(abs(points), 'point')}"


def _versus(ratio: Any) -> str:
    """A ratio to a baseline as a relative change: 0.91 → ``-9%`` (lower error is better)."""
    return f"{_round(100 * (ratio - 1)):+d}%" if _is_number(ratio) else UNKNOWN


def _brier(value: Any) -> str:
    return f"{value:.3f}" if _is_number(value) else UNKNOWN


def _bytes(size: Any) -> str:
    if not _is_number(size):
        return UNKNOWN
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.0f} {unit}" if size >= 10 * scale else f"{size / scale:.1f} {unit}"
    return _count(size, "byte")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed


def _when(value: Any) -> str:
    """An ISO time as ``2025-12-07 00:14`` (UTC, as the column or line says)."""
    parsed = _parse_time(value)
    if parsed is not None:
        return f"{parsed:%Y-%m-%d %H:%M}"
    return UNKNOWN if value is None else _text(value, 32)


def _when_utc(value: Any) -> str:
    """``2025-12-07 00:14 UTC`` for a key line; ``-`` when unknown."""
    shown = _when(value)
    return f"{shown} UTC" if _parse_time(value) is not None else shown


def _day(value: Any) -> str:
    parsed = _parse_time(value)
    return f"{parsed:%Y-%m-%d}" if parsed is not None else (UNKNOWN if value is None else _text(value, 32))


def _yes(value: Any) -> str:
    return UNKNOWN if value is None else ("yes" if value else "no")


def _summary(value: Any) -> str:
    """Any JSON value as a short line, for data no formatter knows."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if math.isfinite(value) else UNKNOWN
    if isinstance(value, Mapping):
        inner = [f"{one_line(k)} {_summary(v)}" for k, v in value.items() if not isinstance(v, (Mapping, list, tuple))]
        return truncate(", ".join(inner), 100) if inner else _count(len(value), "field")
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            return truncate(", ".join(_summary(v) for v in value), 100) if value else "none"
        return _count(len(value), "item")
    return _text(value, 100)


def _fallback(data: Any) -> list[str]:
    """Compact ``key  value`` lines of data whose shape no formatter expects."""
    if data is None:
        return []
    if not isinstance(data, Mapping):
        return [_summary(data)]
    return pairs([(_text(key, 40), _summary(value)) for key, value in data.items()])


def _workflow_label(workflow: Any) -> str | None:
    """``name (owner/repo)`` of a ``workflow`` object in a response, if it has one."""
    info = _map(workflow)
    if not info.get("name"):
        return None
    repository = f" ({_text(info['repository'], REPO_WIDTH)})" if info.get("repository") else ""
    return _text(info["name"], NAME_WIDTH) + repository


def _bullets(lines: Iterable[Any], limit: int) -> list[str]:
    return [f"  - {_text(line, LINE_WIDTH)}" for line in list(lines)[:limit] if line]


def _warnings(data: Mapping[str, Any]) -> list[str]:
    """``warning: ...`` lines for a response's ``warnings`` (import, recommend, sync)."""
    return [f"warning: {_text(w)}" for w in _list(data.get("warnings")) if w]


def _more(shown: int, total: int, what: str) -> list[str]:
    hidden = total - shown
    return [f"… {_count(hidden, 'more ' + what, 'more ' + what + 's')} in --json"] if hidden > 0 else []


# ----- listing -------------------------------------------------------------------------------
def _workflows(data: Mapping[str, Any], message: str) -> list[str]:
    """A row per workflow. A store of one repository names it in the headline instead of a
    column; the path and earlier-names columns appear only when some workflow has one."""
    items = [w for w in _list(data.get("workflows")) if isinstance(w, Mapping)]
    if not items:
        return ["0 workflows: the store has no history yet (run `import` or `sync` first)"]
    repositories = sorted({one_line(w.get("repository")) for w in items if w.get("repository")})
    runs = sum(w["runs"] for w in items if _is_number(w.get("runs")))
    where = (_text(repositories[0], REPO_WIDTH) if len(repositories) == 1
             else _count(len(repositories), "repository", "repositories"))
    head = f"{_count(len(items), 'workflow')} in {where}, {_count(runs, 'run')}"
    several = len(repositories) > 1
    rows = [[_text(w.get("name")), *([_text(w.get("repository"))] if several else []), _int(w.get("runs")),
             _id(w.get("workflow_id")), _text(w.get("path")),
             ", ".join(one_line(a) for a in _list(w.get("aliases"))) or UNKNOWN] for w in items]
    headers = ["workflow", *(["repository"] if several else []), "runs", "id", "path", "earlier names"]
    first_optional = len(headers) - 2
    return [head, *table(headers, rows, "l" + "l" * several + "rlll",
                         [NAME_WIDTH, *([REPO_WIDTH] if several else []), None, None, PATH_WIDTH, 30],
                         optional={first_optional, first_optional + 1})]


def _outcome(run: Mapping[str, Any]) -> str:
    """``failure (timed_out)``: the class, and the conclusion when it says more."""
    outcome, conclusion = run.get("outcome"), run.get("conclusion")
    if conclusion and conclusion != outcome:
        return f"{_text(outcome, 12)} ({_text(conclusion, 20)})"
    return _text(outcome, 12)


def _history(data: Mapping[str, Any], message: str) -> list[str]:
    """A row per run, newest first. The headline is built from the counts, not the message,
    so that it can say "1 run"; queue time is ``-`` where the source had no start time."""
    runs = [r for r in _list(data.get("runs")) if isinstance(r, Mapping)]
    label = _workflow_label(data.get("workflow"))
    total = data.get("total")
    head = (f"{_int(len(runs))} of {_count(total, 'run')} of {label}, newest first"
            if label and _is_number(total) else one_line(message))
    if not runs:
        return [head]
    rows = [[_id(r.get("id")), _int(r.get("run_attempt")), _when(r.get("created_at")), _text(r.get("event"), 20),
             _text(r.get("head_branch"), REF_WIDTH), _text(r.get("actor"), REF_WIDTH), _outcome(r),
             _duration(r.get("duration_seconds")), _duration(r.get("queue_seconds"))] for r in runs]
    return [head, *table(["run", "attempt", "created (utc)", "event", "branch", "actor", "outcome", "duration", "queue"],
                         rows, "lrlllllrr")]


# ----- one workflow ---------------------------------------------------------------------------
def _outcome_counts(outcomes: Mapping[str, Any]) -> str:
    """``192 successes, 238 failures``: successes first, then failures, then the rest."""
    order = list(OUTCOME_NOUNS)
    parts = []
    for name, count in sorted(outcomes.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order))):
        singular, plural = OUTCOME_NOUNS.get(str(name), (one_line(name), one_line(name)))
        parts.append(_count(count, singular, plural))
    return ", ".join(parts)


def _insights_pairs(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The figures of ``insights`` as (key, value) lines; short for a workflow with no runs."""
    total = data.get("total_executions")
    if not total:
        return [("runs", "0 (no history for this workflow yet)")]
    outcomes = _outcome_counts(_map(data.get("outcomes")))
    durations = _map(data.get("duration_seconds"))
    mean = durations.get("mean") if durations.get("mean") is not None else data.get("average_duration")
    queues = _map(data.get("queue_seconds"))
    trend = _map(data.get("trend"))
    recent = _map(trend.get("recent"))
    hour, share = data.get("most_common_hour_utc"), data.get("most_common_hour_share")
    items = [
        ("runs", f"{_int(total)}" + (f" ({outcomes})" if outcomes else "")),
        ("success rate", _percent(data.get("success_rate"))),
        ("duration", f"median {_duration(durations.get('median'))}, p90 {_duration(durations.get('p90'))}, "
                     f"p95 {_duration(durations.get('p95'))}, mean {_duration(mean)}"),
        ("queue", f"median {_duration(queues.get('median'))}, p90 {_duration(queues.get('p90'))}"
         if queues.get("runs_with_start_time") else "n/a (no run records when it started)"),
        ("busiest hour", f"{hour:02d}:00 UTC ({_percent(share)} of runs)" if isinstance(hour, int) else UNKNOWN),
        ("history", f"{_day(data.get('first_run'))} to {_day(data.get('last_run'))}"),
    ]
    if recent.get("executions"):
        recent_durations = _map(recent.get("duration_seconds"))
        change = trend.get("median_duration_change")
        items.append(("last 30 days", (
            f"{_count(recent.get('executions'), 'run')}, success {_percent(recent.get('success_rate'))} "
            f"({_points(trend.get('success_rate_change'))} vs before), median {_duration(recent_durations.get('median'))}"
            + (f" ({_versus(1 + change)} vs before)" if _is_number(change) else ""))))
    cost = _map(data.get("cost"))
    if _is_number(cost.get("usd")):
        items.append(("cost (est.)", f"${cost['usd']:.2f} for {_count(cost.get('runs'), 'run')} in the last "
                                     f"{_int(cost.get('days'))} days ({_int(cost.get('minutes'))} job minutes, "
                                     f"{_int(cost.get('minutes_on_failed_runs'))} on failed runs)"
                                     + ("; public: standard runners free" if cost.get("public") else "")))
    return items


def insights_text(data: Mapping[str, Any]) -> str:
    """The figures a person reads first, under a title naming the workflow (the demo prints this)."""
    label = _workflow_label(data.get("workflow")) or "this workflow"
    return "\n".join([f"Insights — {label}", *pairs(_insights_pairs(data), indent="  ")]) + "\n"


def _insights(data: Mapping[str, Any], message: str) -> list[str]:
    """Key lines for the figures, then one table row per triggering event."""
    lines = [one_line(message), *pairs(_insights_pairs(data))]
    events = {k: v for k, v in _map(data.get("by_event")).items() if isinstance(v, Mapping)}
    if events:
        rows = [[_text(event, 24), _int(part.get("executions")), _percent(part.get("success_rate")),
                 _duration(_map(part.get("duration_seconds")).get("median")),
                 _duration(_map(part.get("duration_seconds")).get("p90"))] for event, part in events.items()]
        lines += ["", *table(["event", "runs", "success", "median", "p90"], rows, "lrrrr")]
    return lines


def _predict(data: Mapping[str, Any], message: str) -> list[str]:
    """Key lines for the figures and every reason: a single prediction is read in full."""
    items = [
        ("duration p50", _duration(data.get("expected_duration_seconds"))),
        ("duration p90", _duration(data.get("duration_p90_seconds"))),
        ("success", _percent(data.get("predicted_success_rate"))),
        ("confidence", _percent(data.get("confidence"))),
        ("resource impact", _text(data.get("resource_impact"), 20)),
        ("recommended schedule", _text(data.get("recommended_schedule"), CRON_WIDTH)),
        ("learned from", _count(data.get("n_runs"), "run")),
    ]
    reasons = _list(data.get("reasoning"))
    return [one_line(message), *pairs(items), *(["why:", *_bullets(reasons, len(reasons))] if reasons else [])]


def _batch(data: Mapping[str, Any], message: str) -> list[str]:
    """A row per workflow; the new shape is a mapping of each name as given to its prediction
    (unknown names hold ``error``/``message``), the old one a list of predictions. A name that
    failed shows dashes, not its placeholder confidence of 0, and its reason below the table."""
    raw = data.get("predictions")
    if isinstance(raw, Mapping):
        entries = [(str(name), _map(p)) for name, p in raw.items()]
    else:
        entries = [(str(_map(p).get("workflow_name") or UNKNOWN), _map(p)) for p in _list(raw)]
    failed = [(name, p) for name, p in entries if p.get("error")]
    head = f"Predictions for {_count(len(entries) - len(failed), 'workflow')}"
    head += f"; {_count(len(failed), 'name')} failed" if failed else ""
    rows = [[_text(name, NAME_WIDTH), *[UNKNOWN] * 6] if p.get("error") else
            [_text(p.get("workflow_name") or name, NAME_WIDTH),
             _duration(p.get("expected_duration_seconds")), _duration(p.get("duration_p90_seconds")),
             _percent(p.get("predicted_success_rate")), _percent(p.get("confidence")),
             _text(p.get("recommended_schedule"), CRON_WIDTH), _int(p.get("n_runs"))] for name, p in entries]
    errors = [f"error: {_text(name, NAME_WIDTH)}: {_text(p.get('message') or p.get('error'))}" for name, p in failed]
    return [head, *table(["workflow", "p50", "p90", "success", "confidence", "recommended schedule", "runs"], rows,
                         "lrrrrlr"), *errors]


def _predict_runs(data: Mapping[str, Any], message: str) -> list[str]:
    """A summary of the answers, then the first ones in input order: the input may hold
    thousands of contexts, and the full list is what ``--json`` is for."""
    predictions = [_map(p) for p in _list(data.get("predictions"))]
    p50s = sorted(v for p in predictions if _is_number(v := p.get("duration_p50_seconds")))
    rates = [v for p in predictions if _is_number(v := p.get("success_probability"))]
    items = [
        ("with figures", f"{_int(len(p50s))} of {_int(len(predictions))}"),
        ("p50", f"median {_duration(p50s[len(p50s) // 2])}, from {_duration(p50s[0])} to {_duration(p50s[-1])}"
         if p50s else UNKNOWN),
        ("success", f"{_percent(sum(rates) / len(rates))} on average" if rates else UNKNOWN),
    ]
    rows = [[str(i), _duration(p.get("duration_p50_seconds")), _duration(p.get("duration_p90_seconds")),
             _percent(p.get("success_probability"))] for i, p in enumerate(predictions[:MAX_ROWS], 1)]
    return [_count(len(predictions), "prediction") + ", in the order of the input", *pairs(items),
            *table(["#", "p50", "p90", "success"], rows, "rrrr"), *_more(len(rows), len(predictions), "prediction")]


# ----- evaluation ----------------------------------------------------------------------------
def _label(method: Any) -> str:
    return METHOD_LABELS.get(str(method), _text(method, 30))


def _best(scores: Mapping[str, Any], field: str) -> tuple[str, Any]:
    """The baseline (not the model) with the lowest ``field``: what the model has to beat."""
    candidates = [(v[field], k) for k, v in scores.items()
                  if k != "model" and isinstance(v, Mapping) and _is_number(v.get(field))]
    if not candidates:
        return UNKNOWN, None
    value, name = min(candidates)
    return _label(name), value


def _backtest(data: Mapping[str, Any], message: str) -> list[str]:
    """The verdict first (model against the best baseline, as a relative change), then the
    methods and the workflows as tables; lower error and Brier are better throughout."""
    overall = _map(data.get("overall"))
    duration, success = _map(overall.get("duration")), _map(overall.get("success"))
    origins = _list(data.get("origins"))
    best_mae, best_mae_value = _best(duration, "p50_mae_seconds")
    best_brier, best_brier_value = _best(success, "brier")
    items = [
        ("folds", _int(data.get("folds")) + (f", from {_day(origins[0])} to {_day(origins[-1])}" if origins else "")),
        ("scored runs", _int(data.get("scored_runs"))),
        ("duration p50 error", f"model {_duration(_map(duration.get('model')).get('p50_mae_seconds'))} vs "
                               f"{_duration(best_mae_value)} ({best_mae}): {_versus(overall.get('p50_mae_vs_best_baseline'))}"),
        ("success Brier", f"model {_brier(_map(success.get('model')).get('brier'))} vs {_brier(best_brier_value)} "
                          f"({best_brier}): {_versus(overall.get('brier_vs_best_baseline'))}"),
    ]
    lines = [one_line(message), *pairs(items)]
    methods = [(k, v) for k, v in duration.items() if isinstance(v, Mapping)]
    if methods:
        rows = [[_label(k), _int(v.get("n")), _duration(v.get("p50_mae_seconds")), _percent(v.get("p50_mae_relative")),
                 _percent(v.get("p90_coverage")), _brier(_map(success.get(k)).get("brier"))] for k, v in methods]
        rows += [[_label(k), _int(v.get("n")), UNKNOWN, UNKNOWN, UNKNOWN, _brier(v.get("brier"))]
                 for k, v in success.items() if isinstance(v, Mapping) and k not in duration]
        lines += ["", *table(["method", "runs", "p50 error", "relative", "p90 coverage", "brier"], rows, "lrrrrr")]
    workflows = [(k, v) for k, v in _map(data.get("workflows")).items() if isinstance(v, Mapping)]
    names = _map(data.get("workflow_names"))
    if workflows:
        rows = []
        for key, scores in workflows[:MAX_ROWS]:
            model_d, model_s = _map(_map(scores.get("duration")).get("model")), _map(_map(scores.get("success")).get("model"))
            rows.append([_text(names.get(key, key), NAME_WIDTH + REPO_WIDTH), _int(model_d.get("n")),
                         _duration(model_d.get("p50_mae_seconds")),
                         _versus(scores.get("p50_mae_vs_best_baseline")), _brier(model_s.get("brier")),
                         _versus(scores.get("brier_vs_best_baseline"))])
        lines += ["", *table(["workflow", "runs", "p50 error", "error vs best", "brier", "brier vs best"], rows, "lrrrrr"),
                  *_more(len(rows), len(workflows), "workflow")]
    return lines


def _accuracy_row(name: str, scores: Mapping[str, Any]) -> list[str]:
    model, last50 = _map(scores.get("model")), _map(scores.get("last50_median"))
    return [name, _int(scores.get("runs")), _duration(model.get("p50_mae_seconds")), _percent(model.get("mape")),
            _percent(model.get("within_20pct")), _percent(model.get("p90_coverage")), _brier(model.get("brier")),
            _duration(last50.get("p50_mae_seconds"))]


ACCURACY_HEADERS = ["runs", "p50 error", "mape", "within 20%", "p90 coverage", "brier", "last-50 error"]


def _accuracy(data: Mapping[str, Any], message: str) -> list[str]:
    """One line until a run has followed a prediction; then the headline figures, and tables
    per workflow and for the latest weeks (a long history would otherwise scroll away)."""
    if not data.get("matched_runs"):
        return [one_line(message)]
    overall = _map(data.get("overall"))
    model, last50 = _map(overall.get("model")), _map(overall.get("last50_median"))
    best_brier, best_brier_value = _best(overall, "brier")
    score = data.get("accuracy_score")
    items = [
        ("matched runs", _int(data.get("matched_runs"))),
        ("mean abs error", f"{_duration(data.get('mean_absolute_error', model.get('p50_mae_seconds')))} "
                           f"(median of last 50: {_duration(last50.get('p50_mae_seconds'))})"),
        ("mean % error", _percent(data.get("mean_absolute_percentage_error", model.get("mape")))),
        ("accuracy score", f"{_percent(score)} of runs within 20% of the predicted p50" if _is_number(score)
         else f"{_percent(model.get('within_20pct'))} of p50s within 20% of the run's duration"),
        ("p90 coverage", _percent(model.get("p90_coverage"))),
        ("success Brier", f"{_brier(model.get('brier'))} (best baseline, {best_brier}: {_brier(best_brier_value)})"),
    ]
    lines = [one_line(message), *pairs(items)]
    workflows = [(k, v) for k, v in _map(data.get("workflows")).items() if isinstance(v, Mapping)]
    if workflows:
        names = _map(data.get("workflow_names"))
        rows = [_accuracy_row(_text(names.get(k, k), NAME_WIDTH + REPO_WIDTH), v) for k, v in workflows[:MAX_ROWS]]
        lines += ["", *table(["workflow", *ACCURACY_HEADERS], rows, "lrrrrrrr"),
                  *_more(len(rows), len(workflows), "workflow")]
    weeks = [(k, v) for k, v in _map(data.get("weeks")).items() if isinstance(v, Mapping)]
    if weeks:
        rows = [_accuracy_row(_text(k, 12), v) for k, v in weeks[-MAX_WEEKS:]]
        lines += ["", *table(["week", *ACCURACY_HEADERS], rows, "lrrrrrrr"),
                  *([f"… {_count(len(weeks) - len(rows), 'earlier week')} in --json"] if len(weeks) > len(rows) else [])]
    return lines


# ----- scheduling ----------------------------------------------------------------------------
def _recommend(data: Mapping[str, Any], message: str) -> list[str]:
    """A row per scheduled workflow, counts of what else the report holds, and a few reasons
    only for the workflows that should move: a keep needs no argument, and the full
    reasoning, timeouts and hourly figures stay in ``--json`` and the job summary."""
    recs = [r for r in _list(data.get("recommendations")) if isinstance(r, Mapping)]
    lines = [one_line(message), *_warnings(data)]  # first: they say how to read the table (no history)
    if recs:
        rows = []
        for rec in recs:
            zone = rec.get("timezone")
            recommended = _text(rec.get("recommended_schedule"), CRON_WIDTH)
            if zone and zone != "UTC" and rec.get("recommended_schedule"):
                recommended += f" ({_text(zone, 24)})"
            decision = "change" if rec.get("change") else "keep (cold start)" if rec.get("cold_start") else "keep"
            rows.append([_text(rec.get("workflow") or rec.get("path"), NAME_WIDTH),
                         _text("; ".join(one_line(c) for c in _list(rec.get("current_schedule"))), CRON_WIDTH),
                         recommended, decision, _percent(rec.get("confidence")),
                         _duration(rec.get("expected_duration_seconds")), _percent(rec.get("predicted_success_rate"))])
        lines += table(["workflow", "current", "recommended", "decision", "confidence", "p50", "success"], rows, "llllrrr")
    conflicts, after = _list(data.get("conflicts")), _list(data.get("conflicts_after"))
    errors = [_map(e) for e in _list(data.get("errors"))]
    liveness = sum(len(_list(_map(r.get("liveness")).get("warnings"))) for r in recs)
    items = [*([("changes need", f"confidence of {_percent(data['min_confidence'])} or more")]
               if _is_number(data.get("min_confidence")) else []),
             ("conflicts", f"{_int(len(conflicts))} now, {_int(len(after))} after the changes"),
             ("liveness warnings", _int(liveness)),
             ("not scheduled", _count(len(_list(data.get("unscheduled"))), "workflow")),
             ("file errors", _int(len(errors)))]
    lines += ["", *pairs(items)]
    lines += [f"  - {_text(e.get('path'), PATH_WIDTH)}: {_text(e.get('message'))}" for e in errors[:MAX_REASONS]]
    lines += [f"  {line}" for line in _more(min(len(errors), MAX_REASONS), len(errors), "file error")]
    for rec in recs:
        reasons = _list(rec.get("reasoning"))
        if rec.get("change") and reasons:
            lines += ["", f"why {_text(rec.get('workflow') or rec.get('path'), NAME_WIDTH)} should move:",
                      *_bullets(reasons, MAX_REASONS)]
            lines += ["  - …and more in --json"] if len(reasons) > MAX_REASONS else []
    return lines


# ----- the store -----------------------------------------------------------------------------
def _health(data: Mapping[str, Any], message: str) -> list[str]:
    """Key lines; the headline is rebuilt from the figures so its counts read "1 run"."""
    runs, workflows = data.get("runs"), data.get("workflows")
    repositories = [one_line(r) for r in _list(data.get("repositories"))]
    versions = _map(data.get("versions"))
    store = _text(data.get("store"), 80)
    head = (f"Store {store} is healthy: {_count(runs, 'run')}, {_count(workflows, 'workflow')}"
            if data.get("store") else one_line(message))
    per_run = data.get("bytes_per_run")
    items = [
        ("store", f"{store} (schema {_text(data.get('schema_version'), 8)}, {_bytes(data.get('bytes'))}"
                  + (f", {_count(_round(per_run), 'byte')} per run)" if _is_number(per_run) else ")")
                  + ("" if data.get("initialised", True) else "; not initialised yet")),
        ("runs", f"{_count(runs, 'run')} of {_count(workflows, 'workflow')} in "
                 f"{_count(len(repositories), 'repository', 'repositories')}"
                 + (f" ({truncate(', '.join(repositories), 80)})" if repositories else "")),
        ("history", f"{_when(data.get('oldest_run'))} to {_when(data.get('newest_run'))} UTC"
         if data.get("oldest_run") else "none yet"),
        ("predictions", f"{_int(data.get('predictions_logged'))} logged"),
        ("last sync", _when_utc(data["last_sync"]) if data.get("last_sync") else "never"),
        ("versions", f"workflow-orchestrator {_text(versions.get('workflow_orchestrator'), 20)}, "
                     f"Python {_text(versions.get('python'), 20)}"),
    ]
    return [head, *pairs(items)]


def _import(data: Mapping[str, Any], message: str) -> list[str]:
    """Key lines, with the files counted by format rather than listed (a glob can name hundreds)."""
    reasons = _map(data.get("skipped_reasons"))
    formats = Counter(one_line(f) for f in _map(data.get("formats")).values())
    skipped = data.get("skipped")
    items = [
        ("new runs", _int(data.get("imported"))),
        ("updated", _int(data.get("updated"))),
        ("unchanged", _int(data.get("unchanged"))),
        ("skipped", _int(skipped) + (" (" + truncate(", ".join(f"{_int(n)} {one_line(why)}" for why, n in reasons.items()), 120)
                                     + ")" if reasons else "")),
        ("files", f"{_int(sum(formats.values()))} (" + ", ".join(f"{_int(n)} {kind}" for kind, n in formats.items()) + ")"
         if formats else UNKNOWN),
    ]
    head = (f"Imported {_count(data.get('imported'), 'new run')}, updated {_int(data.get('updated'))}, "
            f"skipped {_int(skipped)}")
    return [head, *pairs(items), *_warnings(data)]


USAGE_UNITS = {"cpu_percent": ("cpu", "%"), "memory_mb": ("memory", " MB"), "api_calls": ("API calls", "")}


def _usage(usage: Mapping[str, Any]) -> str:
    """``cpu 40%, memory 512 MB, API calls 3``; fields this version does not know keep their key."""
    parts = []
    for key, value in usage.items():
        label, unit = USAGE_UNITS.get(str(key), (one_line(key), ""))
        parts.append(f"{label} {_int(value)}{unit}" if _is_number(value) else f"{label} {_summary(value)}")
    return ", ".join(parts)


def _record(data: Mapping[str, Any], message: str) -> list[str]:
    """Key lines of the stored run, so a caller sees what the record was understood as."""
    run = _map(data.get("run"))
    usage = _usage(_map(run.get("resource_usage")))
    stored = ("added as a new run" if data.get("added") else "merged into the stored run" if data.get("updated")
              else "already stored, nothing changed")
    items = [
        ("workflow", f"{_text(run.get('name'), NAME_WIDTH)} ({_text(run.get('repository'), REPO_WIDTH)})"),
        ("run", f"{_id(run.get('id'))}, attempt {_int(run.get('run_attempt'))}"),
        ("started", _when_utc(run.get("run_started_at") or run.get("created_at"))),
        ("duration", _duration(run.get("duration_seconds"))),
        ("outcome", _outcome(run)),
        ("event", _text(run.get("event"), 30)),
        ("branch", _text(run.get("head_branch"), REF_WIDTH)),
        ("resource usage", usage or UNKNOWN),
        ("stored", stored),
    ]
    return [one_line(message), *pairs(items)]


def _sync(data: Mapping[str, Any], message: str) -> list[str]:
    """Key lines; an early stop says why on its own line, and warnings follow."""
    items = [
        ("repository", _text(data.get("repository"), REPO_WIDTH)),
        ("runs", f"{_int(data.get('runs_added'))} new, {_int(data.get('runs_updated'))} updated "
                 f"({_int(data.get('runs_seen'))} seen, {_int(data.get('runs_skipped'))} skipped)"),
        ("complete", "yes" if data.get("complete") else "no: the next sync resumes where this one stopped"),
        *([("stopped", f"{_text(data.get('stopped'), 30)}: {_text(data.get('message'))}")] if data.get("stopped") else []),
        ("requests", f"{_int(data.get('requests'))} ({_int(data.get('listing_requests'))} listing, "
                     f"{_int(data.get('store_requests'))} store); rate limit left {_int(data.get('rate_limit_remaining'))}"),
        ("synced through", _when_utc(data.get("synced_through"))),
        ("pending windows", _int(len(_list(data.get("pending"))))),
        ("open runs", _int(data.get("open_runs"))),
    ]
    if "jobs" in data:
        items.append(("jobs", _summary(data.get("jobs"))))
    return [one_line(message), *pairs(items), *_warnings(data)]


def _compact(data: Mapping[str, Any], message: str) -> list[str]:
    """The headline quotes a short sha; the full one is on its own line, to copy."""
    return [one_line(message), *pairs([("commit", _text(data.get("commit"), 40))])]


def _demo(data: Mapping[str, Any], message: str) -> list[str]:
    """The demo printed its insights and summary already; this closes with the step outputs a
    person reads (the change count, the report's path). Empty ones and the JSON-valued ones
    (``recommendations``, ``schedules``: the summary above shows them) are left to ``--json``."""
    plain = [(_text(k, 30), _text(v)) for k, v in _map(data.get("outputs")).items()
             if isinstance(v, (str, int, float)) and str(v) and not str(v).startswith(("[", "{"))]
    return [one_line(message), *pairs(plain)]


def _apply(data: Mapping[str, Any], message: str) -> list[str]:
    """The headline, each move, the pull request's address, the files left alone, then the diff."""
    lines = [_text(message)]
    for move in _list(data.get("changed")):
        move = _map(move)
        lines.append(f"  {_text(move.get('workflow'), 40)}: {_text(move.get('from'), 30)} → {_text(move.get('to'), 30)}"
                     f" (confidence {_percent(move.get('confidence'))})")
    pull = _map(data.get("pull_request"))
    if pull:
        lines.append(f"pull request  #{_int(pull.get('number'))} {_text(pull.get('url'))} (branch {_text(pull.get('branch'))})")
    for error in _list(data.get("errors")):
        error = _map(error)
        lines.append(f"left alone: {_text(error.get('path'), 80)}: {_text(error.get('message'))}")
    diff = str(data.get("diff") or "")
    if diff:
        lines.extend(["", *(_text(line, 400) for line in diff.splitlines())])
    return lines


def _org(data: Mapping[str, Any], message: str) -> list[str]:
    """``org plan``: the headline, the repositories left out and why, then one line per matrix job;
    ``org run``: the headline and each repository that failed, with its reason."""
    lines = [_text(message)]
    for left in _list(data.get("left_out")):
        left = _map(left)
        lines.append(f"left out: {_text(left.get('repository'), 80)} ({_text(left.get('reason'), 20)})")
    for job in _list(_map(data.get("matrix")).get("include")):
        job = _map(job)
        lines.append(f"  chunk {_int(job.get('chunk'))}: {_text(job.get('repositories'))}")
    for done in _list(data.get("repositories")):  # org run: a line per repository that failed
        if isinstance(done, Mapping) and done.get("error"):
            error = _map(done["error"])
            lines.append(f"failed: {_text(done.get('repository'), 80)} ({_text(error.get('kind'), 30)}): {_text(error.get('message'))}")
    if data.get("note"):
        lines.append(_text(data["note"]))
    return lines


FORMATTERS: dict[str, Formatter] = {
    "workflows": _workflows, "history": _history, "insights": _insights, "predict": _predict, "batch": _batch,
    "predict-runs": _predict_runs, "backtest": _backtest, "accuracy": _accuracy, "recommend": _recommend, "apply": _apply, "org": _org,
    "health": _health, "import": _import, "record": _record, "sync": _sync, "compact": _compact, "demo": _demo,
}


def _failure(command: str, response: Any) -> list[str]:
    """``error: <message>`` and, where it helps, how to find the right input."""
    lines = [f"error: {one_line(getattr(response, 'message', '') or getattr(response, 'error', '') or 'failed')}"]
    kind = getattr(response, "error", None)
    if kind == "WorkflowNotFound":
        lines.append("hint: `workflow-orchestrator workflows` lists the workflows the store knows")
    elif kind in USAGE_ERRORS and command in FORMATTERS:
        lines.append(f"hint: `workflow-orchestrator {command} --help` shows the options")
    return lines


def render(command: str, response: Any) -> str:
    """The terminal text of ``response`` to ``command``: a headline, then a table or key lines.

    A formatter is free to assume the shape it was written for; whatever it raises on an
    unexpected shape (a null where a mapping was, a newer API) is caught here on purpose and the
    data is shown as plain ``key  value`` lines instead, because a person at a terminal should
    get an answer, not a traceback.
    """
    message, data = str(getattr(response, "message", "") or ""), getattr(response, "data", None)
    formatter = FORMATTERS.get(command)
    if not getattr(response, "success", False):
        failure = _failure(command, response)
        if command not in PARTIAL or formatter is None or not isinstance(data, Mapping):
            return "\n".join(failure)
        return "\n".join(failure + _formatted(formatter, data, message))
    if formatter is None or not isinstance(data, Mapping):
        return "\n".join([one_line(message), *_fallback(data)])
    return "\n".join(_formatted(formatter, data, message))


def _formatted(formatter: Formatter, data: Mapping[str, Any], message: str) -> list[str]:
    """``formatter``'s lines, or the plain rendering when it meets a shape it cannot read."""
    try:
        return formatter(data, message)
    except Exception:  # noqa: BLE001 - see render's docstring: any shape surprise falls back
        return [one_line(message), *_fallback(data)]
