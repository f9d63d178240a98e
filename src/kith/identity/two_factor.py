"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238, as authenticator apps
make them): turning it on (a secret confirmed by a first code), checking a code at sign-in
(each code once), turning it off. KITH_2FA_REQUIRED_FOR_ADMINS makes administrators set it up
before they may use Kith."""

from __future__ import annotations

import time

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.identity.access import is_admin
from kith.identity.models import SecurityEvent, User
from kith.identity.security import security_event_record

ISSUER = "Kith"
_STEP = 30


def totp_secret_new() -> str:
    """A new random base32 secret (160 bits)."""
    return pyotp.random_base32(length=32)


def totp_uri(*, user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (typed in or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _step_of(secret: str, code: str, now: float) -> int | None:
    """The time step `code` is valid for (this one or the one before or after), or None."""
    code = "".join(ch for ch in str(code) if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // _STEP)
    for step in (current, current - 1, current + 1):
        if pyotp.utils.strings_equal(totp.at(step * _STEP), code):
            return step
    return None


@transaction.atomic
def totp_enable(*, user: User, secret: str, code: str, now: float | None = None) -> None:
    """Turn two-factor sign-in on with `secret`, once `code` shows the app has it."""
    step = _step_of(secret, code, time.time() if now is None else now)
    if step is None:
        raise FieldError.one("code", _("This code is not right; type the code your app shows now."))
    User.objects.filter(pk=user.pk).update(totp_secret=secret, totp_last_step=step)
    user.totp_secret, user.totp_last_step = secret, step
    security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_ENABLED, actor=user)


@transaction.atomic
def totp_disable(*, user: User, code: str, now: float | None = None) -> None:
    """Turn two-factor sign-in off; needs a current code."""
    if not totp_check(user=user, code=code, now=now):
        raise FieldError.one("code", _("This code is not right; type the code your app shows now."))
    User.objects.filter(pk=user.pk).update(totp_secret="", totp_last_step=0)
    user.totp_secret = ""
    security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_DISABLED, actor=user)


def totp_check(*, user: User, code: str, now: float | None = None) -> bool:
    """Whether `code` is a current code of the user's secret not used before (a code seen once
    is refused the second time: replayed codes do not sign in)."""
    if not user.totp_secret:
        return False
    step = _step_of(user.totp_secret, code, time.time() if now is None else now)
    if step is None:
        return False
    # Only the request whose UPDATE moves the step forward wins a race of two sign-ins.
    used = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    if used:
        user.totp_last_step = step
    return bool(used)


def two_factor_required(user: User) -> bool:
    """Whether the user must set up two-factor sign-in before using Kith."""
    return bool(
        getattr(settings, "KITH_2FA_REQUIRED_FOR_ADMINS", False)
        and is_admin(user)
        and not user.totp_secret
    )
