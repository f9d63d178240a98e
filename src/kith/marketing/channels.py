"""Channels beyond email: SMS and chat messages go out through a provider adapter, one per
provider, chosen and configured by an admin in the environment (KITH_MARKETING_SMS_PROVIDER,
KITH_MARKETING_SMS_URL, KITH_MARKETING_SMS_TOKEN_ENV). Kith ships the "http" adapter: a JSON POST
{to, text, reference} to the provider's URL with an Idempotency-Key header (the recipient's
Message-ID), so a provider that honours it never sends a resent message twice; the tests run it
against a loopback HTTP server. Another provider is one class with `send` added to ADAPTERS.

Chat and social messages go the same way through KITH_MARKETING_CHAT_PROVIDER / _URL /
_TOKEN_ENV; its "webhook" adapter POSTs {channel: "chat", to, text, reference} to a bridge the
admin runs (a chat app's bot, a social inbox), signed with HMAC-SHA256 of the body under the
token (header X-Kith-Signature: sha256=<hex>) so the bridge can tell the message is Kith's.
The address is the contact's primary social handle.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings


class ProviderRefused(Exception):
    """The provider refused this message (a 4xx): the recipient fails, the batch goes on."""


class MessageProvider(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> str:
        """Hand one message over; returns the provider's id for it."""
        ...


class HttpProvider:
    """A provider reached by a JSON POST (see the module docstring)."""

    def __init__(self, url: str, token: str = "", timeout: float = 15.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def body(self, *, to: str, text: str, reference: str) -> dict[str, str]:
        return {"to": to, "text": text, "reference": reference}

    def sign(self, request: urllib.request.Request, body: bytes) -> None:
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")

    def send(self, *, to: str, text: str, reference: str) -> str:
        if not self.url.startswith(("https://", "http://")):
            raise RuntimeError("the provider URL must be http(s)")
        body = json.dumps(self.body(to=to, text=text, reference=reference)).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/json")
        request.add_header("Idempotency-Key", reference)
        self.sign(request, body)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 — admin-configured URL
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                raise ProviderRefused(f"HTTP {exc.code}") from exc
            raise
        return str(answer.get("id", ""))[:100]


class WebhookChatProvider(HttpProvider):
    """A chat/social bridge reached by a signed JSON POST (see the module docstring)."""

    def body(self, *, to: str, text: str, reference: str) -> dict[str, str]:
        return {"channel": "chat", "to": to, "text": text, "reference": reference}

    def sign(self, request: urllib.request.Request, body: bytes) -> None:
        if self.token:
            digest = hmac.new(self.token.encode(), body, hashlib.sha256).hexdigest()
            request.add_header("X-Kith-Signature", f"sha256={digest}")


ADAPTERS: dict[str, type[HttpProvider]] = {"http": HttpProvider, "webhook": WebhookChatProvider}


def sms_provider() -> MessageProvider:
    """The configured SMS provider; RuntimeError when none is configured."""
    name = settings.KITH_MARKETING_SMS_PROVIDER
    url = settings.KITH_MARKETING_SMS_URL
    if name not in ADAPTERS or not url:
        raise RuntimeError("no SMS provider configured (KITH_MARKETING_SMS_PROVIDER, _URL)")
    token_env = settings.KITH_MARKETING_SMS_TOKEN_ENV
    return ADAPTERS[name](url, os.environ.get(token_env, "") if token_env else "")


def chat_provider() -> MessageProvider:
    """The configured chat/social provider; RuntimeError when none is configured."""
    name = settings.KITH_MARKETING_CHAT_PROVIDER
    url = settings.KITH_MARKETING_CHAT_URL
    if name not in ADAPTERS or not url:
        raise RuntimeError("no chat provider configured (KITH_MARKETING_CHAT_PROVIDER, _URL)")
    token_env = settings.KITH_MARKETING_CHAT_TOKEN_ENV
    return ADAPTERS[name](url, os.environ.get(token_env, "") if token_env else "")


def provider_for(channel: str) -> MessageProvider:
    """The provider of a non-email channel ("sms" or "chat")."""
    return chat_provider() if channel == "chat" else sms_provider()
