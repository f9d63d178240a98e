"""Scale benchmark: load N contacts in bulk, then time the contact list API at that size.

    uv run python bench/contacts_1m.py --db sqlite --contacts 1000000
    uv run python bench/contacts_1m.py --db postgres --contacts 1000000

The database is the benchmark's own: a SQLite file under bench/results/ (deleted first), or a
throw-away PostgreSQL cluster it starts with initdb/pg_ctl (as the `postgres` OS user when run
as root) and deletes afterwards. Requests go through Django's test Client to /api/v1/contacts
with a Bearer token, as an admin (scope all) and as a sales rep (scope team), so middleware,
authentication, the selector, the queries and JSON rendering are all in the figure.

Results: a markdown table in BENCHMARKS.md (the section for this database and size is
replaced), the raw figures in bench/results/<db>_<n>.json and the query plans of the slowest
query of each case in bench/results/<db>_<n>_plans.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCHMARKS = ROOT / "BENCHMARKS.md"
sys.path.insert(0, str(ROOT / "src"))

LATIN_QUERIES = ("johnson", "nguyen van", "ohnso", "tran thi mai", "williams", "le huu")
CHINESE_QUERIES = ("王伟明", "伟明", "张伟", "李秀", "刘洋", "陈静")
TARGET_MS = 50.0


# --- databases ------------------------------------------------------------------------------


class TempPostgres:
    """A throw-away PostgreSQL cluster on a free loopback port, deleted by stop()."""

    def __init__(self) -> None:
        self.bin = self._find_bin()
        # The owner pid in the name tells whose server it is on a machine shared by benchmarks.
        self.dir = Path(tempfile.mkdtemp(prefix=f"kith-bench-pg-{os.getpid()}-"))
        self.port = _free_port()

    @staticmethod
    def _find_bin() -> Path:
        for candidate in (
            Path("/usr/lib/postgresql/15/bin"),
            Path(shutil.which("initdb") or "/x/x").parent,
        ):
            if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
                return candidate.resolve()
        sys.exit("PostgreSQL 15 is needed: initdb/pg_ctl not found (apt-get install postgresql-15)")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8")  # fmt: skip
        # Throw-away server: no durability; buffers sized for a 24 GB machine.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=1GB "
            "-c maintenance_work_mem=512MB -c max_wal_size=4GB"
        )
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "kith")
        return f"postgres://postgres@127.0.0.1:{self.port}/kith"

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- loading --------------------------------------------------------------------------------


def load(contacts: int, companies: int) -> dict:
    from django.db import connection

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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        # The machine is shared: how busy it was (1/5/15-minute load averages, 2 cores).
        "loadavg": [round(x, 1) for x in os.getloadavg()],
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


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


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
    middle = visible.order_by("sort_name", "pk").values_list("sort_name", "pk")[total // 2]
    expected_next = visible.order_by("sort_name", "pk").values_list("pk", flat=True)[total // 2 + 1]
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
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kith.customers.selectors import ContactFilters, contacts_list
    from kith.identity.models import User
    from kith.identity.services import api_token_create

    rng = random.Random(7)
    rows: list[dict] = []
    plans: list[str] = []
    for username, role in (("admin", "admin (all)"), ("wei", "sales rep (team)")):
        user = User.objects.get(username=username)
        _token, secret = api_token_create(user=user, name="benchmark")
        client = Client(headers={"Authorization": f"Bearer {secret}"})
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
            # Warm-up: the first request of a kind pays for imports and a cold page cache.
            first = client.get("/api/v1/contacts", params_of(0))
            assert first.status_code == 200, (label, first.status_code, first.content[:300])
            if "deep" in label:
                assert first.json()["items"][0]["id"] == expected_next, (
                    "deep cursor landed elsewhere"
                )
            timings: list[float] = []
            results: list[int] = []
            started = time.monotonic()
            for i in range(requests):
                params = params_of(i)
                t0 = time.perf_counter()
                response = client.get("/api/v1/contacts", params)
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (label, params, response.status_code)
                results.append(len(response.json()["items"]))
                if time.monotonic() - started > seconds_cap:
                    break
            # The same page from the selector alone: database and ORM, no HTTP/JSON layer.
            selector_timings: list[float] = []
            for i in range(len(timings)):
                params = params_of(i)
                t0 = time.perf_counter()
                page = contacts_list(
                    user=user,
                    filters=ContactFilters(q=params.get("q", "")),
                    cursor=params.get("cursor"),
                    limit=50,
                )
                len(page.items)
                selector_timings.append((time.perf_counter() - t0) * 1000)
            # The plan of the slowest query of the slowest request kind, for the diagnosis.
            slow_i = max(range(len(timings)), key=timings.__getitem__)
            with CaptureQueriesContext(connection) as captured:
                client.get("/api/v1/contacts", params_of(slow_i))
            worst = max(captured.captured_queries, key=lambda q: float(q["time"]))
            plans.append(_plan(connection, f"{role} — {label} — {params_of(slow_i)}", worst))
            reset_queries()
            row = {
                "user": role,
                "case": label,
                "n": len(timings),
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(_percentile(timings, 0.95), 1),
                "max_ms": round(max(timings), 1),
                "rows_median": int(statistics.median(results)),
                "selector_median_ms": round(statistics.median(selector_timings), 1),
                "selector_p95_ms": round(_percentile(selector_timings, 0.95), 1),
            }
            print(f"  {role:18} {label:34} median {row['median_ms']:8.1f} ms  p95 {row['p95_ms']:8.1f} ms"
                  f"  selector {row['selector_median_ms']:7.1f} / {row['selector_p95_ms']:7.1f} ms"
                  f"  (n={row['n']}, rows {row['rows_median']})", flush=True)  # fmt: skip
            rows.append(row)
    return rows, "\n".join(plans)


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


def report(args: argparse.Namespace, loaded: dict, rows: list[dict], engine: str) -> None:
    command = f"uv run python bench/contacts_1m.py --db {args.db} --contacts {args.contacts}"
    if args.requests != 200:
        command += f" --requests {args.requests}"
    title = f"## Contacts at {args.contacts:,}: {args.db}"
    lines = [
        title,
        "",
        f"`{command}` — {time.strftime('%Y-%m-%d')}, {engine}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. API: GET /api/v1/contacts through Django's test "
        "Client with a Bearer token, 50 rows a page with owner, team, company, tags, emails, "
        "phones, socials and addresses.",
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
            f"{' / '.join(str(x) for x in loaded['loadavg'])} on 2 cores."
            if loaded.get("loadavg")
            else ""
        )
        + (f" {loaded['note']}." if loaded.get("note") else ""),
        "",
        "| user | request | n | API median ms | API p95 ms | API max ms | selector median ms "
        "| selector p95 ms | rows | API p95 < 50 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ok = "yes" if r["p95_ms"] < TARGET_MS else "**no**"
        lines.append(
            f"| {r['user']} | {r['case']} | {r['n']} | {r['median_ms']} | {r['p95_ms']} | "
            f"{r['max_ms']} | {r['selector_median_ms']} | {r['selector_p95_ms']} | "
            f"{r['rows_median']} | {ok} |"
        )
    section = "\n".join(lines) + "\n"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(section + "\n", text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    BENCHMARKS.write_text(text)


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
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{args.db}_{args.contacts}"
    postgres = None
    if args.db == "postgres":
        postgres = TempPostgres()
        url = postgres.start()
    else:
        path = RESULTS / f"{name}.sqlite3"
        if not args.reuse:
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
            engine = (
                "SQLite " if connection.vendor == "sqlite" else "PostgreSQL "
            ) + cursor.fetchone()[0]
        if args.reuse and args.db == "sqlite":
            loaded = json.loads((RESULTS / f"{name}.json").read_text())["load"]
            from kith.identity.models import ApiToken

            ApiToken.objects.filter(name="benchmark").delete()
        else:
            print(f"{engine}: loading {args.contacts:,} contacts", flush=True)
            loaded = load(args.contacts, args.companies or max(20, args.contacts // 50))
            # Saved now, so that --reuse can measure again if measuring fails or is disturbed.
            (RESULTS / f"{name}.json").write_text(json.dumps({"load": loaded}, indent=2))
        print(f"loaded in {loaded['load_seconds']} s; measuring", flush=True)
        rows, plans = measure(args.requests, args.cap)
        (RESULTS / f"{name}.json").write_text(
            json.dumps({"load": loaded, "requests": rows}, indent=2)
        )
        (RESULTS / f"{name}_plans.md").write_text(plans)
        if not args.no_report:
            report(args, loaded, rows, engine)
    finally:
        if postgres:
            from django.db import connections

            connections.close_all()
            postgres.stop()


if __name__ == "__main__":
    main()
