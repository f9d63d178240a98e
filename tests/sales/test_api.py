"""API v1 of sales: CRUD, moves, conversion, access (404 outside scope) and query counts."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kith.sales import services
from kith.sales.models import Deal, Lead
from kith.sales.services import LineInput
from tests.factories import make_contact
from tests.sales.factories import make_deal, make_pipeline, make_product


def test_lead_crud_and_convert(api_for, users, funnel):
    client = api_for(users.rep_a)
    created = client.post(
        "/api/v1/leads",
        {"full_name": "Ann", "email": "ann@acme.vn", "company_name": "Acme"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["source_channel"], body["status"], body["owner"]["id"]) == (
        "api",
        "new",
        users.rep_a.pk,
    )
    patched = client.patch(
        f"/api/v1/leads/{body['id']}",
        {"version": body["version"], "status": "qualified"},
        content_type="application/json",
    )
    assert patched.json()["status"] == "qualified"
    stale = client.patch(
        f"/api/v1/leads/{body['id']}",
        {"version": body["version"], "status": "working"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    converted = client.post(
        f"/api/v1/leads/{body['id']}/convert",
        {"create_deal": True, "amount_minor": 120000},
        content_type="application/json",
    )
    assert converted.status_code == 200, converted.content
    result = converted.json()
    assert result["contact_created"] and result["company"]["name"] == "Acme"
    assert Deal.objects.get(pk=result["deal_id"]).amount_minor == 120000


def test_lead_bad_input_is_422_with_fields(api_for, users):
    response = api_for(users.rep_a).post(
        "/api/v1/leads",
        {"full_name": "", "email": "bad"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"full_name", "email"}
    assert Lead.objects.count() == 0


def test_rep_b_cannot_see_or_move_team_a_deal(api_for, users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel)
    client = api_for(users.rep_b)
    assert client.get(f"/api/v1/deals/{deal.pk}").status_code == 404
    moved = client.post(
        f"/api/v1/deals/{deal.pk}/move",
        {"stage_id": funnel.won.pk},
        content_type="application/json",
    )
    assert moved.status_code == 404
    assert Deal.objects.get(pk=deal.pk).stage_id == funnel.qualify.pk
    assert client.get("/api/v1/deals").json()["items"] == []


def test_deal_move_via_api(api_for, users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel)
    response = api_for(users.rep_a).post(
        f"/api/v1/deals/{deal.pk}/move",
        {"stage_id": funnel.lost.pk, "lost_reason": "Budget"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["stage"]["id"], body["outcome"], body["lost_reason"]) == (
        funnel.lost.pk,
        "lost",
        "Budget",
    )


def test_pipelines_and_products(api_for, users, funnel):
    client = api_for(users.admin)
    pipelines = client.get("/api/v1/pipelines").json()
    assert [s["name"] for s in pipelines[0]["stages"]] == [
        "Qualify",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    product = client.post(
        "/api/v1/products",
        {"sku": "TEA-1", "name": "Tea", "price_minor": 450},
        content_type="application/json",
    )
    assert product.status_code == 201
    assert client.get("/api/v1/products?q=TEA-1").json()["items"][0]["price_minor"] == 450
    refused = api_for(users.rep_a).post(
        "/api/v1/pipelines",
        {"name": "X", "stages": [{"name": "a", "probability": 1}] * 3},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_orders_create_history_and_import(api_for, users):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA", price_minor=450)
    client = api_for(users.rep_a)
    created = client.post(
        "/api/v1/orders",
        {"contact_id": contact.pk, "lines": [{"product_id": tea.pk, "quantity": 2}]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["total_minor"] == 900
    imported = client.post(
        "/api/v1/orders/import",
        {
            "orders": [
                {
                    "contact_id": contact.pk,
                    "ordered_at": "2024-05-01T10:00:00Z",
                    "lines": [{"product_id": tea.pk, "quantity": 1, "unit_price_minor": 400}],
                }
            ]
        },
        content_type="application/json",
    )
    assert imported.status_code == 201 and imported.json() == {"orders": 1, "lines": 1}
    history = client.get(f"/api/v1/orders?contact_id={contact.pk}").json()["items"]
    assert [o["total_minor"] for o in history] == [900, 400]
    assert api_for(users.rep_b).get(f"/api/v1/orders?contact_id={contact.pk}").json()["items"] == []


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_api_list_query_counts_do_not_grow(api_for, users, funnel):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    for n in range(12):
        make_deal(by=users.rep_a, funnel=funnel, name=f"D{n}", company_id=None)
        services.lead_create(by=users.rep_a, full_name=f"L{n}")
        services.order_create(by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 1)])
        make_product(by=users.admin, sku=f"P{n}")
    client = api_for(users.rep_a)
    client.get("/api/v1/pipelines")  # the token's first use is written once a minute
    for path in ("/api/v1/deals", "/api/v1/leads", "/api/v1/orders", "/api/v1/products"):
        small = _count(client, f"{path}?limit=2")
        large = _count(client, f"{path}?limit=10")
        assert small == large, path
        assert large <= 6, path


def test_pipeline_patch_reorders_and_adds_stages(api_for, users, funnel):
    f = funnel
    stages = [
        {"id": f.proposal.pk, "name": "Proposal", "probability": 45},
        {"id": f.qualify.pk, "name": "Qualify", "probability": 10},
        {"name": "Trial", "probability": 60},
        {"id": f.won.pk, "name": "Won", "probability": 100, "outcome": "won"},
        {"id": f.lost.pk, "name": "Lost", "probability": 0, "outcome": "lost"},
    ]
    response = api_for(users.admin).patch(
        f"/api/v1/pipelines/{f.pipeline.pk}", {"name": "B2B", "stages": stages},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "B2B"
    assert [(s["name"], s["probability"]) for s in body["stages"]] == [
        ("Proposal", 45), ("Qualify", 10), ("Trial", 60), ("Won", 100), ("Lost", 0),
    ]  # fmt: skip
    refused = api_for(users.rep_a).patch(
        f"/api/v1/pipelines/{f.pipeline.pk}", {"name": "Mine"}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_pipeline_detail_and_delete(api_for, users, funnel):
    client = api_for(users.admin)
    assert client.get(f"/api/v1/pipelines/{funnel.pipeline.pk}").json()["name"] == "Sales"
    assert client.get("/api/v1/pipelines/999999").status_code == 404
    make_deal(by=users.rep_a, funnel=funnel)
    busy = client.delete(f"/api/v1/pipelines/{funnel.pipeline.pk}")
    assert busy.status_code == 422 and "still has deals" in busy.content.decode()
    empty = make_pipeline(by=users.admin, name="Empty")
    assert api_for(users.rep_a).delete(f"/api/v1/pipelines/{empty.pipeline.pk}").status_code == 403
    assert client.delete(f"/api/v1/pipelines/{empty.pipeline.pk}").status_code == 204
    assert client.get(f"/api/v1/pipelines/{empty.pipeline.pk}").status_code == 404
