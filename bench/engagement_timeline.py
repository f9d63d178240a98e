"""Benchmark: the first page of the timeline of a contact with 10,000 timeline items.

    uv run python bench/engagement_timeline.py --db sqlite
    uv run python bench/engagement_timeline.py --db postgres

One contact gets 10,000 items (interactions of every kind, comments and history rows) among
20,000 interactions of 200 other contacts, in a fresh database (SQLite file in bench/results or a
throw-away PostgreSQL 15). The figure is the full request of the `contact-timeline` panel through
Django's test Client signed in as a team-scoped sales rep: middleware, the contact check, one
query per timeline source, and template rendering. Prints p50/p95/p99/max and the load average
(bench/harness.py); target p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import UTC, datetime, timedelta

import harness

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
    from django.urls import reverse

    client = harness.web_client(rep)
    url = reverse("contact-timeline", args=[contact_id])
    # Five untimed requests warm the caches and the session.
    times = harness.time_requests(lambda i: client.get(url), count=requests, warm=5)
    assert client.get(url).content.count(b'class="timeline-item') == 25
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    machine = harness.Load()
    with harness.database(
        args.db, sqlite_path=harness.RESULTS / "engagement_timeline.sqlite3"
    ) as db:
        from django.db import connection

        began = time.perf_counter()
        contact_id, rep = load(args.items)
        if connection.vendor == "postgresql":
            harness.analyze()
        loaded = time.perf_counter() - began
        times = measure(contact_id, rep, args.requests)
        figures = harness.summary(times)
        machine.end()
        print(
            f"{db.engine}: {args.items:,} items loaded in {loaded:.1f} s; first "
            f"timeline page over {figures['n']} requests: p50 {figures['p50_ms']:.1f} ms, "
            f"p95 {figures['p95_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, max "
            f"{figures['max_ms']:.1f} ms (target p95 < {TARGET_MS:.0f} ms: "
            f"{'met' if figures['p95_ms'] < TARGET_MS else 'NOT met'}); {machine.text()}, "
            f"{platform.machine()}"
        )


if __name__ == "__main__":
    main()
