"""Scale benchmark of the insights scoring job: 1,000,000 contacts and 10,000,000 order lines
read from SQLite, scored (RFM, BG/NBD + Gamma-Gamma CLV, churn model, recommendations and
category propensity) and written back, timed with its peak memory.

    flock /tmp/kith-bench.lock .venv/bin/python bench/insights_scoring.py
    flock /tmp/kith-bench.lock .venv/bin/python bench/insights_scoring.py --contacts 100000 --lines 1000000

The database (bench/results/insights_<contacts>.sqlite3) is loaded once: minimal contacts
(name, owner, team) and ~4 years of orders whose lines are written with executemany (the
loading is not what is measured). The scoring then runs in a child process, so its peak RSS
(getrusage of the child) is the job's own. Results: bench/results/insights_scoring.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness

RESULTS = harness.RESULTS
TARGET_SECONDS = 180
TARGET_RSS_GB = 8.0


def setup(db: Path) -> None:
    """Django on the benchmark's SQLite file (migrated by load(), not here)."""
    harness.django_setup(f"sqlite:///{db}", migrate=False)


def load(contacts: int, lines: int, seed: int = 7) -> dict:
    """Teams and reps, `contacts` minimal contacts, 200 products, orders up to `lines` lines."""
    import numpy as np
    from django.core.management import call_command
    from django.db import transaction

    from kith.core.bulk import rows_insert
    from kith.customers.models import Contact
    from kith.identity import services as identity
    from kith.sales.models import Order, OrderLine, Product

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    identity.roles_ensure_defaults()
    teams = [identity.team_create(name=f"Bench team {i}") for i in range(3)]
    identity.user_create(username="admin", password="bench-only-1", is_superuser=True)
    reps = [
        identity.user_create(username=f"rep{i}", password="bench-only-1", team=teams[i % 3])
        for i in range(6)
    ]
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    created = now - timedelta(days=5 * 365)
    stamp = created.strftime("%Y-%m-%d %H:%M:%S")
    batch = 100_000
    with transaction.atomic():
        for start in range(0, contacts, batch):
            rows = []
            for n in range(start, min(contacts, start + batch)):
                rep = reps[n % len(reps)]
                name = f"Customer {n:07d}"
                rows.append((n + 1, rep.pk, rep.team_id, name, name.lower(), "customer",
                             "other", "{}", f"{n:07d}", name.lower(), stamp, stamp))  # fmt: skip
            rows_insert(
                Contact,
                ("id", "owner_id", "team_id", "full_name", "sort_name", "lifecycle_stage",
                 "source_channel", "custom", "last_key", "search_text", "created_at",
                 "updated_at"),
                rows,
                prepared=True,
            )  # fmt: skip
        categories = ["Coffee", "Tea", "Equipment", "Services", "Snacks", "Cups", "Syrups",
                      "Cleaning", "Books", "Gifts"]  # fmt: skip
        Product.objects.bulk_create(
            [
                Product(
                    sku=f"B-{i:03d}",
                    name=f"Product {i:03d}",
                    category=categories[i % 10],
                    price_minor=int(200 + (i * 7919) % 9800),
                )
                for i in range(200)
            ]
        )
        product_ids = np.array(list(Product.objects.order_by("id").values_list("id", flat=True)))
        prices = np.array(
            list(Product.objects.order_by("id").values_list("price_minor", flat=True))
        )
        # 60% of contacts buy; purchases a year from a gamma rate; each buyer churns at some
        # point (an exponential lifetime) so recency and frequency carry signal.
        buyers = np.flatnonzero(rng.random(contacts) < 0.6) + 1
        lines_per_order = 3.3
        orders_target = lines / lines_per_order
        span = 4 * 365
        first = rng.uniform(0, span * 0.9, buyers.size)
        life = rng.exponential(span * 0.6, buyers.size)
        active = np.minimum(first + life, span) - first
        rate = rng.gamma(0.9, 1.0, buyers.size)
        rate *= max(orders_target - buyers.size, 0.0) / float((rate * active).sum())
        per_buyer = 1 + rng.poisson(rate * active)
        order_id = line_id = 0
        owner = {r.pk: r for r in reps}
        owners = [r.pk for r in reps]
        begin = now - timedelta(days=span)
        for chunk_start in range(0, buyers.size, 50_000):
            chunk = slice(chunk_start, chunk_start + 50_000)
            ids = np.repeat(buyers[chunk], per_buyer[chunk])
            offsets = np.repeat(first[chunk], per_buyer[chunk]) + rng.random(ids.size) * np.repeat(
                active[chunk], per_buyer[chunk]
            )
            n_lines = 1 + rng.poisson(lines_per_order - 1, ids.size)
            picks = rng.integers(0, product_ids.size, int(n_lines.sum()))
            quantities = 1 + rng.poisson(0.5, picks.size)
            totals = np.add.reduceat(quantities * prices[picks], np.r_[0, np.cumsum(n_lines)[:-1]])
            order_rows = []
            for contact_id, offset, total in zip(
                ids.tolist(), offsets.tolist(), totals.tolist(), strict=True
            ):
                order_id += 1
                rep_id = owners[(contact_id - 1) % len(owners)]
                at = (begin + timedelta(days=offset)).strftime("%Y-%m-%d %H:%M:%S")
                order_rows.append((order_id, contact_id, rep_id, owner[rep_id].team_id, at,
                                   "paid", "web_form", "USD", total, stamp, stamp))  # fmt: skip
            rows_insert(
                Order,
                ("id", "contact_id", "owner_id", "team_id", "ordered_at", "status", "channel",
                 "currency", "total_minor", "created_at", "updated_at"),
                order_rows,
                prepared=True,
            )  # fmt: skip
            first_order = order_id - ids.size + 1
            line_orders = np.repeat(np.arange(first_order, order_id + 1), n_lines)
            line_rows = list(
                zip(
                    range(line_id + 1, line_id + picks.size + 1),
                    line_orders.tolist(),
                    product_ids[picks].tolist(),
                    quantities.tolist(),
                    prices[picks].tolist(),
                    strict=True,
                )
            )
            line_id += picks.size
            rows_insert(
                OrderLine,
                ("id", "order_id", "product_id", "quantity", "unit_price_minor"),
                line_rows,
                prepared=True,
            )
            print(f"  orders {order_id:,}, lines {line_id:,} ({time.monotonic() - started:.0f} s)",
                  flush=True)  # fmt: skip
    return {
        "contacts": contacts,
        "orders": order_id,
        "order_lines": line_id,
        "load_seconds": round(time.monotonic() - started, 1),
    }


