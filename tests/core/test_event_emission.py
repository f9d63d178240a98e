"""The services emit the domain events higher apps build on (loyalty, feedback, automation)."""

from __future__ import annotations

import pytest

from kith.core.models import DomainEvent
from kith.customers.services import consent_set, contact_update
from kith.sales import services as sales
from kith.sales.services import LineInput
from kith.service import services as service
from tests.factories import make_contact
from tests.sales.factories import make_deal, make_pipeline, make_product
from tests.service.factories import MONDAY_10, make_desk, make_ticket

pytestmark = pytest.mark.django_db


def _events(since: int = 0) -> list[tuple[str, str, int | None, dict]]:
    rows = DomainEvent.objects.filter(id__gt=since).order_by("id")
    return [(e.name, e.model, e.object_id, e.payload) for e in rows]


def _last_id() -> int:
    return DomainEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_contact_create_edit_and_consent_emit_events_with_no_personal_data(users) -> None:
    contact = make_contact(by=users.admin, first_name="Lan", last_name="Nguyen")
    assert _events() == [("contact.created", "customers.contact", contact.pk, {})]

    mark = _last_id()
    contact = contact_update(
        by=users.admin, contact_id=contact.pk, version=contact.version, first_name="Lan Anh"
    )
    contact_update(
        by=users.admin, contact_id=contact.pk, version=contact.version, first_name="Lan Anh"
    )
    consent_set(contact=contact, channel="email", purpose="marketing", status="granted")
    names = [(name, payload) for name, _m, _i, payload in _events(mark)]
    assert names[0] == ("contact.updated", {"changed": ["first_name"]})
    assert names[1][0] == "consent.changed" and names[1][1]["status"] == "granted"
    assert len(names) == 2  # the edit that changed nothing emitted nothing
    assert "Lan" not in str(names)


def test_deal_won_order_refund_and_ticket_resolve_emit_their_events(users) -> None:
    funnel = make_pipeline(by=users.admin)
    deal = make_deal(by=users.admin, funnel=funnel, amount_minor=90_000)
    contact = make_contact(by=users.admin)
    mark = _last_id()
    sales.deal_move(by=users.admin, deal_id=deal.pk, stage_id=funnel.won.pk)
    moved = [(name, payload) for name, _m, _i, payload in _events(mark)]
    assert [name for name, _p in moved] == ["deal.stage_changed", "deal.won"]
    assert moved[1][1] == {"amount_minor": 90_000, "currency": "USD"}

    tea = make_product(by=users.admin)
    order = sales.order_create(by=users.admin, contact_id=contact.pk, lines=[LineInput(tea.pk, 2)])
    mark = _last_id()
    sales.order_status_set(
        by=users.admin, order_id=order.pk, status="refunded", version=order.version
    )
    refunded = {name: payload for name, _m, _i, payload in _events(mark)}
    assert refunded["order.status_changed"]["to_status"] == "refunded"
    assert "order.refunded" in refunded

    make_desk(by=users.admin)
    ticket = make_ticket(by=users.admin, contact_id=contact.pk)
    mark = _last_id()
    service.ticket_transition(by=users.admin, ticket_id=ticket.pk, status="resolved", now=MONDAY_10)
    resolved = [name for name, *_rest in _events(mark)]
    assert "ticket.status_changed" in resolved and "ticket.resolved" in resolved
