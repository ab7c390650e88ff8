"""Reasoning lines a person can check against the history ("Hour 3 has 92% success rate (n=41)").

Each line quotes an observed figure with its sample size where one exists, and says plainly when a
number is an estimate borrowed from similar minutes or hours.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..learn.delay import ScheduleDelayModel
from .decision import next_run_line
from .failure import FailureModel
from .scoring import Weights

if TYPE_CHECKING:  # pragma: no cover - import cycle only for type names
    from .plan import WorkflowPlan

__all__ = ["explain"]


def explain(
    plan: "WorkflowPlan",
    result: dict[str, Any],
    failure: FailureModel,
    delay: ScheduleDelayModel,
    busy: np.ndarray,
    weights: Weights,
    overlaps_now: Sequence[dict[str, Any]],
) -> list[str]:
    """The reasons behind one workflow's recommendation: short sentences, most decisive first."""
    entry = plan.entries[0]
    mows = entry.horizon.minutes_of_week([entry.rotations[0], entry.rotations[entry.chosen]])
    hour_now, hour_new = (_most_common((m // 60) % 24) for m in mows)
    minute_now, minute_new = (_most_common(m % 60) for m in mows)
    lines = [_decision(plan, result, weights)]
    if not plan.runs:
        lines.append(
            f"No runs yet: minute :{minute_new:02d} comes from a stable hash of the path (like Jenkins H) and the hour "
            "from the repository's quietest period when push activity is known; duration and success are unknown "
            "until it has run; low confidence"
        )
    elif result["cold_start"]:
        lines.append(
            f"Little history ({failure.n_runs_} runs with an outcome, fewer than {weights.cold_start_runs}): "
            f"minute :{minute_new:02d} comes from a stable hash of the path (like Jenkins H) and the hour from the "
            "repository's quietest period when push activity is known; low confidence"
        )
    lines.append(_hours(failure, result, weights, hour_now, (hour_new, minute_new)))
    if result["change"] and not result["cold_start"]:
        lines.append(_saving(result, weights))
    if entry.declined:
        lines.append(f"Hour kept: {entry.declined}")
    lines.extend(_minutes(delay, minute_now, minute_new))
    if overlaps_now:
        lines.append(
            "Often overlaps with: "
            + ", ".join(f"{c['workflow']} ({c['minutes_per_day']:g} min/day)" for c in overlaps_now[:3])
        )
    if result["change"] and result["conflicts"]:
        lines.append(
            "Still overlaps after the move with: "
            + ", ".join(f"{c['workflow']} ({c['minutes_per_day']:g} min/day)" for c in result["conflicts"][:3])
        )
    scored = result["score"]["entries"][0]
    if "terms" in scored:
        now_active, new_active = scored["terms"]["overlap"]
        lines.append(
            f"Other runs active during its p90 window: {now_active:.2f} on average now"
            + (f" vs {new_active:.2f} at the recommended slot" if result["change"] else "")
            + " (push and pull_request runs plus other schedules)"
        )
    lines.append(_next_run(result, plan))
    lines.append(_confidence(result, weights))
    lines.extend(f"Warning: {w}" for w in result["liveness"]["warnings"])
    lines.extend(f"Warning: {w}" for w in result["timeout_minutes"]["warnings"])
    return lines


def _next_run(result: dict[str, Any], plan: "WorkflowPlan") -> str:
    """Which run the headline figures are for, and where they come from."""
    slot = result["slot_forecasts"]["recommended"]
    source = "the learning model's forecast for the current slot" if plan.level else "this workflow's runs"
    return next_run_line(slot, source, moved=slot["schedule"] != result["current_schedule"][0])


def _most_common(values: np.ndarray) -> int:
    return int(Counter(values.tolist()).most_common(1)[0][0])


def _decision(plan: "WorkflowPlan", result: dict[str, Any], weights: Weights) -> str:
    scored = result["score"]["entries"]
    if result["change"]:
        now_cost = sum(e.get("current", 0.0) for e in scored)
        new_cost = sum(e.get("recommended", 0.0) for e in scored)
        return (
            f"Move `{result['current_schedule'][0]}` to `{result['recommended_schedule']}` "
            f"({result['recommended_human']}): expected cost per run {now_cost:.3f} → {new_cost:.3f} "
            "(1 = one failed run)"
        )
    notes = [e["note"] for e in scored if e.get("note")]
    current = ", ".join(f"`{c}`" for c in result["current_schedule"])
    if notes:
        return f"Keep {current}: " + "; ".join(notes)
    entry = plan.entries[0]
    saving = float(entry.costs[0] - entry.costs.min()) if entry.costs.size else 0.0
    return (
        f"Keep {current}: no slot with the same frequency saves enough per run to be worth the change "
        f"(best saves {saving:.3f}; a move must save {weights.min_improvement:g}, another hour {weights.hour_move:g} more)"
    )


_TERM_NAMES = {
    "failure": "failure risk",
    "drop": "dropped ticks",
    "delay": "start delay",
    "duration": "duration",
    "overlap": "overlap with other runs",
    "round_minute": "off the round minutes (prior)",
}


def _term_savings(result: dict[str, Any], weights: Weights) -> list[tuple[str, float]]:
    """Weighted saving per run of each cost term (current − recommended), largest first."""
    terms = result["score"]["entries"][0].get("terms", {})
    return sorted(
        ((name, getattr(weights, name) * (now - after)) for name, (now, after) in terms.items()),
        key=lambda item: -abs(item[1]),
    )


def _rests_on_prior(result: dict[str, Any], weights: Weights) -> bool:
    """A change whose saving comes at least half from the round-minute prior, not from measurements."""
    parts = _term_savings(result, weights)
    total = sum(value for _, value in parts)
    return bool(result["change"]) and total > 0 and dict(parts).get("round_minute", 0.0) >= 0.5 * total


def _saving(result: dict[str, Any], weights: Weights) -> str:
    """Which weighted terms the move saves (or costs), largest first, for the first cron entry."""
    parts = _term_savings(result, weights)
    said = [f"{_TERM_NAMES.get(name, name)} {value:+.3f}" for name, value in parts if abs(value) >= 0.0005]
    line = "Saving per run by term: " + (", ".join(said) if said else "none above 0.0005")
    if _rests_on_prior(result, weights):
        line += (
            " (mostly the round-minute prior, GitHub's documented load at the top of the hour, rather than "
            "delays seen in this history)"
        )
    return line


def _window(failure: FailureModel, hour: int) -> list[int]:
    """``hour`` and its neighbours that are as clearly worse (at least half its log-odds)."""
    factor = failure.hour_factor_
    if factor[hour] < 1.25:
        return [hour]
    window = [hour]
    for step in (-1, 1):
        h = (hour + step) % 24
        while len(window) < 12 and factor[h] >= 1.25 and np.log(factor[h]) >= 0.5 * np.log(factor[hour]):
            window = [h, *window] if step < 0 else [*window, h]
            h = (h + step) % 24
    return window


def _span(hours: Sequence[int]) -> str:
    """``[4, 5]`` → ``04:00–06:00 UTC``; one hour → ``04:00 UTC``."""
    if len(hours) == 1:
        return f"{hours[0]:02d}:00 UTC"
    return f"{hours[0]:02d}:00–{(hours[-1] + 1) % 24:02d}:00 UTC"


def _hours(failure: FailureModel, result: dict[str, Any], weights: Weights, hour_now: int, new: tuple[int, int]) -> str:
    """The hour effect in one sentence: how much more often runs fail in the current hours,
    compared within workflows, in how many weeks and across how many workflows, and what a move
    saves; then the raw figure it was freed from, so the adjustment can be checked."""
    stats = failure.hour_stats()
    window = _window(failure, hour_now)
    found = failure.hour_evidence(window)
    row = stats[hour_now]
    raw = f"raw success there {row['success_rate']:.0%} (n={row['runs']})" if row["runs"] else "no runs there yet"
    weeks = f"in {found['weeks_worse']} of {found['weeks']} weeks"
    if found["odds"] >= 1.25:
        text = (f"{_span(window)} runs fail {found['odds']:.1f}× more often than other hours {weeks}, across "
                f"{found['workflows_worse']} of {found['workflows']} workflows (compared within each workflow's week)")
    else:
        text = (f"{_span(window)} is an ordinary hour for failures ({found['odds']:.2f}× other hours, compared within "
                f"each workflow's week; worse {weeks})")
    if new[0] != hour_now and result["change"]:
        saved = dict(_term_savings(result, weights)).get("failure", 0.0)
        text += f"; moving to {new[0]:02d}:{new[1]:02d} UTC saves ~{saved:.2f} failed runs per run"
    return f"{text}; {raw}"


def _minutes(delay: ScheduleDelayModel, minute_now: int, minute_new: int) -> list[str]:
    if not delay.n_ticks_:
        return [f"No scheduled-run delays observed yet; :{minute_new:02d} avoids the round minutes GitHub queues most"]

    def delay_at(minute: int) -> str:
        observed = delay.median_delay_by_minute_[minute]
        if observed is not None:
            return f"median delay {observed / 60:.0f} min (n={int(delay.minute_runs_[minute])}) at :{minute:02d}"
        estimate = f"{delay.minute_delay_[minute] / 60:.0f} min"
        if delay.minute_seen_[minute]:
            return f"expected delay {estimate} at :{minute:02d} (estimated from similar minutes)"
        return f"no ticks observed at :{minute:02d} (assumed {estimate} from the minutes observed)"

    def drop_at(minute: int) -> str:
        observed = delay.drop_rate_by_minute_[minute]
        if observed is not None:
            return f"{observed:.0%} of ticks dropped (n={int(delay.minute_ticks_[minute])}) at :{minute:02d}"
        qualifier = "expected" if delay.minute_seen_[minute] else "assumed"
        return f"{qualifier} {delay.minute_drop_[minute]:.0%} at :{minute:02d}"

    if minute_now == minute_new:
        return [f"At :{minute_new:02d}: {delay_at(minute_new)}; {drop_at(minute_new)}"]
    prefix = "Off the top of the hour" if minute_now == 0 else "Off the busier minute"
    return [
        f"{prefix}: {delay_at(minute_new)} vs {delay_at(minute_now).split(' at :')[0]} at :{minute_now:02d}",
        f"Dropped ticks: {drop_at(minute_new)} vs {drop_at(minute_now)}",
    ]


def _confidence(result: dict[str, Any], weights: Weights) -> str:
    detail = result["confidence_detail"]
    if result["cold_start"]:
        return f"Confidence {result['confidence']:.2f} (low): {detail['runs']} runs are too few to compare slots"
    if _rests_on_prior(result, weights) and detail["bootstrap_share"] < 0.5:
        return (
            f"Confidence {result['confidence']:.2f} (low): nothing measured in this history favours the new minute; "
            "the move rests on GitHub's documented top-of-hour load alone (the round-minute prior), which is "
            "advice, not evidence from these runs"
        )
    return (
        f"Confidence {result['confidence']:.2f}: the measured saving covered what the move must save in "
        f"{detail['bootstrap_share']:.0%} of {detail['samples']} resamples of whole weeks of history (every learned "
        f"term refitted; the round-minute prior left out), × {detail['volume']:.2f} for data volume ({detail['runs']} runs)"
    )
