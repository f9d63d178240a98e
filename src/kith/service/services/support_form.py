"""The public support form: rate limit per hashed address, honeypot, a ticket for the sender."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.text import clean
from kith.core.validation import text_clean
from kith.customers.normalise import email_normalise
from kith.service.models import Priority, SupportSubmission, Ticket
from kith.service.services.requesters import requester_for_email
from kith.service.services.tickets import ticket_open, ticket_values_check

# --- public support form ---------------------------------------------------------------------


class RateLimited(FieldError):
    """Too many submissions from one address."""


def ip_hash(ip: str) -> str:
    """The submitter's address, hashed with the secret key: counted, never stored in clear."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:service:{ip}".encode()).hexdigest()


def support_form_submit(
    *, data: Mapping[str, Any], ip: str, now: datetime | None = None
) -> Ticket | None:
    """One post of the public support form: a ticket for the contact with that email (created
    when new). None for a honeypot hit (looks accepted, nothing stored). Raises RateLimited
    after KITH_SERVICE_FORM_RATE posts per address in KITH_SERVICE_FORM_WINDOW seconds, and
    FieldError naming each bad field; nothing but the rate-limit count is stored then."""
    now = now or timezone.now()
    hashed = ip_hash(ip)
    window = now - timedelta(seconds=getattr(settings, "KITH_SERVICE_FORM_WINDOW", 600))
    recent = SupportSubmission.objects.filter(ip_hash=hashed, at__gte=window).count()
    if recent >= getattr(settings, "KITH_SERVICE_FORM_RATE", 5):
        raise RateLimited.one("__all__", _("Too many requests from your address; try again later."))
    SupportSubmission.objects.create(ip_hash=hashed)
    if clean(str(data.get("website_url") or "")):  # the honeypot: humans never see it
        return None
    errors: dict[str, str] = {}
    name = text_clean(
        data.get("full_name"), field="full_name", limit=200, errors=errors, required=True
    )
    raw_email = clean(str(data.get("email") or ""))
    email = ""
    if not raw_email:
        errors["email"] = _("Enter an email address.")
    else:
        try:
            email = email_normalise(raw_email)
        except (ValueError, FieldError):
            errors["email"] = _("Enter a valid email address.")
        if not email and "email" not in errors:
            errors["email"] = _("Enter a valid email address.")
    values = ticket_values_check(
        {"subject": data.get("subject"), "description": data.get("description")}, errors
    )
    if not values.get("description") and "description" not in errors:
        errors["description"] = _("Tell us what happened.")
    if errors:
        raise FieldError(errors)
    with transaction.atomic():
        contact, owner = requester_for_email(email=email, name=name)
        return ticket_open(
            owner=owner,
            actor=None,
            contact=contact,
            company=None,
            channel=Ticket.Channel.FORM,
            priority=Priority.NORMAL,
            category="",
            now=now,
            **values,
        )


def support_submissions_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete rate-limit rows older than a day (run daily)."""
    deleted, _by_model = SupportSubmission.objects.filter(
        at__lt=timezone.now() - older_than
    ).delete()
    return deleted
