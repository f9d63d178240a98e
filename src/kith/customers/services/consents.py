"""Consents: a contact grants or withdraws consent per channel and purpose; the newest record
per pair is in force, and every record is in the contact's history."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.core.models import ChangeRecord
from kith.core.validation import choice_check, text_clean
from kith.customers.models import Consent, Contact
from kith.identity.access import for_write
from kith.identity.models import User


def _consent_values_check(*, channel: str, purpose: str, status: str, source: str) -> str:
    """The cleaned source text; raises FieldError for an unknown channel, purpose or status."""
    errors: dict[str, str] = {}
    choice_check(channel, Consent.Channel.values, field="channel", errors=errors)
    choice_check(purpose, Consent.Purpose.values, field="purpose", errors=errors)
    choice_check(status, Consent.Status.values, field="status", errors=errors)
    source = text_clean(source, field="source", limit=120, errors=errors)
    if errors:
        raise FieldError(errors)
    return source


@transaction.atomic
def consent_set(
    *,
    contact: Contact,
    channel: str,
    purpose: str,
    status: str,
    source: str = "",
    by: User | None = None,
    at: datetime | None = None,
) -> Consent:
    """Record a consent of `contact` with its history row; the newest record per pair is in force.

    `by=None` is the system (public web forms, inbound mail): the caller found the contact
    itself and no access is checked. With a user, `by` must see the contact and may edit it.
    `source` says where the consent came from ("web form newsletter"; up to 120 characters).
    """
    source = _consent_values_check(channel=channel, purpose=purpose, status=status, source=source)
    if by is not None:
        contact = for_write(Contact, module="contacts", by=by, pk=contact.pk, right="edit")
    return _consent_write(
        contact=contact,
        channel=channel,
        purpose=purpose,
        status=status,
        source=source,
        by=by,
        at=at,
    )


def _consent_write(
    *,
    contact: Contact,
    channel: str,
    purpose: str,
    status: str,
    source: str,
    by: User | None,
    at: datetime | None,
) -> Consent:
    consent = Consent.objects.create(
        contact=contact,
        channel=channel,
        purpose=purpose,
        status=status,
        source=source,
        at=at or timezone.now(),
    )
    ChangeRecord.objects.create(
        model="customers.contact", object_id=contact.pk, action="update", field=f"consent.{channel}.{purpose}",
        new_value=status, actor=by,
    )  # fmt: skip
    event_record(
        name="consent.changed", record=contact, actor=by,
        payload={"channel": channel, "purpose": purpose, "status": status},
    )  # fmt: skip
    return consent


@transaction.atomic
def consent_record(
    *,
    by: User,
    contact_id: int,
    channel: str,
    purpose: str,
    status: str,
    source: str = "",
    at: datetime | None = None,
) -> Consent:
    """Record that a contact granted or withdrew consent (by a user who may edit the contact)."""
    source = _consent_values_check(channel=channel, purpose=purpose, status=status, source=source)
    contact = for_write(Contact, module="contacts", by=by, pk=contact_id, right="edit")
    return _consent_write(
        contact=contact,
        channel=channel,
        purpose=purpose,
        status=status,
        source=source,
        by=by,
        at=at,
    )
