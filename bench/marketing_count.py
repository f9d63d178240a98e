"""Scale benchmark: the live count of a 5-rule segment (the segment editor's count) over N
contacts with insights scores, consents and purchase summaries.

    uv run python bench/marketing_count.py --db sqlite --contacts 100000
    uv run python bench/marketing_count.py --db postgres --contacts 100000

Rules: lifecycle stage is customer AND churn risk ≥ 0.5 AND CLV ≥ 100 AND email marketing
consent granted AND at least 2 orders — one SQL statement (kith.marketing.rules). Timed through
kith.marketing.selectors.rules_live_count (what the editor and the API call: exact up to 30,000
contacts, else estimated from an evenly spread sample of 30,000 ids with a 95 % margin) as an
admin (scope all) and a sales rep (scope team); the exact count (rules_count, what a save and the
send use) is timed too, with fewer requests, and the estimate is checked against it.
Rows are written in bulk straight into the tables (the benchmark measures the count, not the
loading). Writes the section "Marketing: segment live count" of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import timedelta

import harness

RULES = {
    "match": "all",
    "rules": [
        {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
        {"field": "churn_risk", "op": "gte", "value": 0.5},
        {"field": "clv", "op": "gte", "value": 100},
        {"field": "consent", "op": "granted", "channel": "email", "purpose": "marketing"},
        {"field": "order_count", "op": "gte", "value": 2},
    ],
}


def load(contacts: int, batch: int = 20_000) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from kith.customers.models import Consent, Contact
    from kith.identity.services import roles_ensure_defaults, team_create, user_create
    from kith.insights.models import CustomerScore
    from kith.sales.models import PurchaseSummary

    roles_ensure_defaults()
    teams = [team_create(name=f"Team {n}") for n in range(3)]
    reps = [user_create(username=f"rep{n}", password="x" * 12, team=teams[n % 3]) for n in range(6)]
    user_create(username="admin", password="x" * 12, role_slug="admin", is_superuser=True)
    rng = random.Random(7)
    now = timezone.now()
    started = time.monotonic()
    stages = ("lead", "customer", "customer", "churned", "subscriber")
    for start in range(0, contacts, batch):
        with transaction.atomic():
            rows = Contact.objects.bulk_create(
                [
                    Contact(
                        full_name=f"Person {n}", primary_email=f"p{n}@example.com",
                        owner=reps[n % 6], team_id=reps[n % 6].team_id,
                        lifecycle_stage=stages[n % 5], sort_name=f"person {n:07d}",
                    )
                    for n in range(start, min(contacts, start + batch))
                ],
                batch_size=5000,
            )  # fmt: skip
            Consent.objects.bulk_create(
                [
                    Consent(contact=c, channel="email", purpose="marketing", at=now,
                            status="granted" if rng.random() < 0.8 else "withdrawn")
                    for c in rows if rng.random() < 0.7
                ],
                batch_size=5000,
            )  # fmt: skip
            buyers = [c for c in rows if rng.random() < 0.6]
            PurchaseSummary.objects.bulk_create(
                [
                    PurchaseSummary(contact=c, currency="USD", order_count=rng.randint(1, 8),
                                    total_minor=rng.randint(1000, 90000), first_at=now - timedelta(days=400),
                                    last_at=now - timedelta(days=rng.randint(1, 300)))
                    for c in buyers
                ],
                batch_size=5000,
            )  # fmt: skip
            CustomerScore.objects.bulk_create(
                [
                    CustomerScore(contact=c, scored_at=now, segment="At risk",
                                  clv=rng.uniform(0, 600), churn_risk=rng.random(), p_alive=rng.random())
                    for c in buyers
                ],
                batch_size=5000,
            )  # fmt: skip
        print(f"{min(contacts, start + batch)} contacts", flush=True)
    return {"contacts": contacts, "load_seconds": round(time.monotonic() - started, 1)}


def measure(requests: int) -> list[dict]:
    from kith.identity.models import User
    from kith.marketing.selectors import rules_count, rules_live_count

    rows = []
    for username, label in (("admin", "admin (all)"), ("rep0", "sales rep (team)")):
        user = User.objects.get(username=username)
        exact = rules_count(user=user, rules=RULES)
        live = rules_live_count(user=user, rules=RULES)
        times = harness.time_calls(
            lambda i, u=user: rules_live_count(user=u, rules=RULES), count=requests
        )
        kind = f"live ({'estimate' if live.estimated else 'exact'})"
        shown = f"≈ {live.count} ± {live.margin}" if live.estimated else str(live.count)
        rows.append({"user": label, "count": kind, "matches": shown, "exact": exact,
                     **harness.summary(times)})  # fmt: skip
        print(rows[-1], flush=True)
        times = harness.time_calls(
            lambda i, u=user: rules_count(user=u, rules=RULES), count=max(3, requests // 5)
        )
        rows.append({"user": label, "count": "exact", "matches": str(exact), "exact": exact,
                     **harness.summary(times)})  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="SQLite: keep the loaded file of an earlier run"
    )
    args = parser.parse_args()
    name = f"marketing_{args.db}_{args.contacts}"
    path = harness.RESULTS / f"{name}.sqlite3"
    reuse = args.reuse and args.db == "sqlite" and path.exists()
    with harness.database(args.db, sqlite_path=path, fresh=not reuse) as db:
        loaded = {"contacts": args.contacts, "reused": True} if reuse else load(args.contacts)
        machine = harness.Load()
        harness.analyze()
        rows = measure(args.requests)
        machine.end()
        (harness.RESULTS / f"{name}.json").write_text(
            json.dumps({"load": loaded, "rows": rows, "machine": machine.as_dict()}, indent=2)
        )
        body = "\n".join(
            [
                f"`uv run python bench/marketing_count.py --db {args.db} --contacts {args.contacts}`"
                f" — {db.engine}. {machine.text()}",
                "",
                *harness.table(
                    ["user", "count", "matches", "exact", "n", "p50 ms", "p95 ms", "p99 ms"],
                    [
                        [
                            r["user"],
                            r["count"],
                            r["matches"],
                            r["exact"],
                            r["n"],
                            r["p50_ms"],
                            r["p95_ms"],
                            r["p99_ms"],
                        ]
                        for r in rows
                    ],
                ),
            ]
        )
        if not args.no_report:
            harness.section_write(
                f"Marketing: segment live count, {args.contacts:,} contacts: {args.db}", body
            )
        print(body)


if __name__ == "__main__":
    main()
