"""The one stale-edit policy on every versioned sales record (lead, deal, order): an edit
without its version is a FieldError on "version", a stale one is StaleEdit, and neither writes."""

from __future__ import annotations

from typing import Any

import pytest

from kith.core.errors import FieldError, StaleEdit
from kith.sales import services
from kith.sales.models import Deal, Lead, Order
from kith.sales.services import LineInput
from tests.factories import make_contact
from tests.sales.factories import make_deal, make_product


def _lead(users: Any, funnel: Any) -> tuple[Any, Any]:
    lead = services.lead_create(by=users.rep_a, full_name="Ann")
    return lead, lambda **kw: services.lead_update(
        by=users.rep_a, lead_id=lead.pk, full_name="Ann B", **kw
    )


def _deal(users: Any, funnel: Any) -> tuple[Any, Any]:
    deal = make_deal(by=users.rep_a, funnel=funnel)
    return deal, lambda **kw: services.deal_update(
        by=users.rep_a, deal_id=deal.pk, name="Renamed", **kw
    )


def _order(users: Any, funnel: Any) -> tuple[Any, Any]:
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    order = services.order_create(
        by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 1)]
    )
    return order, lambda **kw: services.order_status_set(
        by=users.rep_a, order_id=order.pk, status="cancelled", reason="Ordered twice", **kw
    )


EDITS = {"lead": _lead, "deal": _deal, "order": _order}
SEEN = {"lead": ("full_name", "Ann"), "deal": ("name", "Deal"), "order": ("status", "paid")}
MODELS = {"lead": Lead, "deal": Deal, "order": Order}


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_an_edit_without_its_version_is_refused(users, funnel, kind):
    record, edit = EDITS[kind](users, funnel)
    with pytest.raises(FieldError) as caught:
        edit()
    assert set(caught.value.errors) == {"version"}
    field, value = SEEN[kind]
    fresh = MODELS[kind].objects.get(pk=record.pk)
    assert (getattr(fresh, field), fresh.version) == (value, 1)


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_a_stale_edit_is_refused(users, funnel, kind):
    record, edit = EDITS[kind](users, funnel)
    edited = edit(version=record.version)
    assert edited.version == 2
    with pytest.raises(StaleEdit):
        edit(version=1)
    assert MODELS[kind].objects.get(pk=record.pk).version == 2


def test_api_order_status_needs_the_version(api_for, users):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    order = services.order_create(
        by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 1)]
    )
    client = api_for(users.rep_a)
    url = f"/api/v1/orders/{order.pk}/status"
    missing = client.post(url, {"status": "cancelled"}, content_type="application/json")
    assert missing.status_code == 422
    done = client.post(
        url, {"status": "cancelled", "version": 1, "reason": "Twice"},
        content_type="application/json",
    )  # fmt: skip
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["version"]) == ("cancelled", 2)
    stale = client.post(
        url, {"status": "refunded", "version": 1, "reason": "x"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_api_lead_and_deal_patch_need_the_version(api_for, users, funnel):
    lead = services.lead_create(by=users.rep_a, full_name="Ann")
    deal = make_deal(by=users.rep_a, funnel=funnel)
    client = api_for(users.rep_a)
    for url in (f"/api/v1/leads/{lead.pk}", f"/api/v1/deals/{deal.pk}"):
        response = client.patch(
            url, {"name": "X", "full_name": "X"}, content_type="application/json"
        )
        assert response.status_code == 422, url
    assert Lead.objects.get(pk=lead.pk).full_name == "Ann"
    assert Deal.objects.get(pk=deal.pk).name == "Deal"
