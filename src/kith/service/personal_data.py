"""The service app's part of a contact's personal data: their tickets, the tickets' events and
CSAT answers (kith.core.apps)."""

from __future__ import annotations

from typing import Any

from kith.core.personal_data import ERASED, history_erase, rows_json
from kith.service.models import ContactCsat, Ticket, TicketEvent


def export(contact_id: int) -> dict[str, Any]:
    tickets = Ticket.objects.filter(contact_id=contact_id)
    return {
        "tickets": rows_json(tickets),
        "ticket_events": rows_json(TicketEvent.objects.filter(ticket__in=tickets)),
        "csat": rows_json(ContactCsat.objects.filter(contact_id=contact_id)),
    }


def erase(contact_id: int) -> dict[str, int]:
    """Erase the text of their tickets (subject, description, replies, CSAT comment); the
    tickets stay, counted in the service figures."""
    tickets = Ticket.objects.filter(contact_id=contact_id)
    ids = list(tickets.values_list("pk", flat=True))
    return {
        "ticket_events": TicketEvent.objects.filter(ticket_id__in=ids)
        .exclude(old_value="", new_value="")
        .update(old_value=ERASED, new_value=ERASED),
        "history": history_erase("service.ticket", ids),
        "tickets": tickets.update(subject=ERASED, description="", csat_comment=""),
    }
