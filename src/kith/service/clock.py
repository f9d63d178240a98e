"""Business-hours arithmetic for SLA clocks. Pure: no Django import.

A calendar is a time zone, working intervals per weekday (local wall-clock times, Monday = 0)
and holidays (local dates with no working time). Business time is the real elapsed time that
falls inside working intervals. All arithmetic is done in UTC on the intervals' instants, so a
daylight-saving change inside an interval counts the hours that really passed.

`business_add(cal, start, d)` is the earliest instant t with `business_between(cal, start, t) == d`
(for d > 0 it lies inside a working interval or at its end), and `business_between` counts the
working time in [a, b) (zero when b <= a).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Calendars with no working time at all would loop forever; ten years is the search horizon.
HORIZON_DAYS = 3660


@dataclass(frozen=True)
class Calendar:
    """Working hours: `hours[weekday]` is a sorted list of non-overlapping (start, end) times."""

    tz: ZoneInfo
    hours: Mapping[int, Sequence[tuple[time, time]]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def has_hours(self) -> bool:
        return any(start < end for spans in self.hours.values() for start, end in spans)


def calendar_from_spec(
    *, timezone: str, hours: Mapping[str, Sequence[Sequence[str]]], holidays: Sequence[date] = ()
) -> Calendar:
    """A Calendar from stored JSON: {"0": [["09:00", "17:00"]], …} (weekday → "HH:MM" pairs)."""
    parsed: dict[int, list[tuple[time, time]]] = {}
    for weekday, spans in hours.items():
        parsed[int(weekday)] = sorted(
            (time.fromisoformat(start), time.fromisoformat(end))
            for start, end in spans
            if time.fromisoformat(start) < time.fromisoformat(end)
        )
    return Calendar(tz=ZoneInfo(timezone), hours=parsed, holidays=frozenset(holidays))


def _intervals_from(cal: Calendar, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals in UTC, in order, starting with the local day of `moment`."""
    day = moment.astimezone(cal.tz).date()
    for offset in range(HORIZON_DAYS):
        current = day + timedelta(days=offset)
        if current in cal.holidays:
            continue
        for start, end in cal.hours.get(current.weekday(), ()):
            yield _wall_to_utc(cal, current, start), _wall_to_utc(cal, current, end)


def _wall_to_utc(cal: Calendar, day: date, wall: time) -> datetime:
    """The UTC instant of a local wall-clock time; a time that does not exist (skipped when
    the clocks go forward) is the instant the clocks jumped, so a working hour that falls in
    the gap counts nothing."""
    moment = datetime.combine(day, wall, tzinfo=cal.tz)
    instant = moment.astimezone(UTC)
    if instant.astimezone(cal.tz).replace(tzinfo=None) == moment.replace(tzinfo=None):
        return instant
    # In a gap: fold=1 reads it with the offset after the jump, an instant before the jump.
    # Step to the first minute whose wall time is past `wall` (transitions are on whole minutes).
    probe = moment.replace(fold=1).astimezone(UTC)
    naive = moment.replace(tzinfo=None)
    while probe.astimezone(cal.tz).replace(tzinfo=None) < naive:
        probe += timedelta(minutes=1)
    return probe


def business_add(cal: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant `duration` of working time after `start` (an aware datetime); UTC."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    if duration <= timedelta(0):
        return start
    if not cal.has_hours():
        raise ValueError("the calendar has no working hours")
    remaining = duration
    for begin, end in _intervals_from(cal, start):
        if end <= start:
            continue
        begin = max(begin, start)
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise ValueError("no working time within the horizon")


def business_between(cal: Calendar, a: datetime, b: datetime) -> timedelta:
    """Working time in [a, b); zero when b is not after a."""
    if a.tzinfo is None or b.tzinfo is None:
        raise ValueError("a and b must be timezone-aware")
    a, b = a.astimezone(UTC), b.astimezone(UTC)
    total = timedelta(0)
    if b <= a:
        return total
    for begin, end in _intervals_from(cal, a):
        if begin >= b:
            break
        if end <= a:
            continue
        total += min(end, b) - max(begin, a)
    return total


def is_working(cal: Calendar, moment: datetime) -> bool:
    """Whether `moment` falls inside a working interval (start inclusive, end exclusive)."""
    moment = moment.astimezone(UTC)
    for begin, end in _intervals_from(cal, moment - timedelta(days=1)):
        if begin > moment:
            return False
        if begin <= moment < end:
            return True
    return False
