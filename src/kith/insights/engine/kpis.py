"""Business KPIs by period and the small rates a dashboard shows (conversion, win rate, NPS…).

Churn here is the descriptive kind (no model): a customer is *live* on a day when they bought in
the churn_days before it, and *churns* on the first day they stop being live. Rates are None, not
0, when nothing was there to measure (no live customers, no leads), so a dashboard shows "—".
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from kith.insights.engine.transactions import transactions_normalise

PERIODS = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}


def _period_starts(start: date, end: date, every: str) -> pl.Series:
    first = pl.Series([start]).dt.truncate(every)[0]
    return pl.date_range(first, end, every, eager=True).alias("period_start")


def kpis_by_period(
    transactions: pl.DataFrame,
    *,
    start: date,
    end: date,
    period: str = "month",
    churn_days: int = 180,
) -> pl.DataFrame:
    """One row per period (day, week from Monday, month, quarter, year) from start's to end's.

    new_customers bought for the first time ever; active_customers bought; churned_customers
    stopped being live (no purchase in churn_days); churn_rate = churned / customers live at
    the period's start (customers_at_start), retention_rate = 1 − churn_rate; orders are
    transaction rows, average_order_value = revenue / orders and purchase_frequency = orders
    per active customer.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    every = PERIODS[period]
    tx = transactions_normalise(transactions).with_columns(
        pl.col("at").dt.truncate(every).alias("period_start")
    )
    periods = pl.DataFrame(_period_starts(start, end, every))
    if periods.height == 0:
        raise ValueError("end must not be before start")
    sales = tx.group_by("period_start").agg(
        pl.col("customer_id").n_unique().cast(pl.Int64).alias("active_customers"),
        pl.col("amount").sum().alias("revenue"),
        pl.len().cast(pl.Int64).alias("orders"),
    )
    firsts = tx.group_by("customer_id").agg(pl.col("at").min())
    new = firsts.group_by(pl.col("at").dt.truncate(every).alias("period_start")).agg(
        pl.len().cast(pl.Int64).alias("new_customers")
    )
    days = tx.select("customer_id", "at").unique().sort("customer_id", "at")
    # A customer lapses churn_days + 1 days after a purchase not followed within churn_days.
    lapses = (
        days.with_columns(pl.col("at").shift(-1).over("customer_id").alias("next_at"))
        .with_columns((pl.col("at") + timedelta(days=churn_days + 1)).alias("lapse_at"))
        .filter(pl.col("next_at").is_null() | (pl.col("next_at") >= pl.col("lapse_at")))
        .group_by(pl.col("lapse_at").dt.truncate(every).alias("period_start"))
        .agg(pl.len().cast(pl.Int64).alias("churned_customers"))
    )
    live = _live_at(days, periods["period_start"], churn_days)
    frame = (
        periods.join(new, on="period_start", how="left")
        .join(sales, on="period_start", how="left")
        .join(lapses, on="period_start", how="left")
        .join(live, on="period_start", how="left")
        .with_columns(
            pl.col(
                "new_customers",
                "active_customers",
                "churned_customers",
                "orders",
                "customers_at_start",
            ).fill_null(0),
            pl.col("revenue").fill_null(0.0),
        )
        .sort("period_start")
    )
    churn_rate = pl.when(pl.col("customers_at_start") > 0).then(
        pl.col("churned_customers") / pl.col("customers_at_start")
    )
    return frame.select(
        "period_start",
        "new_customers",
        "active_customers",
        "churned_customers",
        (1 - churn_rate).alias("retention_rate"),
        churn_rate.alias("churn_rate"),
        "revenue",
        "orders",
        pl.when(pl.col("orders") > 0)
        .then(pl.col("revenue") / pl.col("orders"))
        .alias("average_order_value"),
        pl.when(pl.col("active_customers") > 0)
        .then(pl.col("orders") / pl.col("active_customers"))
        .alias("purchase_frequency"),
        "customers_at_start",
    )


def _live_at(days: pl.DataFrame, starts: pl.Series, churn_days: int) -> pl.DataFrame:
    """Customers with a purchase in [s − churn_days, s) for each period start s."""
    counts = [
        days.filter((pl.col("at") < s) & (pl.col("at") >= s - timedelta(days=churn_days)))[
            "customer_id"
        ].n_unique()
        for s in starts  # one filter per period (dozens), not per customer
    ]
    return pl.DataFrame(
        {"period_start": starts, "customers_at_start": pl.Series(counts, dtype=pl.Int64)}
    )


