"""The request a service runs in, as far as the audit trail needs it: the client's address.

A middleware (kith.web.middleware.RequestContextMiddleware) sets it for every web and API
request; services read it when they record a security event, so no service takes a request.
The address is kept only as a keyed hash.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from typing import Any

from django.conf import settings

_ADDRESS: ContextVar[str] = ContextVar("kith_request_address", default="")


def client_address(meta: Any) -> str:
    """The client's address from a request's META: REMOTE_ADDR, or the address the trusted
    reverse proxy appended to X-Forwarded-For when KITH_TRUST_X_FORWARDED_FOR is on."""
    if getattr(settings, "KITH_TRUST_X_FORWARDED_FOR", False):
        forwarded = str(meta.get("HTTP_X_FORWARDED_FOR", ""))
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return str(meta.get("REMOTE_ADDR", ""))


def address_hash(address: str) -> str:
    """`address` hashed with the secret key ("" for none): comparable, never readable."""
    if not address:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:kith.address:{address}".encode()).hexdigest()


def current_address_set(address: str) -> Any:
    """Make `address` the current request's; returns the token for current_address_reset."""
    return _ADDRESS.set(address)


def current_address_reset(token: Any) -> None:
    _ADDRESS.reset(token)


def current_address() -> str:
    """The current request's client address ("" outside a request: CLI, worker)."""
    return _ADDRESS.get()
