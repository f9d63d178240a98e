"""The lift interval covers the true lift 93–97 % of the time over seeded simulations with a
known effect, zero included (the issue's bar), for conversion and for revenue per recipient."""

from __future__ import annotations

import numpy as np
import pytest

from kith.marketing.lift import (
    conversion_lift,
    mean_diff_interval,
    proportion_diff_interval,
    revenue_lift,
)

SIMULATIONS = 1500


@pytest.mark.parametrize(
    ("p_holdout", "effect", "n_t", "n_c"),
    [
        (0.05, 0.0, 3000, 600),
        (0.05, 0.02, 3000, 600),
        (0.2, -0.03, 2000, 2000),
        (0.01, 0.005, 9000, 1000),
    ],
)
def test_conversion_interval_coverage(p_holdout, effect, n_t, n_c) -> None:
    rng = np.random.default_rng(20261204)
    conv_t = rng.binomial(n_t, p_holdout + effect, SIMULATIONS)
    conv_c = rng.binomial(n_c, p_holdout, SIMULATIONS)
    _est, low, high = proportion_diff_interval(conv_t, n_t, conv_c, n_c)
    coverage = np.mean((low <= effect) & (effect <= high))
    assert 0.93 <= coverage <= 0.97, coverage


@pytest.mark.parametrize("effect_rate", [0.0, 0.02])
def test_revenue_per_recipient_interval_coverage(effect_rate) -> None:
    rng = np.random.default_rng(7)
    n_t, n_c, p_c = 3000, 1500, 0.08
    spend_mean = float(np.exp(3.5 + 0.6**2 / 2))  # lognormal order values
    true_lift = effect_rate * spend_mean

    def revenue(n: int, p: float) -> np.ndarray:
        bought = rng.random((SIMULATIONS, n)) < p
        return bought * rng.lognormal(3.5, 0.6, (SIMULATIONS, n))

    t, c = revenue(n_t, p_c + effect_rate), revenue(n_c, p_c)
    _est, low, high = mean_diff_interval(
        t.mean(1), t.var(1, ddof=1), n_t, c.mean(1), c.var(1, ddof=1), n_c
    )
    coverage = np.mean((low <= true_lift) & (true_lift <= high))
    assert 0.93 <= coverage <= 0.97, coverage


def test_verdicts_in_plain_words() -> None:
    none = conversion_lift(converted_t=52, n_t=1000, converted_c=50, n_c=1000)
    assert none.verdict == "no_effect" and none.low < 0 < none.high
    up = conversion_lift(converted_t=150, n_t=1000, converted_c=50, n_c=1000)
    assert up.verdict == "raised" and up.estimate == pytest.approx(0.10)
    assert up.treated == pytest.approx(0.15) and up.holdout == pytest.approx(0.05)
    down = revenue_lift(treated=[0.0] * 900 + [10.0] * 100, holdout=[0.0] * 500 + [10.0] * 500)
    assert down.verdict == "lowered" and down.estimate == pytest.approx(-4.0)
    assert conversion_lift(converted_t=5, n_t=10, converted_c=0, n_c=0).verdict == "no_effect"
    assert revenue_lift(treated=[1.0], holdout=[]).verdict == "no_effect"
