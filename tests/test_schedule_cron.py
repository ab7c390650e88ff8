"""Cron understanding: GitHub's validity rules, patterns, ticks against croniter, rotations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import ValidationError
from orchestrator.schedule import Cron, frequency_signature


@pytest.mark.parametrize(
    "expression, problem",
    [
        ("@daily", "macros"),
        ("0 0 * *", "exactly 5 fields"),
        ("0 0 * * * 2025", "exactly 5 fields"),
        ("0 0 L * *", "day of month"),
        ("0 0 * * 1#2", "day of week"),
        ("0 24 * * *", "valid POSIX cron"),
        ("0 0 30 2 *", "runs at least once"),
    ],
)
def test_github_rejects(expression: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Cron.parse(expression)


@pytest.mark.parametrize(
    "expression, pattern",
    [
        ("*/15 * * * *", "every N minutes"),
        ("7 * * * *", "hourly"),
        ("0 3 * * *", "daily"),
        ("0 3,15 * * *", "daily (several times a day)"),
        ("0 3 * * 1-5", "weekdays"),
        ("0 3 * * MON-FRI", "weekdays"),
        ("0 3 * * 0", "weekly"),
        ("0 3 * * 1,3", "certain weekdays"),
        ("0 3 1 * *", "monthly"),
        ("0 3 1 1 *", "custom"),
    ],
)
def test_patterns(expression: str, pattern: str) -> None:
    assert Cron.parse(expression).pattern == pattern


def test_shortest_gap_spots_crons_github_would_not_honour() -> None:
    assert Cron.parse("*/2 * * * *").min_gap_minutes == 2
    assert Cron.parse("0,10 9 * * *").min_gap_minutes == 10
    assert Cron.parse("0 3 * * 1-5").min_gap_minutes == 1440


def _croniter_ticks(expression: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    it = croniter(expression, start.astimezone(ZoneInfo(zone)) - timedelta(seconds=1))
    out = []
    while (tick := it.get_next(datetime).astimezone(timezone.utc)) < end:
        out.append(tick)
    return out


@pytest.mark.parametrize(
    "zone, start",
    [
        ("America/New_York", datetime(2025, 3, 1, tzinfo=timezone.utc)),
        ("Europe/Berlin", datetime(2025, 3, 10, tzinfo=timezone.utc)),
        ("Australia/Sydney", datetime(2025, 9, 20, tzinfo=timezone.utc)),
    ],
)
def test_ticks_across_spring_forward_match_croniter(zone: str, start: datetime) -> None:
    end = start + timedelta(days=40)
    for expression in ("30 2 * * *", "15 1-3 * * *", "0 9 * * 1-5"):
        assert Cron.parse(expression, zone).ticks(start, end) == _croniter_ticks(expression, zone, start, end)


def test_ambiguous_fall_back_time_fires_once_at_its_first_occurrence() -> None:
    ticks = Cron.parse("30 1 * * *", "America/New_York").ticks(
        datetime(2025, 11, 2, tzinfo=timezone.utc), datetime(2025, 11, 3, tzinfo=timezone.utc)
    )
    assert [t.strftime("%H:%M") for t in ticks] == ["05:30"]  # 01:30 EDT, not again at 01:30 EST


def test_dst_gap_advances_to_next_valid_time() -> None:
    ticks = Cron.parse("30 2 * * *", "America/New_York").ticks(
        datetime(2025, 3, 9, tzinfo=timezone.utc), datetime(2025, 3, 10, tzinfo=timezone.utc)
    )
    assert [t.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") for t in ticks] == ["03:00"]


def test_describe_names_the_zone() -> None:
    assert Cron.parse("17 3 * * 1-5", "Europe/Berlin").describe() == "At 03:17 AM, Monday through Friday (Europe/Berlin)"
    assert Cron.parse("0 0 * * *").describe().endswith("(UTC)")


_simple_cron = st.builds(
    lambda minutes, hours, dow: f"{','.join(map(str, sorted(minutes)))} {hours} * * {dow}",
    st.sets(st.integers(0, 59), min_size=1, max_size=4).filter(
        lambda ms: all(abs(a - b) >= 5 for a in ms for b in ms if a != b) and min(ms) + 60 - max(ms) >= 5
    ),
    st.sampled_from(["*", "3", "0,12", "*/6", "9-17"]),
    st.sampled_from(["*", "1-5", "0", "2,4"]),
)


@settings(max_examples=40, deadline=None)
@given(_simple_cron, st.data())
def test_every_rotation_keeps_frequency_and_is_valid(expression: str, data: st.DataObject) -> None:
    cron = Cron.parse(expression)
    rotations = cron.rotations()
    assert rotations[0] == (0, 0)
    dh, dm = data.draw(st.sampled_from(rotations))
    moved = cron.shifted(dh, dm)
    assert croniter.is_valid(moved.expression) and len(moved.expression.split()) == 5
    assert frequency_signature(moved) == frequency_signature(cron)
    assert moved.min_gap_minutes == cron.min_gap_minutes >= 5
    start, end = datetime(2025, 1, 6, tzinfo=timezone.utc), datetime(2025, 1, 20, tzinfo=timezone.utc)
    assert len(_croniter_ticks(moved.expression, "UTC", start, end)) == len(_croniter_ticks(expression, "UTC", start, end))


def test_rotations_that_would_change_spacing_are_not_offered() -> None:
    cron = Cron.parse("0,10 9 * * *")
    assert (0, 55) not in cron.rotations()  # 9:55 and 9:05 would be 50 minutes apart
    assert (0, 45) in cron.rotations()


@pytest.mark.parametrize(("expression", "hours", "minutes", "expected"), [
    ("0 */6 * * *", 0, 44, "44 */6 * * *"),
    ("0 */6 * * *", 2, 44, "44 2-23/6 * * *"),
    ("*/15 * * * *", 0, 7, "7-59/15 * * * *"),
    ("0 0,12 * * *", 1, 5, "5 1,13 * * *"),
    ("30 9 * * 1-5", 1, 0, "30 10 * * 1-5"),
])
def test_a_rotated_cron_keeps_the_users_notation(expression, hours, minutes, expected):
    shifted = Cron.parse(expression).shifted(hours, minutes)
    assert shifted.expression == expected
    assert frequency_signature(shifted) == frequency_signature(Cron.parse(expression))
