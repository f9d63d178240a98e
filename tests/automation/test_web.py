"""Automation pages: the rule builder (forms, no code), test runs, the run log, subscriptions
with the secret shown once, the paginated delivery log (bounded queries), redelivery, inbound
sources and their public endpoint; administrators only."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kith.automation.models import Delivery, InboundSource, Rule, Subscription
from kith.automation.services import deliveries_send, rule_runs_advance
from kith.core.events import events_dispatch
from kith.sales.models import Lead
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_rule_builder_makes_a_rule_without_code(web_for, users, teams, records) -> None:
    client = web_for(users.admin)
    assert client.get("/automation/rules/new/").status_code == 200
    response = client.post(
        "/automation/rules/new/",
        {
            "name": "New VIP",
            "trigger": "contact.updated",
            "trigger_field": "title",
            "trigger_days": "0",
            "owner_id": str(users.admin.pk),
            "match": "any",
            "is_active": "on",
            "c0_field": "title",
            "c0_op": "contains",
            "c0_value": "chief",
            "c1_field": "custom.tier",
            "c1_op": "in",
            "c1_value": "gold, vip",
            "a0_type": "create_task",
            "a0_text": "Call {{ full_name }}",
            "a0_days": "1",
            "a0_user": "record_owner",
            "a1_type": "wait",
            "a1_days": "2",
            "a2_type": "assign_owner",
            "a2_team": str(teams.a.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Rule.objects.get()
    assert rule.conditions == {
        "any": [
            {"field": "title", "op": "contains", "value": "chief"},
            {"field": "custom.tier", "op": "in", "value": ["gold", "vip"]},
        ]
    }
    assert [a["type"] for a in rule.actions] == ["create_task", "wait", "assign_owner"]
    assert rule.actions[1] == {"type": "wait", "days": 2, "hours": 0}
    # Editing shows the rows again; the test run shows the steps.
    edit = client.get(f"/automation/rules/{rule.pk}/edit/")
    assert 'value="Call {{ full_name }}"' in edit.content.decode()
    tested = client.post(f"/automation/rules/{rule.pk}/", {"record_id": records.contact_a.pk})
    page = tested.content.decode()
    assert "Create the task “Call 王伟明”" in page and "Nothing was done." in page


def test_rule_builder_shows_the_services_errors(web_for, users) -> None:
    client = web_for(users.admin)
    response = client.post(
        "/automation/rules/new/",
        {"name": "x", "trigger": "contact.created", "owner_id": str(users.admin.pk),
         "match": "all", "a0_type": "create_task"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Step 1" in response.content.decode()
    assert not Rule.objects.exists()


def test_subscription_secret_once_and_delivery_log(web_for, users, receiver) -> None:
    client = web_for(users.admin)
    response = client.post(
        "/automation/subscriptions/", {"name": "ERP", "url": receiver.url, "events": "*"}
    )
    subscription = Subscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in client.get("/automation/subscriptions/").content.decode()
    for number in range(5):
        make_contact(by=users.rep_a, full_name=f"Khách {number}")
    events_dispatch()
    deliveries_send()
    url = f"/automation/subscriptions/{subscription.pk}/"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for number in range(5, 25):
        make_contact(by=users.rep_a, full_name=f"Khách {number}")
    events_dispatch()
    deliveries_send()
    with CaptureQueriesContext(connection) as many:
        page = client.get(url + "?status=delivered")
    assert len(many) == len(few)  # the log costs the same whatever its length
    assert page.content.decode().count("Redeliver") == 25
    delivery = Delivery.objects.order_by("id").first()
    client.post(f"/automation/deliveries/{delivery.pk}/redeliver/")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING


def test_runs_list_has_bounded_queries(web_for, users) -> None:
    client = web_for(users.admin)
    rule = Rule.objects.create(
        name="Tag", trigger="contact.created", owner=users.admin,
        actions=[{"type": "add_tag", "tag": "new"}],
    )  # fmt: skip
    make_contact(by=users.admin, full_name="Một")
    events_dispatch()
    rule_runs_advance()
    with CaptureQueriesContext(connection) as few:
        client.get(f"/automation/rules/{rule.pk}/")
    for number in range(8):
        make_contact(by=users.admin, full_name=f"Người {number}")
    events_dispatch()
    rule_runs_advance()
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/automation/rules/{rule.pk}/")
    assert len(many) == len(few)
    assert page.content.decode().count("Done") >= 9


def test_inbound_source_and_public_endpoint(web_for, users) -> None:
    client = web_for(users.admin)
    client.post(
        "/automation/inbound/",
        {"name": "Shop", "target": "lead", "mapping": '{"full_name": "name"}'},
    )
    source = InboundSource.objects.get()
    anonymous = Client()
    ok = anonymous.post(
        f"/hooks/in/{source.token}/", json.dumps({"name": "Lý Tiểu Long"}), "application/json"
    )
    assert ok.status_code == 201 and Lead.objects.get().full_name == "Lý Tiểu Long"
    bad = anonymous.post(f"/hooks/in/{source.token}/", "{", "application/json")
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    assert anonymous.post("/hooks/in/nope/", "{}", "application/json").status_code == 404
    detail = client.get(f"/automation/inbound/{source.pk}/").content.decode()
    assert source.token in detail and "Retry" in detail


def test_pages_are_for_admins_only(web_for, users) -> None:
    client = web_for(users.manager)
    for url in ("/automation/", "/automation/subscriptions/", "/automation/inbound/"):
        assert client.get(url).status_code == 403
