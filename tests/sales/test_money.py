"""Money (#17): a CNY order of a USD-priced product converts the catalogue price at the dated
exchange rate an admin maintains (never relabels it), and amounts show with their currency in
the language's number format."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from kith.core.errors import FieldError, Forbidden
from kith.sales import services
from kith.sales.money import money_format, money_parse
from kith.sales.services import LineInput
from tests.factories import make_contact
from tests.sales.factories import make_product

DEC_2 = datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_cny_order_converts_the_usd_price_at_the_rate_of_its_day(users) -> None:
    ann = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA", price_minor=1250)  # 12.50 USD
    with pytest.raises(FieldError) as caught:
        services.order_create(
            by=users.rep_a, contact_id=ann.pk, currency="CNY", ordered_at=DEC_2,
            lines=[LineInput(tea.pk, 2)],
        )  # fmt: skip
    assert "no USD → CNY exchange rate" in caught.value.errors["lines.0.unit_price_minor"]

    with pytest.raises(Forbidden):
        services.exchange_rate_set(
            by=users.rep_a, currency="USD", base="CNY", rate="7", day=date(2026, 12, 1)
        )
    services.exchange_rate_set(
        by=users.admin, currency="USD", base="CNY", rate="7.1", day=date(2026, 11, 1)
    )
    services.exchange_rate_set(
        by=users.admin, currency="USD", base="CNY", rate="7.2", day=date(2026, 12, 1)
    )
    services.exchange_rate_set(  # a later rate does not apply to an earlier order
        by=users.admin, currency="USD", base="CNY", rate="9", day=date(2026, 12, 3)
    )
    order = services.order_create(
        by=users.rep_a, contact_id=ann.pk, currency="CNY", ordered_at=DEC_2,
        lines=[LineInput(tea.pk, 2)],
    )  # fmt: skip
    (line,) = order.lines.all()
    assert (line.unit_price_minor, order.total_minor, order.currency) == (9000, 18000, "CNY")

    # The reverse pair, inverted: 1 VND = 0.00004 USD → 12.50 USD = 312,500 VND.
    services.exchange_rate_set(
        by=users.admin, currency="VND", base="USD", rate="0.00004", day=date(2026, 1, 1)
    )
    order = services.order_update(
        by=users.rep_a, order_id=order.pk, version=order.version, currency="USD"
    )
    assert (order.lines.get().unit_price_minor, order.total_minor) == (1250, 2500)
    order = services.order_update(
        by=users.rep_a, order_id=order.pk, version=order.version, currency="VND"
    )
    assert (order.lines.get().unit_price_minor, order.total_minor) == (312_500, 625_000)
    assert services.exchange_rate_on(currency="CNY", base="USD", day=date(2026, 12, 2)) == Decimal(
        1
    ) / Decimal("7.2")


def test_amounts_in_the_languages_number_format() -> None:
    assert money_format(123456750, "USD") == "1,234,567.50 USD"
    with translation.override("vi"):
        assert money_format(123456750, "USD") == "1.234.567,50 USD"
        assert money_format(1_500_000, "VND") == "1.500.000 VND"
        assert money_parse("1.500.000", "VND") == 1_500_000
        assert money_parse("12,5", "USD") == 1250
    with translation.override("zh-hans"):
        assert money_format(1_500_000, "CNY") == "15,000.00 CNY"
        assert money_parse("1,250.50", "CNY") == 125050


def test_exchange_rates_page(users, web_for, django_assert_max_num_queries) -> None:
    for day in (1, 2, 3):
        services.exchange_rate_set(
            by=users.admin, currency="USD", base="VND", rate="25400", day=date(2026, 12, day)
        )
    admin = web_for(users.admin)
    with django_assert_max_num_queries(8):
        page = admin.get("/products/rates/").content.decode()
    assert page.count("data-row") == 3 and "data-rate-form" in page
    bad = admin.post("/products/rates/", {"currency": "USD", "base": "USD", "rate": "x",
                                          "day": "2026-12-04"})  # fmt: skip
    assert bad.status_code == 400 and "Enter a positive number" in bad.content.decode()
    ok = admin.post("/products/rates/", {"currency": "CNY", "base": "VND", "rate": "3500",
                                         "day": "2026-12-04"})  # fmt: skip
    assert ok.status_code == 302
    rep_page = web_for(users.rep_a).get("/products/rates/").content.decode()
    assert "data-rate-form" not in rep_page and rep_page.count("data-row") == 4
