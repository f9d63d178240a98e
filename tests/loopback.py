"""Loopback servers the tests start themselves: a real SMTP server (aiosmtpd) that keeps what
it receives (tests reach it through the `smtp` fixture of tests/conftest.py), and an HTTP
receiver (ThreadingHTTPServer) recording the requests it gets, for webhooks."""

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


class HttpRequestSeen:
    """One request an HttpReceiver got: path, headers (lower-case names) and body."""

    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class HttpReceiver:
    """A running loopback HTTP server (ThreadingHTTPServer) that records every POST and answers
    with the next status of `statuses` (then `default_status`) and a JSON body
    {"id": "msg-<n>"} (what a message provider answers); `url` is its address, `stop()`
    shuts it down. Stands in for webhook receivers and SMS or chat providers."""

    def __init__(self, default_status: int = 200, *, keep_alive: bool = False) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[HttpRequestSeen] = []
        self.statuses: list[int] = []
        self.default_status = default_status
        self.connections: set[int] = set()  # the client ports seen: one per connection
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self) -> None:
                receiver.connections.add(self.client_address[1])
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.requests.append(HttpRequestSeen(self.path, headers, body))
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                answer = f'{{"id": "msg-{len(receiver.requests)}"}}'.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet tests

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
