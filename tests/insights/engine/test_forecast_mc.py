"""The Monte Carlo revenue forecast against the exact distribution of Σ amount × Bernoulli."""

from __future__ import annotations

from datetime import date
from itertools import product

import numpy as np
import pytest

from kith.insights.engine.forecast_mc import (
    backtest_summary,
    cells_group,
    distribution_summary,
    in_period_probability,
    moments_exact,
    revenue_simulate,
    weighted_sum,
)


def test_mean_and_variance_match_the_exact_sum_of_bernoullis() -> None:
    amounts = [1000.0, 2500.0, 400.0, 12000.0, 800.0]
    probs = [0.9, 0.5, 0.3, 0.1, 0.75]
    samples = revenue_simulate(amounts=amounts, probabilities=probs, draws=40_000, seed=3)[:, 0]
    mean, var = moments_exact(amounts, probs)
    # Standard error of the mean is sqrt(var / draws) ≈ 19: 4 standard errors.
    assert abs(samples.mean() - mean) < 4 * np.sqrt(var / samples.size)
    assert samples.var() == pytest.approx(var, rel=0.03)
    assert mean == pytest.approx(weighted_sum(amounts, probs))


def test_the_whole_distribution_matches_enumeration_on_a_tiny_case() -> None:
    amounts = np.array([100.0, 200.0, 400.0])
    probs = np.array([0.2, 0.5, 0.7])
    exact: dict[float, float] = {}
    for outcome in product((0, 1), repeat=3):
        won = np.array(outcome)
        chance = float(np.prod(np.where(won == 1, probs, 1 - probs)))
        total = float(amounts @ won)
        exact[total] = exact.get(total, 0.0) + chance
    samples = revenue_simulate(amounts=amounts, probabilities=probs, draws=50_000, seed=11)[:, 0]
    for total, chance in exact.items():
        assert np.mean(samples == total) == pytest.approx(chance, abs=0.01)


def test_cells_closed_revenue_certain_and_impossible_deals() -> None:
    samples = revenue_simulate(
        amounts=[10.0, 20.0, 30.0, 40.0],
        probabilities=[1.0, 0.0, 0.5, 0.5],
        cells=[0, 1, 1, 2],
        n_cells=4,
        closed=[5.0, 0.0, 0.0, 7.0],
        draws=20_000,
        seed=1,
    )
    assert samples.shape == (20_000, 4)
    assert np.all(samples[:, 0] == 15.0)  # won so far + a certain deal
    assert set(np.unique(samples[:, 1])) == {0.0, 30.0}
    assert set(np.unique(samples[:, 2])) == {0.0, 40.0}
    assert np.all(samples[:, 3] == 7.0)  # a cell with closed revenue only
    teams = cells_group(samples, [0, 0, 1, 1])
    assert np.allclose(teams.sum(axis=1), samples.sum(axis=1))
    assert teams[:, 0].mean() == pytest.approx(15 + 15, rel=0.02)


def test_seeded_draws_repeat_and_chunks_do_not_change_the_distribution() -> None:
    rng = np.random.default_rng(0)
    amounts = rng.lognormal(7, 1, 500)
    probs = rng.uniform(0, 1, 500)
    one = revenue_simulate(amounts=amounts, probabilities=probs, draws=3000, seed=5, chunk=7)
    two = revenue_simulate(amounts=amounts, probabilities=probs, draws=3000, seed=5, chunk=7)
    assert np.array_equal(one, two)
    big = revenue_simulate(amounts=amounts, probabilities=probs, draws=3000, seed=6, chunk=64)
    mean, var = moments_exact(amounts, probs)
    for sample in (one[:, 0], big[:, 0]):
        assert abs(sample.mean() - mean) < 4 * np.sqrt(var / sample.size)
        assert sample.var() == pytest.approx(var, rel=0.1)


