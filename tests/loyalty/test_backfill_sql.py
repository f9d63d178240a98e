"""The backfill's reader sums each order's base points in SQL (lines × the programme's product
and category rules): the same points as the per-line computation of a live order event, on
both databases; the ledger rows go through kith.core.bulk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kith.insights.loyalty_orders import sales_order_facts
from kith.loyalty import services
from kith.loyalty.models import PointsEntry, Programme
from kith.loyalty.services.earning import Rules, order_base_points
from kith.sales.models import Order
from kith.sales.services import orders_import
from kith.sales.services.orders_import import OrderImport
from tests.sales.factories import make_product

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 11, 3, 8, tzinfo=UTC)


def test_base_points_in_sql_match_the_per_line_rules(users, records):
    programme = services.programme_create(
        by=users.admin, name="P", currency="USD", points_per_unit=3, expiry_months=6
    )
    tea = make_product(by=users.admin, sku="T", price_minor=1999, category="Trà")
    cup = make_product(by=users.admin, sku="C", price_minor=333, category="Cups")
    pot = make_product(by=users.admin, sku="P", price_minor=12345, category="trà")
    plain = make_product(by=users.admin, sku="X", price_minor=101, category="")
    services.earning_rule_create(by=users.admin, programme_id=programme.pk, kind="category",
                                 category="TRÀ", multiplier_percent=150)  # fmt: skip
    services.earning_rule_create(by=users.admin, programme_id=programme.pk, kind="product",
                                 product_id=pot.pk, multiplier_percent=250)  # fmt: skip
    a = records.contact_a.pk
    baskets = [[(tea.pk, 3, 1999)], [(cup.pk, 7, 333), (plain.pk, 1, 101)],
               [(pot.pk, 2, 12345), (tea.pk, 1, 1999), (cup.pk, 1, 333)], [(plain.pk, 9, 101)]]  # fmt: skip
    orders_import(
        by=users.admin,
        orders=[OrderImport(contact_id=a, ordered_at=T0, lines=b) for b in baskets]
        + [OrderImport(contact_id=a, ordered_at=T0, lines=[(tea.pk, 1, 1999)], currency="EUR")],
    )
    facts = list(sales_order_facts(Order.objects.all(), chunk=2))
    assert [f.currency for f in facts] == ["USD"] * 4 + ["EUR"]
    assert facts[-1].base_points is None
    rules = Rules.of(programme.pk)
    categories = {tea.pk: "Trà", cup.pk: "Cups", pot.pk: "trà", plain.pk: ""}
    expected = [
        order_base_points(
            programme, rules,
            services.OrderFact(order_id=0, contact_id=a, currency="USD", total_minor=0, at=T0,
                               lines=tuple(services.OrderLineFact(p, q, q * u, categories[p])
                                           for p, q, u in basket)),
        )
        for basket in baskets
    ]  # fmt: skip
    assert [f.base_points for f in facts[:4]] == expected
    assert expected[0] == 3 * 1999 * 3 * 150 // 10000  # the category rule, case-folded
    result = services.orders_backfill(iter(facts), chunk=3)
    assert (result.earned, result.skipped) == (4, 1)
    entries = PointsEntry.objects.filter(source="order").order_by("order_id")
    assert [e.points for e in entries] == expected  # Bronze-less programme: 100 %
    assert all(e.expires_at == datetime(2026, 5, 3, 8, tzinfo=UTC) for e in entries)
    assert Programme.objects.get().members.get().balance == sum(expected)
