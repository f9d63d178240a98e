"""Surveys sent by domain events: a resolved ticket sends the CSAT survey (the service desk's
CSAT moved here; its score comes back to the ticket), an order, a meeting, the relationship
schedule; each once however often the event is delivered. The CSAT data migration and the old
CSAT links."""

from __future__ import annotations

import importlib
from datetime import timedelta

from django.apps import apps
from django.core import signing
from django.utils import timezone

from kith.core.events import events_dispatch
from kith.core.models import EventDelivery
from kith.engagement.services import interaction_create
from kith.feedback import services
from kith.feedback.models import Survey, SurveyAnswer, SurveyRequest, SurveyResponse
from kith.service import services as service
from kith.service.models import Ticket
from tests.feedback.factories import make_survey
from tests.sales.factories import make_product

migration = importlib.import_module("kith.feedback.migrations.0002_service_csat")


def _redeliver() -> None:
    """Deliver every event again, as a worker crashing before its commit would."""
    EventDelivery.objects.all().delete()
    from kith.core.models import DomainEvent

    DomainEvent.objects.update(dispatched_at=None)
    events_dispatch()


def test_a_resolved_ticket_sends_the_csat_survey_once_and_the_score_returns(
    users, records, smtp
) -> None:
    ticket = service.ticket_create(
        by=users.rep_a, subject="Máy in", contact_id=records.contact_a.pk
    )
    service.ticket_transition(by=users.rep_a, ticket_id=ticket.pk, status="resolved")
    events_dispatch()
    _redeliver()
    request = SurveyRequest.objects.get()
    survey = request.survey
    assert (survey.kind, survey.trigger, survey.questions.count()) == ("csat", "ticket_resolved", 2)
    assert (request.source_model, request.source_id, request.agent_id, request.team_id) == (
        "service.ticket", ticket.pk, users.rep_a.pk, users.rep_a.team_id,
    )  # fmt: skip
    assert services.survey_email_send(request_id=request.pk) is True
    assert services.survey_email_send(request_id=request.pk) is False  # once
    (mail,) = smtp.messages
    assert mail["To"] == "wang.weiming@example.cn"
    html = (
        next(p for p in mail.walk() if p.get_content_type() == "text/html")
        .get_payload(decode=True)
        .decode()
    )
    links = [line.split(": ", 1)[1] for line in next(
        p for p in mail.walk() if p.get_content_type() == "text/plain"
    ).get_payload(decode=True).decode().splitlines() if line[:1].isdigit()]  # fmt: skip
    assert [link.rsplit("=", 1)[1] for link in links] == ["1", "2", "3", "4", "5"]
    assert all(link.replace("&", "&amp;") in html for link in links)
    token = links[0].split("/s/")[1].split("/")[0]
    services.survey_answer(token=token, answers={1: 2, 2: "Chờ lâu quá"})
    events_dispatch()
    _redeliver()
    ticket.refresh_from_db()
    assert ticket.csat_score == 2
    response = SurveyResponse.objects.get()
    assert (response.agent_id, response.team_id, response.source_id) == (
        users.rep_a.pk, users.rep_a.team_id, ticket.pk,
    )  # fmt: skip


def test_no_survey_for_contacts_without_email_nor_inactive_surveys(users, records) -> None:
    from tests.factories import make_contact

    silent = make_contact(by=users.rep_a, full_name="No Mail", emails=[])
    one = service.ticket_create(by=users.rep_a, subject="a", contact_id=silent.pk)
    service.ticket_transition(by=users.rep_a, ticket_id=one.pk, status="resolved")
    events_dispatch()
    assert SurveyRequest.objects.count() == 0
    csat = services.csat_survey_ensure(owner_id=users.admin.pk)
    Survey.objects.filter(pk=csat.pk).update(is_active=False)
    two = service.ticket_create(by=users.rep_a, subject="b", contact_id=records.contact_a.pk)
    service.ticket_transition(by=users.rep_a, ticket_id=two.pk, status="resolved")
    events_dispatch()
    assert SurveyRequest.objects.count() == 0
    assert Survey.objects.filter(trigger="ticket_resolved").count() == 1


