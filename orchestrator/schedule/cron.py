"""Understand a GitHub Actions cron: validity, pattern, ticks, and frequency-preserving shifts.

GitHub accepts 5-field POSIX cron (no ``@daily`` macros, no Quartz ``L``/``W``/``#``/``?``) and
runs a schedule at most every 5 minutes. A recommendation may only *move* a schedule: the minute
set and hour set are rotated (``(m + dm) mod 60``, ``(h + dh) mod 24``) while the day-of-month,
month and day-of-week fields are kept verbatim, so hourly stays hourly and Mon–Fri stays Mon–Fri.
A rotation that would change the spacing of runs within a day is not offered.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo

from cron_descriptor import get_description
from croniter import croniter

from ..errors import ValidationError

__all__ = ["Cron", "MIN_GAP_MINUTES", "frequency_signature", "is_round_minute"]

#: GitHub's shortest schedule interval.
MIN_GAP_MINUTES = 5

_FIELD = (
    re.compile(r"^[0-9*,/-]+$"),
    re.compile(r"^[0-9*,/-]+$"),
    re.compile(r"^[0-9*,/-]+$"),
    re.compile(r"^[0-9A-Za-z*,/-]+$"),
    re.compile(r"^[0-9A-Za-z*,/-]+$"),
)
_FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
_REFERENCE_YEAR = 2024  # a leap year, so Feb 29 patterns are seen


def is_round_minute(minute: int) -> bool:
    """Minutes people type (multiples of 5): GitHub's schedule queue is busiest there."""
    return minute % 5 == 0


@dataclass(frozen=True)
class Cron:
    """One parsed ``cron:`` entry with its optional IANA ``timezone:`` (``None`` means UTC).

    ``days``, ``months`` and ``weekdays`` are ``None`` when unrestricted (a field starting with
    ``*``, as Vixie cron decides); weekdays count 0 = Sunday.
    """

    expression: str
    timezone: str | None
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...] | None
    months: tuple[int, ...] | None
    weekdays: tuple[int, ...] | None

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def parse(cls, expression: str, timezone_name: str | None = None) -> "Cron":
        """Validate ``expression`` as GitHub would; raises :class:`ValidationError` naming the problem."""
        if not isinstance(expression, str):
            raise ValidationError("cron", expression, "a 5-field cron string such as '17 3 * * *'")
        text = " ".join(expression.split())
        if text.startswith("@"):
            raise ValidationError("cron", expression, "5 fields; GitHub does not accept macros such as @daily")
        fields = text.split(" ")
        if len(fields) != 5:
            raise ValidationError("cron", expression, f"exactly 5 fields (minute hour day month weekday), not {len(fields)}")
        for value, pattern, name in zip(fields, _FIELD, _FIELD_NAMES):
            if not pattern.match(value):
                raise ValidationError("cron", expression, f"only digits, names, '*', ',', '-' and '/' in the {name} field")
        if not croniter.is_valid(text):
            raise ValidationError("cron", expression, "a valid POSIX cron (values in range: minute 0-59, hour 0-23, ...)")
        expanded, nth = croniter.expand(text)
        if nth:
            raise ValidationError("cron", expression, "plain POSIX weekdays (GitHub does not accept '#')")

        def restricted(index: int) -> tuple[int, ...] | None:
            if fields[index].startswith("*"):
                return None
            return tuple(sorted({int(v) % 7 if index == 4 else int(v) for v in expanded[index]}))

        cron = cls(
            expression=text,
            timezone=timezone_name,
            minutes=tuple(range(60)) if expanded[0] == ["*"] else tuple(sorted(int(v) for v in expanded[0])),
            hours=tuple(range(24)) if expanded[1] == ["*"] else tuple(sorted(int(v) for v in expanded[1])),
            days=restricted(2),
            months=restricted(3),
            weekdays=restricted(4),
        )
        if not any(cron.runs_on(date(_REFERENCE_YEAR, 1, 1) + timedelta(days=i)) for i in range(366 * 4)):
            raise ValidationError("cron", expression, "a schedule that runs at least once (this one never matches a date)")
        return cron

    def shifted(self, hours: int, minutes: int) -> "Cron":
        """The same schedule rotated by ``hours`` and ``minutes`` (day fields kept verbatim).

        The user's notation is kept where it can be: a field the rotation leaves unchanged stays
        as written (``0 */6 * * *`` moved to minute 44 is ``44 */6 * * *``), and a stepped field
        that moves stays stepped (``*/6`` two hours on is ``2-23/6``).
        """
        fields = self.expression.split(" ")
        fields[0] = _rotated_field(fields[0], self.minutes, minutes, 60)
        fields[1] = _rotated_field(fields[1], self.hours, hours, 24)
        return Cron.parse(" ".join(fields), self.timezone)

    # ----- understanding ------------------------------------------------------------------
    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.timezone) if self.timezone else timezone.utc

    @property
    def weekly_periodic(self) -> bool:
        """True when every week looks the same (no day-of-month or month restriction)."""
        return self.days is None and self.months is None

    @cached_property
    def pattern(self) -> str:
        """A short name for the shape: every N minutes, hourly, daily, weekdays, weekly, monthly."""
        if not self.weekly_periodic:
            return "monthly" if self.months is None and self.weekdays is None else "custom"
        if len(self.hours) == 24:
            return "hourly" if len(self.minutes) == 1 else "every N minutes"
        per_day = "" if len(self.hours) * len(self.minutes) == 1 else " (several times a day)"
        if self.weekdays is None:
            return "daily" + per_day
        if self.weekdays == (1, 2, 3, 4, 5):
            return "weekdays" + per_day
        if len(self.weekdays) == 1:
            return "weekly" + per_day
        return "certain weekdays" + per_day

    def describe(self) -> str:
        """Plain-language text, e.g. ``At 03:17 AM, Monday through Friday (UTC)``."""
        try:
            text = get_description(self.expression)
        except Exception:  # cron-descriptor raises its own types for exotic fields
            text = self.expression
        return f"{text} ({self.timezone or 'UTC'})"

    def runs_on(self, day: date) -> bool:
        """Whether the cron fires on local date ``day`` (POSIX: day-of-month OR day-of-week)."""
        if self.months is not None and day.month not in self.months:
            return False
        dom = self.days is None or day.day in self.days
        dow = self.weekdays is None or day.isoweekday() % 7 in self.weekdays
        if self.days is not None and self.weekdays is not None:
            return dom or dow
        return dom and dow

    def run_dates(self, first: date, days: int) -> list[date]:
        return [d for d in (first + timedelta(days=i) for i in range(days)) if self.runs_on(d)]

    def ticks(self, start: datetime, end: datetime) -> list[datetime]:
        """Nominal run times in ``[start, end)`` as aware UTC datetimes.

        Local times that do not exist (a DST gap) advance to the next valid time, as GitHub and
        croniter do; an ambiguous local time (DST fold) fires once, at its first occurrence.
        """
        zone = self.zone
        first = start.astimezone(zone).date() - timedelta(days=1)
        span = (end.astimezone(zone).date() - first).days + 2
        out: set[datetime] = set()
        for day in self.run_dates(first, span):
            for hour in self.hours:
                for minute in self.minutes:
                    tick = to_utc(datetime(day.year, day.month, day.day, hour, minute), zone)
                    if start <= tick < end:
                        out.add(tick)
        return sorted(out)

    @cached_property
    def minute_of_day_gaps(self) -> tuple[int, ...]:
        """Sorted cyclic gaps between the day's run minutes: the within-day spacing to preserve."""
        return _cyclic_gaps(sorted(h * 60 + m for h in self.hours for m in self.minutes), 1440)

    @cached_property
    def min_gap_minutes(self) -> int:
        """Shortest interval between two consecutive runs (GitHub needs at least 5)."""
        start = date(_REFERENCE_YEAR, 1, 1)
        days = 7 if self.weekly_periodic else 366 * 2
        ticks = sorted(
            (d - start).days * 1440 + h * 60 + m
            for d in self.run_dates(start, days)
            for h in self.hours
            for m in self.minutes
        )
        gaps = _cyclic_gaps(ticks, 7 * 1440) if self.weekly_periodic else [b - a for a, b in zip(ticks, ticks[1:])]
        return min(gaps) if gaps else 7 * 1440

    def rotations(self) -> list[tuple[int, int]]:
        """Every distinct ``(hours, minutes)`` rotation that keeps the within-day spacing.

        Includes ``(0, 0)``, the current schedule.
        """
        seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        out: list[tuple[int, int]] = []
        for dh in range(24 if len(self.hours) < 24 else 1):
            hour_set = tuple(sorted({(h + dh) % 24 for h in self.hours}))
            for dm in range(60 if len(self.minutes) < 60 else 1):
                minute_set = tuple(sorted({(m + dm) % 60 for m in self.minutes}))
                if (hour_set, minute_set) in seen:
                    continue
                seen.add((hour_set, minute_set))
                gaps = _cyclic_gaps(sorted(h * 60 + m for h in hour_set for m in minute_set), 1440)
                if gaps == self.minute_of_day_gaps:
                    out.append((dh, dm))
        return out


