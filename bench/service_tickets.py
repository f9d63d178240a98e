"""Scale benchmark: bulk-load N tickets, then time the ticket list page and API at that size.

    uv run python bench/service_tickets.py --db sqlite --tickets 1000000
    uv run python bench/service_tickets.py --db postgres --tickets 1000000

Uses the throw-away databases of bench/contacts_1m.py (a SQLite file under bench/results/, or a
PostgreSQL 15 cluster started and deleted here). Requests go through Django's test Client, as
an admin (scope all) and as a rep (scope team): the web list (/tickets/, signed in) and the API
list (/api/v1/tickets, Bearer token), first page, a status filter, and a deep cursor page.
Prints p50/p95 per case and writes bench/results/service_<db>_<n>.json; the figures are copied
into BENCHMARKS.md by hand (section "Service: ticket list").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contacts_1m import RESULTS, TARGET_MS, TempPostgres, _percentile

STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("web", "form", "email", "phone", "chat", "api")


def load(tickets: int, batch: int = 50_000) -> dict:
    from django.db import connection

    from kith.demo.bulk import rows_insert
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "loadavg": [round(x, 1) for x in os.getloadavg()],
        "load_seconds": round(time.monotonic() - started, 1),
        "tickets": tickets,
    }


def tickets_count() -> int:
    from kith.service.models import Ticket

    return Ticket.objects.count()


def measure(requests: int) -> list[dict]:
    from django.test import Client

    from kith.identity.models import User
    from kith.identity.services import api_token_create

    rows = []
    for username in ("admin", "lan"):
        user = User.objects.get(username=username)
        _token, secret = api_token_create(user=user, name="benchmark")
        api = Client(headers={"Authorization": f"Bearer {secret}"})
        web = Client()
        web.force_login(user)
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
            client.get(url)  # warm
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            row = {
                "user": username,
                "case": case,
                "p50_ms": round(_percentile(times, 0.5), 1),
                "p95_ms": round(_percentile(times, 0.95), 1),
                "met": _percentile(times, 0.95) < TARGET_MS,
            }
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
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"service_{args.db}_{args.tickets}"
    postgres = None
    if args.db == "postgres":
        postgres = TempPostgres()
        url = postgres.start()
    else:
        path = RESULTS / f"{name}.sqlite3"
        reuse = args.reuse and path.exists()
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    os.environ["KITH_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")
    os.environ.setdefault("KITH_ALLOWED_HOSTS", "testserver")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if postgres is None and args.reuse and tickets_count() == args.tickets:
            loaded = {"tickets": args.tickets, "reused": True}
            print(f"reusing {path}; measuring", flush=True)
        else:
            loaded = load(args.tickets)
            print(f"loaded in {loaded['load_seconds']} s; measuring", flush=True)
        loaded["loadavg_before_measuring"] = [round(x, 1) for x in os.getloadavg()]
        rows = measure(args.requests)
        loaded["loadavg_after_measuring"] = [round(x, 1) for x in os.getloadavg()]
        (RESULTS / f"{name}.json").write_text(
            json.dumps({"load": loaded, "requests": rows}, indent=2)
        )
    finally:
        if postgres:
            from django.db import connections

            connections.close_all()
            postgres.stop()


if __name__ == "__main__":
    main()
