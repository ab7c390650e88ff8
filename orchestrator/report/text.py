"""How a response looks in a terminal: a header line, status, message, then the data.

``--json`` prints :meth:`APIResponse.to_dict` as one JSON object instead; this is for people.
"""

from __future__ import annotations

import json
from typing import Any


def render(title: str, response: Any) -> str:
    """The seed's human layout: header, ``Status:``, ``Message:``, ``Data:`` as indented JSON."""
    status = "✅ Success" if response.success else f"❌ Failed ({response.error or 'error'})"
    lines = [f"Workflow Orchestrator — {title}", f"Status: {status}", f"Message: {one_line(response.message)}"]
    if response.data is not None:
        lines.append("Data:")
        lines.append(json.dumps(response.data, indent=2, ensure_ascii=False, default=str))
    return "\n".join(lines)


def one_line(text: str) -> str:
    """Messages can quote repository strings; keep them on one line in a terminal."""
    return " ".join(str(text).split())


def insights_text(data: dict[str, Any]) -> str:
    """A few lines a person reads first: the figures of ``insights`` for one workflow."""
    durations = data.get("duration_seconds") or {}
    trend = data.get("trend") or {}
    rate = data.get("success_rate")

    def minutes(seconds: float | None) -> str:
        return "n/a" if seconds is None else f"{seconds / 60:.1f} min"

    change = trend.get("success_rate_change")
    lines = [
        f"Insights — {one_line(data['workflow']['name'])} ({one_line(data['workflow']['repository'])})",
        f"  runs: {data.get('total_executions')}, success rate: {'n/a' if rate is None else f'{rate:.0%}'}"
        f"{'' if change is None else f' ({100 * change:+.0f} points in its last 30 days vs before)'}",
        f"  duration: median {minutes(durations.get('median'))}, p90 {minutes(durations.get('p90'))}, "
        f"p95 {minutes(durations.get('p95'))}",
        f"  most common hour: {data.get('most_common_hour_utc'):02d}:00 UTC; "
        f"history {str(data.get('first_run'))[:10]} to {str(data.get('last_run'))[:10]}",
    ]
    return "\n".join(lines) + "\n"
