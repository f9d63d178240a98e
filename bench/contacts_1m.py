"""Scale benchmark: load N contacts in bulk, then time the contact list API at that size.

    uv run python bench/contacts_1m.py --db sqlite --contacts 1000000
    uv run python bench/contacts_1m.py --db postgres --contacts 1000000

The database is the benchmark's own (bench/harness.py): a SQLite file under bench/results/
(deleted first), or a throw-away PostgreSQL cluster it starts with initdb/pg_ctl (as the
`postgres` OS user when run as root) and deletes afterwards. Requests go through Django's test Client to /api/v1/contacts
with a Bearer token, as an admin (scope all) and as a sales rep (scope team), so middleware,
authentication, the selector, the queries and JSON rendering are all in the figure.

Results: a markdown table in BENCHMARKS.md (the section for this database and size is
replaced), the raw figures in bench/results/<db>_<n>.json and the query plans of the slowest
query of each case in bench/results/<db>_<n>_plans.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from collections.abc import Callable

import harness

RESULTS = harness.RESULTS
LATIN_QUERIES = ("johnson", "nguyen van", "ohnso", "tran thi mai", "williams", "le huu")
CHINESE_QUERIES = ("王伟明", "伟明", "张伟", "李秀", "刘洋", "陈静")
TARGET_MS = 50.0


# --- loading --------------------------------------------------------------------------------


def load(contacts: int, companies: int) -> dict:
    from kith.demo import bulk
    from kith.demo.generator import DemoWorld
    from kith.demo.loader import SEED, demo_accounts_create, owners_of

    started = time.monotonic()
    users, fields = demo_accounts_create()
    world = DemoWorld(seed=SEED, companies=companies)
    owners = owners_of(users)
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if time.monotonic() - last[0] > 10 or done == total:
            last[0] = time.monotonic()
            print(
                f"  {stage}: {done:,}/{total:,}  ({time.monotonic() - started:.0f} s)", flush=True
            )

    company_ids = bulk.companies_bulk_create(
        world, owners=owners, revenue_field=fields["annual_revenue"], progress=progress
    )
    counts = bulk.contacts_bulk_create(
        world,
        count=contacts,
        owners=owners,
        company_ids=company_ids,
        tier_field=fields["tier"],
        progress=progress,
    )
    load_seconds = time.monotonic() - started
    analyze_started = time.monotonic()
    harness.analyze()
    return {
        # The machine is shared: how busy it was (1/5/15-minute load averages, 2 cores).
        "loadavg": [round(x, 1) for x in harness.loadavg()],
        "load_seconds": round(load_seconds, 1),
        "analyze_seconds": round(time.monotonic() - analyze_started, 1),
        "companies": len(company_ids),
        "contacts": counts.contacts,
        "points": counts.points,
        "addresses": counts.addresses,
        "relationships": counts.relationships,
        "consents": counts.consents,
    }


# --- measuring ------------------------------------------------------------------------------


def _deep_cursor(user) -> tuple[str, int, int]:
    """A next-cursor at the middle of the user's name-sorted list, its depth, and the id of the
    row that page must start with.

    Walking half a million rows page by page would take minutes, so the cursor is built for the
    middle row directly with the pagination module's encoder (the same bytes a client would
    have been handed on reaching that page); the benchmark checks the page it returns.
    """
    from kith.core.pagination import cursor_encode
    from kith.customers.models import Contact
    from kith.identity.access import visible_to

    visible = visible_to(Contact.objects.all(), user=user, module="contacts")
    total = visible.count()
    middle = visible.order_by("order_name", "pk").values_list("order_name", "pk")[total // 2]
    expected_next = visible.order_by("order_name", "pk").values_list("pk", flat=True)[
        total // 2 + 1
    ]
    cursor = cursor_encode(middle[0], middle[1], "n")
    return cursor, total // 2, expected_next


def _samples(user, rng: random.Random, count: int) -> dict[str, list[str]]:
    """Phone numbers of the user's own contacts, typed the way people type them."""
    from kith.customers.models import Contact
    from kith.identity.access import visible_to

    visible = visible_to(Contact.objects.exclude(primary_phone=""), user=user, module="contacts")
    top = visible.order_by("-pk").values_list("pk", flat=True).first() or 0
    phones: list[str] = []
    while len(phones) < count:
        start = rng.randrange(top)
        row = (
            visible.filter(pk__gte=start)
            .order_by("pk")
            .values_list("primary_phone", flat=True)
            .first()
        )
        if row:
            phones.append(_typed(row, rng))
    return {"phone": phones}


