"""Records engagement can be about (contacts, companies as RecordRefs), their comments,
follows and activity."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.customers.models import Company, Contact
from kith.engagement.models import Comment, Follow, Interaction
from kith.engagement.records import RecordRef, record_get
from kith.engagement.selectors.interactions import InteractionFilters, interactions_list
from kith.identity.access import visible_to
from kith.identity.models import User


def comments_for(*, record_model: str, record_id: int, limit: int = 100) -> list[Comment]:
    """A record's comments, oldest first (the caller checked the record is visible)."""
    rows = (
        Comment.objects.filter(record_model=record_model, record_id=record_id)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(rows))


def is_following(*, user: User, record_model: str, record_id: int) -> bool:
    """Whether the user follows the record."""
    return Follow.objects.filter(user=user, record_model=record_model, record_id=record_id).exists()


def contact_ref(*, user: User, record_id: int) -> RecordRef:
    """A contact as a record engagement can be about; NotFound if not visible."""
    row = (
        visible_to(Contact.objects.all(), user=user, module="contacts")
        .filter(pk=record_id)
        .values_list("full_name", "company_id")
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return RecordRef(
        model="customers.contact", id=record_id, label=row[0],
        url=reverse("contact-detail", args=[record_id]), contact_id=record_id, company_id=row[1],
    )  # fmt: skip


def company_ref(*, user: User, record_id: int) -> RecordRef:
    """A company as a record engagement can be about; NotFound if not visible."""
    name = (
        visible_to(Company.objects.all(), user=user, module="companies")
        .filter(pk=record_id)
        .values_list("name", flat=True)
        .first()
    )
    if name is None:
        raise NotFound(_("Not found."))
    return RecordRef(
        model="customers.company", id=record_id, label=name,
        url=reverse("company-detail", args=[record_id]), company_id=record_id,
    )  # fmt: skip


@dataclass
class RecordActivity:
    record: RecordRef
    interactions: list[Interaction]
    next_cursor: str | None
    comments: list[Comment]
    following: bool
    followers: int


def record_activity(
    *, user: User, record_model: str, record_id: int, cursor: str | None = None, limit: int = 20
) -> RecordActivity:
    """What happened around any record: its interactions the user may see (newest first, with
    participants), its comments and whether the user follows it. NotFound when the record is
    not visible. 6 queries + the record's own lookup."""
    ref = record_get(user=user, record_model=record_model, record_id=record_id)
    page = interactions_list(
        user=user,
        filters=InteractionFilters(record_model=ref.model, record_id=ref.id),
        cursor=cursor,
        limit=limit,
    )
    follows = Follow.objects.filter(record_model=ref.model, record_id=ref.id)
    return RecordActivity(
        record=ref,
        interactions=list(page.items),
        next_cursor=page.next_cursor,
        comments=comments_for(record_model=ref.model, record_id=ref.id),
        following=follows.filter(user=user).exists(),
        followers=follows.count(),
    )
