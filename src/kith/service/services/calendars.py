"""Business calendars and SLA policies (administrators), and how a ticket gets its SLA due
times from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.text import clean
from kith.core.translated import translations_clean
from kith.core.validation import text_clean
from kith.customers.models import Contact
from kith.identity.access import is_admin
from kith.identity.models import User
from kith.service import clock
from kith.service.models import BusinessCalendar, BusinessHoliday, Priority, SlaPolicy, Ticket


def _admin_check(by: User) -> None:
    if not is_admin(by):
        raise FieldError.one("__all__", _("Only administrators can change SLA settings."))


# --- calendars and policies ---------------------------------------------------------------------


def calendar_create(
    *,
    by: User,
    name: str,
    timezone_name: str = "UTC",
    hours: Mapping[str, Sequence[Sequence[str]]],
    holidays: Sequence[tuple[date, str]] = (),
) -> BusinessCalendar:
    """A business calendar: working intervals per weekday ("0" = Monday, "HH:MM" pairs)."""
    _admin_check(by)
    errors: dict[str, str] = {}
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    try:
        spec = clock.calendar_from_spec(timezone=timezone_name, hours=hours)
        if not spec.has_hours():
            errors["hours"] = _("Give at least one working interval.")
    except (ValueError, KeyError, TypeError):
        errors["hours"] = _("Use weekdays 0–6 with HH:MM start and end times in a known time zone.")
    if errors:
        raise FieldError(errors)
    with transaction.atomic():
        calendar = BusinessCalendar.objects.create(
            name=name, timezone=timezone_name, hours={str(k): list(v) for k, v in hours.items()}
        )
        BusinessHoliday.objects.bulk_create(
            BusinessHoliday(calendar=calendar, day=day, name=label) for day, label in holidays
        )
    return calendar


def calendar_clock(calendar: BusinessCalendar) -> clock.Calendar:
    """The pure clock of a stored calendar (one query for the holidays)."""
    days = list(BusinessHoliday.objects.filter(calendar=calendar).values_list("day", flat=True))
    return clock.calendar_from_spec(timezone=calendar.timezone, hours=calendar.hours, holidays=days)


def sla_policy_create(
    *,
    by: User,
    name: str,
    calendar_id: int,
    first_response_minutes: int,
    resolution_minutes: int,
    priority: str = "",
    tier_field: str = "",
    tier_value: str = "",
    position: int = 0,
    name_translations: Mapping[str, str] | None = None,
) -> SlaPolicy:
    """A policy for one priority (blank: any) and tier (blank tier_field: any customer);
    name_translations are its name in the installation's other languages."""
    _admin_check(by)
    errors: dict[str, str] = {}
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    if priority and priority not in Priority.values:
        errors["priority"] = _("“%(value)s” is not a valid choice.") % {"value": priority}
    if not BusinessCalendar.objects.filter(pk=calendar_id).exists():
        errors["calendar_id"] = _("Choose an existing calendar.")
    for field, minutes in (
        ("first_response_minutes", first_response_minutes),
        ("resolution_minutes", resolution_minutes),
    ):
        if not isinstance(minutes, int) or minutes <= 0:
            errors[field] = _("Give a positive number of minutes.")
    if tier_value and not tier_field:
        errors["tier_field"] = _("Name the custom field that holds the tier.")
    if errors:
        raise FieldError(errors)
    return SlaPolicy.objects.create(
        name=name,
        name_translations=translations_clean(name_translations, limit=120),
        calendar_id=calendar_id,
        priority=priority,
        tier_field=clean(tier_field),
        tier_value=clean(tier_value),
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
        position=position,
    )


def sla_policy_for(*, priority: str, contact: Contact | None) -> SlaPolicy | None:
    """The first active policy (by position) matching the priority and the contact's tier."""
    custom = contact.custom if contact is not None else {}
    for policy in SlaPolicy.objects.filter(is_active=True).select_related("calendar"):
        if policy.priority and policy.priority != priority:
            continue
        if policy.tier_field and str(custom.get(policy.tier_field, "")) != policy.tier_value:
            continue
        return policy
    return None


def sla_apply(ticket: Ticket) -> None:
    """(Re)compute the due times from the ticket's creation, its policy and time paused."""
    policy = sla_policy_for(priority=ticket.priority, contact=ticket.contact)
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due = ticket.resolution_due = None
        return
    cal = calendar_clock(policy.calendar)
    ticket.first_response_due = clock.business_add(
        cal, ticket.created_at, timedelta(minutes=policy.first_response_minutes)
    )
    ticket.resolution_due = clock.business_add(
        cal,
        ticket.created_at,
        timedelta(minutes=policy.resolution_minutes, seconds=ticket.paused_seconds),
    )