def test_summary_quantiles_and_chance_of_reaching_the_quota() -> None:
    samples = revenue_simulate(
        amounts=[100.0] * 10, probabilities=[0.5] * 10, draws=40_000, seed=2
    )[:, 0]
    summary = distribution_summary(samples, quota=700.0)
    # Binomial(10, 0.5) × 100: P(≥ 7 wins) = 176 / 1024.
    assert summary.p_quota == pytest.approx(176 / 1024, abs=0.01)
    assert summary.p50 == 500.0
    assert summary.p10 == 300.0 and summary.p90 == 700.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        revenue_simulate(amounts=[1.0], probabilities=[1.5])
    with pytest.raises(ValueError, match="length"):
        revenue_simulate(amounts=[1.0, 2.0], probabilities=[0.5])


def test_in_period_probability_from_the_slip_history() -> None:
    end = date(2026, 3, 31)
    expected = [date(2026, 3, 1), date(2026, 4, 10), None, date(2026, 3, 31)]
    assert list(in_period_probability(expected_close=expected, end=end)) == [1, 0, 0, 1]
    slips = [-5, 0, 5, 10, 20, 40, 60, 90]  # days late
    got = in_period_probability(expected_close=expected, end=end, slips_days=slips)
    assert got[0] == pytest.approx(5 / 8)  # 30 days of margin
    assert got[1] == 0  # it would have to close 10 days early
    assert got[2] == 0 and got[3] == pytest.approx(2 / 8)


def test_synthetic_backtest_p10_p90_covers_about_eighty_percent() -> None:
    """Periods whose deals really win with the forecast's probabilities: the actual falls in
    P10–P90 about 80 % of the time, and the median is no worse than the weighted sum."""
    rng = np.random.default_rng(2026)
    rows: dict[str, list[float]] = {k: [] for k in ("actual", "weighted", "p10", "p50", "p90")}
    for period in range(300):
        n = int(rng.integers(30, 80))
        amounts = rng.lognormal(8, 1.2, n)
        probs = rng.beta(2, 3, n)
        samples = revenue_simulate(amounts=amounts, probabilities=probs, draws=2000, seed=period)
        dist = distribution_summary(samples[:, 0])
        rows["actual"].append(float(amounts @ (rng.uniform(size=n) < probs)))
        rows["weighted"].append(weighted_sum(amounts, probs))
        rows["p10"].append(dist.p10)
        rows["p50"].append(dist.p50)
        rows["p90"].append(dist.p90)
    summary = backtest_summary(**rows)
    assert summary["periods"] == 300
    assert 0.75 <= summary["coverage"] <= 0.85, summary
    assert summary["mape_mc"] <= summary["mape_weighted"] + 0.02


def test_backtest_summary_by_hand() -> None:
    got = backtest_summary(
        actual=[100.0, 0.0, 200.0],
        weighted=[110.0, 5.0, 150.0],
        p10=[90.0, 0.0, 210.0],
        p50=[100.0, 2.0, 250.0],
        p90=[120.0, 10.0, 300.0],
    )
    assert got["mape_weighted"] == pytest.approx((0.1 + 0.25) / 2)
    assert got["mape_mc"] == pytest.approx((0.0 + 0.25) / 2)
    assert got["coverage"] == pytest.approx(2 / 3)


def test_an_overdue_deal_is_judged_among_deals_that_slipped_as_far() -> None:
    slips = [-5, 0, 5, 10, 20, 40, 60, 90]
    end, as_of = date(2026, 3, 31), date(2026, 3, 1)
    expected = [date(2026, 2, 19), date(2025, 6, 1), date(2026, 3, 20)]
    got = in_period_probability(expected_close=expected, end=end, slips_days=slips, as_of=as_of)
    # 10 days late on as_of: of the 5 slips ≥ 10, those ≤ 40 (10, 20, 40) close by the end.
    assert got[0] == pytest.approx(3 / 5)
    assert got[1] == 0  # 273 days late: beyond every slip seen, stalled
    # Not due yet: slips ≥ -19 are all 8, and ≤ 11 are -5, 0, 5, 10.
    assert got[2] == pytest.approx(4 / 8)
