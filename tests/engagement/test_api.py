"""API v1 of engagement: interactions, timeline, tasks, comments, notifications; access and
query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.engagement import services
from kith.engagement.models import Interaction, Notification, Task
from tests.engagement.factories import make_interaction

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_create_and_list_interactions(api_for, users, contact_a):
    client = api_for(users.rep_a)
    response = client.post(
        "/api/v1/interactions",
        {"kind": "call", "contact_id": contact_a.pk, "direction": "out", "duration_seconds": 90,
         "outcome": "connected", "subject": "Hello", "occurred_at": T0.isoformat(),
         "participant_user_ids": [users.rep_a2.pk]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["duration_seconds"], body["contact_id"], body["owner"]["id"]) == (
        "call", 90, contact_a.pk, users.rep_a.pk,
    )  # fmt: skip
    assert body["participant_user_ids"] == [users.rep_a2.pk]
    listed = client.get(f"/api/v1/interactions?contact_id={contact_a.pk}").json()
    assert [i["subject"] for i in listed["items"]] == ["Hello"]


def test_interaction_validation_error_names_the_field(api_for, users, contact_a):
    response = api_for(users.rep_a).post(
        "/api/v1/interactions",
        {"kind": "email", "contact_id": contact_a.pk, "outcome": "busy"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"outcome": "Only calls have an outcome."}


def test_rep_b_cannot_see_or_use_team_a_records(api_for, users, contact_a):
    interaction = make_interaction(by=users.rep_a, contact=contact_a, subject="secret")
    task = services.task_create(by=users.rep_a, title="A task", due_at=T0)
    client = api_for(users.rep_b)
    assert client.get(f"/api/v1/interactions?contact_id={contact_a.pk}").status_code == 404
    assert client.get("/api/v1/interactions").json()["items"] == []
    assert client.get(f"/api/v1/interactions/{interaction.pk}").status_code == 404
    assert client.get(f"/api/v1/contacts/{contact_a.pk}/timeline").status_code == 404
    assert client.get(f"/api/v1/contacts/{contact_a.pk}/comments").status_code == 404
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert client.get("/api/v1/tasks?mine=false").json()["items"] == []
    assert (
        client.patch(
            f"/api/v1/tasks/{task.pk}", {"status": "done"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/tasks/{task.pk}").status_code == 404
    created = client.post(
        "/api/v1/interactions", {"kind": "call", "contact_id": contact_a.pk},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 404
    assert Interaction.objects.count() == 1
    assert Task.objects.get().status == "open"


def test_timeline_cursor(api_for, users, contact_a):
    for i in range(5):
        make_interaction(
            by=users.rep_a, contact=contact_a, subject=f"c{i}", occurred_at=T0 + timedelta(hours=i)
        )
    client = api_for(users.rep_a)
    first = client.get(f"/api/v1/contacts/{contact_a.pk}/timeline?limit=3&kind=interaction").json()
    assert [i["title"] for i in first["items"]] == ["Call: c4", "Call: c3", "Call: c2"]
    second = client.get(
        f"/api/v1/contacts/{contact_a.pk}/timeline?limit=3&kind=interaction"
        f"&cursor={first['next_cursor']}"
    ).json()
    assert [i["title"] for i in second["items"]] == ["Call: c1", "Call: c0"]
    assert second["next_cursor"] is None
    bad = client.get(f"/api/v1/contacts/{contact_a.pk}/timeline?cursor=zzz")
    assert bad.status_code == 422


def test_tasks_crud(api_for, users, contact_a):
    client = api_for(users.rep_a)
    created = client.post(
        "/api/v1/tasks",
        {"title": "Quote", "due_at": T0.isoformat(), "priority": 3, "contact_id": contact_a.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/tasks/{task_id}", {"status": "done"}, content_type="application/json"
    ).json()
    assert (patched["status"], patched["version"]) == ("done", 2)
    assert client.get("/api/v1/tasks?status=done").json()["items"][0]["title"] == "Quote"
    assert client.delete(f"/api/v1/tasks/{task_id}").status_code == 403  # reps may not delete
    assert api_for(users.manager).delete(f"/api/v1/tasks/{task_id}").status_code == 204
    assert Task.objects.count() == 0


def test_comments_and_notifications(api_for, users, contact_a):
    created = api_for(users.rep_a).post(
        f"/api/v1/contacts/{contact_a.pk}/comments",
        {"body": "ping @rep_a2"},
        content_type="application/json",
    )
    assert created.status_code == 201
    client = api_for(users.rep_a2)
    inbox = client.get("/api/v1/notifications").json()
    assert (inbox["unread"], inbox["items"][0]["kind"], inbox["items"][0]["actor"]["id"]) == (
        1, "mention", users.rep_a.pk,
    )  # fmt: skip
    marked = client.post("/api/v1/notifications/read", {}, content_type="application/json")
    assert marked.json() == {"updated": 1}
    assert Notification.objects.get().read_at is not None


def test_comments_and_follows_on_a_ticket(api_for, users, contact_a):
    from kith.service.services import ticket_create

    ticket = ticket_create(by=users.rep_a, subject="Printer jam", contact_id=contact_a.pk)
    base = f"/api/v1/records/service.ticket/{ticket.pk}"
    follow = api_for(users.rep_a2).post(
        f"{base}/follow", {"following": True}, content_type="application/json"
    )
    assert follow.json() == {"following": True}
    created = api_for(users.rep_a).post(
        f"{base}/comments", {"body": "Roller replaced"}, content_type="application/json"
    )
    assert created.status_code == 201
    assert [c["body"] for c in api_for(users.rep_a2).get(f"{base}/comments").json()] == [
        "Roller replaced"
    ]
    assert Notification.objects.get().recipient_id == users.rep_a2.pk
    logged = api_for(users.rep_a).post(
        "/api/v1/interactions",
        {"kind": "call", "record_model": "service.ticket", "record_id": ticket.pk,
         "participant_user_ids": [users.rep_a2.pk]},
        content_type="application/json",
    )  # fmt: skip
    assert logged.status_code == 201
    assert logged.json()["participant_user_ids"] == [users.rep_a2.pk]
    outsider = api_for(users.rep_b)
    assert outsider.get(f"{base}/comments").status_code == 404
    assert (
        outsider.post(
            f"{base}/comments", {"body": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        outsider.post(
            "/api/v1/interactions",
            {"kind": "call", "record_model": "service.ticket", "record_id": ticket.pk},
            content_type="application/json",
        ).status_code
        == 404
    )
    unknown = api_for(users.rep_a).get("/api/v1/records/nope.thing/1/comments")
    assert unknown.status_code == 422


def test_my_day(api_for, users, contact_a):
    from django.utils import timezone

    now = timezone.now()
    services.task_create(by=users.rep_a, title="Late", due_at=now - timedelta(hours=1))
    services.task_create(by=users.rep_a, title="Someday")
    services.task_create(by=users.rep_a2, title="Not mine", due_at=now - timedelta(hours=1))
    make_interaction(
        by=users.rep_a2, kind="meeting", contact=contact_a, subject="Stand-up",
        occurred_at=timezone.localtime(now).replace(hour=23, minute=0),
        participant_users=[users.rep_a],
    )  # fmt: skip
    day = api_for(users.rep_a).get("/api/v1/tasks/my-day").json()
    assert [t["title"] for t in day["overdue"]] == ["Late"]
    assert [t["title"] for t in day["undated"]] == ["Someday"]
    assert [(m["subject"], m["participant_user_ids"]) for m in day["meetings"]] == [
        ("Stand-up", [users.rep_a.pk])
    ]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_counts_do_not_grow(api_for, users, contact_a):
    client = api_for(users.rep_a)
    counts: dict[str, list[int]] = {"i": [], "t": [], "n": [], "tl": []}
    client.get("/api/v1/interactions")  # the token's first use records itself
    for n in (2, 12):
        for i in range(n):
            make_interaction(
                by=users.rep_a, contact=contact_a, participant_users=[users.rep_a2],
                occurred_at=T0 + timedelta(minutes=i),
            )  # fmt: skip
            services.task_create(by=users.rep_a, title=f"t{i}", due_at=T0)
            services.notification_create(
                recipient=users.rep_a, kind="x", text="y", actor=users.rep_b
            )
        counts["i"].append(_count(client, "/api/v1/interactions?limit=50"))
        counts["t"].append(_count(client, "/api/v1/tasks?limit=50"))
        counts["n"].append(_count(client, "/api/v1/notifications?limit=50"))
        counts["tl"].append(_count(client, f"/api/v1/contacts/{contact_a.pk}/timeline"))
    assert all(a == b for a, b in counts.values()), counts
