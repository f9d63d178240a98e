"""Business-hours arithmetic across nights, weekends, holidays and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kith.service.clock import (
    Calendar,
    business_add,
    business_between,
    calendar_from_spec,
    is_working,
)

NINE_TO_FIVE = {d: [("09:00", "17:00")] for d in ("0", "1", "2", "3", "4")}
HCM = calendar_from_spec(
    timezone="Asia/Ho_Chi_Minh",
    hours={
        **NINE_TO_FIVE,
        "0": [["08:00", "12:00"], ["13:00", "17:00"]],
        "5": [["09:00", "12:00"]],
    },
    holidays=[date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 1)],
)
# New York has daylight-saving changes (2026-03-08, 2026-11-01) and a lunch break on Fridays.
NYC = calendar_from_spec(
    timezone="America/New_York",
    hours={**NINE_TO_FIVE, "4": [["09:00", "12:00"], ["13:00", "16:30"]]},
    holidays=[date(2026, 7, 3), date(2026, 12, 25)],
)
OFFICE = calendar_from_spec(timezone="UTC", hours=NINE_TO_FIVE, holidays=[date(2026, 12, 25)])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_within_one_day() -> None:
    assert business_add(OFFICE, utc(2026, 11, 23, 10), timedelta(hours=2)) == utc(2026, 11, 23, 12)


def test_across_a_night() -> None:
    # Monday 16:00 + 3h: 1h on Monday, 2h on Tuesday morning.
    assert business_add(OFFICE, utc(2026, 11, 23, 16), timedelta(hours=3)) == utc(2026, 11, 24, 11)


def test_across_a_weekend() -> None:
    # Friday 16:30 + 1h: 30 min Friday, 30 min Monday.
    assert business_add(OFFICE, utc(2026, 11, 27, 16, 30), timedelta(hours=1)) == utc(
        2026, 11, 30, 9, 30
    )


def test_across_a_holiday() -> None:
    # Thursday 24 Dec 16:00 + 2h: 1h Thursday, Friday 25 is a holiday, 1h on Monday 28.
    assert business_add(OFFICE, utc(2026, 12, 24, 16), timedelta(hours=2)) == utc(2026, 12, 28, 10)


def test_start_outside_hours_begins_at_next_opening() -> None:
    assert business_add(OFFICE, utc(2026, 11, 28, 3), timedelta(minutes=15)) == utc(
        2026, 11, 30, 9, 15
    )


def test_between_counts_only_working_time() -> None:
    assert business_between(OFFICE, utc(2026, 11, 27, 12), utc(2026, 11, 30, 12)) == timedelta(
        hours=8
    )
    assert business_between(OFFICE, utc(2026, 11, 30, 12), utc(2026, 11, 27, 12)) == timedelta(0)


def test_local_time_zone_and_lunch_break() -> None:
    # Monday 11:00 in Ho Chi Minh City (04:00 UTC) + 2h: 1h before lunch, 1h after (14:00 local).
    result = business_add(HCM, utc(2026, 11, 23, 4), timedelta(hours=2))
    assert result.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) == datetime(
        2026, 11, 23, 14, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")
    )


def test_daylight_saving_change_keeps_local_hours() -> None:
    # Friday 6 March 2026 16:00 EST (21:00 UTC) + 1h: 30 min Friday, then Monday 9 March
    # 09:30 EDT (13:30 UTC: the offset changed on Sunday).
    result = business_add(NYC, utc(2026, 3, 6, 21), timedelta(hours=1))
    assert result == utc(2026, 3, 9, 13, 30)


def test_hours_inside_the_skipped_hour_count_nothing() -> None:
    # 2026-03-08, New York: 02:00 EST jumps to 03:00 EDT, so 00:30-02:30 is 90 minutes long.
    night = Calendar(tz=ZoneInfo("America/New_York"), hours={6: [(time(0, 30), time(2, 30))]})
    assert business_between(night, utc(2026, 3, 8), utc(2026, 3, 9)) == timedelta(minutes=90)
    assert business_add(night, utc(2026, 3, 8), timedelta(minutes=90)) == utc(2026, 3, 8, 7)
    assert not is_working(night, utc(2026, 3, 8, 7))


def test_no_working_hours_is_refused() -> None:
    empty = Calendar(tz=ZoneInfo("UTC"), hours={})
    with pytest.raises(ValueError):
        business_add(empty, utc(2026, 1, 1), timedelta(hours=1))


def test_is_working() -> None:
    assert is_working(OFFICE, utc(2026, 11, 23, 9))
    assert not is_working(OFFICE, utc(2026, 11, 23, 17))
    assert not is_working(OFFICE, utc(2026, 12, 25, 10))


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=20))
calendars = st.sampled_from([OFFICE, HCM, NYC])


@given(cal=calendars, start=moments, duration=durations)
def test_add_then_measure_gives_the_duration(
    cal: Calendar, start: datetime, duration: timedelta
) -> None:
    end = business_add(cal, start, duration)
    assert business_between(cal, start, end) == duration


@given(cal=calendars, start=moments, duration=durations)
def test_result_is_inside_working_hours(
    cal: Calendar, start: datetime, duration: timedelta
) -> None:
    end = business_add(cal, start, duration)
    # Inside an interval, or exactly at its end (the last working instant used).
    assert is_working(cal, end - timedelta(microseconds=1))
    local = end.astimezone(cal.tz)
    assert local.date() not in cal.holidays


@given(cal=calendars, start=moments, a=durations, b=durations)
def test_monotonic_and_additive(cal: Calendar, start: datetime, a: timedelta, b: timedelta) -> None:
    small, large = sorted((a, b))
    assert business_add(cal, start, small) <= business_add(cal, start, large)
    # Adding a then b is adding a + b.
    assert business_add(cal, business_add(cal, start, a), b) == business_add(cal, start, a + b)


@given(cal=calendars, a=moments, b=moments, c=moments)
def test_between_is_additive(cal: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert business_between(cal, a, c) == business_between(cal, a, b) + business_between(cal, b, c)
    assert business_between(cal, a, c) <= c - a


def test_is_working_sees_the_same_instant_in_local_time() -> None:
    local = datetime.combine(date(2026, 11, 23), time(8, 30), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert is_working(HCM, local)


# --- random calendars against a minute-by-minute count ----------------------------------------

ZONES = ["UTC", "Asia/Ho_Chi_Minh", "America/New_York", "Europe/London", "Australia/Sydney"]


@st.composite
def random_calendars(draw: st.DrawFn) -> Calendar:
    """Any time zone, 0–2 working spans on each weekday (whole quarter hours), some holidays."""
    hours: dict[str, list[list[str]]] = {}
    for weekday in range(7):
        marks = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
        spans = [marks[i : i + 2] for i in range(0, len(marks) - 1, 2)]
        hours[str(weekday)] = [
            [f"{a // 4:02d}:{a % 4 * 15:02d}", f"{min(b, 95) // 4:02d}:{min(b, 95) % 4 * 15:02d}"]
            for a, b in spans
            if min(b, 95) > a
        ]
    holidays = draw(
        st.lists(st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 3, 20)), max_size=4)
    )
    cal = calendar_from_spec(timezone=draw(st.sampled_from(ZONES)), hours=hours, holidays=holidays)
    if not cal.has_hours():
        cal = calendar_from_spec(timezone="UTC", hours=NINE_TO_FIVE, holidays=holidays)
    return cal


def _working_minutes(cal: Calendar, a: datetime, b: datetime) -> int:
    """The oracle: step minute by minute in local wall-clock terms."""
    count, moment = 0, a
    while moment < b:
        local = moment.astimezone(cal.tz)
        if local.date() not in cal.holidays:
            now = local.time()
            if any(start <= now < end for start, end in cal.hours.get(local.weekday(), ())):
                count += 1
        moment += timedelta(minutes=1)
    return count


minute_moments = st.builds(
    lambda day, minute: datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=day, minutes=minute),
    st.integers(0, 14),
    st.integers(0, 24 * 60 - 1),
)


@settings(deadline=None)  # the oracle is slow on a busy machine
@given(cal=random_calendars(), a=minute_moments, span=st.integers(0, 4 * 24 * 60))
def test_between_matches_a_minute_by_minute_count(cal: Calendar, a: datetime, span: int) -> None:
    # Spans cover nights, weekends, holidays and New York's and London's March clock changes.
    b = a + timedelta(minutes=span)
    assert business_between(cal, a, b) == timedelta(minutes=_working_minutes(cal, a, b))


@settings(deadline=None)
@given(cal=random_calendars(), start=minute_moments, minutes=st.integers(1, 2 * 24 * 60))
def test_add_lands_where_the_count_reaches_the_duration(
    cal: Calendar, start: datetime, minutes: int
) -> None:
    end = business_add(cal, start, timedelta(minutes=minutes))
    assume(end - start <= timedelta(days=12))  # sparse calendars: keep the oracle's walk short
    assert _working_minutes(cal, start, end) == minutes
    # One minute earlier the count is short: the earliest such instant.
    assert _working_minutes(cal, start, end - timedelta(minutes=1)) == minutes - 1
