"""Signed tokens of the public links in campaign mail: open pixel, click redirect, unsubscribe.

Each is signed with the secret key and its own salt, so a token of one kind is no token of
another. A click token carries the target URL itself: the redirect goes only to a URL Kith put
in the message (http or https), never to one a tamperer chose — so it is no open redirect.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

OPEN_SALT = "kith.marketing.open"
CLICK_SALT = "kith.marketing.click"
UNSUBSCRIBE_SALT = "kith.marketing.unsubscribe"


class BadToken(Exception):
    """A token that was tampered with, or of another kind."""


def _sign(value: str, salt: str) -> str:
    return signing.Signer(salt=salt).sign(value)


def _unsign(token: str, salt: str) -> str:
    try:
        return signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature as exc:
        raise BadToken from exc


def safe_url(url: str) -> bool:
    """Only absolute http(s) links are tracked and redirected to."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def open_url(recipient_id: int) -> str:
    token = _sign(str(recipient_id), OPEN_SALT)
    return settings.KITH_BASE_URL + reverse("marketing-open", args=[token])


def open_read(token: str) -> int:
    return int(_unsign(token, OPEN_SALT))


def click_url(recipient_id: int, target: str) -> str:
    token = signing.dumps({"r": recipient_id, "u": target}, salt=CLICK_SALT, compress=True)
    return settings.KITH_BASE_URL + reverse("marketing-click", args=[token])


def click_read(token: str) -> tuple[int, str]:
    """(recipient id, target URL); BadToken when tampered or the URL is not http(s)."""
    try:
        data = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature as exc:
        raise BadToken from exc
    if not isinstance(data, dict) or not safe_url(str(data.get("u", ""))):
        raise BadToken
    return int(data["r"]), str(data["u"])


def unsubscribe_token(recipient_id: int) -> str:
    return _sign(str(recipient_id), UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> int:
    return int(_unsign(token, UNSUBSCRIBE_SALT))


def unsubscribe_url(recipient_id: int) -> str:
    return settings.KITH_BASE_URL + reverse(
        "marketing-unsubscribe", args=[unsubscribe_token(recipient_id)]
    )


class Links:
    """The public links of a batch of messages, with the URL around the token reversed once
    (reverse() costs more than signing; the token is the one path segment that changes)."""

    def __init__(self) -> None:
        base = settings.KITH_BASE_URL
        self._around = {
            name: (base + url).split("TOKEN", 1)
            for name in ("marketing-open", "marketing-click", "marketing-unsubscribe")
            for url in [reverse(name, args=["TOKEN"])]
        }

    def _url(self, name: str, token: str) -> str:
        before, after = self._around[name]
        return before + token + after

    def open_url(self, recipient_id: int) -> str:
        return self._url("marketing-open", _sign(str(recipient_id), OPEN_SALT))

    def click_url(self, recipient_id: int, target: str) -> str:
        token = signing.dumps({"r": recipient_id, "u": target}, salt=CLICK_SALT, compress=True)
        return self._url("marketing-click", token)

    def unsubscribe_url(self, recipient_id: int) -> str:
        return self._url("marketing-unsubscribe", unsubscribe_token(recipient_id))
