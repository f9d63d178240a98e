"""The ticket lifecycle: create, change fields, move status, agent replies. Every change is a
TicketEvent (who, when, what, old → new); TRANSITIONS says which status moves are allowed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound, StaleEdit
from kith.core.events import event_record
from kith.core.validation import text_clean
from kith.customers.models import Company, Contact
from kith.engagement.models import Mailbox
from kith.identity.access import require, visible_to
from kith.identity.models import User
from kith.identity.selectors import users_assignable
from kith.service import clock
from kith.service.models import Priority, Ticket, TicketEvent
from kith.service.services.calendars import calendar_clock, sla_apply

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

# --- events ----------------------------------------------------------------------------------


def ticket_event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    at: datetime,
    field: str = "",
    old: Any = "",
    new: Any = "",
) -> TicketEvent:
    """An unsaved TicketEvent (the caller bulk-creates them); None values become ""."""
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


def ticket_values_check(values: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The cleaned subject, description, category and priority among `values`; a bad one
    is put in `errors` by field."""
    out: dict[str, Any] = {}
    if "subject" in values:
        out["subject"] = text_clean(
            values["subject"], field="subject", limit=200, errors=errors, required=True
        )
    if "description" in values:
        out["description"] = str(values["description"] or "").strip()[:20000]
    if "category" in values:
        out["category"] = text_clean(values["category"], field="category", limit=80, errors=errors)
    if "priority" in values:
        if values["priority"] not in Priority.values:
            errors["priority"] = _("“%(value)s” is not a valid choice.") % {
                "value": values["priority"]
            }
        out["priority"] = values["priority"]
    return out


