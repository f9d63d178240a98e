"""Webhook signatures: `Kith-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The HMAC is computed with the subscription's secret over the bytes "<t>.<body>", so a receiver
can check both that the body is ours and unchanged, and that it is recent (a replayed body
carries an old `t`). `signature_verify` is the check a receiver written in Python can use.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Kith-Signature"
REPLAY_WINDOW = 300  # seconds a signature is accepted after it was made


def signature_make(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the Kith-Signature header for `body` signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = REPLAY_WINDOW,
    now: float | None = None,
) -> bool:
    """Whether `header` signs `body` with `secret` and was made within `tolerance` seconds of
    `now` (a body replayed later, or signed in the future, is refused). Several v1= values
    (during a secret rotation) are accepted if any matches."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts.get("t", [""])[0])
    except ValueError:
        return False
    moment = time.time() if now is None else now
    if abs(moment - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
