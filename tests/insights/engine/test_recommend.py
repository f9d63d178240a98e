"""Co-purchase similarity, recommendations, their hit rate and category propensity."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from kith.insights.engine import recommend
from kith.insights.engine.recommend import (
    category_propensity,
    category_propensity_fit,
    hit_rate_at_k,
    item_similarity,
    recommend_products,
)

DAY = date(2026, 1, 1)
A, B, C, D = 10, 20, 30, 40


def lines(pairs: list[tuple[int, int]], at: date = DAY) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [c for c, _ in pairs],
            "product_id": [p for _, p in pairs],
            "at": [at] * len(pairs),
        },
        schema={"customer_id": pl.Int64, "product_id": pl.Int64, "at": pl.Date},
    )


HAND = [(1, A), (1, B), (2, A), (2, B), (2, B), (3, A), (3, C), (4, D)]


def similarity_dict(pairs: list[tuple[int, int]], **kwargs: int) -> dict[tuple[int, int], float]:
    sim = item_similarity(lines(pairs), **kwargs)
    coo = sim.matrix.tocoo()
    ids = sim.product_ids
    return {
        (int(ids[i]), int(ids[j])): float(v)
        for i, j, v in zip(coo.row, coo.col, coo.data, strict=True)
    }


def test_cosine_co_purchase_similarity_by_hand():
    sims = similarity_dict(HAND)
    # A: 3 buyers, B: 2 (customer 2's repeat counts once), C: 1, D: 1.
    assert sims[(A, B)] == pytest.approx(2 / np.sqrt(6), rel=1e-6)
    assert sims[(B, A)] == pytest.approx(2 / np.sqrt(6), rel=1e-6)
    assert sims[(A, C)] == pytest.approx(1 / np.sqrt(3), rel=1e-6)
    assert (B, C) not in sims and (A, A) not in sims and (D, A) not in sims
    assert set(similarity_dict(HAND, neighbours=1)) == {(A, B), (B, A), (C, A)}


def test_similarity_is_the_same_whatever_the_block_size(monkeypatch: pytest.MonkeyPatch):
    rng = np.random.default_rng(1)
    pairs = list(
        zip(rng.integers(0, 300, 3000).tolist(), rng.integers(0, 60, 3000).tolist(), strict=True)
    )
    whole = similarity_dict(pairs, neighbours=10)
    monkeypatch.setattr(recommend, "_BLOCK_WORK", 50)
    assert similarity_dict(pairs, neighbours=10) == pytest.approx(whole)


def test_recommendations_exclude_bought_products_and_fill_from_popular():
    recs = recommend_products(lines(HAND), k=2)
    by_customer = {
        c: list(zip(g["product_id"], g["rank"], g["reason"], strict=True))
        for (c,), g in recs.sort("customer_id", "rank").group_by("customer_id", maintain_order=True)
    }
    assert by_customer[1] == [(C, 1, "similar"), (D, 2, "popular")]
    assert by_customer[3] == [(B, 1, "similar"), (D, 2, "popular")]
    # D was bought alone: nothing similar, so the two most popular products it lacks.
    assert by_customer[4] == [(A, 1, "popular"), (B, 2, "popular")]
    third = recs.filter((pl.col("customer_id") == 3) & (pl.col("rank") == 1))
    assert third["score"].item() == pytest.approx(2 / np.sqrt(6), rel=1e-6)
    bought = set(HAND)
    assert not any((c, p) in bought for c, p in recs.select("customer_id", "product_id").rows())


def test_recommendations_do_not_depend_on_the_customer_chunk(monkeypatch: pytest.MonkeyPatch):
    data = grouped_lines(customers=400, seed=2)
    whole = recommend_products(data, k=5).sort("customer_id", "rank")
    monkeypatch.setattr(recommend, "_CUSTOMER_CHUNK", 37)
    chunked = recommend_products(data, k=5).sort("customer_id", "rank")
    assert chunked.equals(whole)
    assert whole.group_by("customer_id").len()["len"].max() == 5
    assert whole["customer_id"].n_unique() == 400


def test_empty_lines_give_no_recommendations():
    assert recommend_products(lines([]), k=3).height == 0


def grouped_lines(customers: int, seed: int, days: int = 360) -> pl.DataFrame:
    """Customers each prefer one of 8 categories of 25 products; 80 % of their purchases are
    from it. Products p in category p // 25; purchases spread over `days` days."""
    rng = np.random.default_rng(seed)
    n = customers * 12
    customer = rng.integers(0, customers, n)
    favourite = customer % 8
    category = np.where(rng.random(n) < 0.8, favourite, rng.integers(0, 8, n))
    # within a category, popularity falls off: low product numbers sell more
    product = category * 25 + np.minimum(rng.geometric(0.15, n) - 1, 24)
    at = rng.integers(0, days, n)
    return pl.DataFrame(
        {"customer_id": customer, "product_id": product, "day": at, "category": category}
    ).select(
        "customer_id",
        "product_id",
        (pl.lit(DAY) + pl.duration(days=pl.col("day"))).alias("at"),
        pl.format("cat-{}", pl.col("category")).alias("category"),
        pl.lit(10.0).alias("amount"),
    )


