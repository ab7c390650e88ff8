"""Reasoning lines a person can check against the history ("Hour 3 has 92% success rate (n=41)").

Each line quotes an observed figure with its sample size where one exists, and says plainly when a
number is an estimate borrowed from similar minutes or hours.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..learn.delay import ScheduleDelayModel
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
    """The reasons behind one workflow's recommendation, most decisive first."""
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
    lines.append(_hours(failure, hour_now, hour_new))
    if result["change"] and not result["cold_start"]:
        lines.append(_saving(result, weights))
    if entry.declined:
        lines.append(f"Fewest hours moved: {entry.declined}")
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
    if result["expected_duration_seconds"] is not None and result["duration_p90_seconds"] is not None:
        lines.append(
            f"Expected duration {result['expected_duration_seconds'] / 60:.1f} min "
            f"(p90 {result['duration_p90_seconds'] / 60:.1f} min) at hour {hour_new} UTC, from {plan.duration_source}"
        )
    lines.append(_confidence(result, weights))
    lines.extend(f"Warning: {w}" for w in result["liveness"]["warnings"])
    lines.extend(f"Warning: {w}" for w in result["timeout_minutes"]["warnings"])
    return lines


def _most_common(values: np.ndarray) -> int:
    return int(Counter(values.tolist()).most_common(1)[0][0])


def _decision(plan: "WorkflowPlan", result: dict[str, Any], weights: Weights) -> str:
    scored = result["score"]["entries"]
    if result["change"]:
        now_cost = sum(e.get("current", 0.0) for e in scored)
        new_cost = sum(e.get("recommended", 0.0) for e in scored)
        return (
            f"Move from {result['current_human'][0]} to {result['recommended_human']}: "
            f"expected cost per run {now_cost:.3f} → {new_cost:.3f}"
        )
    notes = [e["note"] for e in scored if e.get("note")]
    if notes:
        return f"Keep {', '.join(result['current_schedule'])}: " + "; ".join(notes)
    entry = plan.entries[0]
    saving = float(entry.costs[0] - entry.costs.min()) if entry.costs.size else 0.0
    return (
        f"Keep {', '.join(result['current_schedule'])}: no slot with the same frequency saves at least "
        f"{weights.min_improvement:g} per run (best saves {saving:.3f})"
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


def _hours(failure: FailureModel, hour_now: int, hour_new: int) -> str:
    """The fitted hour effect (within workflows), then the raw figures it was freed from."""
    stats = failure.hour_stats()

    def odds(hour: int) -> str:
        row = stats[hour]
        return f"{row['failure_factor']:.2g}× (n={row['comparable_runs']})"

    def raw(hour: int) -> str:
        row = stats[hour]
        return f"{row['success_rate']:.0%} (n={row['runs']})" if row["runs"] else "no runs"

    if hour_new == hour_now:
        return (
            f"Hour {hour_now} UTC: failure odds {odds(hour_now)} the repository's typical hour after accounting for "
            f"which workflows ran then and when (n = runs comparable with the same workflow's runs at other hours "
            f"that week); raw success rate {raw(hour_now)}"
        )
    return (
        f"Hour {hour_new} UTC: failure odds {odds(hour_new)} the repository's typical hour vs {odds(hour_now)} at "
        f"hour {hour_now}, after accounting for which workflows ran then and when (n = runs comparable with the "
        f"same workflow's runs at other hours that week); raw success rate {raw(hour_new)} vs {raw(hour_now)}"
    )


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
    line = (
        f"Confidence {result['confidence']:.2f}: the decision held in {detail['bootstrap_share']:.0%} of "
        f"{detail['samples']} bootstrap resamples of the history (every learned term refitted on whole weeks; "
        f"a new hour must also beat the best slot in the current hour), scaled by data volume ({detail['runs']} runs)"
    )
    if _rests_on_prior(result, weights):
        line += (
            ". The round-minute prior is fixed, not resampled, so this says how rarely anything measured "
            "outweighed GitHub's documented advice, not that this history shows the new minute to be better"
        )
    return line
