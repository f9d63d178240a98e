"""Orders written by sales' bulk import (COPY, one orders.imported event per import) earn
their points exactly once, without the manual backfill: a redelivered event, a backfill run
after it, or a live order.created of the same order earn nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from kith.core.events import events_dispatch
from kith.core.models import DomainEvent
from kith.insights.loyalty_orders import on_orders_imported, sales_order_facts
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry
from kith.sales.models import Order
from kith.sales.services import orders_import
from kith.sales.services.orders_import import OrderImport
from tests.loyalty.factories import make_programme
from tests.sales.factories import make_product

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_bulk_imported_orders_earn_once_without_the_backfill(users, records):
    make_programme(by=users.admin)
    tea = make_product(by=users.admin, sku="TEA", price_minor=1000)
    a, b = records.contact_a.pk, records.contact_b.pk
    orders_import(
        by=users.admin,
        orders=[
            OrderImport(contact_id=a, ordered_at=T0, lines=[(tea.pk, 3, 1000)]),
            OrderImport(contact_id=a, ordered_at=T0, lines=[(tea.pk, 1, 2550)]),
            OrderImport(contact_id=b, ordered_at=T0, lines=[(tea.pk, 2, 1000)]),
            OrderImport(contact_id=b, ordered_at=T0, lines=[(tea.pk, 9, 1000)], status="cancelled"),
            OrderImport(contact_id=b, ordered_at=T0, lines=[(tea.pk, 1, 900)], currency="EUR"),
        ],
    )
    assert DomainEvent.objects.filter(name="order.created").count() == 0
    events_dispatch()
    balances = dict(Membership.objects.values_list("contact_id", "balance"))
    assert balances == {a: 30 + 25, b: 20}
    assert PointsEntry.objects.filter(source="order").count() == 3
    # Delivered again, then the manual backfill over every order: nothing earns twice.
    event = DomainEvent.objects.get(name="orders.imported")
    on_orders_imported(event)
    result = services.orders_backfill(sales_order_facts(Order.objects.all(), chunk=2))
    assert (result.earned, result.skipped) == (0, 4)
    assert PointsEntry.objects.aggregate(s=Sum("points"))["s"] == 75
    assert dict(Membership.objects.values_list("contact_id", "balance")) == balances
