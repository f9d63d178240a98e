"""Benchmark: the analytics engine alone on 1,000,000 customers and 10,000,000 transactions.

    flock /tmp/kith-bench.lock .venv/bin/python bench/insights_engine_scale.py \\
        [--customers 1000000] [--transactions 10000000] [--propensity]

Generates a seeded synthetic base in memory (three years of purchases; customers buy at their own
Gamma-distributed rate from their sign-up day until, for half of them, a random stop day; 5,000
products in 50 categories, 70 % of a customer's purchases in a favourite category, popularity
falling off within a category), then times each stage of a nightly scoring run as the engine
does it — RFM, CLV (summary, both fits, scores), churn (features at two cutoffs, two fits,
features now, scores with drivers), recommendations (item similarity and top 5) and, with
--propensity, category propensity — and prints wall time and peak RSS after each. Database reads
and writes are kith.insights.jobs's and not included. Target: < 3 min for the whole run
including database I/O.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from datetime import date, timedelta

import numpy as np
import polars as pl

import harness  # puts src/ on sys.path

ORIGIN = date(2023, 1, 1)
DAYS = 3 * 365
PRODUCTS = 5000
CATEGORIES = 50


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(
    customers: int, transactions: int, seed: int = 1
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(order lines with product and category, customers with created_at), vectorised."""
    rng = np.random.default_rng(seed)
    created = rng.integers(0, DAYS - 30, customers)
    stop = np.where(rng.random(customers) < 0.5, rng.integers(0, DAYS, customers), DAYS)
    stop = np.maximum(stop, created + 1)
    rate = rng.gamma(1.5, 1.0, customers)
    weight = rate * (stop - created)
    counts = rng.multinomial(transactions - customers, weight / weight.sum()) + 1
    who = np.repeat(np.arange(customers, dtype=np.int64), counts)
    day = created[who] + (rng.random(who.size) * (stop - created)[who]).astype(np.int64)
    day[np.r_[0, np.cumsum(counts)[:-1]]] = created  # the first purchase on the sign-up day
    favourite = rng.integers(0, CATEGORIES, customers)
    per_category = PRODUCTS // CATEGORIES
    category = np.where(
        rng.random(who.size) < 0.7, favourite[who], rng.integers(0, CATEGORIES, who.size)
    )
    product = category * per_category + np.minimum(
        rng.geometric(0.08, who.size) - 1, per_category - 1
    )
    lines = pl.DataFrame(
        {
            "customer_id": who + 1,
            "at": (np.datetime64(ORIGIN) + day.astype("timedelta64[D]")),
            "amount": np.round(rng.gamma(2.0, 25.0, who.size), 2),
            "product_id": product.astype(np.int64) + 1,
            "category": category.astype(np.int64),
        }
    ).with_columns(
        pl.col("at").cast(pl.Date), pl.format("category {}", pl.col("category")).alias("category")
    )
    people = pl.DataFrame(
        {
            "customer_id": np.arange(1, customers + 1, dtype=np.int64),
            "created_at": np.datetime64(ORIGIN) + created.astype("timedelta64[D]"),
        }
    ).with_columns(pl.col("created_at").cast(pl.Date))
    return lines, people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--propensity", action="store_true", help="also category propensity")
    args = parser.parse_args()

    from kith.insights.engine.churn import churn_score, churn_train, features_as_of
    from kith.insights.engine.clv import bgnbd_fit, clv_score, gamma_gamma_fit, rfm_summary
    from kith.insights.engine.recommend import category_propensity, recommend_products
    from kith.insights.engine.rfm import rfm_score

    print(
        f"Python {platform.python_version()}, polars {pl.__version__}, {os.cpu_count()} cores, "
        f"load {harness.loadavg()}"
    )
    machine = harness.Load()
    start = time.perf_counter()
    lines, customers = synthetic(args.customers, args.transactions)
    print(
        f"generated {customers.height:,} customers, {lines.height:,} lines in "
        f"{time.perf_counter() - start:.1f} s (not counted), peak RSS {peak_rss_mb():,.0f} MB"
    )
    as_of = ORIGIN + timedelta(days=DAYS)
    transactions = lines.select("customer_id", "at", "amount")
    timings: list[tuple[str, float, str]] = []

    def stage(name: str, run) -> object:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - t
        timings.append((name, elapsed, ""))
        print(f"{name:<34} {elapsed:7.1f} s   peak RSS {peak_rss_mb():7,.0f} MB", flush=True)
        return result

    scores = stage("rfm_score", lambda: rfm_score(transactions, as_of=as_of))
    summary = stage("clv: rfm_summary", lambda: rfm_summary(transactions, as_of=as_of))
    bgnbd = stage(
        "clv: bgnbd_fit",
        lambda: bgnbd_fit(summary["frequency"], summary["recency"], summary["T"]),  # type: ignore[index]
    )
    gamma_gamma = stage(
        "clv: gamma_gamma_fit",
        lambda: gamma_gamma_fit(summary["frequency"], summary["monetary_value"]),  # type: ignore[index]
    )
    clv = stage(
        "clv: clv_score",
        lambda: clv_score(summary, bgnbd=bgnbd, gamma_gamma=gamma_gamma),  # type: ignore[arg-type]
    )
    model = stage(
        "churn: churn_train",
        lambda: churn_train(transactions=transactions, customers=customers, as_of=as_of),
    )
    features = stage(
        "churn: features_as_of",
        lambda: features_as_of(transactions=transactions, customers=customers, as_of=as_of),
    )
    risk = stage("churn: churn_score (+ drivers)", lambda: churn_score(model, features))  # type: ignore[arg-type]
    recs = stage(
        "recommend_products (k=5)",
        lambda: recommend_products(lines.select("customer_id", "product_id", "at"), k=5),
    )
    if args.propensity:
        stage(
            "category_propensity (candidates=5, top=3)",
            lambda: category_propensity(lines, as_of=as_of, horizon_days=90, candidates=5, top=3),
        )
    total = sum(t for _, t, _ in timings)
    print(f"{'engine total':<34} {total:7.1f} s   peak RSS {peak_rss_mb():7,.0f} MB")
    print(machine.end().text())
    print(
        f"rows: rfm {scores.height:,}, clv {clv.height:,}, churn {risk.height:,}, "  # type: ignore[attr-defined]
        f"recommendations {recs.height:,}"  # type: ignore[attr-defined]
    )
    print(
        f"BG/NBD r={bgnbd.r:.3f} alpha={bgnbd.alpha:.2f} a={bgnbd.a:.3f} b={bgnbd.b:.3f}; "  # type: ignore[attr-defined]
        f"churn AUC {model.auc:.3f} vs recency-only {model.baseline_auc:.3f} "  # type: ignore[attr-defined]
        f"(trained on {model.trained_on:,}, tested on {model.tested_on:,})"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    main()
