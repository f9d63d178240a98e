"""Service factories: a business calendar, SLA policies and tickets made by the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kith.service import services
from kith.service.models import BusinessCalendar, SlaPolicy, Ticket

WEEKDAYS_9_TO_5 = {str(d): [["09:00", "17:00"]] for d in range(5)}
# Monday 23 November 2026, 10:00 UTC: a working morning.
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=UTC)


@dataclass
class Desk:
    calendar: BusinessCalendar
    urgent: SlaPolicy
    gold: SlaPolicy
    standard: SlaPolicy


def make_desk(*, by: Any) -> Desk:
    """A UTC 9–17 weekday calendar (25 Dec off) and three policies: urgent (1h/4h), gold-tier
    customers (2h/8h) and everyone else (4h/16h)."""
    calendar = services.calendar_create(
        by=by,
        name="Office",
        timezone_name="UTC",
        hours=WEEKDAYS_9_TO_5,
        holidays=[(date(2026, 12, 25), "Christmas")],
    )
    urgent = services.sla_policy_create(
        by=by, name="Urgent", calendar_id=calendar.pk, priority="urgent",
        first_response_minutes=60, resolution_minutes=240, position=1,
    )  # fmt: skip
    gold = services.sla_policy_create(
        by=by, name="Gold", calendar_id=calendar.pk, tier_field="tier", tier_value="gold",
        first_response_minutes=120, resolution_minutes=480, position=2,
    )  # fmt: skip
    standard = services.sla_policy_create(
        by=by, name="Standard", calendar_id=calendar.pk,
        first_response_minutes=240, resolution_minutes=960, position=3,
    )  # fmt: skip
    return Desk(calendar=calendar, urgent=urgent, gold=gold, standard=standard)


def make_ticket(*, by: Any, now: datetime = MONDAY_10, **kwargs: Any) -> Ticket:
    values: dict[str, Any] = {"subject": "Printer on fire", "description": "Smoke."}
    values.update(kwargs)
    return services.ticket_create(by=by, now=now, **values)
