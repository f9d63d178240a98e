"""Throughput of campaign delivery: render personalised messages and hand them to a local SMTP
sink (aiosmtpd on loopback, in its own process as a real MTA would be), through the same exactly-once path as `kith marketing send`
(claim a batch, commit, SMTP, mark each message sent).

    uv run python bench/marketing_send.py --db sqlite --recipients 5000

Writes the section "Marketing: delivery throughput" of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import harness

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class CountingSink:
    """An aiosmtpd handler that counts the messages it accepted (in a shared value)."""

    def __init__(self, received: Any) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.received.get_lock():
            self.received.value += 1
        return "250 OK"


def sink_serve(port: int, received: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(CountingSink(received), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    machine = harness.Load()
    name = f"marketing_send_{args.db}_{args.recipients}"
    with harness.database(args.db, sqlite_path=harness.RESULTS / f"{name}.sqlite3") as db:
        from django.conf import settings
        from django.utils import timezone
        from tests.loopback import free_port

        from kith.customers.models import Consent, Contact, ContactPoint
        from kith.identity.services import roles_ensure_defaults, user_create
        from kith.marketing.services import campaigns, segments, templates
        from kith.marketing.services.delivery import campaign_send

        roles_ensure_defaults()
        admin = user_create(
            username="admin", password="x" * 12, role_slug="admin", is_superuser=True
        )
        contacts = Contact.objects.bulk_create(
            [
                Contact(full_name=f"Person {n}", first_name=f"P{n}", primary_email=f"p{n}@example.com",
                        owner=admin, sort_name=f"person {n:07d}")
                for n in range(args.recipients)
            ],
            batch_size=5000,
        )  # fmt: skip
        ContactPoint.objects.bulk_create(
            [
                ContactPoint(contact=c, kind="email", value=c.primary_email, is_primary=True)
                for c in contacts
            ],
            batch_size=5000,
        )
        at = timezone.now() - timedelta(days=1)
        Consent.objects.bulk_create(
            [
                Consent(contact=c, channel="email", purpose="marketing", status="granted", at=at)
                for c in contacts
            ],
            batch_size=5000,
        )
        template = templates.template_create(
            by=admin, name="Bench",
            versions={"en": {
                "subject": "Hello {{ first_name }}",
                "html": '<p>Hi {{ first_name }}</p><a href="https://shop.example/x">Shop</a>',
                "text": "Hi {{ first_name }} {{ unsubscribe_url }}",
            }},
        )  # fmt: skip
        segment = segments.segment_create(by=admin, name="All", rules={})
        campaign = campaigns.campaign_create(
            by=admin, name="Bench", template_ids=[template.pk], segment_ids=[segment.pk],
            holdout_percent=0, rate_per_minute=1_000_000,
        )  # fmt: skip
        campaigns.campaign_start(by=admin, campaign_id=campaign.pk)
        port = free_port()
        received, stop = multiprocessing.Value("i", 0), multiprocessing.Event()
        sink = multiprocessing.Process(target=sink_serve, args=(port, received, stop))
        sink.start()
        time.sleep(1.5)
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        from django.urls import reverse

        reverse("marketing-open", args=["x"])  # a worker loads the URL conf once, not per run
        started = time.perf_counter()
        result = campaign_send(campaign=campaign, batch=500, connections=args.connections)
        seconds = time.perf_counter() - started
        stop.set()
        sink.join()
        machine.end()
        rate = result.sent / seconds
        body = (
            f"`uv run python bench/marketing_send.py --db {args.db} --recipients {args.recipients}"
            f" --connections {args.connections}`"
            f" — {db.engine}. {machine.text()}\n\n"
            f"{result.sent} messages sent in {seconds:.1f} s: **{rate:.0f} messages/s** "
            f"(received by the sink: {received.value})."
        )
        if not args.no_report:
            harness.section_write(
                f"Marketing: delivery throughput, {args.recipients:,}, {args.connections} connection(s):"
                f" {args.db}",
                body,
            )
        print(body)


if __name__ == "__main__":
    main()
