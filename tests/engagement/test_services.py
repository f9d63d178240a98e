"""Engagement services: interactions, reminders, mentions, follows, email out (real SMTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail as django_mail

from kith.core.errors import FieldError, NotFound
from kith.engagement import selectors, services
from kith.engagement.models import Interaction, Notification, Task
from tests.engagement.factories import make_interaction
from tests.factories import make_contact

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_ticket(*, by, **kwargs):
    from kith.service.services import ticket_create

    return ticket_create(by=by, subject=kwargs.pop("subject", "Printer jam"), **kwargs)


def test_interaction_create_stores_every_field(users, contact_a):
    ticket = make_ticket(by=users.rep_a, contact_id=contact_a.pk)
    call = services.interaction_create(
        by=users.rep_a, kind="call", occurred_at=T0, contact=contact_a, direction="in",
        channel=" Phone ", duration_seconds=125, outcome="voicemail", subject=" Follow-up ",
        body="Left a message", participant_users=[users.rep_a2], participant_contacts=[contact_a],
        record_model="service.ticket", record_id=ticket.pk,
    )  # fmt: skip
    call.refresh_from_db()
    assert (call.kind, call.direction, call.channel, call.duration_seconds, call.outcome) == (
        "call", "in", "phone", 125, "voicemail",
    )  # fmt: skip
    assert (call.subject, call.occurred_at, call.record_model, call.record_id) == (
        "Follow-up", T0, "service.ticket", ticket.pk,
    )  # fmt: skip
    assert (call.owner_id, call.team_id, call.company_id) == (
        users.rep_a.pk, users.rep_a.team_id, contact_a.company_id,
    )  # fmt: skip
    assert list(call.participant_users.values_list("username", flat=True)) == ["rep_a2"]
    assert list(call.participant_contacts.values_list("pk", flat=True)) == [contact_a.pk]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "fax"}, "kind"),
        ({"kind": "email", "outcome": "busy"}, "outcome"),
        ({"kind": "call", "direction": "sideways"}, "direction"),
        ({"kind": "call", "duration_seconds": -1}, "duration_seconds"),
        ({"kind": "note", "body": "  "}, "body"),
        ({"kind": "call", "record_model": "sales.deal"}, "record_model"),
    ],
)
def test_interaction_create_rejects_bad_input(users, contact_a, kwargs, field):
    with pytest.raises(FieldError) as exc:
        services.interaction_create(by=users.rep_a, contact=contact_a, **kwargs)
    assert field in exc.value.errors


def test_interaction_needs_a_subject_of_record(users):
    with pytest.raises(FieldError) as exc:
        services.interaction_create(by=users.rep_a, kind="call")
    assert exc.value.errors == {"contact": "Say who or what this interaction is about."}


def test_interaction_on_invisible_contact_is_not_found(users, contact_b):
    with pytest.raises(NotFound):
        services.interaction_create(by=users.rep_a, kind="call", contact=contact_b)


def test_interactions_last_at_per_record(users, contact_a):
    one, two, three = (make_ticket(by=users.rep_a) for _ in range(3))
    for days, ticket in [(0, one), (3, one), (1, two)]:
        make_interaction(
            by=users.rep_a, contact=contact_a, record_model="service.ticket", record_id=ticket.pk,
            occurred_at=T0 + timedelta(days=days),
        )  # fmt: skip
    # Another kind of record with the same id does not count.
    make_interaction(
        by=users.rep_a, record_model="customers.contact", record_id=contact_a.pk,
        occurred_at=T0 + timedelta(days=9),
    )  # fmt: skip
    result = selectors.interactions_last_at(
        record_model="service.ticket", record_ids=[one.pk, two.pk, three.pk]
    )
    assert result == {one.pk: T0 + timedelta(days=3), two.pk: T0 + timedelta(days=1)}


def test_records_the_user_cannot_see_take_no_interactions_tasks_comments_or_follows(
    users, contact_a
):
    ticket = make_ticket(by=users.rep_a, contact_id=contact_a.pk)
    about = {"record_model": "service.ticket", "record_id": ticket.pk}
    with pytest.raises(NotFound):
        services.interaction_create(by=users.rep_b, kind="note", body="x", **about)
    with pytest.raises(NotFound):
        services.task_create(by=users.rep_b, title="Peek", **about)
    with pytest.raises(NotFound):
        services.comment_create(by=users.rep_b, body="Peek", **about)
    with pytest.raises(NotFound):
        services.follow_set(by=users.rep_b, following=True, **about)
    with pytest.raises(NotFound):
        selectors.record_activity(user=users.rep_b, **about)
    with pytest.raises(FieldError) as exc:
        services.comment_create(by=users.rep_a, record_model="nope.thing", record_id=1, body="x")
    assert exc.value.errors == {"record_model": "Kith has no records of this kind."}
    # The same calls from the ticket's team work, and the activity shows them.
    services.interaction_create(
        by=users.rep_a, kind="meeting", body="On site", participant_users=[users.rep_a2],
        participant_contacts=[contact_a], **about,
    )  # fmt: skip
    services.comment_create(by=users.rep_a, body="Looks fixed", **about)
    activity = selectors.record_activity(user=users.rep_a2, **about)
    assert activity.record.label == f"[#{ticket.pk}] Printer jam"
    assert activity.record.contact_id == contact_a.pk
    assert [(i.kind, i.body) for i in activity.interactions] == [("meeting", "On site")]
    assert [c.body for c in activity.comments] == ["Looks fixed"]
    assert (activity.following, activity.followers) == (False, 1)  # the author follows


def test_mentioned_users_who_cannot_see_the_record_are_not_told(users, contact_a):
    services.comment_create(
        by=users.rep_a, record_model="customers.contact", record_id=contact_a.pk,
        body="@rep_b @rep_a2 please look",
    )  # fmt: skip
    told = Notification.objects.values_list("recipient__username", flat=True)
    assert list(told) == ["rep_a2"]


def test_reminders_are_delivered_once(users, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users.rep_a.email = "ann@kith.test"
    users.rep_a.save()
    services.preference_update(by=users.rep_a, email_reminders=True)
    due = services.task_create(
        by=users.rep_a, title="Call Lan", due_at=T0 + timedelta(hours=1), remind_at=T0
    )
    services.task_create(by=users.rep_a2, title="Later", remind_at=T0 + timedelta(hours=2))
    done = services.task_create(by=users.rep_a, title="Done", remind_at=T0)
    services.task_update(by=users.rep_a, task_id=done.pk, status="done")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.tasks_remind_due(now=T0 + timedelta(minutes=1)) == 1
        assert services.tasks_remind_due(now=T0 + timedelta(minutes=2)) == 0
    note = Notification.objects.get()
    assert (note.recipient_id, note.kind, note.record_id) == (
        users.rep_a.pk,
        "task_reminder",
        due.pk,
    )
    assert note.text == "Reminder: Call Lan (due 2026-11-02 10:00)"
    assert [m.to for m in django_mail.outbox] == [["ann@kith.test"]]
    # A new reminder time is delivered again.
    services.task_update(by=users.rep_a, task_id=due.pk, remind_at=T0 + timedelta(minutes=30))
    assert services.tasks_remind_due(now=T0 + timedelta(hours=1)) == 1


@pytest.mark.django_db(transaction=True)
def test_reminder_email_goes_out_after_commit(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users.rep_a.email = "ann@kith.test"
    users.rep_a.save()
    services.preference_update(by=users.rep_a, email_reminders=True)
    services.task_create(by=users.rep_a, title="Call Lan", remind_at=T0)
    services.tasks_remind_due(now=T0)
    assert [m.subject for m in django_mail.outbox] == ["Reminder: Call Lan"]


def test_task_assignment_and_validation(users):
    with pytest.raises(FieldError) as exc:
        services.task_create(
            by=users.rep_a, title="", remind_at=T0 + timedelta(hours=2), due_at=T0, priority=9
        )
    assert set(exc.value.errors) == {"title", "priority", "remind_at"}
    task = services.task_create(by=users.rep_a, title="Ship", assignee_id=users.rep_b.pk)
    assert (task.owner_id, task.team_id) == (users.rep_b.pk, users.rep_b.team_id)
    with pytest.raises(NotFound):
        services.task_update(by=users.rep_a2, task_id=task.pk, status="done")


def test_mentions_notify_each_user_once_and_followers_hear_of_comments(users, contact_a):
    services.follow_set(
        by=users.manager, record_model="customers.contact", record_id=contact_a.pk, following=True
    )
    comment = services.comment_create(
        by=users.rep_a, record_model="customers.contact", record_id=contact_a.pk,
        body="@rep_a2 and @REP_A2, see this. email me at x@rep_b.com; @nobody @rep_a",
        url="/contacts/1/",
    )  # fmt: skip
    assert sorted(comment.mentions.values_list("username", flat=True)) == ["rep_a", "rep_a2"]
    rows = sorted(Notification.objects.values_list("recipient__username", "kind"))
    assert rows == [("manager", "comment"), ("rep_a2", "mention")]
    # The author now follows and hears about the next comment.
    services.comment_create(
        by=users.rep_a2, record_model="customers.contact", record_id=contact_a.pk, body="Done."
    )
    assert Notification.objects.filter(recipient=users.rep_a, kind="comment").count() == 1


def test_mentioned_usernames():
    assert services.mentioned_usernames("hi @Lan.Pham, @bao. mail a@b.c @lan.pham") == [
        "lan.pham", "bao",
    ]  # fmt: skip


def test_notifications_mark_read(users):
    first = services.notification_create(recipient=users.rep_a, kind="x", text="one")
    services.notification_create(recipient=users.rep_a, kind="x", text="two")
    services.notification_create(recipient=users.rep_b, kind="x", text="b")
    assert services.notifications_mark_read(by=users.rep_a, notification_ids=[first.pk]) == 1
    assert selectors.notifications_unread_count(user=users.rep_a) == 1
    assert services.notifications_mark_read(by=users.rep_a) == 1
    assert selectors.notifications_unread_count(user=users.rep_b) == 1


def test_email_send_goes_through_smtp_and_is_logged(users, contact_a, smtp):
    users.rep_a.email = "ann@kith.test"
    users.rep_a.save()
    sent = services.email_send(
        by=users.rep_a, contact=contact_a, subject="Your quote", body="Xin chào Lan,\nhere it is."
    )
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "lan@example.com"
    assert message["Subject"] == "Your quote"
    assert message["Reply-To"] == "ann@kith.test"
    assert message["Message-ID"].strip("<>") == sent.message_id
    assert "Xin chào Lan" in message.get_payload(decode=True).decode()
    sent.refresh_from_db()
    assert (sent.kind, sent.direction, sent.contact_id, sent.subject) == (
        "email", "out", contact_a.pk, "Your quote",
    )  # fmt: skip
    assert Interaction.objects.filter(message_id=sent.message_id).count() == 1


def test_email_send_refuses_contacts_without_address(users, smtp):
    nobody = make_contact(by=users.rep_a, full_name="No Mail", emails=[])
    with pytest.raises(FieldError) as exc:
        services.email_send(by=users.rep_a, contact=nobody, subject="Hi", body="x")
    assert exc.value.errors == {"to_address": "This contact has no email address."}
    assert smtp.messages == []


def test_task_status_open_again_clears_completion(users):
    task = services.task_create(by=users.rep_a, title="x")
    services.task_update(by=users.rep_a, task_id=task.pk, status="done")
    reopened = services.task_update(by=users.rep_a, task_id=task.pk, status="open")
    assert (reopened.status, reopened.completed_at, reopened.version) == ("open", None, 3)
    assert Task.objects.get().status == "open"


def test_email_form_on_the_contact_page_sends_by_smtp_and_logs(users, contact_a, smtp, client):
    from django.urls import reverse

    client.force_login(users.rep_a)
    url = reverse("contact-email", args=[contact_a.pk])
    form = client.get(url).content.decode()
    assert 'value="lan@example.com"' in form
    response = client.post(
        url, {"to_address": "lan@example.com", "subject": "Báo giá", "body": "Gửi chị báo giá."}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("contact-detail", args=[contact_a.pk])
    from email.header import decode_header, make_header

    assert [str(make_header(decode_header(m["Subject"]))) for m in smtp.messages] == ["Báo giá"]
    logged = Interaction.objects.get()
    assert (logged.kind, logged.direction, logged.contact_id, logged.subject) == (
        "email", "out", contact_a.pk, "Báo giá",
    )  # fmt: skip
    timeline = client.get(reverse("contact-timeline", args=[contact_a.pk])).content.decode()
    assert "Email (outbound): Báo giá" in timeline
    # Someone who cannot see the contact cannot write to it.
    client.force_login(users.rep_b)
    assert (
        client.post(url, {"to_address": "x@example.com", "subject": "s", "body": "b"}).status_code
        == 404
    )
    assert len(smtp.messages) == 1