def test_orders_and_meetings_send_the_surveys_set_to_follow_them(users, records) -> None:
    from kith.sales import services as sales

    after_order = make_survey(by=users.rep_a, kind="nps", trigger="order_created")
    after_meeting = make_survey(by=users.rep_a, kind="ces", trigger="meeting")
    product = make_product(by=users.admin)
    order = sales.order_create(
        by=users.rep_a, contact_id=records.contact_a.pk,
        lines=[sales.LineInput(product_id=product.pk, quantity=1)],
    )  # fmt: skip
    interaction_create(by=users.rep_a, kind="call", contact=records.contact_a, subject="Call")
    meeting = interaction_create(
        by=users.rep_a, kind="meeting", contact=records.contact_a, subject="Họp"
    )
    events_dispatch()
    _redeliver()
    got = sorted(SurveyRequest.objects.values_list("survey_id", "source_model", "source_id"))
    assert got == sorted([
        (after_order.pk, "sales.order", order.pk),
        (after_meeting.pk, "engagement.interaction", meeting.pk),
    ])  # fmt: skip


def test_relationship_surveys_ask_customers_every_n_months(users, records) -> None:
    from kith.customers.models import Contact

    Contact.objects.filter(pk=records.contact_a.pk).update(lifecycle_stage="customer")
    from kith.core.schedules import SCHEDULES

    assert SCHEDULES["feedback.relationship_surveys"].every == timedelta(days=1)
    survey = make_survey(by=users.admin, kind="nps", trigger="schedule", every_months=6)
    assert services.relationship_surveys_send() == 1
    assert services.relationship_surveys_send() == 0  # asked already this period
    SurveyRequest.objects.update(created_at=timezone.now() - timedelta(days=200))
    assert services.relationship_surveys_send() == 1
    assert set(SurveyRequest.objects.values_list("survey_id", "contact_id")) == {
        (survey.pk, records.contact_a.pk)
    }


def test_the_service_desks_csat_becomes_feedback_answers_and_old_links_still_work(
    users, records
) -> None:
    answered = service.ticket_create(by=users.rep_a, subject="Old", contact_id=records.contact_a.pk)
    pending = service.ticket_create(
        by=users.rep_b, subject="Recent", contact_id=records.contact_b.pk
    )
    now = timezone.now()
    Ticket.objects.filter(pk=answered.pk).update(
        csat_score=1, csat_comment="Quá chậm", csat_at=now - timedelta(days=40),
        resolved_at=now - timedelta(days=41), status="resolved",
    )  # fmt: skip
    Ticket.objects.filter(pk=pending.pk).update(
        resolved_at=now - timedelta(days=2), status="resolved"
    )

    migration.csat_to_feedback(apps, None)
    migration.csat_to_feedback(apps, None)  # run twice: nothing doubles

    survey = Survey.objects.get()
    assert (survey.kind, survey.trigger) == ("csat", "ticket_resolved")
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment, response.contact_id, response.agent_id) == (
        1, "Quá chậm", records.contact_a.pk, users.rep_a.pk,
    )  # fmt: skip
    assert response.submitted_at == now - timedelta(days=40)
    assert list(SurveyAnswer.objects.order_by("question__position").values_list("number", "text")) == [
        (1, ""), (None, "Quá chậm"),
    ]  # fmt: skip
    # The link the desk mailed for the recent ticket ({"t": id}, service's salt) answers, once.
    old_link = signing.dumps({"t": pending.pk}, salt="kith.service.csat", compress=True)
    services.survey_answer(token=old_link, answers={1: 5})
    assert SurveyResponse.objects.filter(source_id=pending.pk, score=5).count() == 1
    assert SurveyRequest.objects.count() == 2
