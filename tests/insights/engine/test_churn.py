"""Churn features, labels, the model's time-split record and explained scores."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from kith.insights.engine.churn import (
    RHYTHM,
    RhythmModel,
    churn_label,
    churn_score,
    churn_train,
    features_as_of,
)

ORIGIN = date(2024, 1, 1)
AS_OF = date(2026, 1, 1)


def day(n: int) -> date:
    return ORIGIN + timedelta(days=n)


def tx(rows: list[tuple[int, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"customer_id": pl.Int64, "at": pl.Date, "amount": pl.Float64}, orient="row"
    )


def test_features_use_only_events_before_as_of():
    as_of = date(2026, 1, 1)
    transactions = tx(
        [
            (1, date(2025, 12, 31), 50.0),
            (1, date(2025, 9, 1), 20.0),
            (1, as_of, 999.0),  # on as_of: not before it
            (2, date(2025, 6, 1), 10.0),
        ]
    )
    customers = pl.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "created_at": [date(2025, 1, 1), date(2025, 5, 1), date(2025, 12, 1), date(2026, 2, 1)],
        }
    )
    tickets = pl.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "opened_at": [date(2025, 12, 1), date(2025, 3, 1), date(2026, 1, 5), date(2025, 11, 1)],
            "breached": [True, True, True, False],
            "csat": [2, 4, None, 5],
        },
        schema_overrides={"csat": pl.Int64},
    )
    interactions = pl.DataFrame({"customer_id": [2], "at": [date(2025, 12, 22)]})
    deals = pl.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "at": [date(2025, 10, 1), date(2024, 10, 1), date(2025, 11, 1)],
            "status": ["won", "won", "open"],
        }
    )
    frame = features_as_of(
        transactions=transactions,
        customers=customers,
        tickets=tickets,
        interactions=interactions,
        deals=deals,
        as_of=as_of,
    )
    assert frame["customer_id"].to_list() == [1, 2, 3]  # 4 did not exist yet
    one, two, three = frame.to_dicts()
    assert one["recency_days"] == 1 and one["frequency"] == 2 and one["monetary"] == 70.0
    assert one["orders_last_90"] == 1 and one["orders_prev_90"] == 1
    assert one["spend_trend"] == pytest.approx(np.log1p(50) - np.log1p(20))
    assert one["tenure_days"] == 365
    assert one["tickets_last_180"] == 1 and one["breaches_last_180"] == 1
    assert one["mean_csat"] == 3.0
    assert one["won_deals_last_365"] == 1 and one["open_deals"] == 0
    assert one["days_since_interaction"] is None
    assert two["days_since_interaction"] == 10 and two["open_deals"] == 1
    assert two["breaches_last_180"] == 0 and two["mean_csat"] == 5.0
    assert three["recency_days"] is None and three["frequency"] == 0 and three["tenure_days"] == 31
    assert three["tickets_last_180"] == 0


def test_label_marks_active_customers_who_do_not_return():
    transactions = tx(
        [
            (1, date(2025, 12, 1), 1.0),
            (1, date(2026, 2, 1), 1.0),  # returns within 90 days
            (2, date(2025, 6, 1), 1.0),  # active, does not return
            (3, date(2024, 6, 1), 1.0),  # not active: last bought > a year ago
            (4, date(2025, 12, 1), 1.0),
            (4, date(2026, 5, 1), 1.0),  # returns, but after the horizon
        ]
    )
    labels = churn_label(transactions, as_of=AS_OF, horizon_days=90)
    assert labels.rows() == [(1, 0), (2, 1), (4, 1)]


def synthetic_base(customers: int, seed: int) -> dict[str, pl.DataFrame]:
    """Customers who buy at their own rate until they leave; a leaver is often preceded by
    SLA breaches in the four months before (so breaches tell what recency alone cannot)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1)
    created = rng.integers(0, 500, customers)
    rate = rng.gamma(2.0, 1 / 40, customers)  # ~ a purchase every 20 days
    leaves = rng.random(customers) < 0.5
    leave_day = np.where(leaves, rng.integers(200, 900, customers), 10_000)
    end = np.minimum(leave_day, 760)
    n = rng.poisson(rate * np.maximum(end - created, 0))
    who = np.repeat(np.arange(customers), n)
    at = created[who] + rng.random(who.size) * (end - created)[who]
    transactions = pl.DataFrame(
        {"customer_id": ids[who], "day": at.astype(np.int64), "amount": rng.gamma(3, 20, who.size)}
    ).select("customer_id", (pl.lit(ORIGIN) + pl.duration(days="day")).alias("at"), "amount")
    # Tickets: everyone gets a few, 10 % breached; 70 % of leavers get 1-3 breaches before.
    base_n = rng.poisson(2, customers)
    t_who = np.repeat(np.arange(customers), base_n)
    t_day = rng.integers(0, 760, t_who.size)
    t_breach = rng.random(t_who.size) < 0.1
    upset = leaves & (rng.random(customers) < 0.7)
    u_n = np.where(upset, rng.integers(1, 4, customers), 0)
    u_who = np.repeat(np.arange(customers), u_n)
    u_day = leave_day[u_who] - rng.integers(5, 120, u_who.size)
    all_who = np.concatenate([t_who, u_who])
    all_day = np.concatenate([t_day, u_day])
    breached = np.concatenate([t_breach, np.ones(u_who.size, dtype=bool)])
    csat = np.where(breached, rng.integers(1, 3, all_who.size), rng.integers(3, 6, all_who.size))
    tickets = pl.DataFrame(
        {"customer_id": ids[all_who], "day": all_day, "breached": breached, "csat": csat}
    ).select(
        "customer_id",
        (pl.lit(ORIGIN) + pl.duration(days="day")).alias("opened_at"),
        "breached",
        pl.col("csat").cast(pl.Int64),
    )
    customers_frame = pl.DataFrame({"customer_id": ids, "day": created}).select(
        "customer_id", (pl.lit(ORIGIN) + pl.duration(days="day")).alias("created_at")
    )
    return {"transactions": transactions, "customers": customers_frame, "tickets": tickets}


