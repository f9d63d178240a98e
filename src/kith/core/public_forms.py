"""The guard in front of every public form (web-to-lead, support): a honeypot field and a
per-address rate limit counted in the database, with the address kept only as a keyed hash.

Public forms are served without a session (and embedded in other sites' pages, where the CSRF
cookie is a third-party cookie), so this guard is what holds spam off.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.models import PublicFormPost
from kith.core.text import clean

_SALT = "kith.core.public-forms"


class RateLimited(FieldError):
    """Too many posts of one public form from one address."""


def public_address_hash(address: str) -> str:
    """The poster's address hashed with the secret key: counted, never stored in clear."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{_SALT}:{address}".encode()).hexdigest()


def public_form_guard(
    *,
    form: str,
    request_address: str,
    honeypot: object,
    rate: int,
    window: int,
    now: datetime | None = None,
) -> bool:
    """Count one post of the public form `form` from `request_address`; whether to take it.

    Raises RateLimited once the address has posted `rate` times in the last `window` seconds
    (every post counts, bad input too, since the count comes before validation). Returns False
    for a filled-in honeypot (a bot: the caller answers as if accepted and stores nothing).
    """
    now = now or timezone.now()
    hashed = public_address_hash(request_address)
    recent = PublicFormPost.objects.filter(
        form=form, address_hash=hashed, at__gte=now - timedelta(seconds=window)
    ).count()
    if recent >= rate:
        raise RateLimited.one(
            "__all__", _("Too many submissions from your address; try again later.")
        )
    PublicFormPost.objects.create(form=form, address_hash=hashed, at=now)
    return not clean(str(honeypot or ""))


def public_form_posts_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete the rate-limit rows older than `older_than` (longer than any form's window)."""
    deleted, _by_model = PublicFormPost.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
