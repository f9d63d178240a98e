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


class Connections:
    """Open connections kept for the next POST to the same host (HTTP keep-alive), so a batch
    of deliveries to one receiver does not connect (and shake hands for TLS) every time. One
    per thread; `close()` when the batch is done. Keyed by the address the SSRF guard checked,
    so a reused connection never goes anywhere the guard did not allow."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str, int, str], http.client.HTTPConnection] = {}

    def get(
        self, scheme: str, host: str, port: int, address: str, timeout: float
    ) -> tuple[http.client.HTTPConnection, bool]:
        key = (scheme, host, port, address)
        connection = self._open.get(key)
        if connection is not None:
            return connection, True
        if scheme == "https":
            connection = _PinnedHTTPS(host, port, address, timeout)
        else:
            connection = http.client.HTTPConnection(address, port, timeout=timeout)
        self._open[key] = connection
        return connection, False

    def drop(self, scheme: str, host: str, port: int, address: str) -> None:
        connection = self._open.pop((scheme, host, port, address), None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()


def http_post(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float = TIMEOUT,
    connections: Connections | None = None,
    resolved: tuple[str, int, str] | None = None,
) -> Response:
    """POST `body` to `url`; the status code and the time to the response in milliseconds.
    Raises AddressRefused (SSRF guard) or OSError/http.client.HTTPException (network).

    With `connections`, the connection is kept open for the next POST to the same address (and
    a kept one that the receiver closed meanwhile is opened again once). `resolved` is what
    `url_resolve(url)` gave earlier in the same batch (the guard's check is not repeated)."""
    host, port, address = resolved or url_resolve(url)
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    pool = connections or Connections()
    request_headers = {**headers, "Host": parts.netloc.rsplit("@", 1)[-1]}
    try:
        for attempt in (1, 2):
            connection, reused = pool.get(parts.scheme, host, port, address, timeout)
            started = time.monotonic()
            try:
                connection.request("POST", path, body=body, headers=request_headers)
                response = connection.getresponse()
                response.read(64 * 1024)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                pool.drop(parts.scheme, host, port, address)
                if reused and attempt == 1:
                    continue  # the receiver closed the kept connection: once more, fresh
                raise
            except BaseException:
                pool.drop(parts.scheme, host, port, address)
                raise
            if response.will_close or not response.isclosed():  # not read to its end
                pool.drop(parts.scheme, host, port, address)
            return Response(code=response.status, ms=int((time.monotonic() - started) * 1000))
        raise http.client.HTTPException("unreachable")  # pragma: no cover
    finally:
        if connections is None:
            pool.close()
