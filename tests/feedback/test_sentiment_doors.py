"""Sentiment where users look: entries on the contact's timeline beside the message they score,
the API (score a text; a record's stored sentiment), the rescore of ticket replies, each gated."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.core.errors import NotFound
from kith.core.events import events_dispatch
from kith.engagement import selectors as engagement
from kith.engagement.services import interaction_create
from kith.feedback.models import RescoreRun, TextSentiment
from kith.feedback.services.sentiment import ticket_replies_rescore
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

NEGATIVE = "送餐太慢了，菜都凉了，再也不点了"
POSITIVE = "Thầy dạy rất nhiệt tình, dễ hiểu, cảm ơn thầy"


def _note(by, contact, body):
    return interaction_create(
        by=by, kind="note", contact=contact, body=body, direction="in", occurred_at=timezone.now()
    )


def test_timeline_shows_label_confidence_and_driving_words_beside_the_message(
    users, records, web_for
) -> None:
    note = _note(users.rep_a, records.contact_a, NEGATIVE)
    events_dispatch()
    row = TextSentiment.objects.get(source_id=note.pk)
    _contact, page = engagement.contact_timeline(
        user=users.rep_a, contact_id=records.contact_a.pk, limit=50
    )
    kinds = [i.kind for i in page.items]
    (item,) = [i for i in page.items if i.kind == "sentiment"]
    # Same time as the message: shown right above it (newest first).
    assert kinds.index("sentiment") + 1 == kinds.index("interaction")
    assert item.title == f"Negative ({round(row.score * 100)} % confident)"
    assert item.summary.startswith("Driving words: ") and "慢" in item.summary
    assert item.data["label"] == "negative" and item.data["source_id"] == note.pk
    web = web_for(users.rep_a)
    url = f"/contacts/{records.contact_a.pk}/timeline/"
    web.get(url)
    counts = []
    for _ in range(2):  # more scored texts, same number of queries (one for this source)
        with CaptureQueriesContext(connection) as ctx:
            html = web.get(url).content.decode()
        counts.append(len(ctx.captured_queries))
        for _n in range(3):
            _note(users.rep_a, records.contact_a, POSITIVE)
        events_dispatch()
    assert counts[0] == counts[1]
    assert 'data-kind="sentiment"' in html and "confident" in html and "Driving words" in html
    # Another team's rep sees no sentiment of team A's contact.
    _contact, other = engagement.contact_timeline(
        user=users.manager, contact_id=records.contact_a.pk, limit=50
    )
    assert any(i.kind == "sentiment" for i in other.items)
    with pytest.raises(NotFound):  # the contact is out of rep_b's scope
        engagement.contact_timeline(user=users.rep_b, contact_id=records.contact_a.pk, limit=50)


def test_timeline_entry_is_translated(users, records) -> None:
    from django.utils import translation

    _note(users.rep_a, records.contact_a, NEGATIVE)
    events_dispatch()
    for language, words in (("zh-hans", "驱动词"), ("vi", "Từ quyết định")):
        with translation.override(language):
            _contact, page = engagement.contact_timeline(
                user=users.rep_a, contact_id=records.contact_a.pk, limit=50
            )
        (item,) = [i for i in page.items if i.kind == "sentiment"]
        assert item.summary.startswith(words), (language, item.summary)


def test_api_scores_a_text_without_storing_it(api_for, users) -> None:
    api = api_for(users.rep_a)
    got = api.post(
        "/api/v1/sentiment", json.dumps({"text": NEGATIVE}), content_type="application/json"
    )
    assert got.status_code == 200, got.content
    body = got.json()
    assert (body["language"], body["label"]) == ("zh", "negative")
    assert 0.5 < body["score"] <= 1 and any("慢" in d for d in body["drivers"])
    assert body["model_version"].startswith("zh-")
    assert not TextSentiment.objects.exists()
    bad = api.post(
        "/api/v1/sentiment",
        json.dumps({"text": "ok", "language": "fr"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "language" in bad.json()["errors"]
    empty = api.post(
        "/api/v1/sentiment", json.dumps({"text": "  "}), content_type="application/json"
    )
    assert empty.status_code == 422 and "text" in empty.json()["errors"]
    # A user without the feedback module's read right may not use it.
    from kith.identity.models import Role
    from kith.identity.services import user_create

    Role.objects.create(slug="nobody", name="No rights")
    outsider = user_create(username="outsider", password="x" * 12, role_slug="nobody")
    denied = api_for(outsider).post(
        "/api/v1/sentiment", json.dumps({"text": NEGATIVE}), content_type="application/json"
    )
    assert denied.status_code == 403
    assert api_for(outsider).get("/api/v1/sentiments").json()["items"] == []


def test_api_lists_a_records_sentiment_gated_with_constant_queries(api_for, users, records) -> None:
    notes = [_note(users.rep_a, make_contact(by=users.rep_a), NEGATIVE) for _ in range(4)]
    hidden = _note(users.rep_b, records.contact_b, POSITIVE)
    events_dispatch()
    api = api_for(users.rep_a)
    api.get("/api/v1/sentiments?limit=1")  # the token's first use is recorded once
    counts = []
    for limit in (1, 4):
        with CaptureQueriesContext(connection) as ctx:
            page = api.get(f"/api/v1/sentiments?limit={limit}")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert {i["source_id"] for i in page.json()["items"]} == {n.pk for n in notes}
    one = api.get(
        f"/api/v1/sentiments?source_model=engagement.interaction&source_id={notes[0].pk}"
    ).json()["items"]
    assert [(i["source_id"], i["label"], i["language"]) for i in one] == [
        (notes[0].pk, "negative", "zh")
    ]
    # rep_a cannot read team B's record's sentiment; rep_b can.
    url = f"/api/v1/sentiments?source_model=engagement.interaction&source_id={hidden.pk}"
    assert api.get(url).json()["items"] == []
    assert len(api_for(users.rep_b).get(url).json()["items"]) == 1


def test_rescore_covers_ticket_replies_and_resumes(users) -> None:
    from kith.service import services as service
    from kith.service.models import TicketEvent
    from tests.service.factories import MONDAY_10, make_desk

    make_desk(by=users.admin)
    ticket, _created = service.support_email_file(
        sender="minh@example.org", sender_name="Minh", subject="Refund", body="Please refund",
        message_id="<b1@mail>", now=MONDAY_10,
    )  # fmt: skip
    for n, body in enumerate(("giao hàng chậm quá, rất thất vọng", "送餐太慢了", "Thanks, great")):
        service.support_email_file(
            sender="minh@example.org", sender_name="Minh",
            subject=f"Re: {ticket.reference} Refund", body=body, message_id=f"<b{n + 2}@mail>",
        )  # fmt: skip
    replies = list(TicketEvent.objects.filter(ticket=ticket, kind="customer_reply").order_by("pk"))
    assert len(replies) == 3
    # Not dispatched: no reply is scored yet (history from before scoring on arrival).
    first = ticket_replies_rescore(batch=2, limit=2)
    assert (first.done, first.total, first.finished_at) == (2, 3, None)
    assert first.cursor == replies[1].pk
    again = ticket_replies_rescore(batch=2)
    assert again.pk == first.pk and again.done == 3 and again.finished_at is not None
    rows = TextSentiment.objects.filter(source_model="service.ticketevent").order_by("source_id")
    assert [(r.source_id, r.language) for r in rows] == [
        (replies[0].pk, "vi"), (replies[1].pk, "zh"), (replies[2].pk, "en")
    ]  # fmt: skip
    assert rows[0].label == "negative" and rows[0].owner_id == ticket.owner_id
    assert RescoreRun.objects.filter(source_model="service.ticketevent").count() == 1


def test_rescore_command_runs_both_sources(users, records) -> None:
    from typer.testing import CliRunner

    from kith.cli.app import app

    _note(users.rep_a, records.contact_a, NEGATIVE)
    result = CliRunner().invoke(app, ["sentiment", "rescore"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 texts scored (finished)" in result.stdout
    assert "0 of 0 ticket replies scored (finished)" in result.stdout


def test_rescore_command_speaks_the_shells_language(users, records, monkeypatch) -> None:
    from django.utils import translation
    from typer.testing import CliRunner

    from kith.cli.app import app

    _note(users.rep_a, records.contact_a, NEGATIVE)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    result = CliRunner().invoke(app, ["sentiment", "rescore"])
    assert result.exit_code == 0, result.output
    assert "Đã chấm 1 trên 1 văn bản (đã xong)." in result.stdout
    assert translation.get_language() != "vi"  # for that command only
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    result = CliRunner().invoke(app, ["sentiment", "rescore", "--batch", "0"])
    assert result.exit_code == 2 and "至少为 1" in result.output
    monkeypatch.setenv("LANG", "C.UTF-8")
    result = CliRunner().invoke(app, ["sentiment", "rescore", "--batch", "0"])
    assert "at least 1" in result.output
