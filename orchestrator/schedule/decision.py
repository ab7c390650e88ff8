"""The last step of a recommendation: whether it is confident enough to act on.

The recommender proposes the best slot it found; ``min-confidence`` decides whether that counts as
a change. One function, so the CLI, the API, ``predict`` and the action say the same thing, and a
headline such as "2 should move" counts only the changes a person should make.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["DEFAULT_MIN_CONFIDENCE", "decide", "next_run_line", "NEXT_RUN"]

#: The action's ``min-confidence`` default; the CLI and API use the same.
DEFAULT_MIN_CONFIDENCE = 0.6


def decide(rec: Mapping[str, Any], min_confidence: float) -> dict[str, Any]:
    """A copy of ``rec`` where a change below ``min_confidence`` becomes a keep, with its reason.

    A keep recommends the current schedule (``recommended_schedule`` is the current cron, so code
    that applies it changes nothing, and the duration and success figures are the current
    slot's, ``prediction_for`` saying so); the slot that was considered stays in
    ``considered_schedule`` and the first reason, so a person can see what was weighed.
    """
    out = dict(rec)
    confidence = rec.get("confidence")
    proposed = bool(rec.get("change"))
    # Confidence 0 means nothing measured supports the move (a workflow that has not run yet):
    # never a change, even when min-confidence is 0.
    confident = isinstance(confidence, (int, float)) and confidence > 0 and confidence >= min_confidence
    out["change"] = proposed and confident
    if proposed and not confident:
        shown = f"{confidence:.2f}" if isinstance(confidence, (int, float)) else "unknown"
        current = ", ".join(f"`{c}`" for c in rec.get("current_schedule") or []) or "the current schedule"
        keep = (f"Keep {current}: the best slot found, `{rec.get('recommended_schedule')}`, has confidence {shown}, "
                f"below min-confidence {min_confidence:.2f}")
        # The first reason is the decision itself; it must say what was decided, not what was found.
        out["reasoning"] = [keep, *list(rec.get("reasoning") or [])[1:]]
        out["considered_schedule"] = rec.get("recommended_schedule")
        if rec.get("current_schedule"):
            out["recommended_schedule"] = rec["current_schedule"][0]
            out["recommended_schedules"] = list(rec["current_schedule"])
        if rec.get("current_human"):
            out["recommended_human"] = rec["current_human"][0]
        current = (rec.get("slot_forecasts") or {}).get("current")
        if current:  # the figures follow the slot that is recommended: now the current one
            for name in ("expected_duration_seconds", "duration_p90_seconds", "predicted_success_rate", "cost_per_run"):
                out[name] = current.get(name)
            out["prediction_for"] = {k: current[k] for k in ("schedule", "at", "event")}
            out["reasoning"] = [next_run_line(current) if line.startswith(NEXT_RUN) else line
                                for line in out["reasoning"]]
    return out


#: How the reason line naming the run the figures are for begins (see :func:`next_run_line`).
NEXT_RUN = "Next run at "


def next_run_line(forecast: Mapping[str, Any], source: str = "", moved: bool = False) -> str:
    """The reason that says which run the headline figures are for, and where they come from."""
    where = f"`{forecast.get('schedule')}`"
    if forecast.get("expected_duration_seconds") is None or not forecast.get("at"):
        return f"{NEXT_RUN}{where}: duration and success unknown until the workflow has run"
    line = (f"{NEXT_RUN}{where} ({forecast['at']}): p50 {forecast['expected_duration_seconds'] / 60:.1f} min, "
            f"p90 {forecast['duration_p90_seconds'] / 60:.1f} min, success {forecast['predicted_success_rate']:.0%}")
    if source:
        line += f"; from {source}{', moved to this slot by the hour effects' if moved else ''}"
    return line
