"""Closing the loop: a detractor or a low CSAT opens ONE follow-up task for the record's owner
with a due time, even when the event is delivered twice; a strongly negative customer text
(sentiment.scored) does too; the report counts how many were closed and how fast."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from kith.core.events import event_record, events_dispatch
from kith.core.models import DomainEvent, EventDelivery
from kith.engagement.models import Task
from kith.engagement.services import task_update
from kith.feedback import selectors
from kith.feedback.models import FollowUp
from tests.feedback.factories import answer_as, make_survey


def _deliver_twice() -> None:
    events_dispatch()
    EventDelivery.objects.all().delete()
    DomainEvent.objects.update(dispatched_at=None)
    events_dispatch()


def test_a_detractor_makes_exactly_one_follow_up_even_if_delivered_twice(
    users, records, settings
) -> None:
    settings.KITH_FEEDBACK_FOLLOW_UP_HOURS = 8
    survey = make_survey(by=users.admin, kind="nps")
    detractor = answer_as(survey=survey, contact=records.contact_a, answers={1: 4, 2: "Giao chậm"})
    answer_as(survey=survey, contact=records.contact_b, answers={1: 7})  # a passive: none
    _deliver_twice()
    follow_up = FollowUp.objects.get()
    task = Task.objects.get()
    assert follow_up.task_id == task.pk and follow_up.response_id == detractor.pk
    assert (follow_up.reason, follow_up.key) == ("detractor", f"response:{detractor.pk}")
    # The contact's owner gets it, due 8 hours after the answer was handled.
    assert (task.owner_id, task.contact_id, task.priority) == (
        users.rep_a.pk,
        records.contact_a.pk,
        4 - 1,
    )
    assert task.title == "Follow up: NPS 4 from 王伟明"
    assert task.description == "Giao chậm"
    assert task.due_at - follow_up.created_at == timedelta(hours=8)


def test_low_csat_and_high_effort_follow_up_but_good_scores_do_not(users, records) -> None:
    csat = make_survey(by=users.admin, kind="csat")
    ces = make_survey(by=users.admin, kind="ces")
    answer_as(survey=csat, contact=records.contact_b, answers={1: 2})
    answer_as(survey=csat, contact=records.contact_a, answers={1: 3})
    answer_as(survey=ces, contact=records.contact_a, answers={1: 1})
    _deliver_twice()
    assert sorted(FollowUp.objects.values_list("reason", "owner_id")) == sorted([
        ("low_csat", users.rep_b.pk), ("high_effort", users.rep_a.pk),
    ])  # fmt: skip
    assert Task.objects.count() == 2


def test_a_strongly_negative_message_makes_one_follow_up(users, records) -> None:
    with transaction.atomic():
        # What the sentiment engine records for customer text (ids and codes only).
        for label, score, object_id in (
            ("negative", 0.93, 11),
            ("negative", 0.6, 12),
            ("positive", 0.99, 13),
        ):
            event_record(name="sentiment.scored", payload={
                "label": label, "score": score, "source": "ticket_message",
                "contact_id": records.contact_b.pk,
            })  # fmt: skip
            DomainEvent.objects.filter(name="sentiment.scored", object_id=None).update(
                model="service.ticketevent", object_id=object_id
            )
    _deliver_twice()
    # Scored again later (a rescore): still one.
    with transaction.atomic():
        event_record(name="sentiment.scored", payload={
            "label": "negative", "score": 0.95, "source": "ticket_message",
            "contact_id": records.contact_b.pk,
        })  # fmt: skip
        DomainEvent.objects.filter(object_id=None).update(model="service.ticketevent", object_id=11)
    events_dispatch()
    follow_up = FollowUp.objects.get()
    assert (follow_up.reason, follow_up.key, follow_up.owner_id) == (
        "negative_text", "sentiment:service.ticketevent:11", users.rep_b.pk,
    )  # fmt: skip
    task = Task.objects.get()
    assert task.title == "Follow up: a strongly negative message from Trần Thị Bình"
    assert task.description == "Sentiment 93% negative (ticket_message)."


def test_the_report_shows_how_many_follow_ups_closed_and_how_fast(users, records) -> None:
    survey = make_survey(by=users.admin, kind="nps")
    answer_as(survey=survey, contact=records.contact_a, answers={1: 0})
    answer_as(survey=survey, contact=records.contact_b, answers={1: 3})
    events_dispatch()
    first, second = FollowUp.objects.order_by("pk")
    task = Task.objects.get(pk=first.task_id)
    task_update(by=users.rep_a, task_id=task.pk, status="done")
    opened = timezone.now() - timedelta(hours=5)
    FollowUp.objects.filter(pk=first.pk).update(created_at=opened)
    Task.objects.filter(pk=task.pk).update(completed_at=opened + timedelta(hours=3))
    start, end = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    stats = selectors.follow_up_stats(user=users.admin, start=start, end=end)
    assert (stats.opened, stats.closed, stats.closed_on_time, stats.mean_hours_to_close) == (
        2,
        1,
        1,
        3.0,
    )
    # rep_b sees only team B's follow-up, still open.
    mine = selectors.follow_up_stats(user=users.rep_b, start=start, end=end)
    assert (mine.opened, mine.closed) == (1, 0)
    assert second.owner_id == users.rep_b.pk


def test_a_negative_interaction_without_contact_id_finds_its_contact(users, records) -> None:
    from kith.engagement.services import interaction_create

    note = interaction_create(
        by=users.rep_a, kind="email", contact=records.contact_a, subject="Phàn nàn"
    )
    with transaction.atomic():
        event_record(name="sentiment.scored", record=note,
                     payload={"label": "negative", "score": 0.81, "source": "email"})  # fmt: skip
    _deliver_twice()
    follow_up = FollowUp.objects.get()
    assert (follow_up.contact_id, follow_up.owner_id, follow_up.key) == (
        records.contact_a.pk, users.rep_a.pk, f"sentiment:engagement.interaction:{note.pk}",
    )  # fmt: skip
