"""API v1 of service: CRUD, transitions, events, policies, metrics, access and query counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_contact
from tests.service.factories import make_ticket


def test_ticket_crud_transition_events(api_for, users, desk, smtp):
    client = api_for(users.rep_a)
    contact = make_contact(by=users.rep_a, emails=["vpn@example.org"])
    created = client.post(
        "/api/v1/tickets",
        {"subject": "VPN down", "contact_id": contact.pk, "priority": "urgent"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["channel"], body["status"], body["sla_policy_id"], body["owner"]["id"]) == (
        "api", "new", desk.urgent.pk, users.rep_a.pk,
    )  # fmt: skip
    ticket_id = body["id"]
    patched = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        {"version": body["version"], "category": "network"},
        content_type="application/json",
    )
    assert patched.json()["category"] == "network"
    stale = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        {"version": 1, "category": "x"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    reply = client.post(
        f"/api/v1/tickets/{ticket_id}/replies",
        {"text": "Rebooting"},
        content_type="application/json",
    )
    assert reply.json()["status"] == "open" and reply.json()["first_responded_at"]
    bad = client.post(
        f"/api/v1/tickets/{ticket_id}/transition",
        {"status": "new"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "status" in bad.json()["errors"]
    done = client.post(
        f"/api/v1/tickets/{ticket_id}/transition",
        {"status": "resolved"},
        content_type="application/json",
    )
    assert done.json()["status"] == "resolved"
    events = client.get(f"/api/v1/tickets/{ticket_id}/events").json()
    assert [(e["kind"], e["field"], e["old_value"], e["new_value"]) for e in events] == [
        ("created", "", "", "new"),
        ("changed", "category", "", "network"),
        ("reply", "", "", "Rebooting"),
        ("status", "status", "new", "open"),
        ("status", "status", "open", "resolved"),
    ]
    assert events[1]["actor"]["id"] == users.rep_a.pk


def test_filters_policies_and_metrics(api_for, users, desk):
    make_ticket(by=users.rep_a, priority="urgent")
    make_ticket(by=users.rep_a)
    client = api_for(users.rep_a)
    urgent = client.get("/api/v1/tickets?priority=urgent").json()["items"]
    assert [t["priority"] for t in urgent] == ["urgent"]
    policies = client.get("/api/v1/sla-policies").json()
    assert [p["name"] for p in policies] == ["Urgent", "Gold", "Standard"]
    assert policies[1]["tier_field"] == "tier" and policies[1]["calendar"]["name"] == "Office"
    metrics = client.get("/api/v1/service-metrics?start=2026-11-01&end=2026-11-30").json()
    assert metrics["total"]["created"] == 2 and metrics["total"]["backlog"] == 2
    assert metrics["total"]["sla_attainment"] == 100.0
    assert [r["label"] for r in metrics["rows"]] == ["Team A"]
    assert metrics["months"][0]["month"] == "2026-11"


def test_other_team_gets_404_and_empty_lists(api_for, users, desk):
    ticket = make_ticket(by=users.rep_a)
    client = api_for(users.rep_b)
    assert client.get(f"/api/v1/tickets/{ticket.pk}").status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket.pk}/events").status_code == 404
    assert client.post(
        f"/api/v1/tickets/{ticket.pk}/transition", {"status": "open"}, content_type="application/json"
    ).status_code == 404  # fmt: skip
    assert client.get("/api/v1/tickets").json()["items"] == []
    assert (
        client.get("/api/v1/service-metrics?start=2026-11-01&end=2026-11-30").json()["total"][
            "created"
        ]
        == 0
    )


def test_list_query_count_does_not_grow_with_page_size(api_for, users, desk):
    for n in range(12):
        make_ticket(by=users.rep_a, subject=f"T{n}", contact_id=make_contact(by=users.rep_a).pk)
    client = api_for(users.rep_a)
    client.get("/api/v1/tickets?limit=1")  # the token's first use is recorded once
    counts = []
    for limit in (3, 12):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/tickets?limit={limit}")
        assert len(response.json()["items"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 6
