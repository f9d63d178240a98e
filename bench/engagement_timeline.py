"""Benchmark: the first page of the timeline of a contact with 10,000 timeline items.

    uv run python bench/engagement_timeline.py --db sqlite
    uv run python bench/engagement_timeline.py --db postgres

One contact gets 10,000 items (interactions of every kind, comments and history rows) among
20,000 interactions of 200 other contacts, in a fresh database (SQLite file in bench/results or a
throw-away PostgreSQL 15). The figure is the full request of the `contact-timeline` panel through
Django's test Client signed in as a team-scoped sales rep: middleware, the contact check, one
query per timeline source, and template rendering. Prints p50/p95/max; target p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.contacts_1m import RESULTS, TempPostgres, _percentile  # noqa: E402

TARGET_MS = 100.0
KINDS = ["call", "email", "meeting", "chat", "social", "visit", "note"]


def load(items: int) -> tuple[int, object]:
    from kith.core.models import ChangeRecord
    from kith.customers.models import Contact
    from kith.engagement.models import Comment, Interaction
    from kith.identity.services import roles_ensure_defaults, team_create, user_create

    roles_ensure_defaults()
    team = team_create(name="Bench team")
    rep = user_create(username="bench_rep", password="bench-pass-123456", team=team)
    contact = Contact.objects.create(owner=rep, team=team, full_name="Timeline Heavy")
    others = Contact.objects.bulk_create(
        [Contact(owner=rep, team=team, full_name=f"Other {i}") for i in range(200)]
    )
    start = datetime(2022, 1, 1, tzinfo=UTC)
    rows = []
    interactions = int(items * 0.9)
    for n in range(interactions):
        rows.append(
            Interaction(
                owner=rep, team=team, kind=KINDS[n % 7], occurred_at=start + timedelta(minutes=97 * n),
                subject=f"Item {n}", body="Talked about the order and delivery " * 3,
                contact=contact, channel="phone",
            )
        )  # fmt: skip
    for n in range(20_000):
        rows.append(
            Interaction(
                owner=rep, team=team, kind="call", occurred_at=start + timedelta(minutes=53 * n),
                subject="noise", contact=others[n % 200],
            )
        )  # fmt: skip
    Interaction.objects.bulk_create(rows, batch_size=2000)
    comments = items // 20
    Comment.objects.bulk_create(
        [
            Comment(
                record_model="customers.contact", record_id=contact.pk, body=f"c{n}", author=rep
            )
            for n in range(comments)
        ],
        batch_size=2000,
    )
    changes = items - interactions - comments
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(model="customers.contact", object_id=contact.pk, action="update",
                         field="title", old_value="a", new_value="b", actor=rep)
            for _ in range(changes)
        ],
        batch_size=2000,
    )  # fmt: skip
    return contact.pk, rep


def measure(contact_id: int, rep: object, requests: int) -> list[float]:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(rep)
    url = reverse("contact-timeline", args=[contact_id])
    for _ in range(5):  # warm caches and the session
        assert client.get(url).status_code == 200
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    assert response.content.count(b'class="timeline-item') == 25
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    postgres = None
    if args.db == "postgres":
        postgres = TempPostgres()
        url = postgres.start()
    else:
        path = RESULTS / "engagement_timeline.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    os.environ["KITH_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "select sqlite_version()"
                if connection.vendor == "sqlite"
                else "show server_version"
            )
            engine = ("SQLite " if connection.vendor == "sqlite" else "PostgreSQL ") + str(
                cursor.fetchone()[0]
            )
        began = time.perf_counter()
        contact_id, rep = load(args.items)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        loaded = time.perf_counter() - began
        times = measure(contact_id, rep, args.requests)
        p50, p95 = statistics.median(times), _percentile(times, 0.95)
        load_avg = os.getloadavg()[0]
        print(
            f"{engine}: {args.items:,} items loaded in {loaded:.1f} s; first timeline page over "
            f"{args.requests} requests: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
            f"(target p95 < {TARGET_MS:.0f} ms: {'met' if p95 < TARGET_MS else 'NOT met'}); "
            f"load average {load_avg:.1f} on {os.cpu_count()} CPUs, {platform.machine()}"
        )
    finally:
        if postgres:
            from django.db import connections

            connections.close_all()
            postgres.stop()


if __name__ == "__main__":
    main()
