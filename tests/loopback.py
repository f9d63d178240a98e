"""Loopback servers the tests start themselves: a real SMTP server (aiosmtpd) that keeps what
it receives. Tests reach it through the `smtp` fixture of tests/conftest.py."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A free loopback port (the SMTP controller's self-check needs a real one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpInbox:
    """An aiosmtpd handler keeping every message it accepted, parsed, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpServer:
    """A running loopback SMTP server; `stop()` shuts it down."""

    def __init__(self) -> None:
        self.inbox = SmtpInbox()
        self.port = free_port()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
