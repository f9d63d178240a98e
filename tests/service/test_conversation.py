"""A ticket's conversation: agent replies are emailed to the customer over SMTP (a real aiosmtpd
server), threaded so the customer's answer is filed on the same ticket by the support mailbox;
internal notes stay internal; only a reply that was sent counts as the first response."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kith.core.errors import FieldError
from kith.engagement.mail import message_parse
from kith.engagement.models import Mailbox
from kith.service import services
from kith.service.mail import support_mail_handle
from kith.service.models import Ticket, TicketEvent
from tests.factories import make_contact
from tests.loopback import free_port
from tests.service.factories import MONDAY_10, make_ticket


@pytest.fixture
def customer(users):
    return make_contact(by=users.rep_a, full_name="Lê Văn Tám", emails=["tam@example.vn"])


@pytest.fixture
def mailbox(users):
    return Mailbox.objects.create(
        name="Support", host="127.0.0.1", username="support@kith.example",
        purpose=Mailbox.Purpose.SUPPORT, owner=users.admin,
    )  # fmt: skip


def test_reply_is_emailed_threaded_and_the_answer_comes_back(
    users, desk, customer, mailbox, smtp
) -> None:
    ticket = make_ticket(by=users.rep_a, contact_id=customer.pk)
    at = MONDAY_10 + timedelta(minutes=20)
    services.ticket_note(by=users.rep_a, ticket_id=ticket.pk, text="Check the warranty.", now=at)
    ticket.refresh_from_db()
    assert smtp.messages == []  # internal: never emailed
    assert (ticket.first_responded_at, ticket.status) == (None, "new")

    services.ticket_reply(
        by=users.rep_a, ticket_id=ticket.pk, text="We are sending a technician.", now=at
    )
    (mail,) = smtp.messages
    assert smtp.recipients == [["tam@example.vn"]]
    assert mail["Subject"] == f"Re: Printer on fire [#{ticket.pk}]"
    assert mail["Reply-To"] == "support@kith.example"
    assert "We are sending a technician." in mail.get_payload(decode=True).decode()
    assert "warranty" not in mail.as_string()
    sent_id = mail["Message-ID"].strip("<>")
    reply = TicketEvent.objects.get(ticket=ticket, kind="reply")
    assert reply.message_id == sent_id
    ticket.refresh_from_db()
    assert (ticket.first_responded_at, ticket.status) == (at, "open")

    # The customer answers from their mail client; the support mailbox files it on this ticket,
    # though the subject lost the reference.
    raw = (
        "From: Tam <tam@example.vn>\r\nTo: support@kith.example\r\n"
        "Subject: Re: your printer\r\nMessage-ID: <answer-1@example.vn>\r\n"
        f"In-Reply-To: <{sent_id}>\r\nReferences: <{sent_id}>\r\n"
        "Date: Mon, 23 Nov 2026 11:00:00 +0000\r\n\r\nThanks, tomorrow works.\r\n"
    ).encode()
    assert support_mail_handle(mailbox, message_parse(raw)) == f"Reply on ticket [#{ticket.pk}]"
    assert Ticket.objects.count() == 1
    answer = TicketEvent.objects.get(ticket=ticket, kind="customer_reply")
    assert (answer.message_id, answer.new_value.strip()) == (
        "answer-1@example.vn",
        "Thanks, tomorrow works.",
    )

    # The next reply continues the thread: In-Reply-To the answer, References all of it.
    services.ticket_reply(by=users.rep_a, ticket_id=ticket.pk, text="See you tomorrow.")
    second = smtp.messages[1]
    assert second["In-Reply-To"] == "<answer-1@example.vn>"
    assert second["References"].split() == [f"<{sent_id}>", "<answer-1@example.vn>"]


def test_a_reply_that_cannot_be_sent_is_not_a_response(users, desk, settings, smtp) -> None:
    no_email = make_contact(by=users.rep_a, full_name="Chen Jing", emails=[])
    ticket = make_ticket(by=users.rep_a, contact_id=no_email.pk)
    with pytest.raises(FieldError) as caught:
        services.ticket_reply(by=users.rep_a, ticket_id=ticket.pk, text="Hello")
    assert "no customer email address" in caught.value.errors["text"]

    reachable = make_contact(by=users.rep_a, full_name="Zhou Li", emails=["li@example.cn"])
    other = make_ticket(by=users.rep_a, contact_id=reachable.pk)
    settings.EMAIL_PORT = free_port()  # nothing listens there: the server refuses
    with pytest.raises(FieldError) as refused:
        services.ticket_reply(by=users.rep_a, ticket_id=other.pk, text="Hello")
    assert "not sent" in refused.value.errors["text"]
    for row in Ticket.objects.filter(pk__in=[ticket.pk, other.pk]):
        assert (row.first_responded_at, row.status) == (None, "new")
    assert not TicketEvent.objects.filter(kind="reply").exists()

    # Resolving without any reply sent does not count as a first response either.
    services.ticket_transition(by=users.rep_a, ticket_id=ticket.pk, status="resolved")
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_ticket_page_shows_both_sides_and_notes_through_the_api(
    users, desk, customer, web_for, api_for, smtp
) -> None:
    ticket = make_ticket(by=users.rep_a, contact_id=customer.pk, description="It smokes.")
    web = web_for(users.rep_a)
    web.post(f"/tickets/{ticket.pk}/reply/", {"text": "Unplug it.", "action": "reply"})
    api = api_for(users.rep_a)
    noted = api.post(
        f"/api/v1/tickets/{ticket.pk}/notes", {"text": "Internal: old model"},
        content_type="application/json",
    )  # fmt: skip
    assert noted.status_code == 200 and noted.json()["first_responded_at"]
    services.support_email_file(
        sender="tam@example.vn", sender_name="Tam", subject="Re: x", body="Done, thanks.",
        message_id="a2@example.vn", in_reply_to=smtp.messages[0]["Message-ID"].strip("<>"),
    )  # fmt: skip
    assert len(smtp.messages) == 1  # the note was not emailed
    page = web.get(f"/tickets/{ticket.pk}/").content.decode()
    thread = page[page.index("data-thread") : page.index("data-reply-form")]
    for kind, text in [
        ("customer", "It smokes."),
        ("reply", "Unplug it."),
        ("note", "Internal: old model"),
        ("customer_reply", "Done, thanks."),
    ]:
        assert f'data-message="{kind}"' in thread and text in thread
    assert thread.index("Unplug it.") < thread.index("Done, thanks.")
