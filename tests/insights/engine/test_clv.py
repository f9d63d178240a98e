"""BG/NBD and Gamma-Gamma against the published CDNOW estimates, and the CLV built on them."""

from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from kith.insights.engine.clv import (
    BgNbdParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_fit,
    bgnbd_p_alive,
    clv_holdout,
    clv_score,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
    rfm_summary,
)
from tests.shared_data import SHARED_DATA

CDNOW = SHARED_DATA / "cdnow_sample_summary.csv"


@pytest.fixture(scope="module")
def cdnow() -> pl.DataFrame:
    # x repeat purchases, t_x and T in weeks, zbar mean repeat spend ($); README of shared/data.
    return pl.read_csv(CDNOW)


def test_bgnbd_matches_the_published_cdnow_estimates(cdnow: pl.DataFrame):
    params = bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert params.r == pytest.approx(0.243, abs=0.005)
    assert params.alpha == pytest.approx(4.414, abs=0.005)
    assert params.a == pytest.approx(0.793, abs=0.005)
    assert params.b == pytest.approx(2.426, abs=0.005)
    assert params.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # the paper's LL
    assert params.customers == 2357


def test_gamma_gamma_matches_the_published_cdnow_estimates(cdnow: pl.DataFrame):
    params = gamma_gamma_fit(cdnow["x"], cdnow["zbar"])
    assert params.p == pytest.approx(6.25, abs=0.01)
    assert params.q == pytest.approx(3.74, abs=0.01)
    assert params.v == pytest.approx(15.44, abs=0.01)  # 15.4477: the note truncates
    assert params.customers == 946


def test_cdnow_fit_takes_under_a_second(cdnow: pl.DataFrame):
    x, t_x, big_t, m = (cdnow[c].to_numpy() for c in ("x", "t_x", "T", "zbar"))
    bgnbd_fit(x, t_x, big_t)  # warm scipy's lazy imports
    start = time.perf_counter()
    bgnbd_fit(x, t_x, big_t)
    gamma_gamma_fit(x, m)
    assert time.perf_counter() - start < 1.0


def test_conditional_expectation_and_p_alive_match_the_paper(cdnow: pl.DataFrame):
    params = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0, customers=0)
    # Fader, Hardie & Lee (2005), section 5: x = 2, t_x = 30.43, T = 38.86 expects 1.226
    # purchases in the next 39 weeks.
    expected = bgnbd_expected_purchases(params, 39, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.002)
    alive = bgnbd_p_alive(params, [0, 2, 2], [0, 30.43, 5.0], [38.86, 38.86, 38.86])
    assert alive[0] == 1.0
    assert alive[1] > alive[2]  # a recent buyer is more likely alive than one silent for weeks
    # Large counts take the transformed hypergeometric branch and stay finite.
    many = bgnbd_expected_purchases(params, 52, [300], [38.0], [38.86])
    assert np.isfinite(many[0]) and many[0] > 100


def test_gamma_gamma_expected_spend_shrinks_towards_the_population_mean():
    params = GammaGammaParams(p=6.25, q=3.74, v=15.44, log_likelihood=0, customers=0)
    population_mean = 15.44 * 6.25 / 2.74
    spend = gamma_gamma_expected_spend(params, [0, 1, 20], [0.0, 100.0, 100.0])
    assert spend[0] == pytest.approx(population_mean)
    assert population_mean < spend[1] < spend[2] < 100.0


