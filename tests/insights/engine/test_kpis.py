"""KPIs by period, cohorts and the dashboard rates, on hand-built cases."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from kith.insights.engine.kpis import (
    cohort_retention,
    csat,
    kpis_by_period,
    lead_conversion_rate,
    nps,
    sales_cycle_days,
    win_rate,
)


def tx(rows: list[tuple[int, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"customer_id": pl.Int64, "at": pl.Date, "amount": pl.Float64}, orient="row"
    )


TRANSACTIONS = tx(
    [
        (1, date(2026, 1, 5), 100.0),
        (1, date(2026, 1, 20), 50.0),
        (2, date(2026, 1, 10), 30.0),
        (1, date(2026, 2, 3), 20.0),
        (3, date(2026, 2, 14), 40.0),
        (2, date(2026, 4, 1), 10.0),  # 81 days after Jan 10: a lapse in between
    ]
)


def test_monthly_kpis_by_hand():
    kpis = kpis_by_period(
        TRANSACTIONS, start=date(2026, 1, 15), end=date(2026, 5, 31), churn_days=60
    )
    assert kpis["period_start"].to_list() == [date(2026, m, 1) for m in range(1, 6)]
    rows = {r["period_start"].month: r for r in kpis.to_dicts()}
    jan, feb, mar, apr, may = (rows[m] for m in range(1, 6))
    assert (jan["new_customers"], jan["active_customers"], jan["orders"]) == (2, 2, 3)
    assert jan["revenue"] == 180.0 and jan["average_order_value"] == 60.0
    assert jan["purchase_frequency"] == 1.5
    assert jan["customers_at_start"] == 0 and jan["churn_rate"] is None
    assert (feb["new_customers"], feb["active_customers"]) == (1, 2)
    assert feb["customers_at_start"] == 2 and feb["churned_customers"] == 0
    # Customer 2 (last Jan 10) stops being live on Mar 12 (Jan 10 + 61), before buying again on Apr 1.
    assert mar["churned_customers"] == 1 and mar["customers_at_start"] == 3
    assert mar["churn_rate"] == pytest.approx(1 / 3)
    assert mar["retention_rate"] == pytest.approx(2 / 3)
    assert mar["orders"] == 0 and mar["average_order_value"] is None
    # Customer 1 (last Feb 3) lapses Apr 5, customer 3 (Feb 14) Apr 16.
    assert apr["churned_customers"] == 2 and apr["customers_at_start"] == 2
    assert apr["retention_rate"] == 0.0
    # Customer 2 (Apr 1) is live all May and lapses on Jun 1.
    assert may["churned_customers"] == 0 and may["customers_at_start"] == 1
    assert may["retention_rate"] == 1.0


def test_weekly_and_yearly_periods_and_bad_input():
    weeks = kpis_by_period(
        TRANSACTIONS, start=date(2026, 1, 7), end=date(2026, 1, 20), period="week"
    )
    assert weeks["period_start"].to_list() == [
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
    ]
    assert weeks["orders"].to_list() == [2, 0, 1]
    year = kpis_by_period(
        TRANSACTIONS, start=date(2026, 1, 1), end=date(2026, 12, 31), period="year"
    )
    assert year.select("orders", "revenue", "new_customers").row(0) == (6, 250.0, 3)
    with pytest.raises(ValueError, match="period"):
        kpis_by_period(
            TRANSACTIONS, start=date(2026, 1, 1), end=date(2026, 2, 1), period="fortnight"
        )


def test_cohort_retention_lists_every_month_with_zeros():
    cohorts = cohort_retention(TRANSACTIONS)
    jan = cohorts.filter(pl.col("cohort") == date(2026, 1, 1))
    assert jan["months_since"].to_list() == [0, 1, 2, 3]
    assert jan["customers"].to_list() == [2, 1, 0, 1]
    assert jan["retention"].to_list() == [1.0, 0.5, 0.0, 0.5]
    feb = cohorts.filter(pl.col("cohort") == date(2026, 2, 1))
    assert feb["customers"].to_list() == [1, 0, 0]
    assert cohort_retention(tx([])).height == 0


def test_lead_conversion_win_rate_and_sales_cycle():
    leads = pl.DataFrame(
        {
            "status": ["converted", "new", "lost", "qualified"],
            "created_at": [date(2026, 1, 1), date(2026, 1, 2), date(2026, 2, 1), date(2026, 1, 3)],
            "converted_at": [date(2026, 1, 9), None, None, date(2026, 3, 1)],
        }
    )
    assert lead_conversion_rate(leads) == 0.5
    assert lead_conversion_rate(
        leads, start=date(2026, 1, 1), end=date(2026, 1, 31)
    ) == pytest.approx(2 / 3)
    assert lead_conversion_rate(leads, start=date(2027, 1, 1)) is None
    deals = pl.DataFrame(
        {
            "status": ["won", "won", "lost", "open", "won"],
            "created_at": [date(2026, 1, 1)] * 5,
            "closed_at": [
                date(2026, 1, 11),
                date(2026, 1, 31),
                date(2026, 1, 5),
                None,
                date(2026, 3, 2),
            ],
        }
    )
    assert win_rate(deals) == 0.75
    assert win_rate(deals, end=date(2026, 1, 31)) == pytest.approx(2 / 3)
    assert win_rate(deals.filter(pl.col("status") == "open")) is None
    assert sales_cycle_days(deals) == 30.0
    assert sales_cycle_days(deals, status="lost") == 4.0


def test_nps_and_csat():
    assert nps(pl.Series([10, 9, 8, 7, 6, 0, None])) == pytest.approx((2 - 2) / 6 * 100)
    assert nps(pl.Series([10, 10, 3])) == pytest.approx(100 / 3)
    assert nps(pl.Series([], dtype=pl.Int64)) is None
    assert csat(pl.Series([5, 4, 3, 1])) == 50.0
    with pytest.raises(ValueError, match="between 0 and 10"):
        nps(pl.Series([11]))
    with pytest.raises(ValueError, match="between 1 and 5"):
        csat(pl.Series([0, 5]))
