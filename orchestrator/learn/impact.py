"""``resource_impact`` (low / medium / high) from measured duration and recorded resource usage.

A run's cost to the runner pool is mostly runner-minutes, so the typical (p50) duration decides
first; when the workflow recorded its own usage (the ``record`` command's ``resource_usage``),
heavy memory or CPU raises the level. The highest level any signal reaches wins.
"""

from __future__ import annotations

import math

__all__ = ["resource_impact", "DURATION_THRESHOLDS", "MEMORY_THRESHOLDS_MB", "CPU_THRESHOLDS_PERCENT"]

#: p50 duration: < 5 min low, < 30 min medium, otherwise high (a runner held for half an hour).
DURATION_THRESHOLDS = (300.0, 1800.0)
#: Median recorded peak memory: < 2 GiB low, < 7 GiB medium (a standard hosted runner has 7 GB
#: on private repositories), otherwise high.
MEMORY_THRESHOLDS_MB = (2048.0, 7168.0)
#: Median recorded CPU: < 100% (one core) low, < 200% (both cores of a standard runner) medium.
CPU_THRESHOLDS_PERCENT = (100.0, 200.0)
LEVELS = ("low", "medium", "high")


def _level(value: float | None, thresholds: tuple[float, float]) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    return 0 if value < thresholds[0] else 1 if value < thresholds[1] else 2


def resource_impact(p50_seconds: float | None, memory_mb: float | None = None,
                    cpu_percent: float | None = None) -> tuple[str | None, str]:
    """Return ``(level, reason)``; level is ``None`` only when nothing at all is known."""
    signals = [
        ("typical duration", _level(p50_seconds, DURATION_THRESHOLDS), p50_seconds, "s"),
        ("recorded memory", _level(memory_mb, MEMORY_THRESHOLDS_MB), memory_mb, " MB"),
        ("recorded CPU", _level(cpu_percent, CPU_THRESHOLDS_PERCENT), cpu_percent, "%"),
    ]
    known = [s for s in signals if s[1] is not None]
    if not known:
        return None, "Resource impact unknown: no measured duration or recorded usage yet."
    name, level, value, unit = max(known, key=lambda s: s[1])
    parts = ", ".join(f"{n} {v:.0f}{u}" for n, _, v, u in known)
    return LEVELS[level], f"Resource impact {LEVELS[level]} ({parts}; decided by {name})."
