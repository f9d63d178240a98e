"""Win probability: beats the stage defaults on a base with a known generating process, is
calibrated, explains itself and falls back to the stage defaults when it must."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from kith.insights.engine.win_probability import reliability, win_score, win_train

STAGES = ((10, 0), (30, 1), (60, 2))  # default probability, position


def synthetic(n: int, seed: int = 0) -> pl.DataFrame:
    """Closed deals whose chance of winning follows a logistic law of stage, activity, time in
    stage, owner and channel — not the stage's default probability alone."""
    rng = np.random.default_rng(seed)
    stage = rng.integers(0, 3, n)
    activities = rng.poisson(4, n)
    days_in_stage = rng.exponential(20, n)
    owner = rng.integers(0, 6, n)
    owner_skill = np.array([-1.0, -0.5, 0.0, 0.3, 0.6, 1.0])[owner]
    channel = rng.choice(["web", "referral", "event"], n)
    channel_lift = np.where(channel == "referral", 0.8, np.where(channel == "event", -0.4, 0))
    logit = (
        -1.6
        + 0.9 * stage
        + 0.25 * (activities - 4)
        - 0.03 * (days_in_stage - 20)
        + owner_skill
        + channel_lift
    )
    won = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    return pl.DataFrame(
        {
            "stage_probability": [STAGES[s][0] for s in stage],
            "stage_position": [STAGES[s][1] for s in stage],
            "days_in_stage": days_in_stage,
            "days_in_pipeline": days_in_stage + rng.exponential(30, n),
            "amount": rng.lognormal(8, 1, n),
            "owner_id": owner,
            "activities": activities.astype(float),
            "days_since_activity": rng.exponential(10, n),
            "source_channel": channel,
            "won": won.astype(int),
            "closed_at": [
                date(2025, 1, 1) + timedelta(days=int(d)) for d in np.sort(rng.integers(0, 500, n))
            ],
        }
    )


def test_it_beats_the_stage_defaults_on_held_out_deals_and_is_calibrated() -> None:
    model = win_train(synthetic(1600))
    m = model.metrics
    assert model.kind == "logistic", model.reason
    assert m["log_loss"] < m["log_loss_stage"] - 0.03
    assert m["auc"] > m["auc_stage"]
    assert m["ece"] < 0.08
    assert sum(b["n"] for b in m["reliability"]) == m["test"] == 400


def test_scores_are_explained_by_their_largest_contributions() -> None:
    model = win_train(synthetic(1200, seed=1))
    fresh = synthetic(5, seed=9).with_columns(activities=pl.Series([0.0, 12.0, 4.0, 4.0, 4.0]))
    p, drivers = win_score(model, fresh)
    assert p.shape == (5,) and np.all((p > 0) & (p < 1))
    assert all(1 <= len(d) <= 3 for d in drivers)
    names = {name for name, _v in drivers[1]}
    assert "activities" in names  # 12 activities is far from the usual 4
    assert dict(drivers[1])["activities"] > 0


def test_too_little_history_falls_back_to_the_stage_defaults_and_says_so() -> None:
    model = win_train(synthetic(25))
    assert model.kind == "stage_defaults" and model.reason == "too_little_history"
    p, drivers = win_score(model, synthetic(3, seed=4))
    frame = synthetic(3, seed=4)
    assert np.allclose(p, frame["stage_probability"].to_numpy() / 100)
    assert drivers == [[], [], []]


def test_a_model_no_better_than_the_stages_is_not_kept() -> None:
    # Outcomes drawn from the stage defaults themselves: nothing else to learn.
    rng = np.random.default_rng(3)
    frame = synthetic(600, seed=3)
    won = rng.uniform(size=600) < frame["stage_probability"].to_numpy() / 100
    model = win_train(frame.with_columns(won=pl.Series(won.astype(int))))
    assert model.kind in {"stage_defaults", "logistic"}
    if model.kind == "stage_defaults":
        assert model.reason == "no_better_than_stages"
    assert model.metrics["log_loss"] >= model.metrics["log_loss_stage"] - 0.02


def test_reliability_curve_and_ece() -> None:
    y = np.array([0, 0, 1, 1, 1, 0, 1, 1])
    p = np.array([0.1, 0.1, 0.9, 0.9, 0.6, 0.6, 0.6, 0.6])
    curve, ece = reliability(y, p, bins=10)
    assert [c["n"] for c in curve] == [2, 4, 2]
    # Bins: 0.1 → 0 won (gap 0.1), 0.6 → 3/4 won (gap 0.15), 0.9 → 1 (gap 0.1).
    assert abs(ece - (2 * 0.1 + 4 * 0.15 + 2 * 0.1) / 8) < 1e-9
