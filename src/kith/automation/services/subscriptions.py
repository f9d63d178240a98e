"""Outgoing webhook subscriptions: made, changed and removed by administrators.

The secret is made here (secrets.token_hex) and returned once by `subscription_create` and
`subscription_secret_rotate`; the pages and the API never show it again.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kith.automation.active import active_forget
from kith.automation.addresses import AddressRefused, url_resolve
from kith.automation.models import Subscription
from kith.core.errors import FieldError, NotFound
from kith.core.events import EVENT_NAME
from kith.core.validation import text_clean, unknown_fields_check
from kith.identity.access import admin_require
from kith.identity.models import User

SUBSCRIPTION_FIELDS = frozenset({"name", "url", "events", "is_active"})


def _events_clean(raw: Any, errors: dict[str, str]) -> list[str]:
    if isinstance(raw, str):
        raw = [part for part in raw.replace("\n", ",").split(",")]
    names = sorted({str(name).strip() for name in raw or () if str(name).strip()})
    bad = [name for name in names if name != "*" and not EVENT_NAME.fullmatch(name)]
    if not names:
        errors["events"] = _("Choose at least one event type, or * for every event.")
    elif bad:
        errors["events"] = _("Not an event type: %(names)s.") % {"names": ", ".join(bad)}
    return names


def _url_clean(raw: Any, errors: dict[str, str]) -> str:
    url = str(raw or "").strip()
    if not url:
        errors["url"] = _("Enter the address to send to.")
        return url
    if len(url) > 500:
        errors["url"] = _("Use at most 500 characters.")
        return url
    try:
        url_resolve(url)
    except AddressRefused as error:
        errors["url"] = str(error)
    return url


def subscription_create(
    *, by: User, name: str, url: str, events: Iterable[str] | str
) -> tuple[Subscription, str]:
    """Subscribe `url` to `events` ("*" = every event); returns it and its secret (shown once)."""
    admin_require(by)
    errors: dict[str, str] = {}
    clean_name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    clean_url = _url_clean(url, errors)
    clean_events = _events_clean(events, errors)
    if errors:
        raise FieldError(errors)
    secret = secrets.token_hex(32)
    subscription = Subscription.objects.create(
        name=clean_name, url=clean_url, events=clean_events, secret=secret, created_by=by
    )
    active_forget()
    return subscription, secret


@transaction.atomic
def subscription_update(*, by: User, subscription_id: int, **changes: Any) -> Subscription:
    """Change name, url, events or is_active; turning a disabled subscription on again clears
    its failure count, and its pending deliveries go out again."""
    admin_require(by)
    unknown_fields_check(changes, SUBSCRIPTION_FIELDS)
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    if "name" in changes:
        subscription.name = text_clean(
            changes["name"], field="name", limit=120, errors=errors, required=True
        )
    if "url" in changes:
        subscription.url = _url_clean(changes["url"], errors)
    if "events" in changes:
        subscription.events = _events_clean(changes["events"], errors)
    if errors:
        raise FieldError(errors)
    if "is_active" in changes:
        active = bool(changes["is_active"])
        if active and not subscription.is_active:
            subscription.failure_count = 0
            subscription.disabled_at = None
            subscription.disabled_reason = ""
        subscription.is_active = active
    subscription.save()
    active_forget()
    return subscription


def subscription_secret_rotate(*, by: User, subscription_id: int) -> str:
    """A new secret for the subscription (returned once); later deliveries are signed with it."""
    admin_require(by)
    secret = secrets.token_hex(32)
    if not Subscription.objects.filter(pk=subscription_id).update(secret=secret):
        raise NotFound(_("Not found."))
    active_forget()
    return secret


def subscription_delete(*, by: User, subscription_id: int) -> None:
    """Remove a subscription with its delivery log."""
    admin_require(by)
    if not Subscription.objects.filter(pk=subscription_id).delete()[0]:
        raise NotFound(_("Not found."))
    active_forget()
