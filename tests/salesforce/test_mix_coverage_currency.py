"""Activity mix against targets, pipeline coverage, and amounts in several currencies
converted into the quota's or the forecast's currency with the admins' exchange rates."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from kith.engagement.models import Interaction
from kith.insights.sales_forecast import forecast_backtest, forecast_probabilistic
from kith.sales.models import Deal
from kith.sales.selectors.quotas import quota_get
from kith.sales.services import exchange_rate_set
from kith.sales.services.quotas import quota_set
from tests.sales.factories import make_deal

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)
TODAY = date(2026, 3, 10)


def _deal(users, funnel, amount: int, currency: str, won_on: date | None = None, **kw) -> Deal:
    deal = make_deal(by=users.rep_a, funnel=funnel, amount_minor=amount, currency=currency, **kw)
    if won_on:
        at = timezone.make_aware(datetime(won_on.year, won_on.month, won_on.day, 12))
        Deal.objects.filter(pk=deal.pk).update(outcome="won", stage=funnel.won, closed_at=at)
    return deal


@pytest.fixture
def book(users, funnel):
    exchange_rate_set(by=users.admin, currency="CNY", base="USD", rate="0.14", day=MARCH)
    _deal(users, funnel, 10_000, "USD", won_on=date(2026, 3, 3))
    _deal(users, funnel, 7_000, "CNY", won_on=date(2026, 3, 4))  # 70 CNY = 9.80 USD
    _deal(users, funnel, 5_000, "EUR", won_on=date(2026, 3, 5))  # no rate: left out, named
    for amount, currency in ((20_000, "USD"), (100_000, "CNY")):  # open, due this month
        _deal(users, funnel, amount, currency, stage_id=funnel.proposal.pk,
              expected_close=date(2026, 3, 25))  # fmt: skip
    _deal(
        users, funnel, 90_000, "USD", stage_id=funnel.proposal.pk, expected_close=date(2026, 5, 2)
    )  # fmt: skip  (not due by the month's end)
    for n, kind in enumerate(("call", "call", "call", "email", "email", "meeting", "note")):
        Interaction.objects.create(
            owner=users.rep_a, team=users.rep_a.team, kind=kind,
            occurred_at=timezone.make_aware(datetime(2026, 3, 2 + n, 10)),
        )  # fmt: skip


def test_attainment_converts_and_shows_mix_and_coverage(users, book) -> None:
    quota = quota_set(
        by=users.manager, owner_id=users.rep_a.pk, period="month", period_start=MARCH,
        revenue_minor=100_000, calls_target=6, emails_target=2, meetings_target=4,
    )  # fmt: skip
    got = quota_get(user=users.rep_a, quota_id=quota.pk, today=TODAY)
    assert (got.won_minor, got.won_deals) == (10_000 + 980, 2)
    assert got.unconverted == ["EUR"]
    assert got.open_pipeline_minor == 20_000 + 14_000
    assert got.coverage == round(34_000 / (100_000 - 10_980), 2)
    assert got.activities == 7
    assert got.mix_rows == [
        ("calls", 3, 6, 50.0), ("emails", 2, 2, 100.0), ("meetings", 1, 4, 25.0)
    ]  # fmt: skip
    shown = got.as_dict()
    assert shown["activity_mix"]["calls"] == {"done": 3, "target": 6, "pct": 50.0}
    assert shown["pipeline_coverage"] == got.coverage
    team = quota_set(
        by=users.manager, team_id=users.rep_a.team_id, period="month", period_start=MARCH,
        revenue_minor=50_000, currency="CNY",
    )  # fmt: skip
    team_got = quota_get(user=users.manager, quota_id=team.pk, today=TODAY)
    # Into CNY through the inverse of the CNY→USD rate: 109.80 USD / 0.14 = 784.29 CNY.
    assert team_got.won_minor == 7_000 + round(10_000 / 0.14)
    assert team_got.mix == {"calls": 3, "emails": 2, "meetings": 1}


def test_the_forecast_converts_into_the_reporting_currency(users, book, settings) -> None:
    settings.KITH_REPORTING_CURRENCY = "USD"
    forecast = forecast_probabilistic(user=users.manager, period="month", today=TODAY, draws=4000)
    total = next(line for line in forecast.lines if line.kind == "total")
    assert forecast.currency == "USD" and forecast.unconverted == ["EUR"]
    assert total.won_minor == 10_980
    assert total.open_deals == 3  # the two due this month and the one due in May
    # Weighted: won + the deals due this month at the stage's probability (50 %).
    assert total.weighted_minor == 10_980 + (20_000 + 14_000) // 2
    assert forecast.as_dict()["unconverted_currencies"] == ["EUR"]
    _rows, summary = forecast_backtest(
        user=users.manager, period="month", periods=2, today=date(2026, 4, 2), draws=500
    )
    assert summary["currency"] == "USD" and summary["unconverted_currencies"] == ["EUR"]


def test_kpi_orders_are_converted_into_the_reporting_currency(users, records, settings) -> None:
    from datetime import UTC

    from kith.insights import jobs
    from kith.sales import services
    from kith.sales.services import OrderImport
    from tests.sales.factories import make_product

    settings.KITH_REPORTING_CURRENCY = "USD"
    exchange_rate_set(by=users.admin, currency="CNY", base="USD", rate="0.14", day=MARCH)
    exchange_rate_set(by=users.admin, currency="USD", base="VND", rate="25000", day=MARCH)
    tea = make_product(by=users.admin, sku="TEA")
    when = datetime(2026, 3, 5, 12, tzinfo=UTC)
    contact = records.contact_a.pk
    services.orders_import(
        by=users.admin,
        orders=[
            OrderImport(contact_id=contact, ordered_at=when, lines=[(tea.pk, 1, 1000)]),
            OrderImport(contact_id=contact, ordered_at=when, lines=[(tea.pk, 1, 7000)],
                        currency="CNY"),
            OrderImport(contact_id=contact, ordered_at=when, lines=[(tea.pk, 1, 250_000)],
                        currency="VND"),  # through the inverse pair: 10 USD
            OrderImport(contact_id=contact, ordered_at=when, lines=[(tea.pk, 1, 500)],
                        currency="EUR"),  # no rate: left out, never summed as USD
            OrderImport(contact_id=contact, ordered_at=datetime(2026, 2, 1, tzinfo=UTC),
                        lines=[(tea.pk, 1, 7000)], currency="CNY"),  # before the first rate
        ],
    )  # fmt: skip
    assert jobs.reporting_currency() == "USD"
    frame = jobs.orders_frame(currency="USD").sort("amount")
    assert frame["amount"].to_list() == pytest.approx([9.8, 10.0, 10.0])
    lines = jobs.lines_frame(currency="USD")
    assert sorted(lines["amount"].to_list()) == pytest.approx([9.8, 10.0, 10.0])
