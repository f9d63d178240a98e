"""Writes of service: calendars and SLA policies, the ticket lifecycle and its events, SLA
breaches with escalation, the public support form, inbound support email and CSAT answers.

Every service checks access with kith.identity.access (module "tickets"), raises FieldError
keyed by field, writes atomically and records each change as a TicketEvent (who, when, what,
old → new). SLA rules are in kith.service.models' docstring.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound, StaleEdit
from kith.core.text import clean
from kith.customers import services as customers
from kith.customers.models import Company, Contact, ContactPoint
from kith.customers.normalise import email_normalise
from kith.identity.access import is_admin, require, visible_to
from kith.identity.models import Team, User
from kith.identity.selectors import users_assignable
from kith.service import clock
from kith.service.models import (
    BusinessCalendar,
    BusinessHoliday,
    ContactCsat,
    Priority,
    SlaPolicy,
    SupportSubmission,
    Ticket,
    TicketEvent,
)

Status = Ticket.Status
# Allowed status changes. Closed is final: a customer writing again opens a new ticket.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
TICKET_FIELDS = frozenset(
    {"subject", "description", "priority", "category", "owner_id", "contact_id", "company_id"}
)
CSAT_SALT = "kith.service.csat"
REFERENCE = re.compile(r"\[#(\d{1,18})\]")


def _text(
    value: Any, field: str, limit: int, errors: dict[str, str], required: bool = False
) -> str:
    text = clean(str(value or ""))
    if len(text) > limit:
        errors[field] = _("Use at most %(n)d characters.") % {"n": limit}
    elif required and not text:
        errors[field] = _("This field is required.")
    return text


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
    name = _text(name, "name", 120, errors, required=True)
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
) -> SlaPolicy:
    """A policy for one priority (blank: any) and tier (blank tier_field: any customer)."""
    _admin_check(by)
    errors: dict[str, str] = {}
    name = _text(name, "name", 120, errors, required=True)
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


def _sla_apply(ticket: Ticket) -> None:
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


# --- events ----------------------------------------------------------------------------------


def _event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    at: datetime,
    field: str = "",
    old: Any = "",
    new: Any = "",
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        actor=actor,
        at=at,
    )


# --- tickets ---------------------------------------------------------------------------------


def _contact_resolve(*, by: User, contact_id: Any, errors: dict[str, str]) -> Contact | None:
    if contact_id in (None, ""):
        return None
    contact = (
        visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk=contact_id).first()
    )
    if contact is None:
        errors["contact_id"] = _("Choose a contact you can see.")
    return contact


def _company_resolve(*, by: User, company_id: Any, errors: dict[str, str]) -> Company | None:
    if company_id in (None, ""):
        return None
    company = (
        visible_to(Company.objects.all(), user=by, module="companies").filter(pk=company_id).first()
    )
    if company is None:
        errors["company_id"] = _("Choose a company you can see.")
    return company


def _owner_resolve(*, by: User, owner_id: Any, errors: dict[str, str]) -> User:
    if owner_id in (None, "") or owner_id == by.pk:
        return by
    owner = users_assignable(user=by, module="tickets").filter(pk=owner_id).first()
    if owner is None:
        errors["owner_id"] = _("You cannot assign tickets to this user.")
        return by
    return owner


def _ticket_validate(values: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "subject" in values:
        out["subject"] = _text(values["subject"], "subject", 200, errors, required=True)
    if "description" in values:
        out["description"] = str(values["description"] or "").strip()[:20000]
    if "category" in values:
        out["category"] = _text(values["category"], "category", 80, errors)
    if "priority" in values:
        if values["priority"] not in Priority.values:
            errors["priority"] = _("“%(value)s” is not a valid choice.") % {
                "value": values["priority"]
            }
        out["priority"] = values["priority"]
    return out


def _ticket_create(
    *,
    owner: User,
    actor: User | None,
    subject: str,
    description: str,
    contact: Contact | None,
    company: Company | None,
    channel: str,
    priority: str,
    category: str,
    now: datetime,
    message_id: str = "",
) -> Ticket:
    ticket = Ticket(
        subject=subject,
        description=description,
        contact=contact,
        company=company if company is not None else (contact.company if contact else None),
        channel=channel,
        priority=priority,
        category=category,
        owner=owner,
        team_id=owner.team_id,
        message_id=message_id[:255],
    )
    ticket.save()
    # created_at is auto_now_add; a given `now` (tests, imports) is what the SLA counts from.
    Ticket.objects.filter(pk=ticket.pk).update(created_at=now)
    ticket.created_at = now
    _sla_apply(ticket)
    ticket.save(update_fields=["sla_policy", "first_response_due", "resolution_due"])
    TicketEvent.objects.bulk_create(
        [_event(ticket, TicketEvent.Kind.CREATED, actor=actor, at=now, new=ticket.status)]
    )
    return ticket


@transaction.atomic
def ticket_create(
    *,
    by: User,
    subject: str,
    description: str = "",
    contact_id: int | None = None,
    company_id: int | None = None,
    channel: str = Ticket.Channel.WEB,
    priority: str = Priority.NORMAL,
    category: str = "",
    owner_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A new ticket with its SLA due times; the contact and company must be visible to `by`."""
    require(by, "tickets", "create")
    now = now or timezone.now()
    errors: dict[str, str] = {}
    values = _ticket_validate(
        {
            "subject": subject,
            "description": description,
            "category": category,
            "priority": priority,
        },
        errors,
    )
    if channel not in Ticket.Channel.values:
        errors["channel"] = _("“%(value)s” is not a valid choice.") % {"value": channel}
    contact = _contact_resolve(by=by, contact_id=contact_id, errors=errors)
    company = _company_resolve(by=by, company_id=company_id, errors=errors)
    owner = _owner_resolve(by=by, owner_id=owner_id, errors=errors)
    if errors:
        raise FieldError(errors)
    return _ticket_create(
        owner=owner,
        actor=by,
        contact=contact,
        company=company,
        channel=channel,
        now=now,
        **values,
    )


