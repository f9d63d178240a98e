"""Engagement pages: timeline panel, logging, tasks, notifications, calendar feed, access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import vobject
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kith.engagement import services
from kith.engagement.models import Interaction, Notification, Task
from tests.engagement.factories import make_interaction

HX = {"HTTP_HX_REQUEST": "true"}


def test_timeline_panel_shows_interactions_newest_first(web_for, users, contact_a):
    base = datetime(2026, 11, 1, 9, tzinfo=UTC)
    make_interaction(by=users.rep_a, contact=contact_a, subject="First call", occurred_at=base)
    make_interaction(
        by=users.rep_a, kind="meeting", contact=contact_a, subject="Demo",
        occurred_at=base + timedelta(days=1),
    )  # fmt: skip
    response = web_for(users.rep_a).get(reverse("contact-timeline", args=[contact_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Timeline</h2>" in html
    assert html.index("Meeting: Demo") < html.index("Call: First call")


def test_log_a_call_from_the_panel(web_for, users, contact_a):
    client = web_for(users.rep_a)
    response = client.post(
        reverse("contact-interaction-create", args=[contact_a.pk]),
        {"kind": "call", "direction": "out", "channel": "Zalo", "duration_minutes": "5",
         "outcome": "connected", "subject": "Pricing", "body": "Wants 20 units"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 200
    call = Interaction.objects.get()
    assert (call.kind, call.direction, call.channel, call.duration_seconds, call.outcome) == (
        "call", "out", "zalo", 300, "connected",
    )  # fmt: skip
    assert (call.contact_id, call.company_id, call.owner_id) == (
        contact_a.pk, contact_a.company_id, users.rep_a.pk,
    )  # fmt: skip
    assert "Call (outbound): Pricing" in response.content.decode()


def test_invalid_interaction_shows_the_error(web_for, users, contact_a):
    response = web_for(users.rep_a).post(
        reverse("contact-interaction-create", args=[contact_a.pk]),
        {"kind": "note", "body": ""},
        **HX,
    )
    assert response.status_code == 422
    assert "A note needs some text." in response.content.decode()
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize("name", ["contact-timeline", "contact-tasks-panel", "contact-email"])
def test_other_teams_contact_is_404(web_for, users, contact_a, name):
    response = web_for(users.rep_b).get(reverse(name, args=[contact_a.pk]))
    assert response.status_code == 404


def test_rep_b_cannot_log_on_team_a_contact(web_for, users, contact_a):
    response = web_for(users.rep_b).post(
        reverse("contact-interaction-create", args=[contact_a.pk]),
        {"kind": "call", "subject": "x"},
        **HX,
    )
    assert response.status_code == 404
    assert Interaction.objects.count() == 0


def test_timeline_hides_interactions_outside_the_users_scope(web_for, users, contact_a):
    """A contact visible to both teams (admin sees all) shows each user only their interactions."""
    make_interaction(by=users.rep_a, contact=contact_a, subject="A's call")
    make_interaction(by=users.admin, contact=contact_a, subject="Admin's call")
    html = web_for(users.rep_a2).get(reverse("contact-timeline", args=[contact_a.pk]))
    text = html.content.decode()
    assert "A&#x27;s call" in text
    # The admin has no team: its interaction is outside team A's scope.
    assert "Admin&#x27;s call" not in text


def _timeline_queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_timeline_pages_cost_the_same_queries(web_for, users, contact_a):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(60):
        make_interaction(
            by=users.rep_a, contact=contact_a, subject=f"call {i}",
            occurred_at=base + timedelta(hours=i),
        )  # fmt: skip
    client = web_for(users.rep_a)
    client.get(reverse("contact-timeline", args=[contact_a.pk]))  # warm the session and grants
    url = reverse("contact-timeline", args=[contact_a.pk]) + "?kind=interaction"
    first, html = _timeline_queries(client, url)
    older = re.search(r'hx-get="([^"]+cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    second, html2 = _timeline_queries(client, older)
    third_url = re.search(r'hx-get="([^"]+cursor=[^"]+)"', html2).group(1).replace("&amp;", "&")
    third, html3 = _timeline_queries(client, third_url)
    assert "call 59" in html and "call 34" not in html and "call 35" in html
    assert "call 34" in html2 and "call 10" in html2 and "call 9<" not in html2
    assert "call 0<" in html3 and "cursor=" not in html3
    assert second == third
    assert first <= second + 4  # the first page adds the follow flag


def test_timeline_kind_filter(web_for, users, contact_a):
    make_interaction(by=users.rep_a, contact=contact_a, subject="call one")
    html = (
        web_for(users.rep_a)
        .get(reverse("contact-timeline", args=[contact_a.pk]) + "?kind=change")
        .content.decode()
    )
    assert "call one" not in html
    assert 'data-kind="change"' in html


def test_timeline_filter_by_interaction_kind_pages_with_the_filter(web_for, users, contact_a):
    base = datetime(2026, 10, 1, 9, tzinfo=UTC)
    for n in range(30):
        make_interaction(
            by=users.rep_a, contact=contact_a, subject=f"call {n}",
            occurred_at=base + timedelta(hours=2 * n),
        )  # fmt: skip
        if n % 6 == 0:
            make_interaction(
                by=users.rep_a, kind="meeting", contact=contact_a, subject=f"meeting {n}",
                occurred_at=base + timedelta(hours=2 * n + 1),
            )  # fmt: skip
    client = web_for(users.rep_a)
    url = reverse("contact-timeline", args=[contact_a.pk])
    first = client.get(url + "?kind=interaction:call").content.decode()
    titles = re.findall(r'<p class="timeline-title">([^<]+)</p>', first)
    assert titles == [f"Call: call {n}" for n in range(29, 4, -1)]  # 25, newest first
    assert 'value="interaction:call" checked' in first
    older = re.search(r'hx-get="([^"]+cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    assert "kind=interaction%3Acall" in older
    second = client.get(older).content.decode()
    titles = re.findall(r'<p class="timeline-title">([^<]+)</p>', second)
    assert titles == [f"Call: call {n}" for n in range(4, -1, -1)]
    assert "Older" not in second
    both = client.get(url + "?kind=interaction:meeting&kind=change").content.decode()
    kinds = set(re.findall(r'data-kind="([a-z]+)"', both))
    assert kinds == {"interaction", "change"}
    assert "Call:" not in both and "Meeting: meeting 24" in both


def test_tasks_my_day_and_panel(web_for, users, contact_a):
    now = timezone.now()
    services.task_create(by=users.rep_a, title="Call back Lan", due_at=now - timedelta(hours=1),
                         contact=contact_a)  # fmt: skip
    services.task_create(by=users.rep_a, title="Send quote", due_at=now + timedelta(minutes=1))
    services.task_create(by=users.rep_b, title="B's task", due_at=now)
    client = web_for(users.rep_a)
    html = client.get(reverse("task-list")).content.decode()
    assert html.index("Call back Lan") < html.index("Send quote")
    assert "B&#x27;s task" not in html
    panel = client.get(reverse("contact-tasks-panel", args=[contact_a.pk])).content.decode()
    assert "Call back Lan" in panel and "overdue" in panel
    overdue = client.get(reverse("task-list") + "?view=overdue").content.decode()
    assert "Call back Lan" in overdue and "Send quote" not in overdue


def test_task_create_from_the_form_and_complete(web_for, users, contact_a):
    client = web_for(users.rep_a)
    response = client.post(
        reverse("task-create"),
        {"title": "Visit the shop", "priority": "3", "assignee_id": str(users.rep_a2.pk),
         "due_at": "2026-12-01T10:00", "remind_at": "2026-12-01T09:00", "contact": contact_a.pk},
    )  # fmt: skip
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.title, task.priority, task.owner_id, task.contact_id, task.team_id) == (
        "Visit the shop", 3, users.rep_a2.pk, contact_a.pk, users.rep_a2.team_id,
    )  # fmt: skip
    assert Notification.objects.get(recipient=users.rep_a2).kind == "task_assigned"
    client.post(reverse("task-status", args=[task.pk]), {"status": "done"})
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None


def test_rep_b_cannot_edit_team_a_task(web_for, users):
    task = services.task_create(by=users.rep_a, title="Private")
    client = web_for(users.rep_b)
    assert client.get(reverse("task-edit", args=[task.pk])).status_code == 404
    assert (
        client.post(reverse("task-status", args=[task.pk]), {"status": "done"}).status_code == 404
    )


def test_task_list_queries_do_not_grow(web_for, users):
    client = web_for(users.rep_a)
    now = timezone.now()
    services.task_create(by=users.rep_a, title="one", due_at=now)
    client.get(reverse("task-list"))
    counts = []
    for n in (1, 10):
        for i in range(n):
            services.task_create(by=users.rep_a, title=f"t{i}", due_at=now - timedelta(hours=i))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("task-list") + "?view=mine").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_comment_mentions_notify_and_bell_counts(web_for, users, contact_a):
    client = web_for(users.rep_a)
    client.post(
        reverse("contact-comment-create", args=[contact_a.pk]),
        {"body": "@rep_a2 please call her, cc @manager"},
        **HX,
    )
    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("manager", "mention"), ("rep_a2", "mention"),
    ]  # fmt: skip
    bell = web_for(users.rep_a2).get(reverse("notification-bell")).content.decode()
    assert 'data-unread="1"' in bell
    inbox = web_for(users.rep_a2).get(reverse("notification-list")).content.decode()
    assert "Ann mentioned you: @rep_a2 please call her" in inbox


def test_bell_costs_no_query_on_a_page(web_for, users):
    client = web_for(users.rep_a)
    html = client.get(reverse("task-list")).content.decode()
    assert 'hx-get="/notifications/bell/"' in html


def test_calendar_feed_is_valid_icalendar(web_for, users, contact_a):
    due = timezone.now() + timedelta(days=1)
    task = services.task_create(by=users.rep_a, title="Renewal call", due_at=due, priority=4)
    meeting = make_interaction(
        by=users.rep_a, kind="meeting", contact=contact_a, subject="Kick-off",
        occurred_at=due, duration_seconds=3600,
    )  # fmt: skip
    services.task_create(by=users.rep_b, title="Not mine", due_at=due)
    invited = make_interaction(
        by=users.rep_a2, kind="meeting", contact=contact_a, subject="Site visit",
        occurred_at=due + timedelta(hours=2), participant_users=[users.rep_a],
    )  # fmt: skip
    make_interaction(by=users.rep_a2, kind="meeting", contact=contact_a, subject="Not invited",
                     occurred_at=due)  # fmt: skip
    token = services.preference_get(user=users.rep_a).calendar_token
    response = web_for(users.rep_b).get(reverse("calendar-feed", args=[token]))
    assert response["Content-Type"].startswith("text/calendar")
    calendar = vobject.readOne(response.content.decode())
    todos = calendar.contents["vtodo"]
    events = calendar.contents["vevent"]
    assert [t.summary.value for t in todos] == ["Renewal call"]
    assert todos[0].uid.value.startswith(f"task-{task.pk}@")
    assert todos[0].priority.value == "1"
    assert todos[0].due.value == due.replace(microsecond=0) or todos[0].due.value == due
    assert [e.summary.value for e in events] == ["Kick-off", "Site visit"]
    assert events[0].uid.value.startswith(f"meeting-{meeting.pk}@")
    assert events[1].uid.value.startswith(f"meeting-{invited.pk}@")
    assert events[0].dtend.value - events[0].dtstart.value == timedelta(hours=1)
    assert calendar.version.value == "2.0"
    assert calendar.prodid.value == "-//Kith//Engagement//EN"
    assert web_for(users.rep_a).get(reverse("calendar-feed", args=["nope"])).status_code == 404
    services.calendar_token_reset(by=users.rep_a)  # the old secret URL stops working
    assert web_for(users.rep_b).get(reverse("calendar-feed", args=[token])).status_code == 404


def test_unfiled_page_is_for_admins(web_for, users):
    assert web_for(users.admin).get(reverse("mail-unfiled")).status_code == 200
    html = web_for(users.rep_a).get(reverse("mail-unfiled")).content.decode()
    assert "No unfiled messages." in html


def test_ticket_activity_log_with_participants_comment_and_follow(web_for, users, contact_a):
    from kith.service.services import ticket_create

    wei = make_contact_with_email(users.rep_a, "Wang Wei", "wei@example.com")
    ticket = ticket_create(by=users.rep_a, subject="Printer jam", contact_id=contact_a.pk)
    client = web_for(users.rep_a)
    panel = reverse("record-activity", args=["service.ticket", ticket.pk])
    assert client.get(panel).status_code == 200

    response = client.post(
        reverse("record-interaction-create", args=["service.ticket", ticket.pk]),
        {"kind": "visit", "subject": "On site", "body": "Replaced the roller",
         "participant_user_ids": [str(users.rep_a2.pk)],
         "participant_emails": "WEI@example.com, lan@example.com"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 200
    visit = Interaction.objects.get()
    assert (visit.record_model, visit.record_id, visit.contact_id, visit.kind) == (
        "service.ticket", ticket.pk, contact_a.pk, "visit",
    )  # fmt: skip
    assert list(visit.participant_users.values_list("username", flat=True)) == ["rep_a2"]
    assert sorted(visit.participant_contacts.values_list("pk", flat=True)) == sorted(
        [contact_a.pk, wei.pk]
    )
    html = response.content.decode()
    assert "Visit: On site" in html and "Wang Wei" in html

    bad = client.post(
        reverse("record-interaction-create", args=["service.ticket", ticket.pk]),
        {"kind": "call", "participant_emails": "nobody@nowhere.test"},
        **HX,
    )
    assert bad.status_code == 422
    assert "nobody@nowhere.test" in bad.content.decode()

    client.post(
        reverse("record-comment-create", args=["service.ticket", ticket.pk]),
        {"body": "@rep_a2 can you check the toner?"},
        **HX,
    )
    note = Notification.objects.get(recipient=users.rep_a2)
    assert (note.kind, note.url) == ("mention", f"/tickets/{ticket.pk}/")

    other = web_for(users.rep_a2)
    followed = other.post(
        reverse("record-follow", args=["service.ticket", ticket.pk]), {"following": "1"}, **HX
    )
    assert "Unfollow" in followed.content.decode()
    services.comment_create(
        by=users.rep_a, record_model="service.ticket", record_id=ticket.pk, body="Done."
    )
    assert Notification.objects.filter(recipient=users.rep_a2, kind="comment").count() == 1
    other.post(
        reverse("record-follow", args=["service.ticket", ticket.pk]), {"following": "0"}, **HX
    )
    services.comment_create(
        by=users.rep_a, record_model="service.ticket", record_id=ticket.pk, body="Closed."
    )
    assert Notification.objects.filter(recipient=users.rep_a2, kind="comment").count() == 1

    # Another team sees none of it and can add nothing.
    outsider = web_for(users.rep_b)
    assert outsider.get(panel).status_code == 404
    for name, data in [
        ("record-interaction-create", {"kind": "note", "body": "x"}),
        ("record-comment-create", {"body": "x"}),
        ("record-follow", {"following": "1"}),
    ]:
        url = reverse(name, args=["service.ticket", ticket.pk])
        assert outsider.post(url, data, **HX).status_code == 404
    assert client.get(reverse("record-activity", args=["nope.thing", 1])).status_code == 404
    # The ticket page loads the panel.
    page = client.get(reverse("ticket-detail", args=[ticket.pk])).content.decode()
    assert panel in page


def make_contact_with_email(by, name, email):
    from tests.factories import make_contact

    return make_contact(by=by, full_name=name, emails=[email])


def test_task_on_a_ticket_and_the_teams_overdue_list(web_for, users, contact_a):
    from kith.service.services import ticket_create

    ticket = ticket_create(by=users.rep_a, subject="Printer jam", contact_id=contact_a.pk)
    client = web_for(users.rep_a)
    url = reverse("task-create") + f"?record_model=service.ticket&record_id={ticket.pk}"
    page = client.get(url).content.decode()
    assert f"[#{ticket.pk}] Printer jam" in page
    due = timezone.localtime() - timedelta(hours=2)
    response = client.post(url, {
        "title": "Order the roller", "due_at": due.strftime("%Y-%m-%dT%H:%M"),
        "priority": "3", "assignee_id": str(users.rep_a2.pk),
        "record_model": "service.ticket", "record_id": str(ticket.pk),
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    task = Task.objects.get()
    assert (task.record_model, task.record_id, task.contact_id, task.owner_id) == (
        "service.ticket", ticket.pk, contact_a.pk, users.rep_a2.pk,
    )  # fmt: skip
    # Someone who cannot see the ticket cannot hang a task on it.
    assert web_for(users.rep_b).get(url).status_code == 404
    # The team's overdue list shows teammates' overdue tasks; my overdue list only mine.
    team = client.get(reverse("task-list") + "?view=team_overdue").content.decode()
    mine = client.get(reverse("task-list") + "?view=overdue").content.decode()
    assert "Order the roller" in team and "Order the roller" not in mine
    assert (
        "Order the roller"
        not in web_for(users.rep_b)
        .get(reverse("task-list") + "?view=team_overdue")
        .content.decode()
    )


def test_an_interaction_shows_on_the_timelines_of_the_contacts_who_took_part(
    web_for, users, contact_a
):
    from tests.engagement.test_web import make_contact_with_email

    wei = make_contact_with_email(users.rep_a, "Wang Wei", "wei@example.com")
    base = datetime(2026, 11, 1, 9, tzinfo=UTC)
    make_interaction(by=users.rep_a, contact=wei, subject="Wei's own call", occurred_at=base)
    make_interaction(
        by=users.rep_a, kind="meeting", contact=contact_a, subject="Joint meeting",
        participant_contacts=[contact_a, wei], occurred_at=base + timedelta(hours=1),
    )  # fmt: skip
    make_interaction(
        by=users.rep_a, contact=contact_a, subject="Lan only", occurred_at=base + timedelta(hours=2)
    )
    client = web_for(users.rep_a)
    html = client.get(reverse("contact-timeline", args=[wei.pk])).content.decode()
    titles = re.findall(r'<p class="timeline-title">([^<]+)</p>', html)
    interactions = [t for t in titles if t.startswith(("Call", "Meeting"))]
    assert interactions == ["Meeting: Joint meeting", "Call: Wei&#x27;s own call"]
    # Once on Lan's timeline (her own), not twice for also being a participant.
    lan = client.get(reverse("contact-timeline", args=[contact_a.pk])).content.decode()
    assert lan.count("Joint meeting") == 1
    # The meeting-only filter keeps it; the call-only filter drops it.
    only = client.get(reverse("contact-timeline", args=[wei.pk]) + "?kind=interaction:meeting")
    assert "Joint meeting" in only.content.decode()
    calls = client.get(reverse("contact-timeline", args=[wei.pk]) + "?kind=interaction:call")
    assert "Joint meeting" not in calls.content.decode()


def test_deal_and_lead_activity_through_the_records_sales_registered(web_for, users):
    from kith.sales.services import lead_create
    from tests.sales.factories import make_deal, make_pipeline

    funnel = make_pipeline(by=users.admin)
    deal = make_deal(by=users.rep_a, funnel=funnel, name="Big order")
    lead = lead_create(by=users.rep_a, full_name="Trần Minh", email="minh@example.vn")
    client = web_for(users.rep_a)
    for model, pk, label in (
        ("sales.deal", deal.pk, "Big order"),
        ("sales.lead", lead.pk, "Trần Minh"),
    ):
        client.post(
            reverse("record-interaction-create", args=[model, pk]),
            {"kind": "meeting", "subject": f"About {label}"},
            **HX,
        )
        html = client.get(reverse("record-activity", args=[model, pk])).content.decode()
        assert f"Meeting: About {label}" in html
        assert (
            web_for(users.rep_b).get(reverse("record-activity", args=[model, pk])).status_code
            == 404
        )
    assert sorted(Interaction.objects.values_list("record_model", flat=True)) == [
        "sales.deal", "sales.lead",
    ]  # fmt: skip
