"""Scoring on arrival (event handlers), the sentiment.scored event, bulk rescoring that
resumes, themes, and the permission gate on the panel and the themes page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from kith.cli.app import app
from kith.core.events import events_dispatch
from kith.core.models import DomainEvent
from kith.engagement.models import Interaction
from kith.engagement.services import interaction_create
from kith.feedback import selectors
from kith.feedback.models import RescoreRun, TextSentiment
from kith.feedback.services.sentiment import interaction_event_handle, sentiments_rescore

pytestmark = pytest.mark.django_db

NEGATIVE = "送餐太慢了，菜都凉了，再也不点了"
POSITIVE = "Thầy dạy rất nhiệt tình, dễ hiểu, cảm ơn thầy"


def _note(by, contact, body, direction="in", when=None):
    return interaction_create(
        by=by, kind="note", contact=contact, body=body, direction=direction,
        occurred_at=when or timezone.now(),
    )  # fmt: skip


def test_a_logged_interaction_is_scored_once_with_an_event(users, records) -> None:
    note = _note(users.rep_a, records.contact_a, NEGATIVE)
    events_dispatch()
    row = TextSentiment.objects.get(source_model="engagement.interaction", source_id=note.pk)
    assert (row.language, row.label) == ("zh", "negative")
    assert row.contact_id == records.contact_a.pk and row.owner_id == users.rep_a.pk
    assert any("慢" in d for d in row.drivers)
    assert row.model_version.startswith("zh-")
    scored = DomainEvent.objects.filter(name="sentiment.scored", object_id=row.pk)
    assert [e.payload for e in scored] == [
        {"label": "negative", "score": row.score, "source_model": "engagement.interaction",
         "source_id": note.pk, "contact_id": records.contact_a.pk}
    ]  # fmt: skip
    # Delivered again (at least once): still one row.
    event = DomainEvent.objects.get(name="interaction.logged", object_id=note.pk)
    interaction_event_handle(event)
    assert TextSentiment.objects.filter(source_id=note.pk).count() == 1


def test_outbound_text_is_not_scored(users, records) -> None:
    _note(users.rep_a, records.contact_a, "We are sorry for the terrible delay", direction="out")
    events_dispatch()
    assert not TextSentiment.objects.exists()


def test_rescore_resumes_from_its_cursor(users, records) -> None:
    notes = [_note(users.rep_a, records.contact_a, t) for t in (NEGATIVE, POSITIVE, "ok", "好")]
    _note(users.rep_a, records.contact_a, "sent by us", direction="out")
    seen = []
    first = sentiments_rescore(batch=2, limit=2, progress=lambda p: seen.append((p.done, p.total)))
    assert (first.done, first.total, first.finished_at) == (2, 4, None)
    assert first.cursor == notes[1].pk
    assert seen == [(2, 4)]
    assert TextSentiment.objects.count() == 2
    again = sentiments_rescore(batch=3)
    assert again.pk == first.pk and again.done == 4 and again.finished_at is not None
    assert TextSentiment.objects.count() == 4
    assert sentiments_rescore(batch=3, restart=True).pk != first.pk
    assert DomainEvent.objects.filter(name="sentiment.rescored").count() >= 3


def test_rescore_command_prints_progress(users, records) -> None:
    _note(users.rep_a, records.contact_a, NEGATIVE)
    result = CliRunner().invoke(app, ["sentiment", "rescore", "--batch", "10"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 texts scored (finished)" in result.stdout
    assert RescoreRun.objects.get(source_model="engagement.interaction").finished_at is not None


def test_themes_per_language_with_counts_and_examples(users, records) -> None:
    for text in (
        "送餐太慢了，差评",
        "送餐太慢，菜凉了",
        "又是送餐太慢",
        "味道很好，好吃",
        "很好吃，推荐",
    ):
        _note(users.rep_a, records.contact_a, text)
    events_dispatch()
    now = timezone.now()
    got = selectors.sentiment_themes(
        user=users.admin, since=now - dt.timedelta(days=1), until=now + dt.timedelta(minutes=1)
    )
    assert [t.language for t in got] == ["zh"]
    assert got[0].counts == {"negative": 3, "positive": 2}
    top = got[0].negative[0]
    assert "送餐太慢" in top.phrase and top.count == 3 and len(top.examples) == 2
    # rep_b (team B) sees none of team A's texts.
    assert (
        selectors.sentiment_themes(user=users.rep_b, since=now - dt.timedelta(days=1), until=now)
        == []
    )


def test_contact_panel_shows_drivers_and_is_gated(
    users, records, web_for, django_assert_max_num_queries
) -> None:
    for _ in range(12):
        _note(users.rep_a, records.contact_a, NEGATIVE)
    events_dispatch()
    client = web_for(users.rep_a)
    with django_assert_max_num_queries(8):
        page = client.get(f"/contacts/{records.contact_a.pk}/sentiment/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-sentiment="negative"') == 10 and "data-driver" in html
    assert "cursor=" in html
    other = web_for(users.rep_b).get(f"/contacts/{records.contact_a.pk}/sentiment/")
    assert 'data-sentiment="' not in other.content.decode()


def test_themes_page(users, records, web_for, django_assert_max_num_queries) -> None:
    for text in ("送餐太慢了，差评", "送餐太慢，菜凉了", "味道很好"):
        _note(users.rep_a, records.contact_a, text)
    events_dispatch()
    client = web_for(users.rep_a)
    with django_assert_max_num_queries(10):
        page = client.get("/feedback/themes/?days=7")
    assert page.status_code == 200
    assert 'data-language="zh"' in page.content.decode() and "送餐太慢" in page.content.decode()
    empty = web_for(users.rep_b).get("/feedback/themes/")
    assert "data-no-themes" in empty.content.decode()
    assert Interaction.objects.count() == 3


def test_a_customer_reply_on_a_ticket_is_scored_through_engagement_texts(users) -> None:
    from kith.service import services as service
    from kith.service.models import TicketEvent
    from tests.service.factories import MONDAY_10, make_desk

    make_desk(by=users.admin)
    ticket, _created = service.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject="Refund", body="Please refund",
        message_id="<a1@mail>", now=MONDAY_10,
    )  # fmt: skip
    service.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject=f"Re: {ticket.reference} Refund",
        body="Thầy ơi, giao hàng chậm quá, rất thất vọng", message_id="<a2@mail>",
    )  # fmt: skip
    reply = TicketEvent.objects.get(ticket=ticket, kind="customer_reply")
    replied = DomainEvent.objects.get(name="ticket.customer_replied")
    assert replied.payload == {"channel": "email", "ticket_event_id": reply.pk}
    events_dispatch()
    row = TextSentiment.objects.get(source_model="service.ticketevent", source_id=reply.pk)
    assert (row.language, row.label) == ("vi", "negative")
    assert (row.contact_id, row.owner_id) == (ticket.contact_id, ticket.owner_id)
    # Delivered twice: still one row.
    from kith.feedback.services.sentiment import ticket_reply_event_handle

    ticket_reply_event_handle(replied)
    assert TextSentiment.objects.filter(source_model="service.ticketevent").count() == 1