def ticket_open(
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
    """Store a new ticket with its SLA due times and its created event (no access check: the
    callers checked who may open it)."""
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
    sla_apply(ticket)
    ticket.save(update_fields=["sla_policy", "first_response_due", "resolution_due"])
    TicketEvent.objects.bulk_create(
        [ticket_event(ticket, TicketEvent.Kind.CREATED, actor=actor, at=now, new=ticket.status)]
    )
    event_record(
        name="ticket.created", record=ticket, actor=actor,
        payload={"channel": channel, "priority": priority, "contact_id": ticket.contact_id},
    )  # fmt: skip
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
    values = ticket_values_check(
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
    return ticket_open(
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
    values = ticket_values_check(changes, errors)
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
                ticket_event(
                    ticket, TicketEvent.Kind.CHANGED, actor=by, at=now, field=name, old=old, new=new
                )
            )
            setattr(ticket, name, new)
    if "owner" in values:
        ticket.team_id = ticket.owner.team_id
    if not events:
        return ticket
    if any(e.field in {"priority", "contact"} for e in events):
        sla_apply(ticket)
    ticket.version += 1
    ticket.save()
    TicketEvent.objects.bulk_create(events)
    event_record(
        name="ticket.updated", record=ticket, actor=by,
        payload={"changed": sorted({e.field for e in events})},
    )  # fmt: skip
    return ticket


def ticket_status_event_record(ticket: Ticket, event: TicketEvent) -> None:
    """The domain events of a status move: ticket.status_changed, and ticket.resolved or
    ticket.reopened where the move is one (feedback surveys, automation rules listen)."""
    moved = {"from_status": event.old_value, "to_status": event.new_value}
    event_record(name="ticket.status_changed", record=ticket, actor=event.actor, payload=moved)
    if event.new_value == Status.RESOLVED:
        # Who the feedback survey goes to and is credited to: ids and codes only.
        resolved = {
            **moved, "contact_id": ticket.contact_id, "owner_id": ticket.owner_id,
            "team_id": ticket.team_id, "channel": ticket.channel,
        }  # fmt: skip
        event_record(name="ticket.resolved", record=ticket, actor=event.actor, payload=resolved)
    elif event.old_value in (Status.RESOLVED, Status.CLOSED) and event.new_value == Status.OPEN:
        event_record(name="ticket.reopened", record=ticket, actor=event.actor, payload=moved)


def status_set(ticket: Ticket, status: str, *, actor: User | None, now: datetime) -> TicketEvent:
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
    elif status == Status.OPEN:
        ticket.resolved_at = None
    if status == Status.CLOSED:
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
    ticket.status = status
    ticket.version += 1
    return ticket_event(
        ticket, TicketEvent.Kind.STATUS, actor=actor, at=now, field="status", old=old, new=status
    )


@transaction.atomic
def ticket_transition(
    *, by: User, ticket_id: int, status: str, now: datetime | None = None
) -> Ticket:
    """Move a ticket to `status` if TRANSITIONS allow it; resolving makes feedback send
    its CSAT survey (through the ticket.resolved event)."""
    now = now or timezone.now()
    ticket = _ticket_for_write(by=by, ticket_id=ticket_id)
    if status not in TRANSITIONS.get(ticket.status, frozenset()):
        raise FieldError.one(
            "status",
            _("A ticket cannot go from %(old)s to %(new)s.")
            % {"old": Status(ticket.status).label, "new": status},
        )
    event = status_set(ticket, status, actor=by, now=now)
    ticket.save()
    event.save()
    ticket_status_event_record(ticket, event)
    return ticket


def _reply_thread(ticket: Ticket) -> list[str]:
    """The Message-IDs of the ticket's emails so far, oldest first (its first message, replies
    sent and customer answers): the References of the next reply."""
    ids = [ticket.message_id] if ticket.message_id else []
    ids += (
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .order_by("at", "id")
        .values_list("message_id", flat=True)
    )
    return [i for i in dict.fromkeys(ids) if i]


def _reply_send(*, ticket: Ticket, by: User, body: str) -> str:
    """Email the agent's reply to the ticket's contact, threaded on the earlier messages (the
    customer's mail client answers In-Reply-To it, and the support mailbox files the answer on
    this ticket); returns the Message-ID sent (no angle brackets)."""
    address = ticket.contact.primary_email if ticket.contact is not None else ""
    if not address:
        raise FieldError.one(
            "text",
            _(
                "This ticket has no customer email address to send the reply to: add a contact "
                "with an email address, or write an internal note."
            ),
        )
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").strip() or "kith.local"
    message_id = make_msgid(domain=domain).strip("<>")
    thread = _reply_thread(ticket)
    headers = {"Message-ID": f"<{message_id}>"}
    if thread:
        headers["In-Reply-To"] = f"<{thread[-1]}>"
        headers["References"] = " ".join(f"<{i}>" for i in thread)
    support = (
        Mailbox.objects.filter(
            purpose=Mailbox.Purpose.SUPPORT, is_active=True, username__contains="@"
        )
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    subject = (
        ticket.subject
        if ticket.reference in ticket.subject
        else f"{ticket.subject} {ticket.reference}"
    )
    message = EmailMessage(
        subject=f"Re: {subject}",
        body=body,
        to=[address],
        reply_to=[support] if support else None,
        headers=headers,
    )
    try:
        message.send(fail_silently=False)
    except OSError as exc:
        raise FieldError.one(
            "text", _("The mail server refused the message; the reply was not sent.")
        ) from exc
    return message_id


@transaction.atomic
def ticket_reply(*, by: User, ticket_id: int, text: str, now: datetime | None = None) -> Ticket:
    """An agent's reply, emailed to the ticket's contact (SMTP, threaded by Message-ID). Only a
    reply that was sent stops the first-response clock; a new ticket opens. A reply that cannot
    be sent (no address, the server refuses) writes nothing."""
    now = now or timezone.now()
    ticket = _ticket_for_write(by=by, ticket_id=ticket_id)
    body = str(text or "").strip()
    if not body:
        raise FieldError.one("text", _("Write a reply."))
    if ticket.status == Status.CLOSED:
        raise FieldError.one(
            "text", _("This ticket is closed: the customer's next message opens a new one.")
        )
    message_id = _reply_send(ticket=ticket, by=by, body=body)
    reply = ticket_event(ticket, TicketEvent.Kind.REPLY, actor=by, at=now, new=body[:5000])
    reply.message_id = message_id
    events = [reply]
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    if ticket.status == Status.NEW:
        events.append(status_set(ticket, Status.OPEN, actor=by, now=now))
    ticket.save()
    TicketEvent.objects.bulk_create(events)
    event_record(name="ticket.replied", record=ticket, actor=by)
    for moved in events[1:]:
        ticket_status_event_record(ticket, moved)
    return ticket


@transaction.atomic
def ticket_note(*, by: User, ticket_id: int, text: str, now: datetime | None = None) -> Ticket:
    """An internal note on a ticket: seen by agents only, never emailed, and no response to the
    customer (the SLA clocks do not move)."""
    now = now or timezone.now()
    ticket = _ticket_for_write(by=by, ticket_id=ticket_id)
    body = str(text or "").strip()
    if not body:
        raise FieldError.one("text", _("Write a note."))
    ticket_event(ticket, TicketEvent.Kind.NOTE, actor=by, at=now, new=body[:5000]).save()
    return ticket
