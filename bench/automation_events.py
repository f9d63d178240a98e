"""Benchmark: 10,000 domain events through 50 active rules and 5 webhook subscriptions.

    flock /work/wt/_bench.lock uv run python bench/automation_events.py --db sqlite
    flock /work/wt/_bench.lock uv run python bench/automation_events.py --db postgres

On bench/harness.py's throw-away database: 1,000 contacts, 50 rules over 10 event names (5 per
name; each rule's condition on the contact's title matches a fifth of the contacts, so an event
starts 5 runs and about one of them acts: a notification or a task), and 5 subscriptions (one
for "*", four for two event names each) to a loopback HTTP receiver started here (loopback
allowed with KITH_WEBHOOKS_ALLOW_PRIVATE). The events arrive as a stream: batches of 100 are
recorded (in a transaction, as services do), then one worker round runs what `kith worker`
runs: events_dispatch, rule_runs_advance and deliveries_send until nothing is due.

Figures: events per second end to end (recording, dispatch, runs, deliveries), runs and
deliveries per second, and the delivery latency (the receiver's arrival time minus the event's
occurred_at) p50/p95/p99. Writes bench/results/automation_<db>.json and the section
"Automation: 10,000 events through 50 rules and 5 webhooks: <db>" of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness

EVENT_NAMES = ["contact.updated"] + [f"bench.kind{n}" for n in range(9)]
TITLES = ["Buyer", "Engineer", "Manager", "Director", "Owner"]


class Receiver:
    """A loopback HTTP receiver keeping the arrival time of each idempotency key."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.bodies: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Idempotency-Key", "")
                receiver.arrivals.setdefault(key, time.time())
                receiver.bodies.setdefault(key, body.decode())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def setup(receiver: Receiver, contacts: int) -> list[int]:
    from kith.automation.services import rule_create, subscription_create
    from kith.customers.models import Contact
    from kith.demo.loader import demo_accounts_create

    users, _fields = demo_accounts_create()
    admin = users["admin"]
    Contact.objects.bulk_create(
        [
            Contact(
                full_name=f"Bench {n}",
                first_name=f"B{n}",
                title=TITLES[n % len(TITLES)],
                owner=admin,
                team_id=admin.team_id,
                custom={},
            )
            for n in range(contacts)
        ],
        batch_size=1000,
    )
    for number in range(50):
        name = EVENT_NAMES[number % len(EVENT_NAMES)]
        title = TITLES[(number // len(EVENT_NAMES)) % len(TITLES)]
        action = (
            {"type": "notify_user", "user": "rule_owner", "text": "{{ full_name }}: " + name}
            if number % 2
            else {"type": "create_task", "title": "Follow up {{ full_name }}"}
        )
        rule_create(
            by=admin,
            name=f"Rule {number}",
            trigger=name,
            conditions={"all": [{"field": "title", "op": "eq", "value": title}]},
            actions=[action],
        )
    subscription_create(by=admin, name="All", url=receiver.url, events=["*"])
    for number in range(4):
        subscription_create(
            by=admin,
            name=f"Some {number}",
            url=receiver.url,
            events=EVENT_NAMES[2 * number + 1 : 2 * number + 3],
        )
    return list(Contact.objects.order_by("id").values_list("id", flat=True))


def workers_round(workers: int) -> None:
    """One round by `workers` worker threads at once (each its own database connection), as
    several `kith worker` processes would run: claims keep them off each other's rows."""
    if workers == 1:
        worker_round()
        return
    from django.db import connection

    def one() -> None:
        try:
            worker_round()
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def worker_round() -> dict[str, int]:
    from kith.automation.services import deliveries_send, rule_runs_advance
    from kith.core.events import events_dispatch

    done = {"events": 0, "runs": 0, "deliveries": 0}
    while True:
        events = events_dispatch(limit=500)
        runs = rule_runs_advance(limit=500)
        deliveries = deliveries_send(limit=500)
        done["events"] += events
        done["runs"] += runs
        done["deliveries"] += deliveries
        if not (events or runs or deliveries):
            return done


def run(db: str, events: int, batch: int, workers: int = 1) -> dict:
    os.environ["KITH_WEBHOOKS_ALLOW_PRIVATE"] = "127.0.0.1/32"
    load = harness.Load()
    with harness.database(db) as database:
        from django.db import transaction

        from kith.automation.models import Delivery, RuleRun
        from kith.core.events import event_record
        from kith.customers.models import Contact

        receiver = Receiver()
        contact_ids = setup(receiver, contacts=1000)
        contacts = {c.pk: c for c in Contact.objects.all()}
        harness.analyze()
        worker_round()  # nothing yet: warms imports and caches
        started = time.monotonic()
        recorded = 0
        rounds = 0
        while recorded < events:
            with transaction.atomic():
                for n in range(recorded, min(events, recorded + batch)):
                    contact = contacts[contact_ids[n % len(contact_ids)]]
                    name = EVENT_NAMES[n % len(EVENT_NAMES)]
                    payload = {"changed": ["title"]} if name == "contact.updated" else {"n": n}
                    event_record(name=name, record=contact, payload=payload)
            recorded = min(events, recorded + batch)
            workers_round(workers)
            rounds += 1
        elapsed = time.monotonic() - started
        latencies = []
        for key, arrival in receiver.arrivals.items():
            document = json.loads(receiver.bodies[key])
            occurred = datetime.fromisoformat(document["occurred_at"].replace("Z", "+00:00"))
            latencies.append((arrival - occurred.timestamp()) * 1000)
        runs = RuleRun.objects.count()
        acted = RuleRun.objects.filter(status="done").count()
        deliveries = Delivery.objects.count()
        delivered = Delivery.objects.filter(status="delivered").count()
        attempts_ms = list(
            Delivery.objects.filter(response_ms__isnull=False).values_list("response_ms", flat=True)
        )
        result = {
            "db": db,
            "engine": database.engine,
            "python": platform.python_version(),
            "events": events,
            "batch": batch,
            "workers": workers,
            "received": len(receiver.arrivals),
            "rounds": rounds,
            "seconds": round(elapsed, 1),
            "events_per_second": round(events / elapsed, 1),
            "runs": runs,
            "runs_acted": acted,
            "runs_per_second": round(runs / elapsed, 1),
            "deliveries": deliveries,
            "delivered": delivered,
            "deliveries_per_second": round(deliveries / elapsed, 1),
            "latency": harness.summary(latencies),
            "http_ms": harness.summary([float(v) for v in attempts_ms]),
            "loadavg_start": load.start,
            "loadavg_end": harness.loadavg(),
        }
        receiver.server.shutdown()
    return result


def report(result: dict) -> str:
    lat, http = result["latency"], result["http_ms"]
    rows = [
        ["events/s (end to end)", result["events_per_second"]],
        ["rule runs made / acted", f"{result['runs']:,} / {result['runs_acted']:,}"],
        ["rule runs/s", result["runs_per_second"]],
        ["deliveries made / delivered", f"{result['deliveries']:,} / {result['delivered']:,}"],
        ["deliveries/s", result["deliveries_per_second"]],
        ["distinct deliveries the receiver got", f"{result['received']:,}"],
        [
            "delivery latency p50 / p95 / p99 (ms)",
            f"{lat['p50_ms']} / {lat['p95_ms']} / {lat['p99_ms']}",
        ],
        ["HTTP POST p50 / p95 (ms)", f"{http['p50_ms']} / {http['p95_ms']}"],
        ["wall time (s)", result["seconds"]],
    ]
    lines = [
        f"`flock /work/wt/_bench.lock .venv/bin/python bench/automation_events.py --db {result['db']}`"
        f" — {time.strftime('%Y-%m-%d')}, {result['engine']}, Python {result['python']}, 2 cores"
        f" (shared). Load average (1/5/15 min) at start {result['loadavg_start']}, at end"
        f" {result['loadavg_end']}.",
        "",
        f"{result['events']:,} events in batches of {result['batch']} (each recorded in a"
        f" transaction, then one round of {result['workers']} worker(s): dispatch, rule runs, deliveries until nothing is"
        " due); 50 rules (5 per event name, about one in five acting: a task or a notification);"
        " 5 subscriptions (one for *, four for two names each) to a loopback receiver."
        " Latency: the receiver's arrival time minus the event's occurred_at.",
        "",
        *harness.table(["figure", "value"], rows),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    result = run(args.db, args.events, args.batch, args.workers)
    print(json.dumps(result, indent=2))
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"_w{args.workers}" if args.workers > 1 else ""
    (harness.RESULTS / f"automation_{args.db}{suffix}.json").write_text(
        json.dumps(result, indent=2)
    )
    if not args.no_report and args.events == 10_000 and args.workers == 1:
        harness.section_write(
            f"Automation: 10,000 events through 50 rules and 5 webhooks: {args.db}", report(result)
        )


if __name__ == "__main__":
    main()
