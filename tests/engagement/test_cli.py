"""`kith mail fetch` and the worker's schedules against a loopback IMAP server."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kith.cli.app import app
from kith.core.schedules import SCHEDULES
from kith.engagement.models import Interaction, MailMessage
from tests.engagement.factories import make_mailbox, raw_email
from tests.engagement.imap_server import ImapServer
from tests.factories import make_contact


@pytest.fixture
def imap():
    server = ImapServer().start()
    yield server
    server.stop()


def test_mail_fetch_command_files_and_is_idempotent(imap, users):
    make_contact(by=users.rep_a, full_name="Lan Pham", emails=["lan@example.com"])
    make_mailbox(server=imap, owner=users.rep_a)
    imap.add(raw_email(message_id="m1@example.com"))
    imap.add(b"garbage\r\n")

    first = CliRunner().invoke(app, ["mail", "fetch"])
    second = CliRunner().invoke(app, ["mail", "fetch", "--mailbox", "Sales inbox"])

    assert first.exit_code == 0, first.output
    assert "Sales inbox: 2 seen, 1 filed, 1 unfiled, 0 duplicate" in first.output
    assert "Sales inbox: 0 seen, 0 filed, 0 unfiled, 0 duplicate" in second.output
    assert Interaction.objects.count() == 1
    assert MailMessage.objects.count() == 2


def test_mail_fetch_unknown_mailbox(db):
    result = CliRunner().invoke(app, ["mail", "fetch", "--mailbox", "nope"])
    assert result.exit_code == 2


def test_schedules_are_registered_every_minute():
    assert SCHEDULES["engagement.mailboxes_fetch"].every.total_seconds() == 60
    assert SCHEDULES["engagement.reminders_deliver"].every.total_seconds() == 60
