"""POSTing a webhook body: to the address the SSRF guard checked (kith.automation.addresses),
with a timeout, without following redirects (a redirect is a failure, not a new target)."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from kith.automation.addresses import url_resolve

TIMEOUT = 10.0  # seconds for connecting and for the response


@dataclass(frozen=True)
class Response:
    code: int
    ms: int


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with the certificate checked against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def http_post(
    *, url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT
) -> Response:
    """POST `body` to `url`; the status code and the time to the response in milliseconds.
    Raises AddressRefused (SSRF guard) or OSError/http.client.HTTPException (network)."""
    host, port, address = url_resolve(url)
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPS(host, port, address, timeout)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        return Response(code=response.status, ms=int((time.monotonic() - started) * 1000))
    finally:
        connection.close()