def score_child() -> None:
    """In the child process: run the job once and print its run as JSON."""
    from kith.insights.jobs import scoring_run

    stages: dict[str, float] = {}
    began = time.monotonic()

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            stages[stage] = round(time.monotonic() - began, 1)

    run = scoring_run(progress=progress)
    print(
        "RESULT "
        + json.dumps(
            {
                "seconds": round(time.monotonic() - began, 1),
                "customers_scored": run.customers_scored,
                "metrics": run.metrics,
                "stage_done_at": stages,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--score-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.db or RESULTS / f"insights_{args.contacts}.sqlite3"
    if args.score_child:
        setup(db)
        score_child()
        return
    RESULTS.mkdir(exist_ok=True)
    machine = harness.Load()
    loaded: dict = {}
    if not db.exists():
        setup(db)
        print(f"Loading {args.contacts:,} contacts and ~{args.lines:,} order lines into {db}")
        loaded = load(args.contacts, args.lines)
        print(f"  loaded in {loaded['load_seconds']} s", flush=True)
    print("Scoring (child process)…", flush=True)
    began = time.monotonic()
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--score-child",
            "--db",
            str(db),
            "--contacts",
            str(args.contacts),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - began
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if child.returncode != 0:
        print(child.stdout[-4000:], child.stderr[-4000:])
        raise SystemExit(child.returncode)
    result = json.loads(child.stdout.split("RESULT ", 1)[1])
    summary = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load": list(harness.loadavg()),
        "machine_load": machine.end().as_dict(),
        "contacts": args.contacts,
        "loaded": loaded,
        "wall_seconds": round(wall, 1),
        "job_seconds": result["seconds"],
        "peak_rss_gb": round(peak_kb / 1024 / 1024, 2),
        "customers_scored": result["customers_scored"],
        "stage_seconds": result["metrics"].get("seconds"),
        "orders": result["metrics"].get("orders"),
        "order_lines": result["metrics"].get("order_lines"),
        "buyers": result["metrics"].get("buyers"),
        "churn": {k: result["metrics"].get("churn", {}).get(k) for k in ("auc", "baseline_auc")},
        "hit_rate_at_5": result["metrics"].get("hit_rate_at_5"),
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_gb": TARGET_RSS_GB},
    }
    (RESULTS / "insights_scoring.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