def tx(rows: list[tuple[int, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"customer_id": pl.Int64, "at": pl.Date, "amount": pl.Float64}, orient="row"
    )


def test_rfm_summary_follows_the_lifetimes_conventions():
    d = date(2026, 1, 1)
    frame = tx(
        [
            (1, d, 10.0),
            (1, d, 5.0),  # same day as the first: one purchase day of 15
            (1, d + timedelta(days=10), 20.0),
            (1, d + timedelta(days=30), 40.0),
            (2, d + timedelta(days=50), 99.0),
            (3, d + timedelta(days=200), 1.0),  # after as_of
        ]
    )
    summary = rfm_summary(frame, as_of=d + timedelta(days=100))
    assert summary.rows() == [(1, 2, 30.0, 100.0, 30.0), (2, 0, 0.0, 50.0, 0.0)]
    everything = rfm_summary(frame, as_of=d + timedelta(days=100), first_purchase_at_zero=False)
    assert everything.rows() == [(1, 3, 30.0, 100.0, 25.0), (2, 1, 0.0, 50.0, 99.0)]


def simulate_bgnbd(
    customers: int, *, days: int, r: float, alpha: float, a: float, b: float, seed: int
) -> pl.DataFrame:
    """Purchases of a BG/NBD population (rate per day ~ Gamma(r, alpha), drop-out after each
    purchase ~ Beta(a, b)), first purchases spread over the first quarter, spend ~ Gamma."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, customers)
    drop = rng.beta(a, b, customers)
    start = rng.integers(0, days // 4, customers).astype(float)
    ids, ats = [np.arange(customers)], [start]
    now, alive = start.copy(), np.ones(customers, dtype=bool)
    while alive.any():  # one step per repeat purchase, vectorised over customers
        now = now + rng.exponential(1 / np.maximum(rate, 1e-12))
        alive &= now < days
        ids.append(np.flatnonzero(alive))
        ats.append(now[alive])
        alive &= rng.random(customers) >= drop  # drop-out follows a repeat purchase
    customer = np.concatenate(ids)
    day = np.floor(np.concatenate(ats)).astype(np.int64)
    amount = rng.gamma(4.0, 10.0, customer.size)
    origin = date(2025, 1, 1)
    return pl.DataFrame({"customer_id": customer, "day": day, "amount": amount}).select(
        "customer_id", (pl.lit(origin) + pl.duration(days=pl.col("day"))).alias("at"), "amount"
    )


def test_bgnbd_recovers_simulated_parameters_and_the_holdout_total():
    frame = simulate_bgnbd(6000, days=730, r=0.8, alpha=40.0, a=0.6, b=3.0, seed=7)
    calibration_end = date(2025, 12, 31)
    summary = rfm_summary(frame, as_of=calibration_end)
    params = bgnbd_fit(summary["frequency"], summary["recency"], summary["T"])
    assert params.r == pytest.approx(0.8, rel=0.25)
    assert params.alpha == pytest.approx(40.0, rel=0.3)
    report = clv_holdout(frame, calibration_end=calibration_end, holdout_end=date(2026, 12, 31))
    assert report["customers"] == summary.height
    assert report["holdout_days"] == 365
    assert report["predicted_total"] == pytest.approx(report["actual_total"], rel=0.1)
    assert [row["frequency"] for row in report["by_frequency"]] == list(range(8))
    assert report["mae"] < 2.0


def test_clv_score_discounts_expected_monthly_purchases():
    frame = simulate_bgnbd(3000, days=365, r=0.8, alpha=40.0, a=0.6, b=3.0, seed=3)
    summary = rfm_summary(frame, as_of=date(2025, 12, 31))
    bgnbd = bgnbd_fit(summary["frequency"], summary["recency"], summary["T"])
    gamma_gamma = gamma_gamma_fit(summary["frequency"], summary["monetary_value"])
    scores = clv_score(summary, bgnbd=bgnbd, gamma_gamma=gamma_gamma)
    assert scores.columns == [
        "customer_id",
        "expected_purchases_90",
        "expected_purchases_365",
        "p_alive",
        "expected_spend",
        "clv",
    ]
    assert scores["customer_id"].to_list() == summary["customer_id"].to_list()
    # Forecasts are computed once per distinct history; check one customer against a direct call.
    row = summary.row(17, named=True)
    direct = bgnbd_expected_purchases(bgnbd, 90.0, [row["frequency"]], [row["recency"]], [row["T"]])
    assert scores["expected_purchases_90"][17] == pytest.approx(direct[0])
    assert (scores["expected_purchases_365"] >= scores["expected_purchases_90"]).all()
    undiscounted = scores["expected_purchases_365"] * scores["expected_spend"]
    ratio = (scores["clv"] / undiscounted).drop_nans()
    # 12 monthly steps at 10 % a year: every step is discounted by 0.8 %–9.1 %.
    assert ratio.min() > 0.90 and ratio.max() < 0.995
    no_discount = clv_score(summary, bgnbd=bgnbd, gamma_gamma=gamma_gamma, annual_discount_rate=0)
    assert no_discount["clv"].to_numpy() == pytest.approx(undiscounted.to_numpy(), rel=1e-9)


def test_fits_refuse_empty_input():
    with pytest.raises(ValueError, match="at least one customer"):
        bgnbd_fit([], [], [])
    with pytest.raises(ValueError, match="repeat purchase"):
        gamma_gamma_fit([0, 0], [0.0, 0.0])
