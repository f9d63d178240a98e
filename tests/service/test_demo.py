"""The service demo: policies, tickets in every status and channel, breaches, CSAT summaries."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from kith.demo import demo_load
from kith.service.models import BusinessHoliday, ContactCsat, SlaPolicy, Ticket, TicketEvent


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load(size="tiny")


def test_service_demo(demo):
    assert demo.more["tickets"] == Ticket.objects.count() == 150
    assert demo.more["ticket_events"] == TicketEvent.objects.count()
    assert SlaPolicy.objects.count() == 4 and BusinessHoliday.objects.count() == 10
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert len(set(Ticket.objects.values_list("channel", flat=True))) >= 5
    assert Ticket.objects.filter(first_response_breached_at__isnull=False).exists()
    answered = Ticket.objects.filter(csat_score__isnull=False)
    assert ContactCsat.objects.aggregate(n=Sum("answers"))["n"] == answered.count() > 0
    # Every ticket's first event is its creation, at its creation time.
    ticket = Ticket.objects.order_by("pk").first()
    first = TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").first()
    assert (first.kind, first.at) == ("created", ticket.created_at)
    # Some tickets carry logged calls and comments (the ticket page's activity panel).
    from kith.engagement.models import Comment, Interaction

    calls = Interaction.objects.filter(record_model="service.ticket")
    assert (
        calls.count() == 15 and Comment.objects.filter(record_model="service.ticket").count() == 6
    )
    assert all(c.contact_id == Ticket.objects.get(pk=c.record_id).contact_id for c in calls)