def _typed(e164: str, rng: random.Random) -> str:
    """An E.164 number as a person might type it: spaced, dashed, national, or as stored."""
    if e164.startswith("+1"):
        n = e164[2:]
        forms = (f"({n[:3]}) {n[3:6]}-{n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}", e164, f"1{n}")
    elif e164.startswith("+86"):
        n = e164[3:]
        forms = (f"{n[:3]} {n[3:7]} {n[7:]}", f"+86 {n[:3]}-{n[3:7]}-{n[7:]}", e164, n)
    else:
        n = e164[3:]
        forms = (f"0{n[:2]} {n[2:5]} {n[5:]}", f"+84 {n[:2]} {n[2:5]} {n[5:]}", e164, f"0{n}")
    return rng.choice(forms)


def measure(requests: int, seconds_cap: float) -> tuple[list[dict], str]:
    from kith.identity.models import User

    rng = random.Random(7)
    rows: list[dict] = []
    plans: list[str] = []
    for username, role in (("admin", "admin (all)"), ("wei", "sales rep (team)")):
        user = User.objects.get(username=username)
        client = harness.api_client(user)
        cursor, depth, expected_next = _deep_cursor(user)
        samples = _samples(user, rng, requests)
        latin, chinese = list(LATIN_QUERIES), list(CHINESE_QUERIES)
        cases: list[tuple[str, Callable[[int], dict]]] = [
            ("list, first page", lambda i: {}),
            (f"list, deep page (row {depth:,})", lambda i, c=cursor: {"cursor": c}),
            ("search name, Latin", lambda i, qs=latin: {"q": qs[i % len(qs)]}),
            ("search name, Chinese", lambda i, qs=chinese: {"q": qs[i % len(qs)]}),
            (
                "search phone, any format",
                lambda i, qs=samples["phone"]: {"q": qs[i % len(qs)]},
            ),
        ]
        for label, params_of in cases:
            row, plan = _case(
                client, user, role, label, params_of, requests, seconds_cap, expected_next
            )
            plans.append(plan)
            rows.append(row)
    return rows, "\n".join(plans)


