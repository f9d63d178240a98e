"""The raw bytes of a campaign message, built directly: headers, then a multipart/alternative of
UTF-8 text and HTML, each base64. Django's EmailMessage builds the same message through the
email package's generator, which costs about as much as the whole rest of a send; a campaign
message has one fixed shape, so it is written out here (RFC 5322 / 2045 / 2047).

Only ASCII addresses take this path (`fast_path_ok`); anything else goes through Django's
message classes, which know how to encode international addresses.
"""

from __future__ import annotations

import base64
import secrets
from email.header import Header
from email.utils import formatdate

CRLF = "\r\n"


def fast_path_ok(*addresses: str) -> bool:
    """Every address is plain ASCII without line breaks (the raw path writes them as-is)."""
    return all(a.isascii() and "\r" not in a and "\n" not in a for a in addresses)


def header_value(value: str) -> str:
    """A header value: as-is when it is short ASCII, else RFC 2047 encoded words, folded."""
    value = value.replace("\r", " ").replace("\n", " ")
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep=CRLF)


def _body(content: str, subtype: str) -> str:
    encoded = base64.encodebytes(content.encode("utf-8")).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}" + encoded.replace("\n", CRLF)
    )


def message_bytes(
    *,
    from_header: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    headers: dict[str, str],
) -> bytes:
    """The message as bytes with CRLF line ends, ready for SMTP DATA. `headers` are written
    after From/To/Subject/Date (Message-ID, List-Unsubscribe, …) and must be ASCII."""
    lines = [
        f"From: {from_header}",
        f"To: {to}",
        f"Subject: {header_value(subject)}",
        f"Date: {formatdate()}",
        *(f"{name}: {value}" for name, value in headers.items()),
        "MIME-Version: 1.0",
    ]
    if html is None:
        return (CRLF.join(lines) + CRLF + _body(text, "plain")).encode("ascii")
    boundary = "=_kith_" + secrets.token_hex(12)
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    parts = (
        f"{CRLF}--{boundary}{CRLF}"
        + _body(text, "plain")
        + f"{CRLF}--{boundary}{CRLF}"
        + _body(html, "html")
        + f"{CRLF}--{boundary}--{CRLF}"
    )
    return (CRLF.join(lines) + CRLF + parts).encode("ascii")
