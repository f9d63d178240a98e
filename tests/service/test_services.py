"""Service writes: ticket lifecycle and events, SLA due times and pauses, breaches with
escalation, the public support form, support email, CSAT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.test import override_settings

from kith.core.errors import FieldError, NotFound
from kith.core.events import events_dispatch
from kith.customers.models import ContactPoint
from kith.customers.services import custom_field_create
from kith.engagement.models import Notification
from kith.identity.services import team_update
from kith.service import services
from kith.service.models import ContactCsat, SupportSubmission, Ticket, TicketEvent
from tests.factories import make_contact
from tests.service.factories import MONDAY_10, make_ticket


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_create_applies_the_matching_policy_in_business_hours(users, desk) -> None:
    ticket = make_ticket(by=users.rep_a, now=utc(2026, 11, 27, 15))  # Friday 15:00
    assert ticket.sla_policy == desk.standard
    # 4h first response: 2h Friday, 2h Monday -> Monday 11:00.
    # 16h resolution: 2h Friday, 8h Monday, 6h Tuesday -> Tuesday 15:00.
    assert ticket.first_response_due == utc(2026, 11, 30, 11)
    assert ticket.resolution_due == utc(2026, 12, 1, 15)
    assert ticket.team_id == users.rep_a.team_id
    assert ticket.status == Ticket.Status.NEW
    created = TicketEvent.objects.get(ticket=ticket)
    assert (created.kind, created.actor, created.at) == ("created", users.rep_a, ticket.created_at)


def test_priority_policy_wins_then_tier(users, desk) -> None:
    custom_field_create(by=users.admin, model="customers.contact", key="tier", label="Tier")
    gold = make_contact(by=users.rep_a, custom={"tier": "gold"})
    assert (
        make_ticket(by=users.rep_a, priority="urgent", contact_id=gold.pk).sla_policy == desk.urgent
    )
    ticket = make_ticket(by=users.rep_a, contact_id=gold.pk)
    assert ticket.sla_policy == desk.gold
    assert ticket.first_response_due == MONDAY_10 + timedelta(hours=2)


def test_bad_input_names_the_field(users, desk) -> None:
    other = make_contact(by=users.rep_b)
    with pytest.raises(FieldError) as exc:
        services.ticket_create(by=users.rep_a, subject="", priority="huge", contact_id=other.pk)
    assert set(exc.value.errors) == {"subject", "priority", "contact_id"}


def test_transitions_allowed_and_refused(users, desk) -> None:
    ticket = make_ticket(by=users.rep_a)
    services.ticket_transition(by=users.rep_a, ticket_id=ticket.pk, status="open")
    services.ticket_transition(by=users.rep_a, ticket_id=ticket.pk, status="closed")
    with pytest.raises(FieldError) as exc:
        services.ticket_transition(by=users.rep_a, ticket_id=ticket.pk, status="open")
    assert "status" in exc.value.errors
    events = list(TicketEvent.objects.filter(ticket=ticket, kind="status").order_by("id"))
    assert [(e.old_value, e.new_value, e.actor) for e in events] == [
        ("new", "open", users.rep_a),
        ("open", "closed", users.rep_a),
    ]


def test_other_team_cannot_touch_the_ticket(users, desk) -> None:
    ticket = make_ticket(by=users.rep_a)
    with pytest.raises(NotFound):
        services.ticket_transition(by=users.rep_b, ticket_id=ticket.pk, status="open")
    with pytest.raises(NotFound):
        services.ticket_update(by=users.rep_b, ticket_id=ticket.pk, subject="Mine now")


def test_update_records_old_and_new_and_recomputes_sla(users, desk) -> None:
    ticket = make_ticket(by=users.rep_a)
    services.ticket_update(
        by=users.rep_a, ticket_id=ticket.pk, priority="urgent", owner_id=users.rep_a2.pk,
        version=ticket.version, now=MONDAY_10 + timedelta(minutes=5),
    )  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.sla_policy == desk.urgent
    assert ticket.first_response_due == MONDAY_10 + timedelta(hours=1)
    changed = {
        e.field: (e.old_value, e.new_value)
        for e in TicketEvent.objects.filter(ticket=ticket, kind="changed")
    }
    assert changed == {"priority": ("normal", "urgent"), "owner": ("Ann", "rep_a2")}


def test_reply_stops_first_response_clock_and_opens(users, desk, smtp) -> None:
    contact = make_contact(by=users.rep_a, full_name="Ngô Bảo", emails=["bao@example.vn"])
    ticket = make_ticket(by=users.rep_a, contact_id=contact.pk)
    at = MONDAY_10 + timedelta(minutes=30)
    services.ticket_reply(by=users.rep_a, ticket_id=ticket.pk, text="On it", now=at)
    ticket.refresh_from_db()
    assert (ticket.first_responded_at, ticket.status) == (at, "open")
    services.ticket_reply(
        by=users.rep_a, ticket_id=ticket.pk, text="Still on it", now=at + timedelta(hours=1)
    )
    ticket.refresh_from_db()
    assert ticket.first_responded_at == at


def test_pending_pauses_the_resolution_clock(users, desk) -> None:
    ticket = make_ticket(by=users.rep_a)  # Monday 10:00; 16h: 7h Mon, 8h Tue, 1h Wed
    assert ticket.resolution_due == utc(2026, 11, 25, 10)
    services.ticket_transition(
        by=users.rep_a, ticket_id=ticket.pk, status="pending", now=utc(2026, 11, 23, 11)
    )
    # Pending from Monday 11:00 to Tuesday 11:00: 8 business hours.
    services.ticket_transition(
        by=users.rep_a, ticket_id=ticket.pk, status="open", now=utc(2026, 11, 24, 11)
    )
    ticket.refresh_from_db()
    assert ticket.paused_at is None
    assert ticket.paused_seconds == 8 * 3600
    assert ticket.resolution_due == utc(2026, 11, 26, 10)
    # A later priority change recomputes from creation and keeps the pause.
    services.ticket_update(by=users.rep_a, ticket_id=ticket.pk, category="hardware")
    services.ticket_update(by=users.rep_a, ticket_id=ticket.pk, priority="low")
    ticket.refresh_from_db()
    assert ticket.resolution_due == utc(2026, 11, 26, 10)


def test_breach_marked_once_with_event_and_lead_notified(users, desk) -> None:
    team_update(by=users.admin, team_id=users.rep_a.team_id, lead_id=users.manager.pk)
    ticket = make_ticket(by=users.rep_a)  # first response due 14:00, resolution Wed 10:00
    assert services.tickets_breach_check(now=utc(2026, 11, 23, 13, 59)) == 0
    assert services.tickets_breach_check(now=utc(2026, 11, 23, 14, 1)) == 1
    assert services.tickets_breach_check(now=utc(2026, 11, 23, 14, 2)) == 0
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == utc(2026, 11, 23, 14, 1)
    breach = TicketEvent.objects.get(ticket=ticket, kind="breach")
    assert (breach.field, breach.old_value) == ("first_response", utc(2026, 11, 23, 14).isoformat())
    note = Notification.objects.get(kind="sla_breach")
    assert note.recipient == users.manager
    assert (note.record_model, note.record_id) == ("service.ticket", ticket.pk)
    assert note.url == f"/tickets/{ticket.pk}/"
    # Pending tickets are not checked for resolution; once open again they are.
    services.ticket_transition(
        by=users.rep_a, ticket_id=ticket.pk, status="pending", now=utc(2026, 11, 23, 15)
    )
    assert services.tickets_breach_check(now=utc(2026, 11, 26, 10)) == 0
    services.ticket_transition(
        by=users.rep_a, ticket_id=ticket.pk, status="open", now=utc(2026, 11, 26, 10)
    )
    ticket.refresh_from_db()
    # Paused Mon 15:00 -> Thu 10:00 is 19 business hours: due Wed 10:00 + 19h = Fri 13:00.
    assert ticket.resolution_due == utc(2026, 11, 27, 13)
    assert services.tickets_breach_check(now=utc(2026, 11, 27, 12, 59)) == 0
    assert services.tickets_breach_check(now=utc(2026, 11, 27, 13, 1)) == 1
    assert Notification.objects.filter(kind="sla_breach").count() == 2


def test_resolved_tickets_do_not_breach(users, desk) -> None:
    ticket = make_ticket(by=users.rep_a)
    services.ticket_transition(
        by=users.rep_a, ticket_id=ticket.pk, status="resolved", now=MONDAY_10 + timedelta(minutes=1)
    )
    assert services.tickets_breach_check(now=utc(2026, 12, 31)) == 0


# --- public support form ---------------------------------------------------------------------

FORM = {
    "full_name": "Lan Phạm",
    "email": "Lan@Example.org",
    "subject": "Login",
    "description": "Cannot log in",
}


def test_support_form_creates_contact_and_ticket(users, desk) -> None:
    ticket = services.support_form_submit(data=FORM, ip="10.0.0.1", now=MONDAY_10)
    assert ticket is not None
    assert (ticket.channel, ticket.subject, ticket.owner) == ("form", "Login", users.admin)
    assert ticket.contact.full_name == "Lan Phạm"
    assert ContactPoint.objects.get(contact=ticket.contact).value == "lan@example.org"
    again = services.support_form_submit(data=FORM, ip="10.0.0.2", now=MONDAY_10)
    assert again.contact_id == ticket.contact_id


def test_support_form_matches_existing_contact_and_owner(users, desk) -> None:
    known = make_contact(by=users.rep_b, emails=["lan@example.org"])
    ticket = services.support_form_submit(data=FORM, ip="10.0.0.1")
    assert (ticket.contact_id, ticket.owner, ticket.team_id) == (
        known.pk,
        users.rep_b,
        users.rep_b.team_id,
    )


def test_support_form_errors_name_fields_and_store_nothing(users, desk) -> None:
    with pytest.raises(FieldError) as exc:
        services.support_form_submit(
            data={"full_name": "", "email": "not-an-email", "subject": "", "description": ""},
            ip="10.0.0.1",
        )
    assert set(exc.value.errors) == {"full_name", "email", "subject", "description"}
    assert Ticket.objects.count() == 0


def test_support_form_honeypot_and_rate_limit(users, desk) -> None:
    assert services.support_form_submit(data={**FORM, "website_url": "spam"}, ip="10.0.0.9") is None
    assert Ticket.objects.count() == 0
    with override_settings(KITH_SERVICE_FORM_RATE=3):
        services.support_form_submit(data=FORM, ip="10.0.0.9")
        services.support_form_submit(data=FORM, ip="10.0.0.9")
        with pytest.raises(services.RateLimited):
            services.support_form_submit(data=FORM, ip="10.0.0.9")
        services.support_form_submit(data=FORM, ip="10.0.0.10")  # another address is fine
    assert Ticket.objects.count() == 3
    assert SupportSubmission.objects.count() == 4
    assert not SupportSubmission.objects.filter(ip_hash__contains="10.0.0").exists()


# --- support email -----------------------------------------------------------------------------


def test_support_email_opens_then_threads_replies(users, desk) -> None:
    ticket, created = services.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject="Refund", body="Please refund",
        message_id="<a1@mail>", now=MONDAY_10,
    )  # fmt: skip
    assert created and ticket.channel == "email" and ticket.message_id == "<a1@mail>"
    # Redelivery: nothing new.
    assert services.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject="Refund", body="Please refund",
        message_id="<a1@mail>",
    ) == (ticket, False)  # fmt: skip
    services.ticket_transition(by=users.admin, ticket_id=ticket.pk, status="pending")
    by_ref, created = services.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject=f"Re: {ticket.reference} Refund",
        body="Here is the receipt", message_id="<a2@mail>",
    )  # fmt: skip
    assert (by_ref, created) == (ticket, False)
    by_thread, _created = services.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject="Re: Refund", body="And again",
        message_id="<a3@mail>", in_reply_to="<a1@mail>",
    )  # fmt: skip
    assert by_thread == ticket
    services.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject="Re: Refund", body="And again",
        message_id="<a3@mail>", in_reply_to="<a1@mail>",
    )  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == "open"
    replies = TicketEvent.objects.filter(ticket=ticket, kind="customer_reply")
    assert [r.new_value for r in replies.order_by("id")] == ["Here is the receipt", "And again"]
    # Someone else quoting the reference does not get into the ticket.
    stranger, created = services.support_email_file(
        sender="eve@example.org", sender_name="Eve", subject=f"{ticket.reference} hi", body="x",
        message_id="<e1@mail>",
    )  # fmt: skip
    assert created and stranger.pk != ticket.pk


# --- CSAT ----------------------------------------------------------------------------------------
# The survey is feedback's (tests/feedback/test_triggers.py); its survey.answered event brings the
# score back onto the ticket and the contact's summary.


def test_csat_answer_lands_on_ticket_and_contact(users, desk) -> None:
    contact = make_contact(by=users.rep_a)
    first = make_ticket(by=users.rep_a, contact_id=contact.pk)
    second = make_ticket(by=users.rep_a, contact_id=contact.pk)
    services.ticket_csat_record(ticket_id=first.pk, score=2)
    services.ticket_csat_record(ticket_id=second.pk, score=5)
    services.ticket_csat_record(ticket_id=second.pk, score=4)
    services.ticket_csat_record(ticket_id=second.pk, score=4)  # delivered twice: no change
    first.refresh_from_db()
    assert first.csat_score == 2
    summary = ContactCsat.objects.get(contact=contact)
    assert (summary.answers, summary.score_total, summary.latest_score) == (2, 6, 4)
    assert summary.average == 3.0
    assert TicketEvent.objects.filter(kind="csat").count() == 3


def test_csat_refuses_bad_scores_and_ignores_other_surveys(users, desk) -> None:
    from kith.core.events import event_record

    ticket = make_ticket(by=users.rep_a)
    with pytest.raises(FieldError) as exc:
        services.ticket_csat_record(ticket_id=ticket.pk, score=9)
    assert "score" in exc.value.errors
    assert services.ticket_csat_record(ticket_id=ticket.pk + 99, score=5) is None
    with transaction.atomic():
        for kind, model in (("nps", "service.ticket"), ("csat", "sales.order")):
            event_record(name="survey.answered", payload={
                "kind": kind, "score": 5, "source_model": model, "source_id": ticket.pk,
            })  # fmt: skip
    events_dispatch()
    ticket.refresh_from_db()
    assert ticket.csat_score is None


def test_support_mailbox_handler_is_registered_and_files(users, desk) -> None:
    from kith.engagement.mail import INBOUND_MAIL_HANDLERS, InboundMessage, UnfiledMessage

    handler = INBOUND_MAIL_HANDLERS["support"]
    first = InboundMessage(
        message_id="m1@mail", from_address="kim@example.org", from_name="Kim",
        subject="Broken invoice", text="The total is wrong", date=MONDAY_10,
    )  # fmt: skip
    assert handler(None, first) == f"New ticket [#{Ticket.objects.get().pk}]"
    ticket = Ticket.objects.get()
    reply = InboundMessage(
        message_id="m2@mail", from_address="kim@example.org", from_name="Kim",
        subject="Re: Broken invoice", text="Any news?", references=["m1@mail"],
    )  # fmt: skip
    assert handler(None, reply) == f"Reply on ticket {ticket.reference}"
    assert handler(None, reply) == f"Reply on ticket {ticket.reference}"
    assert TicketEvent.objects.filter(ticket=ticket, kind="customer_reply").count() == 1
    with pytest.raises(UnfiledMessage):
        handler(None, InboundMessage(message_id="m3@mail", from_address="", from_name=""))