def _case(client, user, role, label, params_of, requests, seconds_cap, expected_next):
    """One request kind: timed through the API and through the selector alone; its row and
    the plan of the slowest query of the slowest request."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from kith.customers.selectors import ContactFilters, contacts_list

    # Warm-up: the first request of a kind pays for imports and a cold page cache.
    first = client.get("/api/v1/contacts", params_of(0))
    assert first.status_code == 200, (label, first.status_code, first.content[:300])
    if "deep" in label:
        assert first.json()["items"][0]["id"] == expected_next, "deep cursor landed elsewhere"
    results: list[int] = []

    def check(i: int, response) -> None:
        assert response.status_code == 200, (label, params_of(i), response.status_code)
        results.append(len(response.json()["items"]))

    timings = harness.time_calls(
        lambda i: client.get("/api/v1/contacts", params_of(i)),
        count=requests,
        cap=seconds_cap,
        check=check,
    )

    # The same page from the selector alone: database and ORM, no HTTP/JSON layer.
    def select(i: int) -> int:
        params = params_of(i)
        page = contacts_list(
            user=user,
            filters=ContactFilters(q=params.get("q", "")),
            cursor=params.get("cursor"),
            limit=50,
        )
        return len(page.items)

    selector = harness.summary(harness.time_calls(select, count=len(timings)))
    # The plan of the slowest query of the slowest request kind, for the diagnosis.
    slow_i = max(range(len(timings)), key=timings.__getitem__)
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/contacts", params_of(slow_i))
    worst = max(captured.captured_queries, key=lambda q: float(q["time"]))
    plan = _plan(connection, f"{role} — {label} — {params_of(slow_i)}", worst)
    reset_queries()
    api = harness.summary(timings)
    row = {
        "user": role,
        "case": label,
        "n": api["n"],
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": api["p95_ms"],
        "p99_ms": api["p99_ms"],
        "max_ms": api["max_ms"],
        "rows_median": int(statistics.median(results)),
        "selector_median_ms": selector["p50_ms"],
        "selector_p95_ms": selector["p95_ms"],
    }
    print(f"  {role:18} {label:34} median {row['median_ms']:8.1f} ms  p95 {row['p95_ms']:8.1f} ms"
          f"  p99 {row['p99_ms']:8.1f} ms  selector {row['selector_median_ms']:7.1f} / "
          f"{row['selector_p95_ms']:7.1f} ms  (n={row['n']}, rows {row['rows_median']})",
          flush=True)  # fmt: skip
    return row, plan


def _plan(connection, title: str, query: dict) -> str:
    sql = query["sql"]
    explain = (
        "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    )
    with connection.cursor() as cursor:
        cursor.execute(explain + sql)
        lines = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    return (
        f"### {title}\n\nslowest query ({query['time']} s):\n\n```sql\n{sql}\n```\n\n```\n"
        + "\n".join(lines)
        + "\n```\n"
    )


# --- reporting ------------------------------------------------------------------------------


def report(
    args: argparse.Namespace, loaded: dict, rows: list[dict], engine: str, machine: harness.Load
) -> None:
    command = f"uv run python bench/contacts_1m.py --db {args.db} --contacts {args.contacts}"
    if args.requests != 200:
        command += f" --requests {args.requests}"
    lines = [
        f"`{command}` — {machine.started_at}–{machine.finished_at}, {engine}, Python "
        f"{platform.python_version()}, {machine.text()}. API: GET /api/v1/contacts through Django's "
        "test Client with a Bearer token, 50 rows a page with owner, team, company, tags, "
        "emails, phones, socials and addresses.",
        "",
        f"Bulk load: **{loaded['load_seconds']:.0f} s** for {loaded['contacts']:,} contacts, "
        f"{loaded['companies']:,} companies, {loaded['points']:,} emails/phones/socials, "
        f"{loaded['addresses']:,} addresses, {loaded['relationships']:,} relationships, "
        f"{loaded['consents']:,} consents"
        + (
            f" (ANALYZE afterwards: {loaded['analyze_seconds']:.0f} s)."
            if loaded.get("analyze_seconds")
            else "."
        )
        + (
            f" Load averages (1/5/15 min) at the end of loading: "
            f"{' / '.join(str(x) for x in loaded['loadavg'])}."
            if loaded.get("loadavg")
            else ""
        )
        + (f" {loaded['note']}." if loaded.get("note") else ""),
        "",
        *contacts_table(rows),
    ]
    harness.section_write(f"Contacts at {args.contacts:,}: {args.db}", "\n".join(lines))


def contacts_table(rows: list[dict]) -> list[str]:
    """The markdown table of measure()'s rows."""
    header = ["user", "request", "n", "API median ms", "API p95 ms", "API p99 ms", "API max ms",
              "selector median ms", "selector p95 ms", "rows", "API p95 < 50 ms"]  # fmt: skip
    keys = ("user", "case", "n", "median_ms", "p95_ms", "p99_ms", "max_ms", "selector_median_ms",
            "selector_p95_ms", "rows_median")  # fmt: skip
    ok = ["yes" if r["p95_ms"] < TARGET_MS else "**no**" for r in rows]
    return harness.table(
        header, [[r.get(k, "") for k in keys] + [o] for r, o in zip(rows, ok, strict=True)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=0, help="default: contacts / 50")
    parser.add_argument("--requests", type=int, default=200, help="per case and user")
    parser.add_argument("--cap", type=float, default=120, help="seconds at most per case")
    parser.add_argument("--no-report", action="store_true", help="leave BENCHMARKS.md alone")
    parser.add_argument(
        "--reuse", action="store_true", help="sqlite: measure the file a previous run loaded"
    )
    args = parser.parse_args()
    name = f"{args.db}_{args.contacts}"
    machine = harness.Load()
    with harness.database(
        args.db, sqlite_path=RESULTS / f"{name}.sqlite3", fresh=not args.reuse
    ) as db:
        if args.reuse and args.db == "sqlite":
            loaded = json.loads((RESULTS / f"{name}.json").read_text())["load"]
            from kith.identity.models import ApiToken

            ApiToken.objects.filter(name="benchmark").delete()
        else:
            print(f"{db.engine}: loading {args.contacts:,} contacts", flush=True)
            loaded = load(args.contacts, args.companies or max(20, args.contacts // 50))
            # Saved now, so that --reuse can measure again if measuring fails or is disturbed.
            (RESULTS / f"{name}.json").write_text(json.dumps({"load": loaded}, indent=2))
        print(f"loaded in {loaded['load_seconds']} s; measuring", flush=True)
        rows, plans = measure(args.requests, args.cap)
        machine.end()
        (RESULTS / f"{name}.json").write_text(
            json.dumps({"load": loaded, "requests": rows, "machine": machine.as_dict()}, indent=2)
        )
        (RESULTS / f"{name}_plans.md").write_text(plans)
        print(machine.text(), flush=True)
        if not args.no_report:
            report(args, loaded, rows, db.engine, machine)


if __name__ == "__main__":
    main()
