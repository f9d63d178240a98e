"""Scale benchmark of sales: 1M contacts, 10M order lines, 100k deals; board and order-history
page latencies and the bulk order import throughput.

    uv run python bench/sales_scale.py --db sqlite --contacts-from bench/results/sqlite_1000000.sqlite3
    uv run python bench/sales_scale.py --db postgres --contacts 1000000

Contacts: `--contacts-from` copies (SQLite backup API) a database that bench/contacts_1m.py
loaded with its full 1M-contact generator and migrates it; otherwise N minimal contacts (name,
owner, team: what orders and deals refer to) are written in bulk with the demo's raw-insert
path. Orders go through `kith.sales.services.orders_import` (the bulk path the API and the
demo use: validation, COPY/executemany, purchase summaries), timed on its own. Deals and their
stage history are written with the same raw-insert path as the demo.

Requests go through Django's test Client signed in as the admin (scope all) and as a sales rep
(scope team): middleware, selectors, queries and template rendering are all in the figure.
Results: a section in BENCHMARKS.md and bench/results/sales_<db>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import harness

RESULTS = harness.RESULTS
TARGET_MS = 100.0
IMPORT_TARGET = 100_000  # order lines a second


def contacts_minimal(count: int) -> int:
    """`count` contacts with a name, owner and team, written in bulk (no points/addresses)."""
    from kith.core.bulk import rows_insert
    from kith.customers.models import Contact
    from kith.demo.accounts import DEMO_PASSWORD, DEMO_USERS, TEAMS
    from kith.identity import services as identity

    # The demo's teams and users (as kith.demo.loader makes them, without its custom fields).
    identity.roles_ensure_defaults()
    teams = [identity.team_create(name=name) for name in TEAMS]
    reps = []
    for spec in DEMO_USERS:
        user = identity.user_create(
            username=spec.username, password=DEMO_PASSWORD, team=teams[spec.team_index],
            role_slug=spec.role_slug, is_superuser=spec.is_superuser,
        )  # fmt: skip
        if spec.role_slug == "sales_rep":
            reps.append((user.pk, user.team_id))
    batch = 50_000
    for start in range(0, count, batch):
        rows = []
        for n in range(start, min(count, start + batch)):
            owner_id, team_id = reps[n % len(reps)]
            name = f"Customer {n:07d}"
            rows.append((n + 1, owner_id, team_id, name, name.lower(), "customer", "other", {},
                         "customer", f"{n:07d}", name.lower()))  # fmt: skip
        rows_insert(
            Contact,
            ("id", "owner_id", "team_id", "full_name", "sort_name", "first_key", "source_channel",
             "custom", "lifecycle_stage", "last_key", "search_text"),
            rows,
        )  # fmt: skip
        print(f"  contacts {min(count, start + batch):,}/{count:,}", flush=True)
    from kith.core.bulk import sequences_reset
    from kith.customers.models import Company

    sequences_reset([Company, Contact])
    return count


def load_sales(*, lines_target: int, deals: int) -> dict:
    """Products, pipelines, 100k deals with history, and orders up to `lines_target` lines."""
    import numpy as np
    from django.utils import timezone

    from kith.customers.models import Contact
    from kith.demo.sales import PIPELINES, _deals, _products
    from kith.identity.models import User
    from kith.sales import services
    from kith.sales.models import Deal
    from kith.sales.services import OrderImport

    admin = User.objects.get(username="admin")
    products = _products(admin)
    funnels = [
        services.pipeline_create(by=admin, name=name, currency=currency, stages=stages)
        for name, currency, stages in PIPELINES
    ]
    contacts = list(
        Contact.objects.order_by("id").values_list("id", "owner_id", "team_id", "company_id")
    )
    started = time.monotonic()

    class Context:  # what demo.sales._deals reads
        counts: dict = {}

        def report(self, step: str, done: int, total: int) -> None:
            print(f"  {step} {done:,}/{total:,}", flush=True)

    rng = random.Random(5)
    # Most deals closed long ago; about 20% still open. The deal tables are empty: their plain
    # indexes are built once afterwards, as the foundation's bulk loader does.
    from kith.core.bulk import secondary_indexes_deferred
    from kith.sales.models import DealContact, DealStageChange

    with secondary_indexes_deferred([Deal, DealStageChange, DealContact]):
        # The demo's deal process: about a sixth of the deals are still open.
        _deals(Context(), rng, funnels, contacts, timezone.now(), per_pipeline=deals // 2)
    deal_count = Deal.objects.count()
    deals_seconds = time.monotonic() - started
    print(f"  deals {deal_count:,} in {deals_seconds:.0f} s", flush=True)

    np_rng = np.random.default_rng(11)
    prices = [p.price_minor for p in products]
    ids = [p.pk for p in products]
    now = timezone.now()
    start = now - timedelta(days=4 * 365)
    contact_ids = np.array([c[0] for c in contacts])
    buyers = contact_ids[np_rng.random(len(contact_ids)) < 0.6]
    # Orders per buyer from a gamma rate (rounded up, so the draw reaches the target; the
    # generator stops there); lines per order 1 + Poisson(2.3): about 3.3 an order.
    orders_per = np.maximum(
        1,
        np.ceil(np_rng.gamma(0.9, lines_target / 3.3 / len(buyers) / 0.9, len(buyers))).astype(int),
    )
    generating = 0.0  # seconds spent making orders inside the import call, subtracted

    def generated() -> Iterator[OrderImport]:
        nonlocal generating
        made = 0
        for contact_id, n_orders in zip(buyers.tolist(), orders_per.tolist(), strict=True):
            t0 = time.perf_counter()
            days = np.sort(np_rng.uniform(0, 4 * 365, n_orders))
            n_lines = 1 + np_rng.poisson(2.3, n_orders)
            batch = []
            for day, k in zip(days.tolist(), n_lines.tolist(), strict=True):
                picks = np_rng.integers(0, len(ids), k).tolist()
                batch.append(
                    OrderImport(
                        contact_id=contact_id,
                        ordered_at=(start + timedelta(days=day)).astimezone(UTC),
                        lines=[(ids[p], 1 + (p % 3), prices[p]) for p in picks],
                    )
                )
            made += sum(n_lines.tolist())
            generating += time.perf_counter() - t0
            yield from batch
            if made >= lines_target:
                return

    def progress(orders: int, lines: int) -> None:
        if orders % 500_000 < 20_000:
            elapsed = time.monotonic() - import_started
            print(f"  orders {orders:,}, lines {lines:,} ({elapsed:.0f} s, of which generating"
                  f" {generating:.0f} s)", flush=True)  # fmt: skip

    # One call, one transaction: into the empty order table the import defers the plain
    # indexes and builds the purchase summaries in one pass (kith.sales.services.orders_import).
    import_started = time.monotonic()
    result = services.orders_import(by=admin, orders=generated(), progress=progress)
    import_seconds = time.monotonic() - import_started - generating
    total_orders, total_lines = result.orders, result.lines
    print(f"  imported {total_lines:,} lines in {import_seconds:.1f} s (+{generating:.1f} s generating):"
          f" {total_lines / import_seconds:,.0f} lines/s", flush=True)  # fmt: skip
    # The incremental path too: 30,000 more orders into the full table (indexes kept).
    extra = []
    for n, contact_id in enumerate(buyers[:30_000].tolist()):
        picks = np_rng.integers(0, len(ids), 1 + n % 5).tolist()
        extra.append(OrderImport(contact_id=contact_id, ordered_at=now - timedelta(hours=n % 900),
                                 lines=[(ids[p], 1, prices[p]) for p in picks]))  # fmt: skip
    t0 = time.monotonic()
    added = services.orders_import(by=admin, orders=extra)
    incremental_seconds = time.monotonic() - t0
    print(f"  incremental: {added.lines:,} lines into the full table in {incremental_seconds:.1f} s",
          flush=True)  # fmt: skip
    return {
        "contacts": len(contacts),
        "deals": deal_count,
        "deals_seconds": round(deals_seconds, 1),
        "orders": total_orders,
        "order_lines": total_lines,
        "import_seconds": round(import_seconds, 1),
        "import_lines_per_s": int(total_lines / import_seconds) if import_seconds else 0,
        "incremental_lines": added.lines,
        "incremental_seconds": round(incremental_seconds, 2),
        "incremental_lines_per_s": int(added.lines / incremental_seconds),
        "total_seconds": round(time.monotonic() - started, 1),
    }


def measure(requests: int, cap: float) -> list[dict]:
    from kith.identity.models import User
    from kith.sales.models import Deal, Order, Pipeline

    pipeline = Pipeline.objects.order_by("position", "id").first()
    open_deals = Deal.objects.filter(pipeline=pipeline, outcome="open").count()
    rows = []
    rng = random.Random(3)
    for username, role in (("admin", "admin (all)"), ("wei", "sales rep (team)")):
        user = User.objects.get(username=username)
        client = harness.web_client(user)
        visible = (
            Order.objects.all()
            if role.startswith("admin")
            else Order.objects.filter(team_id=user.team_id)
        )
        max_id = visible.order_by("-id").values_list("id", flat=True).first() or 1
        buyers = []
        while len(buyers) < 50:
            row = (
                visible.filter(id__gte=rng.randint(1, max_id))
                .values_list("contact_id", flat=True)
                .first()
            )
            if row:
                buyers.append(row)
        cases = [
            (f"board page ({open_deals:,} open deals in the pipeline)", lambda i: f"/deals/?pipeline={pipeline.pk}"),
            ("order history page of a customer", lambda i, b=buyers: f"/orders/?contact={b[i % len(b)]}"),
            ("contact sales panel", lambda i, b=buyers: f"/contacts/{b[i % len(b)]}/sales/"),
            ("deal list page", lambda i: "/deals/list/"),
        ]  # fmt: skip
        for label, url_of in cases:
            timings = harness.time_requests(
                lambda i, u=url_of, c=client: c.get(u(i)), count=requests, cap=cap
            )
            row = {
                "user": role,
                "case": label,
                **harness.summary(timings),
                "median_ms": round(statistics.median(timings), 1),
            }
            print(f"  {role:18} {label:52} median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms (n={row['n']})", flush=True)  # fmt: skip
            rows.append(row)
    return rows


def report(
    args: argparse.Namespace,
    engine: str,
    loaded: dict,
    rows: list[dict],
    load_note: str,
    machine: harness.Load,
) -> None:
    ok_import = "yes" if loaded["import_lines_per_s"] >= IMPORT_TARGET else "**no**"
    lines = [
        f"`{' '.join(['uv run python bench/sales_scale.py', *sys.argv[1:]])}` — "
        f"{machine.started_at}–{machine.finished_at}, {engine}, Python "
        f"{platform.python_version()}, {machine.text()}. The machine was shared with other "
        "engineers' test suites (heavy benchmarks wait for /tmp/kith-bench.lock), so the figures "
        "carry noise.",
        "",
        f"Data: {loaded['contacts']:,} contacts ({load_note}), {loaded['orders']:,} orders with "
        f"{loaded['order_lines']:,} order lines over 4 years, {loaded['deals']:,} deals with stage history.",
        "",
        f"Bulk order import (`orders_import`: validation, COPY/executemany of orders and lines, "
        f"purchase-summary refresh): **{loaded['import_lines_per_s']:,} order lines/s** "
        f"({loaded['order_lines']:,} lines in {loaded['import_seconds']} s, one call into the empty order table: "
        f"plain indexes built at the end, summaries in one pass); target ≥ 100,000/s: {ok_import}. "
        f"Incremental import into the full table (indexes kept): {loaded['incremental_lines']:,} lines in "
        f"{loaded['incremental_seconds']} s = {loaded['incremental_lines_per_s']:,} lines/s.",
        "",
        *sales_table(rows),
    ]
    harness.section_write(f"Sales at scale: {args.db}", "\n".join(lines))


def sales_table(rows: list[dict]) -> list[str]:
    """The markdown table of measure()'s rows."""
    header = ["user", "page", "n", "median ms", "p95 ms", "p99 ms", "max ms", "p95 < 100 ms"]
    keys = ("user", "case", "n", "median_ms", "p95_ms", "p99_ms", "max_ms")
    ok = ["yes" if r["p95_ms"] < TARGET_MS else "**no**" for r in rows]
    return harness.table(
        header, [[r.get(k, "") for k in keys] + [o] for r, o in zip(rows, ok, strict=True)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--contacts-from", type=Path, help="sqlite: copy this contacts_1m database")
    parser.add_argument("--contacts", type=int, default=1_000_000, help="minimal contacts to write")
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--cap", type=float, default=60)
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    machine = harness.Load()
    with harness.database(
        args.db, sqlite_path=RESULTS / "sales_sqlite.sqlite3", copy_from=args.contacts_from
    ) as db:
        from django.db import transaction

        started = time.monotonic()
        if args.contacts_from:
            note = "copied from bench/contacts_1m.py's full generator: emails, phones, addresses…"
        else:
            note = "minimal rows: name, owner, team"
            with transaction.atomic():
                contacts_minimal(args.contacts)
        contacts_seconds = time.monotonic() - started
        print(f"{db.engine}: contacts ready in {contacts_seconds:.0f} s; loading sales", flush=True)
        loaded = load_sales(lines_target=args.lines, deals=args.deals)
        loaded["contacts_seconds"] = round(contacts_seconds, 1)
        harness.analyze()
        (RESULTS / f"sales_{args.db}.json").write_text(json.dumps({"load": loaded}, indent=2))
        print(f"loaded: {loaded}; measuring", flush=True)
        rows = measure(args.requests, args.cap)
        machine.end()
        (RESULTS / f"sales_{args.db}.json").write_text(
            json.dumps({"load": loaded, "requests": rows, "machine": machine.as_dict()}, indent=2)
        )
        print(machine.text(), flush=True)
        if not args.no_report:
            report(args, db.engine, loaded, rows, note, machine)


if __name__ == "__main__":
    main()
