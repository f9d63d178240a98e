"""20 concurrent clients against `kith serve`: a mix of list, search, detail, create and edit
over the API for N minutes, on SQLite and on PostgreSQL.

    flock /work/wt/_bench.lock .venv/bin/python bench/load_mixed.py [--db sqlite|postgres|both]
        [--minutes 5] [--clients 20] [--contacts 2000] [--write]

The bench seeds CONTACTS contacts over two teams, makes an API token per client (a quarter of
the clients are administrators, the rest reps of the two teams), starts `kith serve` (gunicorn,
2 workers x 4 threads, the production server) on the database, and runs the clients, each on
one keep-alive connection, choosing by weight: list 30 %, search 20 %, detail 25 %, create
15 %, edit 10 % (a client edits only contacts it made, with the version it read, so a 409 is a
lost update, not a race between clients). Afterwards it counts: every create answered 201 is
one contact in the database (no lost or doubled writes), every edit answered 200 raised the
contact's version by one and its title is the last one written; no answer other than the
expected status, and no "database is locked" in the server's log. It prints p50/p95/p99 per
request kind and, with --write, records them in BENCHMARKS.md with the load average.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import harness

WEIGHTS = {"list": 30, "search": 20, "detail": 25, "create": 15, "edit": 10}
EXPECTED = {"list": 200, "search": 200, "detail": 200, "create": 201, "edit": 200}
TERMS = ["Nguyễn", "Trần", "Lê", "王", "李", "Smith", "load", "example.vn", "0912", "Anna"]
FIRST = ["Anna", "Bình", "Chi", "Dũng", "Minh", "Lan", "伟", "芳", "Tom", "Eva"]
LAST = ["Nguyễn", "Trần", "Lê", "Phạm", "王", "李", "张", "Smith", "Jones", "Brown"]


def seed(contacts: int, clients: int) -> tuple[list[str], list[list[int]]]:
    """Teams, users, contacts and one token per client: (tokens, the contact ids each client
    may see: all for an administrator, its team's for a rep)."""
    from django.db import connections

    from kith.customers.services import contact_create
    from kith.identity.services import (
        api_token_create,
        roles_ensure_defaults,
        team_create,
        user_create,
    )

    roles_ensure_defaults()
    teams = [team_create(name=f"Load team {n}") for n in (1, 2)]
    password = secrets.token_urlsafe(12)
    admin = user_create(username="load-admin", password=password, role_slug="admin")
    reps = [user_create(username=f"load-rep-{n}", password=password, team=teams[n % 2])
            for n in range(4)]  # fmt: skip
    rng = random.Random(7)
    ids = []
    for n in range(contacts):
        owner = reps[n % len(reps)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contact = contact_create(
            by=owner, first_name=first, last_name=last, full_name=f"{last} {first} {n}",
            emails=[f"seed{n}@example.vn"], phones=[f"+8491{n:07d}"],
        )  # fmt: skip
        ids.append(contact.pk)
    tokens, visible = [], []
    for n in range(clients):
        user = admin if n % 4 == 0 else reps[n % len(reps)]
        tokens.append(api_token_create(user=user, name=f"load {n}")[1])
        # Contact i is owned by rep i % 4, of team i % 2.
        visible.append(ids if user is admin else [pk for i, pk in enumerate(ids) if i % 2 == n % 2])
    connections.close_all()
    return tokens, visible


class Client(threading.Thread):
    def __init__(self, *, number: int, port: int, token: str, ids: list[int], until: float):
        super().__init__(daemon=True)
        self.number, self.port, self.token, self.ids, self.until = number, port, token, ids, until
        self.rng = random.Random(number)
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.created: list[int] = []  # ids answered 201
        self.edits: dict[int, tuple[int, str]] = {}  # id -> (version after, title)
        self.versions: dict[int, int] = {}
        self.cursor: str | None = None

    def call(self, conn, method: str, path: str, body: dict | None = None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        n = 0
        while time.monotonic() < self.until:
            kind = self.rng.choices(kinds, weights)[0]
            if kind == "edit" and not self.created:
                kind = "create"
            n += 1
            if kind == "list":  # the first page, or the next one after the last list
                after = f"&cursor={self.cursor}" if self.cursor and self.rng.random() < 0.5 else ""
                method, path, body = "GET", f"/api/v1/contacts?limit=25{after}", None
            elif kind == "search":
                method, path, body = (
                    "GET",
                    f"/api/v1/search?q={self.rng.choice(TERMS)}&limit=10",
                    None,
                )
            elif kind == "detail":
                method, path, body = "GET", f"/api/v1/contacts/{self.rng.choice(self.ids)}", None
            elif kind == "create":
                method, path = "POST", "/api/v1/contacts"
                body = {"full_name": f"Load {self.number}-{n}", "first_name": "Load",
                        "last_name": f"Client{self.number}",
                        "emails": [{"value": f"load{self.number}-{n}@example.vn"}]}  # fmt: skip
            else:
                target = self.rng.choice(self.created)
                title = f"edit {self.number}-{n}"
                method, path = "PATCH", f"/api/v1/contacts/{target}"
                body = {"version": self.versions[target], "title": title}
            path = quote(path, safe="/?=&")
            started = time.perf_counter()
            try:
                status, raw = self.call(conn, method, path, body)
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{kind}: {type(exc).__name__} {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.timings[kind].append((time.perf_counter() - started) * 1000)
            if status != EXPECTED[kind]:
                self.errors.append(f"{kind} {method} {path}: {status} {raw[:200]!r}")
                continue
            if kind == "list":
                self.cursor = json.loads(raw)["next_cursor"]
            elif kind == "create":
                answer = json.loads(raw)
                self.created.append(answer["id"])
                self.versions[answer["id"]] = answer["version"]
            elif kind == "edit":
                answer = json.loads(raw)
                self.versions[target] = answer["version"]
                self.edits[target] = (answer["version"], title)
        conn.close()


def run(db: str, *, minutes: float, clients: int, contacts: int) -> dict:
    with harness.database(db) as database:
        print(f"{db}: seeding {contacts} contacts", flush=True)
        tokens, visible = seed(contacts, clients)
        port = harness.free_port()
        env = {**os.environ, "KITH_DATABASE_URL": database.url, "KITH_DEBUG": "0",
               "KITH_SECRET_KEY": secrets.token_urlsafe(50), "KITH_ALLOWED_HOSTS": "127.0.0.1",
               "PYTHONPATH": str(harness.ROOT / "src")}  # fmt: skip
        log = harness.RESULTS / f"load_mixed_{db}.log"
        kith = [str(Path(sys.executable).parent / "kith")]
        with log.open("wb") as out:
            server = subprocess.Popen(
                [*kith, "serve", "--host=127.0.0.1", f"--port={port}", "--workers=2", "--threads=4"],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                harness_wait(port, server)
                load = harness.Load()
                until = time.monotonic() + minutes * 60
                threads = [Client(number=n, port=port, token=t, ids=visible[n], until=until)
                           for n, t in enumerate(tokens)]  # fmt: skip
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                load.end()
            finally:
                server.terminate()
                server.wait(timeout=30)
        return check(db, threads, load, log, minutes=minutes, contacts=contacts)


def harness_wait(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300  # a loaded machine boots workers slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"kith serve stopped (exit {server.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/me")  # 401 without a token: the server is up
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("kith serve did not answer within 300 s")


def check(db, threads, load, log: Path, *, minutes: float, contacts: int) -> dict:
    from django.db import connections

    from kith.customers.models import Contact

    connections.close_all()
    errors = [e for t in threads for e in t.errors]
    created = [pk for t in threads for pk in t.created]
    stored = Contact.objects.filter(first_name="Load", last_name__startswith="Client").count()
    lost_or_doubled = stored - len(created)
    bad_edits = 0
    for thread in threads:
        for pk, (version, title) in thread.edits.items():
            row = Contact.objects.filter(pk=pk).values("version", "title").first()
            if row != {"version": version, "title": title}:
                bad_edits += 1
    locked = log.read_text(errors="replace").count("database is locked")
    timings: dict[str, list[float]] = defaultdict(list)
    for thread in threads:
        for kind, values in thread.timings.items():
            timings[kind] += values
    result = {
        "db": db, "minutes": minutes, "clients": len(threads), "contacts": contacts,
        "requests": sum(len(v) for v in timings.values()), "errors": len(errors),
        "error_samples": errors[:5], "creates": len(created), "stored": stored,
        "lost_or_doubled": lost_or_doubled, "edits_checked": sum(len(t.edits) for t in threads),
        "bad_edits": bad_edits, "database_is_locked": locked,
        "kinds": {k: harness.summary(v) for k, v in sorted(timings.items())}, "load": load.text(),
    }  # fmt: skip
    return result


def report(results: list[dict]) -> str:
    command = " ".join([".venv/bin/python bench/load_mixed.py", *sys.argv[1:]])
    lines = [
        f"`{command}`: {results[0]['clients']} concurrent API clients"
        f" against `kith serve` (gunicorn, 2 workers x 4 threads) on a base of"
        f" {results[0]['contacts']:,} contacts; mix list 30 % / search 20 % / detail 25 % /"
        " create 15 % / edit 10 %.",
        "",
    ]
    for r in results:
        lines.append(
            f"**{r['db']}** ({r['minutes']:g} min, {r['requests']:,} requests): {r['errors']} errors,"
            f' {r["database_is_locked"]} "database is locked"; {r["creates"]:,} creates answered'
            f" 201, {r['stored']:,} stored ({r['lost_or_doubled']:+d} lost/doubled);"
            f" {r['edits_checked']:,} edited contacts checked, {r['bad_edits']} wrong. {r['load']}."
        )
        lines.append("")
        rows = [[k, s["n"], s["p50_ms"], s["p95_ms"], s["p99_ms"]] for k, s in r["kinds"].items()]
        lines += harness.table(["request", "n", "p50 ms", "p95 ms", "p99 ms"], rows, right_from=1)
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args()
    results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        # Each database in its own process: Django is set up once per process.
        if args.db == "both":
            out = subprocess.run(
                [sys.executable, __file__, "--db", db, "--minutes", str(args.minutes),
                 "--clients", str(args.clients), "--contacts", str(args.contacts), "--json"],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        else:
            results.append(
                run(db, minutes=args.minutes, clients=args.clients, contacts=args.contacts)
            )
    text = report(results)
    print(text)
    for r in results:
        for sample in r["error_samples"]:
            print(f"{r['db']} error: {sample}")
    if args.write:
        harness.section_write("Load: 20 concurrent clients against kith serve", text)
    failed = [r["db"] for r in results
              if r["errors"] or r["lost_or_doubled"] or r["bad_edits"] or r["database_is_locked"]]  # fmt: skip
    if failed:
        sys.exit(f"FAILED on {', '.join(failed)}")


if __name__ == "__main__":
    if "--json" in sys.argv:
        sys.argv.remove("--json")
        parser = argparse.ArgumentParser()
        parser.add_argument("--db")
        parser.add_argument("--minutes", type=float)
        parser.add_argument("--clients", type=int)
        parser.add_argument("--contacts", type=int)
        a = parser.parse_args()
        print(json.dumps(run(a.db, minutes=a.minutes, clients=a.clients, contacts=a.contacts)))
    else:
        main()
