"""A cron's ticks on a fixed reference week, reduced to what an organisation report sums.

Every cron is expanded with :meth:`orchestrator.schedule.Cron.ticks` over the reference week
(Monday 2025-01-06 00:00 UTC; a cron with a day-of-month or month restriction over 52 weeks from
then) and averaged per day. The hours are UTC: GitHub's scheduler and runner pools see UTC,
whatever ``timezone:`` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Sequence

from ..errors import OrchestratorError

__all__ = ["CronTicks", "REFERENCE_START", "SchedulePlan", "WEEK_SECONDS", "cron_ticks", "schedule_plan"]

#: The Monday the ticks are counted from; any fixed week works, it only anchors the crons.
REFERENCE_START = datetime(2025, 1, 6, tzinfo=timezone.utc)
WEEK_SECONDS = 7 * 86400
#: A cron restricted by day of month or month is averaged over this many days instead of a week.
LONG_WINDOW_DAYS = 364


@dataclass(frozen=True)
class CronTicks:
    """One cron's ticks on the reference window, in UTC."""

    days: int
    per_hour: tuple[int, ...]  # ticks per UTC hour over ``days``
    at_zero: int  # ticks at minute :00
    total: int
    week: tuple[int, ...]  # seconds from REFERENCE_START of the first week's ticks


_TICKS: dict[tuple[str, str | None], CronTicks | str] = {}


def cron_ticks(expression: str, zone: str | None) -> CronTicks | str:
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
        result: CronTicks | str = str(exc)
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
        result = CronTicks(days, tuple(per_hour), at_zero, len(ticks), tuple(week))
    _TICKS[key] = result
    return result


@dataclass
class SchedulePlan:
    """A workflow's schedule (current or after the recommendation) reduced to what is summed."""

    per_hour: list[float]  # runs per day by UTC hour
    at_zero: float  # runs per day at minute :00
    per_day: float
    week: list[int]  # tick offsets on the reference week
    problems: list[str]


def schedule_plan(crons: Sequence[str], zone: str | None) -> SchedulePlan:
    """The ticks of a workflow's crons summed; a cron that cannot be read is named in ``problems``."""
    per_hour, at_zero, per_day, week, problems = [0.0] * 24, 0.0, 0.0, [], []
    for expression in crons:
        found = cron_ticks(str(expression), zone)
        if isinstance(found, str):
            problems.append(f"cron {expression!r} skipped: {found}")
            continue
        for hour, count in enumerate(found.per_hour):
            per_hour[hour] += count / found.days
        at_zero += found.at_zero / found.days
        per_day += found.total / found.days
        week.extend(found.week)
    return SchedulePlan(per_hour, at_zero, per_day, sorted(week), problems)