def test_hit_rate_beats_recommending_the_overall_best_sellers():
    data = grouped_lines(customers=3000, seed=5)
    split = DAY + timedelta(days=270)
    rate = hit_rate_at_k(data, split_date=split, k=5)
    # The best sellers of all 8 categories are nearly a random pick for a given customer.
    best_sellers = (
        data.filter(pl.col("at") < split).group_by("product_id").len().sort("len", descending=True)
    )
    popular = (
        data.filter(pl.col("at") < split)
        .select("customer_id")
        .unique()
        .join(best_sellers.head(5).select("product_id"), how="cross")
    )
    before = data.filter(pl.col("at") < split).select("customer_id", "product_id").unique()
    after = data.filter(pl.col("at") >= split).select("customer_id", "product_id").unique()
    new_after = after.join(before, on=["customer_id", "product_id"], how="anti")
    evaluated = new_after.join(before.select("customer_id").unique(), on="customer_id", how="semi")
    hits = popular.join(before, on=["customer_id", "product_id"], how="anti").join(
        new_after, on=["customer_id", "product_id"], how="semi"
    )
    baseline = hits["customer_id"].n_unique() / evaluated["customer_id"].n_unique()
    assert rate > baseline + 0.05
    assert 0.0 < rate <= 1.0


def test_category_propensity_learns_each_customers_favourite():
    data = grouped_lines(customers=3000, seed=9, days=540)
    as_of = DAY + timedelta(days=539)
    fitted = category_propensity_fit(data, as_of=as_of, horizon_days=90)
    assert fitted.auc > 0.75
    assert fitted.auc >= fitted.baseline_auc - 0.01
    assert 0.0 < fitted.base_rate < 1.0
    assert fitted.brier < fitted.base_rate * (1 - fitted.base_rate)  # beats the base rate
    assert fitted.test_cutoff == as_of - timedelta(days=90)
    assert fitted.train_cutoff == as_of - timedelta(days=180)
    scores = category_propensity(data, as_of=as_of, horizon_days=90, model=fitted)
    assert scores.columns == ["customer_id", "category", "probability"]
    assert scores.height == data["customer_id"].n_unique() * 8
    assert scores["probability"].is_between(0.0, 1.0).all()
    favourite = scores.filter(pl.format("cat-{}", pl.col("customer_id") % 8) == pl.col("category"))[
        "probability"
    ].mean()
    other = scores.filter(pl.format("cat-{}", pl.col("customer_id") % 8) != pl.col("category"))[
        "probability"
    ].mean()
    assert favourite > 3 * other


def test_category_propensity_names_the_missing_column():
    with pytest.raises(ValueError, match="category"):
        category_propensity(lines(HAND), as_of=DAY)


def test_category_propensity_candidates_top_and_sampled_training(monkeypatch: pytest.MonkeyPatch):
    data = grouped_lines(customers=1500, seed=4, days=540)
    as_of = DAY + timedelta(days=539)
    monkeypatch.setattr(recommend, "_TRAIN_ROWS", 4000)  # 500 customers × 8 categories
    fitted = category_propensity_fit(data, as_of=as_of, horizon_days=90)
    assert fitted.trained_on == 4000 and fitted.tested_on == 4000
    assert fitted.auc > 0.7
    everything = category_propensity(data, as_of=as_of, model=fitted)
    narrowed = category_propensity(data, as_of=as_of, model=fitted, candidates=1)
    # A customer's own categories plus the single most popular one, with the same probabilities.
    bought = data.select("customer_id", "category").unique()
    assert narrowed.height < everything.height
    assert (
        narrowed.join(bought, on=["customer_id", "category"], how="anti")["category"].n_unique()
        == 1
    )
    same = narrowed.join(everything, on=["customer_id", "category"], suffix="_all")
    assert (same["probability"] == same["probability_all"]).all()
    best = category_propensity(data, as_of=as_of, model=fitted, top=2)
    assert best.group_by("customer_id").len()["len"].max() == 2
    # Each customer's most likely category is kept (compared by probability: ties may keep either).
    most = everything.group_by("customer_id").agg(pl.col("probability").max().alias("p"))
    kept = best.group_by("customer_id").agg(pl.col("probability").max().alias("p"))
    both = most.join(kept, on="customer_id", suffix="_kept")
    assert both.height == most.height
    assert (both["p"] == both["p_kept"]).all()
