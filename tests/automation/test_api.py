"""API v1 of automation: rules, test runs, runs, subscriptions (secret shown once), the delivery
log with attempts, redelivery; admins only; lists with a bounded number of queries."""

from __future__ import annotations

import pytest

from kith.automation.services import deliveries_send, rule_runs_advance
from kith.core.events import events_dispatch
from tests.factories import make_contact

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_rules_runs_and_test_run(api_for, users, records) -> None:
    client = api_for(users.admin)
    events_dispatch()
    created = client.post(
        "/api/v1/automation/rules",
        {
            "name": "Greet",
            "trigger": "contact.created",
            "actions": [{"type": "create_task", "title": "Greet {{ full_name }}"}],
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    bad = client.post(
        "/api/v1/automation/rules",
        {"name": "x", "trigger": "contact.created", "actions": [{"type": "fly"}]},
        content_type=JSON,
    )
    assert bad.status_code == 422 and "actions" in bad.json()["errors"]
    tested = client.post(
        f"/api/v1/automation/rules/{rule['id']}/test",
        {"record_id": records.contact_a.pk},
        content_type=JSON,
    )
    assert tested.json()["steps"] == [
        {
            "action": "create_task",
            "would": "Create the task “Greet 王伟明” for rep_a, due in 0 days.",
        }
    ]
    make_contact(by=users.rep_a, full_name="Hà Anh")
    events_dispatch()
    rule_runs_advance()
    runs = client.get(f"/api/v1/automation/rules/{rule['id']}/runs").json()
    assert [r["status"] for r in runs["items"]] == ["done"]
    detail = client.get(f"/api/v1/automation/runs/{runs['items'][0]['id']}").json()
    assert detail["steps"][0]["status"] == "ok"
    patched = client.patch(
        f"/api/v1/automation/rules/{rule['id']}",
        {"version": rule["version"], "is_active": False},
        content_type=JSON,
    )
    assert patched.json()["is_active"] is False
    stale = client.patch(
        f"/api/v1/automation/rules/{rule['id']}",
        {"version": rule["version"], "name": "y"},
        content_type=JSON,
    )
    assert stale.status_code == 409


def test_subscriptions_deliveries_and_redelivery(api_for, users, receiver) -> None:
    client = api_for(users.admin)
    created = client.post(
        "/api/v1/automation/subscriptions",
        {"name": "ERP", "url": receiver.url, "events": ["contact.created"]},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert len(body["secret"]) == 64
    listed = client.get("/api/v1/automation/subscriptions").json()
    assert "secret" not in listed[0]
    refused = client.post(
        "/api/v1/automation/subscriptions",
        {"name": "Meta", "url": "http://169.254.169.254/", "events": ["*"]},
        content_type=JSON,
    )
    assert refused.status_code == 422 and "url" in refused.json()["errors"]
    for name in ("Một", "Hai", "Ba"):
        make_contact(by=users.rep_a, full_name=name)
    events_dispatch()
    deliveries_send()
    page = client.get("/api/v1/automation/deliveries?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"/api/v1/automation/deliveries?cursor={page['next_cursor']}").json()
    assert len(rest["items"]) == 1
    first = page["items"][0]
    assert (first["status"], first["response_code"]) == ("delivered", 200)
    detail = client.get(f"/api/v1/automation/deliveries/{first['id']}").json()
    assert detail["attempts_log"][0]["response_code"] == 200
    again = client.post(f"/api/v1/automation/deliveries/{first['id']}/redeliver")
    assert again.json()["status"] == "pending"
    deliveries_send()
    assert len(receiver.requests) == 4


def test_admins_only(api_for, users) -> None:
    client = api_for(users.manager)
    assert client.get("/api/v1/automation/rules").status_code == 403
    assert client.get("/api/v1/automation/deliveries").status_code == 403


def test_lists_have_bounded_queries(
    api_for, users, receiver, django_assert_max_num_queries
) -> None:
    client = api_for(users.admin)
    client.post(
        "/api/v1/automation/subscriptions",
        {"name": "ERP", "url": receiver.url, "events": ["*"]},
        content_type=JSON,
    )
    client.post(
        "/api/v1/automation/rules",
        {"name": "Tag", "trigger": "contact.created", "actions": [{"type": "add_tag", "tag": "n"}]},
        content_type=JSON,
    )
    for number in range(6):
        make_contact(by=users.rep_a, full_name=f"Khách {number}")
    events_dispatch()
    rule_runs_advance()
    deliveries_send()
    for url in (
        "/api/v1/automation/deliveries",
        "/api/v1/automation/runs",
        "/api/v1/automation/rules",
        "/api/v1/automation/subscriptions",
    ):
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200


def test_score_crossing_rule_through_the_api(api_for, users) -> None:
    client = api_for(users.admin)
    body = {"name": "Churn", "trigger": "score.crossed", "trigger_field": "churn_risk",
            "actions": [{"type": "notify_user", "user": "rule_owner", "text": "risk"}]}  # fmt: skip
    missing = client.post("/api/v1/automation/rules", body, content_type=JSON)
    assert missing.status_code == 422 and "trigger_threshold" in missing.content.decode()
    created = client.post(
        "/api/v1/automation/rules", {**body, "trigger_threshold": 0.7}, content_type=JSON
    )
    assert created.status_code == 201, created.content
    assert created.json()["trigger_threshold"] == 0.7
