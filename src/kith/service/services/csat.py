"""CSAT on tickets: the score a customer gave in feedback's CSAT survey, copied onto the ticket
and the contact's summary for the service metrics.

The survey itself (the signed link, the email, the page) belongs to kith.feedback: a resolved
ticket's `ticket.resolved` event makes feedback send it, and feedback's `survey.answered`
event {kind, score, source_model, source_id} brings the score back here
(`csat_answered_handle`); service imports nothing of feedback.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.models import DomainEvent
from kith.service.models import ContactCsat, Ticket, TicketEvent


@transaction.atomic
def ticket_csat_record(*, ticket_id: int, score: int, now: datetime | None = None) -> Ticket | None:
    """Record the customer's 1–5 score on the ticket and the contact's summary; the same score
    recorded again changes nothing, another replaces the earlier one. None: no such ticket."""
    now = now or timezone.now()
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise FieldError.one("score", _("Choose a score from 1 to 5."))
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None:
        return None
    previous = ticket.csat_score
    if previous == score:
        return ticket
    ticket.csat_score, ticket.csat_at = score, now
    ticket.save(update_fields=["csat_score", "csat_at"])
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.CSAT, field="csat", old_value=str(previous or ""),
        new_value=str(score), at=now,
    )  # fmt: skip
    if ticket.contact_id is not None:
        summary = ContactCsat.objects.select_for_update().filter(contact_id=ticket.contact_id)
        if summary.exists():
            summary.update(
                answers=F("answers") + (0 if previous else 1),
                score_total=F("score_total") + score - (previous or 0),
                latest_score=score,
                latest_at=now,
                latest_ticket=ticket,
            )
        else:
            ContactCsat.objects.create(
                contact_id=ticket.contact_id,
                answers=1,
                score_total=score,
                latest_score=score,
                latest_at=now,
                latest_ticket=ticket,
            )
    return ticket


def csat_answered_handle(event: DomainEvent) -> None:
    """A CSAT survey answered about a ticket (feedback's `survey.answered`) lands on it."""
    payload = event.payload or {}
    if payload.get("kind") != "csat" or payload.get("source_model") != "service.ticket":
        return
    score, ticket_id = payload.get("score"), payload.get("source_id")
    if isinstance(score, int) and 1 <= score <= 5 and isinstance(ticket_id, int):
        ticket_csat_record(ticket_id=ticket_id, score=score, now=event.created_at)
