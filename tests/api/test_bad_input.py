"""What an ordinary user could send that used to reach a 500 (or store bad data), found when
Kith was attacked as a team rep would: control characters, numbers beyond 64 bits, dates near
year 1, a bare JSON string as a body, deleting a contact with orders, the htmx kanban filter."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kith.customers.models import Contact
from kith.intake.exporting import xlsx_bytes
from kith.sales import services as sales
from kith.sales.models import Deal, Product
from tests.sales.factories import make_pipeline, make_product

pytestmark = pytest.mark.usefixtures("english")


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_control_characters_are_refused_by_the_api_with_the_field_named(users, api_for):
    client = api_for(users.rep_a)
    response = _post(client, "/api/v1/contacts", {"full_name": "Ann\x00Lee", "emails": ["a@x.io"]})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"full_name"}
    bell = _post(client, "/api/v1/contacts", {"full_name": "Ann", "title": "Boss\x07"})
    assert bell.status_code == 422 and set(bell.json()["errors"]) == {"title"}
    assert not Contact.objects.exists()
    # Line breaks and tabs are text where text may have them.
    ok = _post(client, "/api/v1/contacts", {"full_name": "Ann Lee", "title": "A\tB"})
    assert ok.status_code == 201


def test_control_characters_in_web_forms_and_search_are_refused(users, web_for):
    client = web_for(users.rep_a)
    response = client.post("/contacts/new/", {"full_name": "Ann\x00", "owner": users.rep_a.pk})
    assert response.status_code == 400
    assert "full_name" in response.content.decode()
    assert not Contact.objects.exists()
    assert client.get("/search/", {"q": "ab\x00c"}).status_code == 400
    api = client.get("/api/v1/search", {"q": "\x00"})
    assert api.status_code == 422 and set(api.json()["errors"]) == {"q"}


def test_the_kit_refuses_and_the_export_strips_control_characters():
    from kith.core.text import clean
    from kith.core.validation import text_clean

    errors: dict[str, str] = {}
    text_clean("a\x00b", field="name", limit=10, errors=errors)
    assert errors == {"name": "Remove the control characters (such as NUL) from this text."}
    assert clean("ab\x00c\x07") == "abc"
    # Data stored before the door refused them still exports (openpyxl raised on them).
    assert xlsx_bytes(["name"], [["bad\x00\x07 value"]])[:2] == b"PK"


@pytest.mark.parametrize("number", [1e20, 10**20, -(10**20)])
def test_numbers_beyond_64_bits_are_refused_not_a_server_error(users, api_for, number):
    client = api_for(users.admin)
    funnel = make_pipeline(by=users.admin)
    product = make_product(by=users.admin)
    deal = _post(
        client,
        "/api/v1/deals",
        {"name": "Big", "pipeline_id": funnel.pipeline.pk, "amount_minor": number},
    )
    assert deal.status_code == 422 and "amount_minor" in deal.json()["errors"]
    item = _post(client, "/api/v1/products", {"sku": "B", "name": "B", "price_minor": number})
    assert item.status_code == 422 and "price_minor" in item.json()["errors"]
    ticket = _post(client, "/api/v1/tickets", {"subject": "x", "contact_id": number})
    assert ticket.status_code == 422 and "contact_id" in ticket.json()["errors"]
    order = _post(
        client,
        "/api/v1/orders",
        {"contact_id": 1, "lines": [{"product_id": product.pk, "quantity": number}]},
    )
    assert order.status_code == 422 and "lines.0.quantity" in order.json()["errors"]
    assert Deal.objects.count() == 0 and Product.objects.count() == 1


def test_owner_and_team_filters_beyond_64_bits(users, api_for, web_for):
    huge = "1" + "0" * 20
    api = api_for(users.rep_a)
    for path in ["/api/v1/deals", "/api/v1/orders", "/api/v1/tickets", "/api/v1/leads"]:
        response = api.get(path, {"owner_id": huge})
        assert response.status_code == 422, path
    make_pipeline(by=users.admin)
    web = web_for(users.rep_a)
    assert web.get("/deals/", {"owner": huge}).status_code == 400
    assert web.get("/tickets/", {"team": huge}).status_code == 400
    # Digits are text in a search term.
    assert web.get("/search/", {"q": huge}).status_code == 200


def test_a_product_whose_total_overflows_is_refused(users, api_for, records):
    product = make_product(by=users.admin, price_minor=10**15)
    client = api_for(users.admin)
    response = _post(
        client,
        "/api/v1/orders",
        {
            "contact_id": records.contact_a.pk,
            "lines": [{"product_id": product.pk, "quantity": 10**9}],
        },
    )
    assert response.status_code == 422


def test_dates_near_year_one_on_kpis_and_service_metrics(users, api_for, web_for):
    api = api_for(users.admin)
    for path in ["/api/v1/insights/kpis", "/api/v1/service-metrics"]:
        for params in [{"start": "0001-01-01"}, {"end": "0001-01-01"}, {"end": "9999-12-31"}]:
            response = api.get(path, params)
            assert response.status_code == 422, (path, params, response.content)
    web = web_for(users.admin)
    assert web.get("/insights/", {"start": "0001-01-01"}).status_code == 200
    assert (
        web.get("/tickets/metrics/", {"start": "0001-01-01", "end": "9999-12-31"}).status_code
        == 200
    )


def test_kpi_ranges_are_bounded(users, api_for):
    api = api_for(users.rep_a)
    long = api.get("/api/v1/insights/kpis", {"start": "1990-01-01", "end": "2026-01-01"})
    assert long.status_code == 422 and "start" in long.json()["errors"]
    weeks = api.get(
        "/api/v1/insights/kpis", {"start": "2020-01-01", "end": "2026-01-01", "period": "week"}
    )
    assert weeks.status_code == 422
    ok = api.get("/api/v1/insights/kpis", {"start": "2025-01-01", "end": "2026-01-01"})
    assert ok.status_code == 200
    metrics = api.get("/api/v1/service-metrics", {"start": "1950-01-01", "end": "2026-01-01"})
    assert metrics.status_code == 422


def test_a_bare_json_string_creates_no_task(users, api_for):
    from kith.engagement.models import Task

    client = api_for(users.rep_a)
    for body in ['"Buy milk"', "42", "[]", "null"]:
        response = client.post("/api/v1/tasks", body, content_type="application/json")
        assert response.status_code == 422, body
    assert not Task.objects.exists()


def test_deleting_a_contact_with_orders_is_a_409_with_the_reason(users, api_for, records, web_for):
    product = make_product(by=users.admin)
    sales.order_create(
        by=users.admin,
        contact_id=records.contact_a.pk,
        lines=[sales.LineInput(product_id=product.pk, quantity=1)],
        currency="USD",
    )
    response = api_for(users.admin).delete(f"/api/v1/contacts/{records.contact_a.pk}")
    assert response.status_code == 409
    assert "orders" in response.json()["detail"]
    page = web_for(users.admin).post(f"/contacts/{records.contact_a.pk}/delete/")
    assert page.status_code == 409 and "orders" in page.content.decode()
    assert Contact.objects.filter(pk=records.contact_a.pk).exists()


def test_the_kanban_filter_over_htmx(users, web_for):
    make_pipeline(by=users.admin)
    response = web_for(users.rep_a).get(
        "/deals/", {"owner": users.rep_a.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="board"' in body and "<html" not in body


def test_the_date_range_check():
    from kith.core.errors import FieldError
    from kith.core.validation import date_range_check

    date_range_check(start=date(2025, 1, 1), end=date(2025, 12, 31), max_days=365)
    with pytest.raises(FieldError) as exc:
        date_range_check(start=date(1, 1, 1), end=date(2025, 1, 1), max_days=365)
    assert set(exc.value.errors) == {"start"}


def test_a_rep_cannot_change_the_companys_product_prices(users, api_for, web_for):
    product = make_product(by=users.admin, price_minor=1000)
    client = api_for(users.rep_a)
    patch = client.patch(
        f"/api/v1/products/{product.pk}",
        json.dumps({"price_minor": 1}),
        content_type="application/json",
    )
    assert patch.status_code == 403
    create = _post(client, "/api/v1/products", {"sku": "X", "name": "X", "price_minor": 1})
    assert create.status_code == 403
    product.refresh_from_db()
    assert product.price_minor == 1000
    assert client.get(f"/api/v1/products/{product.pk}").status_code == 200
    assert (
        api_for(users.manager)
        .patch(
            f"/api/v1/products/{product.pk}",
            json.dumps({"price_minor": 900}),
            content_type="application/json",
        )
        .status_code
        == 200
    )
