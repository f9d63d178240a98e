"""Schedule triggers: "every 15m" / "every 2h" / "every 1d", or a cron line of five fields
(minute hour day-of-month month day-of-week; "*", "*/n", "a-b", "a,b,c"; day-of-week 0 = Sunday).

The worker checks every minute (kith.automation.services.runs.schedule_rules_fire); a slot is
one run per rule (its cause "schedule:<slot>"), so a check repeated or run by two workers
starts it once. Slots missed while no worker ran are not made up beyond CATCH_UP.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

CATCH_UP = dt.timedelta(minutes=15)
EVERY = re.compile(r"every\s+(\d+)\s*([mhd])", re.IGNORECASE)
UNITS = {"m": 1, "h": 60, "d": 1440}
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


@dataclass(frozen=True)
class Schedule:
    every_minutes: int = 0  # "every N": slots at multiples of N minutes since the epoch
    fields: tuple[frozenset[int], ...] = ()  # cron: allowed values of each of the five fields

    def matches(self, moment: dt.datetime) -> bool:
        """Whether the minute `moment` (local time for cron lines) is a slot."""
        if self.every_minutes:
            return int(moment.timestamp() // 60) % self.every_minutes == 0
        local = timezone.localtime(moment)
        values = (local.minute, local.hour, local.day, local.month, (local.weekday() + 1) % 7)
        return all(value in allowed for value, allowed in zip(values, self.fields, strict=True))

    def slots(self, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """The slots in (after, until], each at the start of its minute."""
        minute = until.replace(second=0, microsecond=0)
        found = []
        while minute > after:
            if self.matches(minute):
                found.append(minute)
            minute -= dt.timedelta(minutes=1)
        return found[::-1]


def _field(text: str, low: int, high: int) -> frozenset[int]:
    allowed: set[int] = set()
    for part in text.split(","):
        base, _slash, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = int(first), int(last)
        else:
            start = end = int(base)
        if step < 1 or not low <= start <= end <= high:
            raise ValueError(part)
        allowed.update(range(start, end + 1, step))
    return frozenset(allowed)


def schedule_parse(text: str) -> Schedule:
    """The schedule `text` describes; ValueError when it describes none."""
    text = (text or "").strip()
    every = EVERY.fullmatch(text)
    if every:
        minutes = int(every.group(1)) * UNITS[every.group(2).lower()]
        if not 1 <= minutes <= 366 * 1440:
            raise ValueError(text)
        return Schedule(every_minutes=minutes)
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(text)
    return Schedule(
        fields=tuple(_field(part, *limits) for part, limits in zip(parts, RANGES, strict=True))
    )
