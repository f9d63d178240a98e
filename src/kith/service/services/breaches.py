"""SLA breaches: marked once per ticket and target, escalated to the team lead."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.events import event_record
from kith.identity.models import Team
from kith.service.models import Ticket, TicketEvent
from kith.service.services.tickets import Status

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
                event_record(name="ticket.sla_breached", record=ticket, payload={"target": name})
                _escalate(ticket, message % {"ref": ticket.reference, "subject": ticket.subject})
                marked += 1
    return marked
