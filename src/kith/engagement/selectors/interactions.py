"""Interactions: lists, one interaction, the newest per record, participants by email."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Contact, ContactPoint
from kith.engagement.models import Interaction
from kith.identity.access import visible_to
from kith.identity.models import User


def interactions_last_at(*, record_model: str, record_ids: list[int]) -> dict[int, datetime]:
    """The time of the newest interaction of each record (records without any are absent);
    one query on interaction_record_idx."""
    if not record_ids:
        return {}
    rows = (
        Interaction.objects.filter(record_model=record_model, record_id__in=record_ids)
        .values("record_id")
        .annotate(last=Max("occurred_at"))
        .values_list("record_id", "last")
    )
    return {record_id: last for record_id, last in rows if record_id is not None}


@dataclass
class InteractionFilters:
    contact_id: int | None = None
    company_id: int | None = None
    record_model: str = ""
    record_id: int | None = None
    kind: str = ""


def interactions_list(
    *, user: User, filters: InteractionFilters, cursor: str | None = None, limit: int = 50
) -> Page[Interaction]:
    """Interactions visible to the user, newest first, one keyset page (2 queries + 2 prefetch)."""
    rows = visible_to(Interaction.objects.all(), user=user, module="interactions")
    if filters.contact_id is not None:
        rows = rows.filter(contact_id=filters.contact_id)
    if filters.company_id is not None:
        rows = rows.filter(company_id=filters.company_id)
    if filters.record_model:
        rows = rows.filter(record_model=filters.record_model, record_id=filters.record_id)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    rows = rows.select_related("owner").prefetch_related(
        "participant_users", "participant_contacts"
    )
    return paginate(
        rows, ordering=Ordering("occurred_at", descending=True), cursor=cursor, limit=limit
    )


def interaction_get(*, user: User, interaction_id: int) -> Interaction:
    """One interaction visible to the user, with its owner; NotFound otherwise."""
    row = (
        visible_to(Interaction.objects.all(), user=user, module="interactions")
        .filter(pk=interaction_id)
        .select_related("owner")
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return row


def contacts_with_emails(*, user: User, emails: Iterable[str]) -> tuple[list[int], list[str]]:
    """The visible contacts having these (normalised, lower-case) email addresses, and the
    addresses no visible contact has. One query."""
    wanted = list(dict.fromkeys(emails))
    if not wanted:
        return [], []
    visible = visible_to(Contact.objects.all(), user=user, module="contacts")
    rows = ContactPoint.objects.filter(
        kind=ContactPoint.Kind.EMAIL, value__in=wanted, contact__in=visible
    ).values_list("contact_id", "value")
    found: dict[str, int] = {}
    for contact_id, value in rows.order_by("contact_id"):
        found.setdefault(value, contact_id)
    return list(dict.fromkeys(found[e] for e in wanted if e in found)), [
        e for e in wanted if e not in found
    ]