def _ticket_for_write(*, by: User, ticket_id: int, right: str = "edit") -> Ticket:
    ticket = (
        visible_to(Ticket.objects.select_for_update(of=("self",)), user=by, module="tickets")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(_("Not found."))
    require(by, "tickets", right, ticket)
    return ticket


@transaction.atomic
def ticket_update(
    *,
    by: User,
    ticket_id: int,
    version: int | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> Ticket:
    """Change fields of a ticket (each change is an event); a priority change recomputes the SLA."""
    now = now or timezone.now()
    unknown = sorted(set(changes) - TICKET_FIELDS)
    if unknown:
        raise FieldError({name: _("This field cannot be changed.") for name in unknown})
    ticket = _ticket_for_write(by=by, ticket_id=ticket_id)
    if version is not None and ticket.version != version:
        raise StaleEdit(
            _("Ticket %(ref)s was changed by someone else since you opened it. Reload it.")
            % {"ref": ticket.reference}
        )
    errors: dict[str, str] = {}
    values = _ticket_validate(changes, errors)
    if "contact_id" in changes:
        values["contact"] = _contact_resolve(by=by, contact_id=changes["contact_id"], errors=errors)
    if "company_id" in changes:
        values["company"] = _company_resolve(by=by, company_id=changes["company_id"], errors=errors)
    if "owner_id" in changes:
        values["owner"] = _owner_resolve(by=by, owner_id=changes["owner_id"], errors=errors)
    if errors:
        raise FieldError(errors)
    events = []
    for name, new in values.items():
        old = getattr(ticket, name)
        if old != new:
            events.append(
                _event(
                    ticket, TicketEvent.Kind.CHANGED, actor=by, at=now, field=name, old=old, new=new
                )
            )
            setattr(ticket, name, new)
    if "owner" in values:
        ticket.team_id = ticket.owner.team_id
    if not events:
        return ticket
    if any(e.field in {"priority", "contact"} for e in events):
        _sla_apply(ticket)
    ticket.version += 1
    ticket.save()
    TicketEvent.objects.bulk_create(events)
    return ticket


def _status_set(ticket: Ticket, status: str, *, actor: User | None, now: datetime) -> TicketEvent:
    """Move the ticket's status, pausing/resuming the resolution clock; the caller saves."""
    old = ticket.status
    if ticket.paused_at is not None and status != Status.PENDING:
        cal = calendar_clock(ticket.sla_policy.calendar) if ticket.sla_policy else None
        if cal is not None:
            paused = clock.business_between(cal, ticket.paused_at, now)
            ticket.paused_seconds += int(paused.total_seconds())
            if ticket.resolution_due is not None:
                ticket.resolution_due = clock.business_add(cal, ticket.resolution_due, paused)
        ticket.paused_at = None
    if status == Status.PENDING:
        ticket.paused_at = now
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
    elif status == Status.OPEN:
        ticket.resolved_at = None
    if status == Status.CLOSED:
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
    ticket.status = status
    ticket.version += 1
    return _event(
        ticket, TicketEvent.Kind.STATUS, actor=actor, at=now, field="status", old=old, new=status
    )


@transaction.atomic
def ticket_transition(
    *, by: User, ticket_id: int, status: str, now: datetime | None = None
) -> Ticket:
    """Move a ticket to `status` if TRANSITIONS allow it; resolving sends the CSAT request."""
    now = now or timezone.now()
    ticket = _ticket_for_write(by=by, ticket_id=ticket_id)
    if status not in TRANSITIONS.get(ticket.status, frozenset()):
        raise FieldError.one(
            "status",
            _("A ticket cannot go from %(old)s to %(new)s.")
            % {"old": Status(ticket.status).label, "new": status},
        )
    event = _status_set(ticket, status, actor=by, now=now)
    ticket.save()
    event.save()
    if status == Status.RESOLVED:
        from kith.service.tasks import csat_request_send_task

        ticket_id_ = ticket.pk
        # Sent by the worker: a slow or failing mail server must not fail the agent's click.
        transaction.on_commit(lambda: csat_request_send_task.enqueue(ticket_id_))
    return ticket


@transaction.atomic
def ticket_reply(*, by: User, ticket_id: int, text: str, now: datetime | None = None) -> Ticket:
    """An agent's reply: the first one stops the first-response clock; a new ticket opens."""
    now = now or timezone.now()
    ticket = _ticket_for_write(by=by, ticket_id=ticket_id)
    body = str(text or "").strip()
    if not body:
        raise FieldError.one("text", _("Write a reply."))
    events = [_event(ticket, TicketEvent.Kind.REPLY, actor=by, at=now, new=body[:5000])]
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    if ticket.status == Status.NEW:
        events.append(_status_set(ticket, Status.OPEN, actor=by, now=now))
    ticket.save()
    TicketEvent.objects.bulk_create(events)
    return ticket


def _customer_reply(ticket: Ticket, *, text: str, now: datetime) -> None:
    """A customer wrote again: the reply is an event; pending/resolved tickets reopen."""
    events = [_event(ticket, TicketEvent.Kind.CUSTOMER_REPLY, actor=None, at=now, new=text[:5000])]
    if ticket.status in {Status.PENDING, Status.RESOLVED}:
        events.append(_status_set(ticket, Status.OPEN, actor=None, now=now))
    ticket.save()
    TicketEvent.objects.bulk_create(events)


# --- breaches --------------------------------------------------------------------------------


def _escalate(ticket: Ticket, text: str) -> None:
    from kith.engagement import services as engagement

    team = Team.objects.filter(pk=ticket.team_id or 0).select_related("lead").first()
    recipient = team.lead if team is not None and team.lead is not None else ticket.owner
    engagement.notification_create(
        recipient=recipient,
        kind="sla_breach",
        text=text,
        url=reverse("ticket-detail", args=[ticket.pk]),
        record_model="service.ticket",
        record_id=ticket.pk,
    )


def tickets_breach_check(*, now: datetime | None = None) -> int:
    """Mark tickets whose first-response or resolution due time passed, once each; record a
    breach event and notify the team lead. Pending tickets' resolution clock is paused, so they
    are not checked for it. Returns the number of breaches marked."""
    now = now or timezone.now()
    marked = 0
    active = [Status.NEW, Status.OPEN, Status.PENDING]
    checks = (
        (
            "first_response",
            Ticket.objects.filter(
                first_responded_at__isnull=True,
                first_response_breached_at__isnull=True,
                first_response_due__lt=now,
                status__in=active,
            ),
            _("First response overdue on ticket %(ref)s: %(subject)s"),
        ),
        (
            "resolution",
            Ticket.objects.filter(
                resolved_at__isnull=True,
                resolution_breached_at__isnull=True,
                resolution_due__lt=now,
                status__in=[Status.NEW, Status.OPEN],
            ),
            _("Resolution overdue on ticket %(ref)s: %(subject)s"),
        ),
    )
    for name, candidates, message in checks:
        for ticket in candidates.select_related("owner").order_by("pk")[:1000]:
            with transaction.atomic():
                # The conditional update is what makes a breach count once even when two
                # workers run the check at the same time.
                claimed = Ticket.objects.filter(
                    pk=ticket.pk, **{f"{name}_breached_at__isnull": True}
                ).update(**{f"{name}_breached_at": now})
                if not claimed:
                    continue
                due = getattr(ticket, f"{name}_due")
                TicketEvent.objects.create(
                    ticket=ticket,
                    kind=TicketEvent.Kind.BREACH,
                    field=name,
                    old_value=due.isoformat() if due else "",
                    new_value=now.isoformat(),
                    at=now,
                )
                _escalate(ticket, message % {"ref": ticket.reference, "subject": ticket.subject})
                marked += 1
    return marked


# --- public support form ---------------------------------------------------------------------


class RateLimited(FieldError):
    """Too many submissions from one address."""


def ip_hash(ip: str) -> str:
    """The submitter's address, hashed with the secret key: counted, never stored in clear."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:service:{ip}".encode()).hexdigest()


def intake_user() -> User:
    """Who owns tickets from the public form and email when the contact is new: the user named
    by KITH_SERVICE_INTAKE_USER, else the first active superuser."""
    username = getattr(settings, "KITH_SERVICE_INTAKE_USER", "")
    users = User.objects.filter(is_active=True)
    user = (
        users.filter(username=username).first()
        if username
        else users.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        raise FieldError.one("__all__", _("The support desk cannot take requests right now."))
    return user


def _contact_for_email(*, email: str, name: str) -> tuple[Contact, User]:
    """The contact with this email (any team) and who should own its ticket; a new contact
    is made by the intake user when none exists."""
    contact = (
        Contact.objects.filter(points__kind=ContactPoint.Kind.EMAIL, points__value=email)
        .select_related("owner", "company")
        .order_by("pk")
        .first()
    )
    if contact is not None:
        return contact, contact.owner
    owner = intake_user()
    contact = customers.contact_create(
        by=owner,
        full_name=name or email.split("@")[0],
        emails=[email],
        source_channel=Contact.Channel.OTHER,
    )
    return contact, owner


def support_form_submit(
    *, data: Mapping[str, Any], ip: str, now: datetime | None = None
) -> Ticket | None:
    """One post of the public support form: a ticket for the contact with that email (created
    when new). None for a honeypot hit (looks accepted, nothing stored). Raises RateLimited
    after KITH_SERVICE_FORM_RATE posts per address in KITH_SERVICE_FORM_WINDOW seconds, and
    FieldError naming each bad field; nothing but the rate-limit count is stored then."""
    now = now or timezone.now()
    hashed = ip_hash(ip)
    window = now - timedelta(seconds=getattr(settings, "KITH_SERVICE_FORM_WINDOW", 600))
    recent = SupportSubmission.objects.filter(ip_hash=hashed, at__gte=window).count()
    if recent >= getattr(settings, "KITH_SERVICE_FORM_RATE", 5):
        raise RateLimited.one("__all__", _("Too many requests from your address; try again later."))
    SupportSubmission.objects.create(ip_hash=hashed)
    if clean(str(data.get("website_url") or "")):  # the honeypot: humans never see it
        return None
    errors: dict[str, str] = {}
    name = _text(data.get("full_name"), "full_name", 200, errors, required=True)
    raw_email = clean(str(data.get("email") or ""))
    email = ""
    if not raw_email:
        errors["email"] = _("Enter an email address.")
    else:
        try:
            email = email_normalise(raw_email)
        except (ValueError, FieldError):
            errors["email"] = _("Enter a valid email address.")
        if not email and "email" not in errors:
            errors["email"] = _("Enter a valid email address.")
    values = _ticket_validate(
        {"subject": data.get("subject"), "description": data.get("description")}, errors
    )
    if not values.get("description") and "description" not in errors:
        errors["description"] = _("Tell us what happened.")
    if errors:
        raise FieldError(errors)
    with transaction.atomic():
        contact, owner = _contact_for_email(email=email, name=name)
        return _ticket_create(
            owner=owner,
            actor=None,
            contact=contact,
            company=None,
            channel=Ticket.Channel.FORM,
            priority=Priority.NORMAL,
            category="",
            now=now,
            **values,
        )


def support_submissions_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete rate-limit rows older than a day (run daily)."""
    deleted, _by_model = SupportSubmission.objects.filter(
        at__lt=timezone.now() - older_than
    ).delete()
    return deleted


# --- inbound support email -------------------------------------------------------------------


def support_email_file(
    *,
    sender: str,
    sender_name: str,
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """File one support email: a reply to an open ticket (its reference "[#123]" in the subject
    from the ticket's contact, or In-Reply-To the ticket's first message) adds a customer reply;
    anything else opens a ticket. Idempotent by Message-ID. Returns (ticket, created)."""
    now = now or timezone.now()
    try:
        email = email_normalise(sender) if sender else ""
    except ValueError:
        email = ""
    if not email:
        raise FieldError.one("sender", _("The message has no usable sender address."))
    with transaction.atomic():
        if message_id:
            seen = Ticket.objects.filter(message_id=message_id).first()
            if seen is not None:
                return seen, False
            replied = TicketEvent.objects.filter(
                kind=TicketEvent.Kind.CUSTOMER_REPLY, field=message_id[:40]
            ).select_related("ticket")
            event = replied.first()
            if event is not None:
                return event.ticket, False
        contact, owner = _contact_for_email(email=email, name=sender_name)
        target = None
        match = REFERENCE.search(subject or "")
        if match:
            target = Ticket.objects.filter(pk=int(match.group(1)), contact=contact).first()
        thread = [i for i in (in_reply_to, *references) if i]
        if target is None and thread:
            target = (
                Ticket.objects.filter(message_id__in=thread, contact=contact).order_by("pk").first()
            )
        if target is not None and target.status != Status.CLOSED:
            target = Ticket.objects.select_for_update(of=("self",)).get(pk=target.pk)
            events = [
                TicketEvent(
                    ticket=target,
                    kind=TicketEvent.Kind.CUSTOMER_REPLY,
                    # The Message-ID's start keeps a redelivered reply from being filed twice.
                    field=message_id[:40],
                    new_value=body[:5000],
                    at=now,
                )
            ]
            if target.status in {Status.PENDING, Status.RESOLVED}:
                events.append(_status_set(target, Status.OPEN, actor=None, now=now))
            target.save()
            TicketEvent.objects.bulk_create(events)
            return target, False
        errors: dict[str, str] = {}
        values = _ticket_validate(
            {"subject": subject or _("(no subject)"), "description": body}, errors
        )
        ticket = _ticket_create(
            owner=owner,
            actor=None,
            contact=contact,
            company=None,
            channel=Ticket.Channel.EMAIL,
            priority=Priority.NORMAL,
            category="",
            now=now,
            message_id=message_id,
            **values,
        )
        return ticket, True


# --- CSAT ------------------------------------------------------------------------------------


def csat_token_make(*, ticket_id: int) -> str:
    """A signed token naming the ticket; valid KITH_SERVICE_CSAT_DAYS days."""
    return signing.dumps({"t": ticket_id}, salt=CSAT_SALT, compress=True)


def csat_token_read(*, token: str) -> int:
    """The ticket id in a CSAT token; FieldError when tampered with or expired."""
    max_age = timedelta(days=getattr(settings, "KITH_SERVICE_CSAT_DAYS", 14))
    try:
        payload = signing.loads(token, salt=CSAT_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise FieldError.one("token", _("This survey link has expired.")) from exc
    except signing.BadSignature as exc:
        raise FieldError.one("token", _("This survey link is not valid.")) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        raise FieldError.one("token", _("This survey link is not valid."))
    return int(payload["t"])


def csat_url(*, ticket_id: int) -> str:
    """The absolute address of the CSAT page for a ticket."""
    token = csat_token_make(ticket_id=ticket_id)
    return settings.KITH_BASE_URL + reverse("csat-answer", args=[token])


def _contact_email(contact_id: int | None) -> str:
    if contact_id is None:
        return ""
    point = (
        ContactPoint.objects.filter(contact_id=contact_id, kind=ContactPoint.Kind.EMAIL)
        .order_by("-is_primary", "pk")
        .first()
    )
    return point.value if point is not None else ""


def csat_request_send(*, ticket_id: int) -> bool:
    """Email the ticket's contact the one-question satisfaction survey. False: no address."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.csat_score is not None:
        return False
    address = _contact_email(ticket.contact_id)
    if not address:
        return False
    body = _(
        "Your request %(ref)s “%(subject)s” has been resolved.\n\n"
        "How satisfied are you with our help? Answer with one click (1 to 5):\n%(url)s\n"
    ) % {"ref": ticket.reference, "subject": ticket.subject, "url": csat_url(ticket_id=ticket.pk)}
    EmailMessage(
        subject=_("%(ref)s How did we do?") % {"ref": ticket.reference},
        body=body,
        to=[address],
    ).send()
    return True


@transaction.atomic
def csat_submit(
    *, token: str, score: Any, comment: str = "", now: datetime | None = None
) -> Ticket:
    """Record the customer's 1–5 score (and comment) on the ticket and the contact's summary.
    Answering again replaces the ticket's earlier answer."""
    now = now or timezone.now()
    ticket_id = csat_token_read(token=token)
    try:
        value = int(str(score))
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise FieldError.one("score", _("Choose a score from 1 to 5."))
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None:
        raise FieldError.one("token", _("This survey link is not valid."))
    previous = ticket.csat_score
    ticket.csat_score, ticket.csat_comment, ticket.csat_at = value, str(comment or "")[:2000], now
    ticket.save(update_fields=["csat_score", "csat_comment", "csat_at"])
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.CSAT, field="csat", old_value=str(previous or ""),
        new_value=str(value), at=now,
    )  # fmt: skip
    if ticket.contact_id is not None:
        summary = ContactCsat.objects.select_for_update().filter(contact_id=ticket.contact_id)
        if summary.exists():
            summary.update(
                answers=F("answers") + (0 if previous else 1),
                score_total=F("score_total") + value - (previous or 0),
                latest_score=value,
                latest_at=now,
                latest_ticket=ticket,
            )
        else:
            ContactCsat.objects.create(
                contact_id=ticket.contact_id,
                answers=1,
                score_total=value,
                latest_score=value,
                latest_at=now,
                latest_ticket=ticket,
            )
    return ticket