@pytest.fixture(scope="module")
def base() -> dict[str, pl.DataFrame]:
    return synthetic_base(5000, seed=11)


@pytest.fixture(scope="module")
def trained(base: dict[str, pl.DataFrame]):
    return churn_train(**base, as_of=day(760), horizon_days=90)


def test_model_beats_the_recency_baseline_on_the_held_out_window(trained):
    assert trained.test_cutoff == day(670)
    assert trained.train_cutoff == day(580)
    assert trained.auc > trained.baseline_auc + 0.03
    assert trained.auc > 0.75
    assert trained.trained_on > 1000 and trained.tested_on > 1000
    assert "breaches_last_180" in trained.feature_names


def test_calibration_is_sane(trained):
    deciles = trained.calibration
    assert len(deciles) == 10
    assert sum(n for _, _, n in deciles) == trained.tested_on
    predicted = [p for p, _, _ in deciles]
    observed = [o for _, o, _ in deciles]
    assert predicted == sorted(predicted)
    assert observed[-1] > observed[0] + 0.3  # the riskiest tenth churns far more
    assert max(abs(p - o) for p, o, _ in deciles) < 0.1
    assert trained.brier < trained.base_rate * (1 - trained.base_rate)


def test_every_customer_is_scored_with_drivers(base, trained):
    features = features_as_of(**base, as_of=day(760))
    scores = churn_score(trained, features)
    assert scores.height == base["customers"].height
    assert scores["churn_risk"].is_between(0.0, 1.0).all()
    assert scores["churn_risk"].null_count() == 0
    drivers = scores["drivers"].to_list()
    assert all(len(d) == 3 for d in drivers)
    assert set(drivers[0][0]) == {"feature", "value", "effect"}
    assert all(d["feature"] in trained.feature_names for row in drivers for d in row)
    # Effects are sorted by size, and for the riskiest customers recency or breaches lead.
    riskiest = scores.sort("churn_risk", descending=True).head(100)["drivers"].to_list()
    leading = [row[0]["feature"] for row in riskiest]
    assert sum(f in {"recency_days", "breaches_last_180", "orders_last_90"} for f in leading) > 50
    first = drivers[0]
    assert abs(first[0]["effect"]) >= abs(first[1]["effect"]) >= abs(first[2]["effect"])


def test_training_names_an_empty_window():
    with pytest.raises(ValueError, match="active"):
        churn_train(
            transactions=tx([(1, date(2025, 12, 1), 1.0)]),
            customers=pl.DataFrame({"customer_id": [1], "created_at": [date(2025, 1, 1)]}),
            as_of=date(2025, 12, 2),
        )


def rhythm_base(customers: int, seed: int) -> dict[str, pl.DataFrame]:
    """Customers whose usual gap between orders ranges from a week to half a year, a third of
    whom leave: a month without an order means little for the slow buyers and a lot for the
    fast ones, which recency alone cannot tell apart."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1)
    created = rng.integers(0, 300, customers)
    gap = np.exp(rng.uniform(np.log(7), np.log(180), customers))
    leave_day = np.where(rng.random(customers) < 1 / 3, rng.integers(300, 900, customers), 10_000)
    end = np.minimum(leave_day, 760)
    n = rng.poisson(np.maximum(end - created, 0) / gap)
    who = np.repeat(np.arange(customers), n)
    at = created[who] + rng.random(who.size) * (end - created)[who]
    transactions = pl.DataFrame(
        {"customer_id": ids[who], "day": at.astype(np.int64), "amount": rng.gamma(3, 20, who.size)}
    ).select("customer_id", (pl.lit(ORIGIN) + pl.duration(days="day")).alias("at"), "amount")
    customers_frame = pl.DataFrame({"customer_id": ids, "day": created}).select(
        "customer_id", (pl.lit(ORIGIN) + pl.duration(days="day")).alias("created_at")
    )
    return {"transactions": transactions, "customers": customers_frame}


def test_recency_is_judged_against_the_customers_own_rhythm():
    """The purchase-rhythm model beats recency alone where buyers keep different rhythms, and
    with it a customer of 15 orders whose last was 18 days ago (a "champion") is at far lower
    risk than a one-time buyer of 18 days ago, whom recency alone scores the same: what the
    "still buying" score on the same page says too (#17: "Still active 90 %" beside "Churn
    risk 49 %")."""
    base = rhythm_base(3000, seed=5)
    model = churn_train(**base, as_of=day(760), horizon_days=90)
    assert model.rhythm_auc > model.baseline_auc + 0.03, model
    assert model.kind in {"rhythm", "boosted"} and model.fallback == ""
    assert model.auc == max(model.rhythm_auc, model.boosted_auc)
    window = features_as_of(**base, as_of=day(670)).join(
        churn_label(base["transactions"], as_of=day(670), horizon_days=90), on="customer_id"
    )
    rhythm = RhythmModel().fit(
        window.select(RHYTHM).to_numpy().astype(float), window["churned"].to_numpy()
    )
    # 18 days since the last order for both; 15 orders in 300 days against 1.
    risk = rhythm.predict_proba(np.array([[18.0, 15.0, 300.0], [18.0, 1.0, 300.0]]))[:, 1]
    assert risk[0] < risk[1] - 0.2, risk