def _rotated_field(text: str, values: tuple[int, ...], by: int, period: int) -> str:
    """One minute or hour field rotated by ``by``, in the notation closest to ``text``."""
    rotated = sorted({(v + by) % period for v in values})
    if rotated == sorted(values):
        return text
    if len(rotated) == period:
        return "*"
    step = rotated[1] - rotated[0] if len(rotated) > 1 else 0
    stepped = "/" in text and step > 0 and rotated == list(range(rotated[0], period, step))
    return f"{rotated[0]}-{period - 1}/{step}" if stepped else ",".join(map(str, rotated))


def to_utc(local: datetime, zone: tzinfo) -> datetime:
    """Interpret naive ``local`` in ``zone``; a time inside a DST gap advances to the gap's end."""
    if zone is timezone.utc:
        return local.replace(tzinfo=timezone.utc)
    candidate = local
    for _ in range(24 * 60):
        aware = candidate.replace(tzinfo=zone, fold=0)
        if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == candidate:
            return aware.astimezone(timezone.utc)
        candidate += timedelta(minutes=1)
    raise ValueError(f"{local} has no valid time in {zone} within a day")  # pragma: no cover - no such zone


def frequency_signature(cron: Cron) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Runs per local date over a reference year, and the within-day spacing.

    Two crons with the same signature run equally often on the same days with the same spacing;
    the bench and tests use it to check that a recommendation preserved the frequency.
    """
    start = date(_REFERENCE_YEAR, 1, 1)
    per_day = len(cron.hours) * len(cron.minutes)
    counts = tuple(per_day if cron.runs_on(start + timedelta(days=i)) else 0 for i in range(366))
    return counts, cron.minute_of_day_gaps


def _cyclic_gaps(points: list[int], period: int) -> tuple[int, ...]:
    if not points:
        return ()
    gaps = [b - a for a, b in zip(points, points[1:])] + [points[0] + period - points[-1]]
    return tuple(sorted(Counter(gaps).elements()))
