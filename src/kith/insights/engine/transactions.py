"""The transactions frame every engine model starts from, checked and normalised once.

A transaction is one purchase: customer_id (Int64), at (Date or Datetime, normalised to Date)
and amount (Float64). Models count *purchase days*, so two orders on one day are one purchase
for RFM frequency and the BG/NBD repeat count, as in the `lifetimes` conventions.
"""

from __future__ import annotations

from datetime import date

import polars as pl

TRANSACTION_COLUMNS = ("customer_id", "at", "amount")


def columns_require(frame: pl.DataFrame, columns: tuple[str, ...], *, what: str) -> None:
    """Raise ValueError naming every missing column, so a caller's mistake is obvious."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def transactions_normalise(
    transactions: pl.DataFrame, *, as_of: date | None = None, before: bool = False
) -> pl.DataFrame:
    """customer_id Int64, at Date, amount Float64; rows with a null id or date dropped.

    With as_of, later rows are dropped (rows on as_of are kept, or dropped too when before=True),
    so a model never sees the future it is asked to predict.
    """
    columns_require(transactions, TRANSACTION_COLUMNS, what="transactions")
    at_type = transactions.schema["at"]
    at = pl.col("at")
    if at_type != pl.Date:
        at = at.cast(pl.Datetime).dt.date() if at_type != pl.String else at.str.to_date()
    frame = transactions.select(
        pl.col("customer_id").cast(pl.Int64),
        at.alias("at"),
        pl.col("amount").cast(pl.Float64).fill_null(0.0),
    ).drop_nulls(["customer_id", "at"])
    if as_of is not None:
        frame = frame.filter(pl.col("at") < as_of if before else pl.col("at") <= as_of)
    return frame


def purchase_days(transactions: pl.DataFrame) -> pl.DataFrame:
    """One row per customer and purchase day: customer_id, at, amount (the day's total)."""
    return transactions.group_by("customer_id", "at").agg(pl.col("amount").sum())
