"""Exactly once: a campaign to 2,000 recipients over a real SMTP server, sent by a `kith
marketing send` worker process that is killed (SIGKILL) in the middle of an SMTP transaction and
then started again. Every address receives its message once, and nobody in the holdout any.

The kill lands while the worker waits for the server's answer to a message's DATA (the server
holds back its 250 and kills the worker), so that message was not accepted: the restarted worker
must send it — and nothing it had already sent — again. The other window, a kill between the
server's 250 and the worker's commit, is the documented trade-off of
kith.marketing.services.delivery (at most one resend with the same Message-ID).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from kith.marketing.models import Campaign, CampaignRecipient
from kith.marketing.services import campaigns
from tests.loopback import free_port
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import make_segment

AUDIENCE = 2000
KILL_AT = 725  # the message during whose SMTP transaction the worker dies
BATCH = 50


class KillingInbox:
    """Keeps accepted messages; during the KILL_AT-th DATA it kills the worker, answers nothing
    it could read and keeps nothing (the message was never accepted)."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.recipients: list[str] = []
        self.worker: subprocess.Popen[bytes] | None = None
        self.killed = threading.Event()
        self.seen = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.seen == KILL_AT and self.worker is not None and not self.killed.is_set():
            os.kill(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
            self.killed.set()
            return "421 shutting down"
        self.messages.append(message_from_bytes(envelope.content))
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def _database_url(tmp_path: Path) -> str:
    """The URL worker processes reach this test's database by."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        # The test database is in memory: hand the workers a file copy, read it back after.
        path = tmp_path / "kith.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def _read_back(url: str) -> None:
    if connection.vendor == "sqlite":
        source = sqlite3.connect(url.removeprefix("sqlite:///"))
        source.backup(connection.connection)
        source.close()


@pytest.mark.django_db(transaction=True)
def test_killed_worker_resumes_and_each_address_gets_one_message(users, template, tmp_path):
    everyone = make_segment(by=users.admin, name="All", rules={})
    bulk_contacts(users.admin, AUDIENCE)
    campaign = campaigns.campaign_create(
        by=users.admin,
        name="Exactly once",
        template_ids=[template.pk],
        segment_ids=[everyone.pk],
        holdout_percent=10,
    )
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    treated = set(
        CampaignRecipient.objects.filter(campaign=campaign, is_holdout=False).values_list(
            "email", flat=True
        )
    )
    held = set(
        CampaignRecipient.objects.filter(campaign=campaign, is_holdout=True).values_list(
            "email", flat=True
        )
    )
    assert len(treated) + len(held) == AUDIENCE and len(held) > 100

    url = _database_url(tmp_path)
    inbox = KillingInbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    env = {
        **os.environ,
        "KITH_DATABASE_URL": url,
        "KITH_EMAIL_HOST": "127.0.0.1",
        "KITH_EMAIL_PORT": str(port),
    }
    kith = [str(Path(sys.executable).with_name("kith")), "marketing", "send", str(campaign.pk)]
    try:
        inbox.worker = subprocess.Popen(
            [*kith, "--batch", str(BATCH)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        returncode = inbox.worker.wait(timeout=600)
        assert inbox.killed.is_set(), inbox.worker.stderr.read().decode()[-2000:]
        assert returncode == -signal.SIGKILL
        assert len(inbox.messages) == KILL_AT - 1

        resumed = subprocess.run(
            [*kith, "--batch", str(BATCH), "--reclaim-after", "0"],
            env=env,
            capture_output=True,
            timeout=600,
            check=False,
        )
        assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    finally:
        server.stop()

    counts = Counter(inbox.recipients)
    assert set(counts) == treated
    assert set(counts.values()) == {1}
    assert not held & set(counts)
    message_ids = [m["Message-ID"] for m in inbox.messages]
    assert len(set(message_ids)) == len(message_ids) == len(treated)

    _read_back(url)
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    assert Counter(rows.values_list("state", flat=True)) == {
        "sent": len(treated),
        "held_out": len(held),
    }
    # Claimed twice: the message the first worker died on and the rest of its batch.
    assert rows.filter(attempts=2).count() == BATCH - (KILL_AT - 1) % BATCH
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"
