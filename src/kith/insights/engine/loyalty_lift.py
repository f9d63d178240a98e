"""Does the loyalty programme pay? Members against comparable non-members.

A difference-in-differences on matched pairs: each member is matched (nearest neighbour, with
replacement) to a customer who never joined, on their RFM in the `window_days` before the
window that precedes joining (log recency, log order count, log spend, standardised within the
joining month; not the window the difference starts from, see below); the non-member takes the member's joining date. The effect is the mean change in
spend (the window after joining minus the window before) of members minus that of their
matches; its interval is a bootstrap over the pairs. Incremental revenue = effect × members.
Only members whose whole post window lies before as_of take part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from kith.insights.engine.transactions import columns_require, transactions_normalise


@dataclass(frozen=True)
class LoyaltyLift:
    members: int  # members measured (joined early enough, matched)
    effect_per_member: float  # extra spend per member over window_days (major units)
    low: float  # the bootstrap interval of effect_per_member
    high: float
    incremental_revenue: float  # effect × members
    window_days: int
    confidence: float
    member_change: float  # members' mean spend after − before
    match_change: float  # their matches'


def _rfm_at(tx: pl.DataFrame, at: date, window_days: int) -> pl.DataFrame:
    before = tx.filter((pl.col("at") < at) & (pl.col("at") >= at - timedelta(days=window_days)))
    return before.group_by("customer_id").agg(
        (pl.lit(at) - pl.col("at").max()).dt.total_days().cast(pl.Float64).alias("recency"),
        pl.len().cast(pl.Float64).alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )


def _spend(tx: pl.DataFrame, ids: np.ndarray, at: date, days: int, *, after: bool) -> np.ndarray:
    lo, hi = (at, at + timedelta(days=days)) if after else (at - timedelta(days=days), at)
    sums = (
        tx.filter(pl.col("at").is_between(lo, hi, closed="left"))
        .group_by("customer_id")
        .agg(pl.col("amount").sum())
    )
    lookup = dict(zip(sums["customer_id"].to_list(), sums["amount"].to_list(), strict=True))
    return np.array([lookup.get(int(i), 0.0) for i in ids], dtype=np.float64)


def loyalty_lift(
    *,
    transactions: pl.DataFrame,
    members: pl.DataFrame,
    as_of: date,
    window_days: int = 180,
    draws: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> LoyaltyLift | None:
    """The programme's incremental spend (see the module docstring); None when fewer than 20
    members can be measured or there is no non-member to match them with.
    `members`: customer_id, joined_at (Date); `transactions`: customer_id, at, amount."""
    from sklearn.neighbors import NearestNeighbors

    columns_require(members, ("customer_id", "joined_at"), what="members")
    tx = transactions_normalise(transactions, as_of=as_of, before=True)
    joined = members.select(
        pl.col("customer_id").cast(pl.Int64), pl.col("joined_at").cast(pl.Date)
    ).filter(pl.col("joined_at") <= as_of - timedelta(days=window_days))
    member_ids = set(members["customer_id"].cast(pl.Int64).to_list())
    buyers = tx["customer_id"].unique().to_list()
    others = np.array([c for c in buyers if c not in member_ids], dtype=np.int64)
    if joined.height < 20 or others.size == 0:
        return None
    changes_m: list[np.ndarray] = []
    changes_c: list[np.ndarray] = []
    month = pl.col("joined_at").dt.truncate("1mo")
    for (start,), group in joined.with_columns(month.alias("month")).group_by(["month"]):
        at = start if isinstance(start, date) else start.date()
        # Matched on the window BEFORE the one the difference starts from: matching on the same
        # noisy spend the difference subtracts would pick lucky non-members whose spend then
        # falls back (regression to the mean) and inflate the effect.
        rfm = _rfm_at(tx, at - timedelta(days=window_days), window_days)
        ids = group["customer_id"].to_numpy()

        def features(customer_ids: np.ndarray, rfm: pl.DataFrame = rfm) -> np.ndarray:
            frame = pl.DataFrame({"customer_id": customer_ids}).join(
                rfm, on="customer_id", how="left"
            )
            recency = frame["recency"].fill_null(float(window_days)).to_numpy()
            return np.column_stack(
                [np.log1p(recency), np.log1p(frame["frequency"].fill_null(0).to_numpy()),
                 np.log1p(frame["monetary"].fill_null(0).to_numpy())]
            )  # fmt: skip

        xm, xc = features(ids), features(others)
        scale = np.concatenate([xm, xc]).std(axis=0)
        scale[scale == 0] = 1.0
        nearest = NearestNeighbors(n_neighbors=1).fit(xc / scale)
        _, index = nearest.kneighbors(xm / scale)
        matched = others[index[:, 0]]
        for chosen, target in ((ids, changes_m), (matched, changes_c)):
            target.append(
                _spend(tx, chosen, at, window_days, after=True)
                - _spend(tx, chosen, at, window_days, after=False)
            )
    dm, dc = np.concatenate(changes_m), np.concatenate(changes_c)
    diff = dm - dc
    rng = np.random.default_rng(seed)
    boot = diff[rng.integers(0, diff.size, size=(draws, diff.size))].mean(axis=1)
    tail = (1 - confidence) / 2
    effect = float(diff.mean())
    return LoyaltyLift(
        members=int(diff.size), effect_per_member=effect,
        low=float(np.quantile(boot, tail)), high=float(np.quantile(boot, 1 - tail)),
        incremental_revenue=effect * diff.size, window_days=window_days, confidence=confidence,
        member_change=float(dm.mean()), match_change=float(dc.mean()),
    )  # fmt: skip
