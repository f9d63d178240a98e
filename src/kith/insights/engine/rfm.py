"""RFM scoring: recency, frequency and monetary quintiles, and the 11-segment map on them.

Scores are 1–5 with 5 best (most recent, most frequent, highest spend), cut by each customer's
position among all customers. A group of customers tied on a value sits at the middle of the
positions it occupies, so ties always share a score, the result does not depend on row order,
and a base of fewer than five customers still spreads (one customer alone scores 3).

The segment comes from R and FM, the rounded-up mean of F and M (round((F + M) / 2), halves up),
on the widely used RFM grid (Putler / the R `rfm` package's segment names, with "hibernating"
split into hibernating (R = 2) and lost (R = 1) so the 5 × 5 grid holds all 11 segments):

    R \\ FM    1                2                3                4        5
    5         new              potential_loyal. potential_loyal. champions champions
    4         promising        potential_loyal. potential_loyal. loyal    loyal
    3         about_to_sleep   about_to_sleep   need_attention   loyal    loyal
    2         hibernating      hibernating      at_risk          at_risk  cant_lose
    1         lost             lost             at_risk          at_risk  cant_lose
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from kith.insights.engine.transactions import purchase_days, transactions_normalise

SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)

SEGMENT_LABELS: dict[str, str] = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalists": "Potential loyalists",
    "new": "New customers",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cant_lose": "Can't lose them",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

# SEGMENT_GRID[r - 1][fm - 1]; the table in the module docstring, lowest R first.
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    ("lost", "lost", "at_risk", "at_risk", "cant_lose"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    ("promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),
    ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),
)

_SCORES_SCHEMA = {
    "customer_id": pl.Int64,
    "recency_days": pl.Int64,
    "frequency": pl.Int64,
    "monetary": pl.Float64,
    "r_score": pl.Int8,
    "f_score": pl.Int8,
    "m_score": pl.Int8,
    "segment": pl.String,
}


def quintile(values: pl.Expr) -> pl.Expr:
    """1–5 by position among all rows, higher value = higher score; ties share a score.

    A tied group's position is the middle of the ranks it spans, so n distinct values split into
    exact fifths when n is a multiple of 5, and all-equal values score 3.
    """
    n = values.count()
    low = values.rank("min") - 1
    high = values.rank("max")
    middle = (low + high) / (2 * n)
    return (middle * 5).floor().clip(0, 4).cast(pl.Int8) + 1


def segment_of(r_score: np.ndarray, fm_score: np.ndarray) -> np.ndarray:
    """The segment name for each (R, FM) pair of 1–5 scores (vectorised grid lookup)."""
    grid = np.array(SEGMENT_GRID, dtype=object)
    return np.asarray(grid[np.asarray(r_score) - 1, np.asarray(fm_score) - 1], dtype=str)


def rfm_score(transactions: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Recency (days since the last purchase up to as_of), frequency (purchase days), monetary
    (total spend), their 1–5 scores and the segment, one row per customer who bought by as_of."""
    days = purchase_days(transactions_normalise(transactions, as_of=as_of))
    if days.height == 0:
        return pl.DataFrame(schema=_SCORES_SCHEMA)
    base = (
        days.group_by("customer_id")
        .agg(
            (pl.lit(as_of) - pl.col("at").max())
            .dt.total_days()
            .cast(pl.Int64)
            .alias("recency_days"),
            pl.len().cast(pl.Int64).alias("frequency"),
            pl.col("amount").sum().alias("monetary"),
        )
        .sort("customer_id")
        .with_columns(
            quintile(-pl.col("recency_days")).alias("r_score"),
            quintile(pl.col("frequency")).alias("f_score"),
            # Rounded so a sum that differs in its last bit with the rows' order ties the same.
            quintile(pl.col("monetary").round(6)).alias("m_score"),
        )
    )
    fm = (base["f_score"].cast(pl.Int16) + base["m_score"].cast(pl.Int16) + 1) // 2
    segment = segment_of(base["r_score"].to_numpy(), fm.to_numpy())
    return base.with_columns(pl.Series("segment", segment, dtype=pl.String)).select(
        list(_SCORES_SCHEMA)
    )


def segment_summary(scores: pl.DataFrame) -> pl.DataFrame:
    """Customers and revenue per segment, every segment listed (zeros included) in SEGMENTS order.

    revenue_share is the segment's share of all customers' monetary value (0 when there is none).
    """
    per_segment = scores.group_by("segment").agg(
        pl.len().cast(pl.Int64).alias("customers"), pl.col("monetary").sum().alias("revenue")
    )
    order = pl.DataFrame({"segment": list(SEGMENTS), "order": list(range(len(SEGMENTS)))})
    summary = (
        order.join(per_segment, on="segment", how="left")
        .with_columns(pl.col("customers").fill_null(0), pl.col("revenue").fill_null(0.0))
        .sort("order")
        .drop("order")
    )
    total = float(summary["revenue"].sum())
    return summary.with_columns(
        (pl.col("revenue") / total if total else pl.lit(0.0)).alias("revenue_share")
    )


def segment_movement(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """How many customers moved from each segment to each other one between two scorings.

    A customer only in `current` comes from segment null (new); one only in `previous` goes to
    null (no longer scored). Rows sorted by from_segment, to_segment in SEGMENTS order.
    """
    moves = (
        previous.select("customer_id", pl.col("segment").alias("from_segment"))
        .join(
            current.select("customer_id", pl.col("segment").alias("to_segment")),
            on="customer_id",
            how="full",
            coalesce=True,
        )
        .group_by("from_segment", "to_segment")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
    )
    rank = {name: i for i, name in enumerate(SEGMENTS)}
    return moves.sort(
        pl.col("from_segment").replace_strict(rank, default=len(SEGMENTS), return_dtype=pl.Int64),
        pl.col("to_segment").replace_strict(rank, default=len(SEGMENTS), return_dtype=pl.Int64),
    )
