"""Engagement test data made through the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kith.engagement.models import Interaction, Mailbox
from kith.engagement.services import interaction_create


def make_interaction(*, by: Any, kind: str = "call", **kwargs: Any) -> Interaction:
    return interaction_create(by=by, kind=kind, **kwargs)


def make_mailbox(*, server: Any, owner: Any, **kwargs: Any) -> Mailbox:
    return Mailbox.objects.create(
        name=kwargs.pop("name", "Sales inbox"),
        host=server.host,
        port=server.port,
        use_ssl=False,
        username=server.username,
        password=server.password,
        owner=owner,
        **kwargs,
    )


def raw_email(
    *,
    message_id: str,
    from_: str = "Lan Pham <lan@example.com>",
    to: str = "inbox@kith.test",
    cc: str = "",
    subject: str = "Quote please",
    body: str = "Hello, can you send a quote?",
    date: datetime | None = None,
    in_reply_to: str = "",
    references: str = "",
) -> bytes:
    headers = [
        f"From: {from_}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        f"Date: {(date.strftime('%a, %d %b %Y %H:%M:%S +0000') if date else 'Mon, 02 Nov 2026 09:30:00 +0000')}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if cc:
        headers.append(f"Cc: {cc}")
    if in_reply_to:
        headers.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        headers.append(f"References: {references}")
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()
