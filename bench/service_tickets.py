"""Scale benchmark: bulk-load N tickets, then time the ticket list page and API at that size.

    uv run python bench/service_tickets.py --db sqlite --tickets 1000000
    uv run python bench/service_tickets.py --db postgres --tickets 1000000

Uses bench/harness.py's throw-away databases (a SQLite file under bench/results/, or a
PostgreSQL 15 cluster started and deleted here). Requests go through Django's test Client, as
an admin (scope all) and as a rep (scope team): the web list (/tickets/, signed in) and the API
list (/api/v1/tickets, Bearer token), first page, a status filter, and a deep cursor page.
Prints p50/p95 per case and writes bench/results/service_<db>_<n>.json; the figures are copied
into BENCHMARKS.md by hand (section "Service: ticket list").
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta

import harness

TARGET_MS = 50.0

STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("web", "form", "email", "phone", "chat", "api")


def load(tickets: int, batch: int = 50_000) -> dict:
    from django.db import connection

    from kith.core.bulk import rows_insert
    from kith.demo.loader import demo_accounts_create
    from kith.identity.models import User
    from kith.service.models import Ticket

    started = time.monotonic()
    demo_accounts_create()
    owners = list(User.objects.values_list("pk", "team_id"))
    rng = random.Random(7)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    span = 3 * 365 * 86400
    for first in range(0, tickets, batch):
        rows = []
        for n in range(first, min(tickets, first + batch)):
            owner, team = owners[n % len(owners)]
            created = start + timedelta(seconds=span * n / tickets + rng.random())
            rows.append((
                n + 1, f"Ticket {n}", rng.choice(STATUSES), rng.choice(PRIORITIES),
                rng.choice(CHANNELS), owner, team, created,
            ))  # fmt: skip
        rows_insert(
            Ticket,
            ("id", "subject", "status", "priority", "channel", "owner_id", "team_id", "created_at"),
            rows,
        )
        print(
            f"  tickets: {first + len(rows):,}/{tickets:,} ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket]):
                cursor.execute(sql)
    harness.analyze()
    return {
        "loadavg": [round(x, 1) for x in harness.loadavg()],
        "load_seconds": round(time.monotonic() - started, 1),
        "tickets": tickets,
    }


def tickets_count() -> int:
    from kith.service.models import Ticket

    return Ticket.objects.count()


def measure(requests: int) -> list[dict]:
    from kith.identity.models import User

    rows = []
    for username in ("admin", "lan"):
        user = User.objects.get(username=username)
        api = harness.api_client(user)
        web = harness.web_client(user)
        first = api.get("/api/v1/tickets?limit=50").json()
        cursor = first["next_cursor"]
        for _ in range(20):  # walk 20 pages in for a deep cursor
            cursor = api.get(f"/api/v1/tickets?limit=50&cursor={cursor}").json()["next_cursor"]
        cases = {
            "web list": (web, "/tickets/"),
            "web status=open": (web, "/tickets/?status=open"),
            "api list": (api, "/api/v1/tickets?limit=50"),
            "api status=pending&priority=urgent": (
                api, "/api/v1/tickets?limit=50&status=pending&priority=urgent",
            ),
            "api page 21": (api, f"/api/v1/tickets?limit=50&cursor={cursor}"),
        }  # fmt: skip
        for case, (client, url) in cases.items():
            times = harness.time_requests(lambda i, c=client, u=url: c.get(u), count=requests)
            figures = harness.summary(times)
            row = {"user": username, "case": case, **figures, "met": figures["p95_ms"] < TARGET_MS}
            print(row, flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="SQLite only: measure the database a previous run loaded (same --tickets) again",
    )
    args = parser.parse_args()
    name = f"service_{args.db}_{args.tickets}"
    path = harness.RESULTS / f"{name}.sqlite3"
    reuse = args.db == "sqlite" and args.reuse and path.exists()
    machine = harness.Load()
    with harness.database(args.db, sqlite_path=path, fresh=not reuse):
        if reuse and tickets_count() == args.tickets:
            loaded = {"tickets": args.tickets, "reused": True}
            print(f"reusing {path}; measuring", flush=True)
        else:
            loaded = load(args.tickets)
            print(f"loaded in {loaded['load_seconds']} s; measuring", flush=True)
        loaded["loadavg_before_measuring"] = list(harness.loadavg())
        rows = measure(args.requests)
        loaded["loadavg_after_measuring"] = list(harness.loadavg())
        machine.end()
        (harness.RESULTS / f"{name}.json").write_text(
            json.dumps({"load": loaded, "requests": rows, "machine": machine.as_dict()}, indent=2)
        )
        print(machine.text(), flush=True)


if __name__ == "__main__":
    main()
