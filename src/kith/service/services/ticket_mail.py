"""Inbound support email: a reply on its ticket, or a new ticket."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.customers.normalise import email_normalise
from kith.service.models import Priority, Ticket, TicketEvent
from kith.service.services.requesters import requester_for_email
from kith.service.services.tickets import (
    Status,
    status_set,
    ticket_open,
    ticket_status_event_record,
    ticket_values_check,
)

REFERENCE = re.compile(r"\[#(\d{1,18})\]")

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
                Q(message_id=message_id) | Q(field=message_id[:40]),
                kind=TicketEvent.Kind.CUSTOMER_REPLY,
            ).select_related("ticket")
            event = replied.first()
            if event is not None:
                return event.ticket, False
        contact, owner = requester_for_email(email=email, name=sender_name)
        target = None
        match = REFERENCE.search(subject or "")
        if match:
            target = Ticket.objects.filter(pk=int(match.group(1)), contact=contact).first()
        thread = [i for i in (in_reply_to, *references) if i]
        if target is None and thread:
            # The customer answers the ticket's first message or a reply an agent sent from it.
            target = (
                Ticket.objects.filter(message_id__in=thread, contact=contact).order_by("pk").first()
            )
            if target is None:
                sent = (
                    TicketEvent.objects.filter(
                        message_id__in=thread,
                        kind=TicketEvent.Kind.REPLY,
                        ticket__contact=contact,
                    )
                    .order_by("pk")
                    .first()
                )
                target = sent.ticket if sent is not None else None
        if target is not None and target.status != Status.CLOSED:
            target = Ticket.objects.select_for_update(of=("self",)).get(pk=target.pk)
            events = [
                TicketEvent(
                    ticket=target,
                    kind=TicketEvent.Kind.CUSTOMER_REPLY,
                    # The Message-ID's start keeps a redelivered reply from being filed twice.
                    field=message_id[:40],
                    message_id=message_id[:255],
                    new_value=body[:5000],
                    at=now,
                )
            ]
            if target.status in {Status.PENDING, Status.RESOLVED}:
                events.append(status_set(target, Status.OPEN, actor=None, now=now))
            target.save()
            TicketEvent.objects.bulk_create(events)
            event_record(
                name="ticket.customer_replied",
                record=target,
                # The reply's id, so that a higher app can read its text (kith.engagement.texts).
                payload={"channel": "email", "ticket_event_id": events[0].pk},
            )
            for moved in events[1:]:
                ticket_status_event_record(target, moved)
            return target, False
        errors: dict[str, str] = {}
        values = ticket_values_check(
            {"subject": subject or _("(no subject)"), "description": body}, errors
        )
        ticket = ticket_open(
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
