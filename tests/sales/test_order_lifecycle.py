"""Orders after creation (#17): edit while not fulfilled, the statuses (placed, paid, fulfilled,
cancelled, refunded, partially refunded), cancel and refund with a reason, in history, in the
purchase summary, as domain events; through the services, the API and the web page."""

from __future__ import annotations

import pytest

from kith.core.audit import history_for
from kith.core.errors import FieldError
from kith.core.models import DomainEvent
from kith.sales import services
from kith.sales.models import Order, PurchaseSummary
from kith.sales.services import LineInput
from tests.factories import make_contact
from tests.sales.factories import make_product


def _events(order: Order) -> list[tuple[str, dict]]:
    rows = DomainEvent.objects.filter(model="sales.order", object_id=order.pk).order_by("id")
    return [(e.name, e.payload) for e in rows]


def test_edit_pay_fulfil_refund_in_part_then_fully(users) -> None:
    ann = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA", price_minor=1000)
    cup = make_product(by=users.admin, sku="CUP", price_minor=500)
    order = services.order_create(
        by=users.rep_a, contact_id=ann.pk, lines=[LineInput(tea.pk, 2)], status="placed"
    )
    order = services.order_update(
        by=users.rep_a, order_id=order.pk, version=order.version, number="A-17",
        lines=[LineInput(tea.pk, 1), LineInput(cup.pk, 3)],
    )  # fmt: skip
    assert (order.total_minor, order.lines.count(), order.number) == (2500, 2, "A-17")
    summary = PurchaseSummary.objects.get(contact=ann)
    assert (summary.order_count, summary.total_minor) == (1, 2500)
    assert _events(order)[-1] == (
        "order.updated",
        {"changed": ["lines", "number", "total_minor"], "contact_id": ann.pk,
         "total_minor": 2500, "currency": "USD", "status": "placed"},
    )  # fmt: skip

    order = services.order_status_set(
        by=users.rep_a, order_id=order.pk, version=order.version, status="paid"
    )
    order = services.order_status_set(
        by=users.rep_a, order_id=order.pk, version=order.version, status="fulfilled"
    )
    with pytest.raises(FieldError) as frozen:
        services.order_update(by=users.rep_a, order_id=order.pk, version=order.version, number="B")
    assert "cannot be changed" in frozen.value.errors["status"]
    with pytest.raises(FieldError) as no_reason:
        services.order_refund(
            by=users.rep_a, order_id=order.pk, reason=" ", amount_minor=500, version=order.version
        )
    assert "reason" in no_reason.value.errors
    with pytest.raises(FieldError) as too_much:
        services.order_refund(
            by=users.rep_a, order_id=order.pk, reason="x", amount_minor=9000, version=order.version
        )
    assert "25.00 USD" in too_much.value.errors["refund_minor"]

    order = services.order_refund(
        by=users.rep_a, order_id=order.pk, reason="One cup broken", amount_minor=500,
        version=order.version,
    )  # fmt: skip
    assert (order.status, order.refunded_minor, order.status_reason) == (
        "partially_refunded", 500, "One cup broken",
    )  # fmt: skip
    summary = PurchaseSummary.objects.get(contact=ann)
    assert (summary.order_count, summary.total_minor) == (1, 2000)
    name, payload = _events(order)[-1]
    assert name == "order.refunded"
    assert payload == {
        "from_status": "fulfilled", "to_status": "partially_refunded", "contact_id": ann.pk,
        "amount_minor": 500, "refunded_minor": 500, "total_minor": 2500, "currency": "USD",
    }  # fmt: skip

    order = services.order_refund(
        by=users.rep_a, order_id=order.pk, reason="Returned all", version=order.version
    )
    assert (order.status, order.refunded_minor) == ("refunded", 2500)
    assert not PurchaseSummary.objects.filter(contact=ann).exists()
    with pytest.raises(FieldError):
        services.order_status_set(
            by=users.rep_a, order_id=order.pk, status="paid", version=order.version
        )
    changes = [
        (c.field, c.old_value, c.new_value)
        for c in history_for(model="sales.order", object_id=order.pk, limit=50)
    ]
    assert ("status", "fulfilled", "partially_refunded") in changes
    assert ("status_reason", "One cup broken", "Returned all") in changes
    assert ("number", "", "A-17") in changes


def test_cancel_needs_a_reason_and_emits_cancelled(users) -> None:
    ann = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    order = services.order_create(by=users.rep_a, contact_id=ann.pk, lines=[LineInput(tea.pk, 1)])
    with pytest.raises(FieldError) as caught:
        services.order_cancel(by=users.rep_a, order_id=order.pk, reason="", version=1)
    assert set(caught.value.errors) == {"reason"}
    order.refresh_from_db()
    assert order.status == "paid"
    services.order_cancel(by=users.rep_a, order_id=order.pk, reason="Ordered twice", version=1)
    assert [n for n, _p in _events(order)][-2:] == ["order.status_changed", "order.cancelled"]
    assert _events(order)[-1][1] == {
        "from_status": "paid",
        "to_status": "cancelled",
        "contact_id": ann.pk,
    }


def test_api_edit_and_refund_and_web_page(users, api_for, web_for) -> None:
    ann = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA", price_minor=1000)
    api = api_for(users.rep_a)
    created = api.post(
        "/api/v1/orders", {"contact_id": ann.pk, "lines": [{"product_id": tea.pk, "quantity": 1}]},
        content_type="application/json",
    ).json()  # fmt: skip
    patched = api.patch(
        f"/api/v1/orders/{created['id']}",
        {"version": created["version"], "lines": [{"product_id": tea.pk, "quantity": 4}]},
        content_type="application/json",
    )  # fmt: skip
    assert patched.status_code == 200, patched.content
    assert patched.json()["total_minor"] == 4000
    refunded = api.post(
        f"/api/v1/orders/{created['id']}/status",
        {"status": "refunded", "version": patched.json()["version"], "reason": "Late",
         "refund_minor": 1000},
        content_type="application/json",
    )  # fmt: skip
    body = refunded.json()
    assert (body["status"], body["refunded_minor"], body["status_reason"]) == (
        "partially_refunded", 1000, "Late",
    )  # fmt: skip

    web = web_for(users.rep_a)
    page = web.get(f"/orders/{created['id']}/").content.decode()
    assert "Partially refunded" in page and "Late" in page and "10.00 USD" in page
    assert f'href="/orders/{created["id"]}/edit/"' not in page  # paid and refunded: not editable
    posted = web.post(
        f"/orders/{created['id']}/status/",
        {"status": "refunded", "version": body["version"], "reason": "Returned"},
    )
    assert posted.status_code == 302
    assert Order.objects.get(pk=created["id"]).status == "refunded"

    fresh = services.order_create(
        by=users.rep_a, contact_id=ann.pk, lines=[LineInput(tea.pk, 1)], status="placed"
    )
    form = web.get(f"/orders/{fresh.pk}/edit/").content.decode()
    assert "Edit order" in form and 'name="line_quantity"' in form
    saved = web.post(
        f"/orders/{fresh.pk}/edit/",
        {"contact_id": ann.pk, "channel": fresh.channel, "currency": "USD", "number": "W-1",
         "version": fresh.version, "line_product": [tea.pk], "line_quantity": ["2"],
         "line_price": [""]},
    )  # fmt: skip
    assert saved.status_code == 302, saved.content.decode()[:2000]
    fresh.refresh_from_db()
    assert (fresh.number, fresh.total_minor) == ("W-1", 2000)