def cohort_retention(transactions: pl.DataFrame) -> pl.DataFrame:
    """cohort (month of first purchase), months_since (0 = that month), customers of the cohort
    who bought in that month, and retention (their share of the cohort); every month up to the
    last month with data is listed, zeros included."""
    tx = transactions_normalise(transactions)
    schema = {
        "cohort": pl.Date,
        "months_since": pl.Int64,
        "customers": pl.Int64,
        "retention": pl.Float64,
    }
    if tx.height == 0:
        return pl.DataFrame(schema=schema)
    month = pl.col("at").dt.truncate("1mo")
    months = tx.select("customer_id", month.alias("month")).unique()
    cohorts = months.group_by("customer_id").agg(pl.col("month").min().alias("cohort"))

    def index(col: str) -> pl.Expr:
        return pl.col(col).dt.year().cast(pl.Int64) * 12 + pl.col(col).dt.month().cast(pl.Int64)

    active = (
        months.join(cohorts, on="customer_id")
        .group_by("cohort", (index("month") - index("cohort")).alias("months_since"))
        .agg(pl.len().cast(pl.Int64).alias("customers"))
    )
    last = int(months.select(index("month").max()).item())
    sizes = cohorts.group_by("cohort").agg(pl.len().cast(pl.Int64).alias("size"))
    grid = (
        sizes.with_columns(pl.int_ranges(0, last - index("cohort") + 1).alias("months_since"))
        .explode("months_since")
        .with_columns(pl.col("months_since").cast(pl.Int64))
    )
    return (
        grid.join(active, on=["cohort", "months_since"], how="left")
        .with_columns(pl.col("customers").fill_null(0))
        .with_columns((pl.col("customers") / pl.col("size")).alias("retention"))
        .select(list(schema))
        .sort("cohort", "months_since")
    )


def _in_range(column: str, start: date | None, end: date | None) -> pl.Expr:
    condition = pl.lit(True)
    if start is not None:
        condition &= pl.col(column) >= start
    if end is not None:
        condition &= pl.col(column) <= end
    return condition


def lead_conversion_rate(
    leads: pl.DataFrame, *, start: date | None = None, end: date | None = None
) -> float | None:
    """Share of leads created in [start, end] that converted (converted_at set or status
    "converted"), whenever they converted; None without leads."""
    frame = leads.filter(_in_range("created_at", start, end))
    if frame.height == 0:
        return None
    converted = pl.col("converted_at").is_not_null() | (pl.col("status") == "converted")
    return float(frame.select(converted.mean()).item())


def win_rate(
    deals: pl.DataFrame, *, start: date | None = None, end: date | None = None
) -> float | None:
    """Won / (won + lost) among deals closed in [start, end]; None when none closed."""
    closed = deals.filter(
        pl.col("status").is_in(["won", "lost"]) & _in_range("closed_at", start, end)
    )
    if closed.height == 0:
        return None
    return float(closed.select((pl.col("status") == "won").mean()).item())


def sales_cycle_days(deals: pl.DataFrame, *, status: str = "won") -> float | None:
    """Median days from created_at to closed_at of the deals closed with `status` (won by
    default); None when there are none."""
    closed = deals.filter((pl.col("status") == status) & pl.col("closed_at").is_not_null())
    if closed.height == 0:
        return None
    created = pl.col("created_at").cast(pl.Date)
    days = (pl.col("closed_at").cast(pl.Date) - created).dt.total_days()
    return float(closed.select(days.median()).item())


def _scores(scores: pl.Series, low: int, high: int, what: str) -> pl.Series:
    values = scores.drop_nulls()
    if values.len() and not bool(values.is_between(low, high).all()):
        raise ValueError(f"{what} scores must be between {low} and {high}")
    return values


def nps(scores: pl.Series) -> float | None:
    """Net Promoter Score: % promoters (9–10) − % detractors (0–6), from −100 to 100; blanks
    ignored, None without answers."""
    values = _scores(scores, 0, 10, "NPS")
    if values.len() == 0:
        return None
    promoters = int((values >= 9).sum())
    detractors = int((values <= 6).sum())
    return (promoters - detractors) / values.len() * 100


def csat(scores: pl.Series) -> float | None:
    """Customer satisfaction: % of answers that are 4 or 5 on the 1–5 scale; blanks ignored,
    None without answers."""
    values = _scores(scores, 1, 5, "CSAT")
    if values.len() == 0:
        return None
    return int((values >= 4).sum()) / values.len() * 100
