"""Scale benchmark of loyalty: `kith loyalty backfill`'s path (sales orders read in chunks by
kith.insights.loyalty_orders.sales_order_facts, earned by kith.loyalty.services.orders_backfill) over N
customers' orders, then a member's balance (the card selector) and the contact panel p95.

    uv run python bench/loyalty_backfill.py --db sqlite --customers 20000 --lines 200000
    uv run python bench/loyalty_backfill.py --db postgres --customers 1000000 --lines 10000000

The issue's target is 10,000,000 lines of 1,000,000 customers in under 5 minutes and a balance
and panel p95 under 20 ms at that size. Results: a section in BENCHMARKS.md and
bench/results/loyalty_<db>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from datetime import UTC, timedelta

import harness
from sales_scale import contacts_minimal

TARGET_SECONDS_10M = 300.0
TARGET_MS = 20.0


def orders_load(*, lines_target: int) -> tuple[int, int]:
    import numpy as np
    from django.utils import timezone

    from kith.customers.models import Contact
    from kith.demo.sales import _products
    from kith.identity.models import User
    from kith.sales import services
    from kith.sales.services import OrderImport

    admin = User.objects.get(username="admin")
    products = _products(admin)
    prices, ids = [p.price_minor for p in products], [p.pk for p in products]
    rng = np.random.default_rng(7)
    contact_ids = list(Contact.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    start = now - timedelta(days=2 * 365)

    def generated() -> Iterator[OrderImport]:
        made = 0
        while made < lines_target:
            for contact_id in contact_ids:
                k = 1 + int(rng.poisson(2.3))
                picks = rng.integers(0, len(ids), k).tolist()
                day = float(rng.uniform(0, 2 * 365))
                yield OrderImport(
                    contact_id=contact_id, ordered_at=(start + timedelta(days=day)).astimezone(UTC),
                    lines=[(ids[p], 1 + (p % 3), prices[p]) for p in picks],
                )  # fmt: skip
                made += k
                if made >= lines_target:
                    return

    result = services.orders_import(by=admin, orders=generated())
    return result.orders, result.lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=2000)
    args = parser.parse_args()
    load = harness.Load()
    with harness.database(args.db, sqlite_path=harness.RESULTS / "loyalty.sqlite3") as db:
        contacts_minimal(args.customers)
        t0 = time.monotonic()
        orders, lines = orders_load(lines_target=args.lines)
        print(f"  {orders:,} orders, {lines:,} lines in {time.monotonic() - t0:.0f} s", flush=True)
        from kith.identity.models import User
        from kith.insights.loyalty_orders import sales_order_facts
        from kith.loyalty import selectors, services
        from kith.loyalty.models import Membership
        from kith.sales.models import Order

        admin = User.objects.get(username="admin")
        services.programme_create(by=admin, name="Bench", currency="USD", expiry_months=12)
        harness.analyze()
        started = time.monotonic()
        result = services.orders_backfill(
            sales_order_facts(Order.objects.all(), chunk=args.chunk), chunk=args.chunk
        )
        backfill_s = time.monotonic() - started
        print(f"  backfill: {result.earned:,} orders earned in {backfill_s:.1f} s", flush=True)
        harness.analyze()
        members = list(Membership.objects.order_by("?").values_list("pk", "contact_id")[:200])

        def card(i: int) -> object:
            membership = selectors.membership_get(
                user=admin, membership_id=members[i % len(members)][0]
            )
            return selectors.member_card(membership=membership)

        card_ms = harness.summary(harness.time_calls(card, count=200, cap=60))
        client = harness.web_client(admin)
        panel_ms = harness.summary(
            harness.time_requests(
                lambda i: client.get(f"/contacts/{members[i % len(members)][1]}/loyalty/"),
                count=200, cap=60,
            )
        )  # fmt: skip
        load.end()
        per_line = backfill_s / max(1, lines)
        figures = {
            "db": db.engine, "customers": args.customers, "orders": orders, "lines": lines,
            "backfill_seconds": round(backfill_s, 1),
            "lines_per_second": round(lines / backfill_s),
            "extrapolated_10m_seconds": round(per_line * 10_000_000),
            "card": card_ms, "panel": panel_ms, "load": load.as_dict(),
        }  # fmt: skip
        (harness.RESULTS / f"loyalty_{args.db}.json").write_text(json.dumps(figures, indent=2))
        body = "\n".join(
            [
                f"{db.engine}; {args.customers:,} customers, {orders:,} orders, {lines:,} lines; "
                f"{load.text()}.",
                "",
                *harness.table(
                    ["what", "figure", "value"],
                    [
                        ["backfill", "seconds", f"{backfill_s:.1f}"],
                        ["backfill", "order lines / s", f"{lines / backfill_s:,.0f}"],
                        ["backfill", "10M lines at this rate (s; target 300)", f"{per_line * 1e7:,.0f}"],
                        ["member card (balance, tier, expiring)", "p95 ms (target 20)", card_ms["p95_ms"]],
                        ["contact loyalty panel (request)", "p95 ms (target 20)", panel_ms["p95_ms"]],
                    ],
                ),
                "",
                f"Measured at {lines:,} lines; the 10M figure is a linear extrapolation, an estimate"
                " only (run with --customers 1000000 --lines 10000000 for the issue's size).",
            ]
        )  # fmt: skip
        harness.section_write(f"Loyalty backfill: {args.db} (bench/loyalty_backfill.py)", body)
        print(body)


if __name__ == "__main__":
    main()
