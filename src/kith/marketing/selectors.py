"""Reads of marketing: segments, their live counts and sizes, templates, campaigns, recipients.

Segments and campaigns are filtered by `visible_to(user, "marketing")`; a segment's count and
members, and a campaign's recipients, by the contacts the user sees (`visible_to(user,
"contacts")`), so a representative counts only their own customers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Contact
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.marketing.models import (
    Campaign,
    CampaignRecipient,
    EmailTemplate,
    Segment,
    SegmentSize,
)
from kith.marketing.rules import rules_compile
from kith.marketing.services.segments import segment_contacts

SEGMENT_ORDERING = Ordering("name")
CAMPAIGN_ORDERING = Ordering("created_at", descending=True)
RECIPIENT_ORDERING = Ordering("id")


def _segments(user: User) -> QuerySet[Segment]:
    return visible_to(Segment.objects.all(), user=user, module="marketing")


def segments_list(*, user: User, cursor: str | None = None, limit: int = 50) -> Page[Segment]:
    """A page of the segments `user` sees, by name."""
    return paginate(
        _segments(user).select_related("owner"),
        ordering=SEGMENT_ORDERING,
        cursor=cursor,
        limit=limit,
    )


def segment_get(*, user: User, segment_id: int) -> Segment:
    """One segment `user` sees; NotFound otherwise."""
    segment = _segments(user).select_related("owner", "team").filter(pk=segment_id).first()
    if segment is None:
        raise NotFound("segment")
    return segment


def _visible_contacts(user: User) -> QuerySet[Contact]:
    return visible_to(Contact.objects.all(), user=user, module="contacts")


def rules_count(*, user: User, rules: Any) -> int:
    """How many of the contacts `user` sees match `rules` now (the live count of the editor);
    FieldError for bad rules."""
    return _visible_contacts(user).filter(rules_compile(rules)).count()


def segment_count(*, user: User, segment: Segment) -> int:
    """How many of the contacts `user` sees are in `segment` now."""
    return segment_contacts(segment).filter(pk__in=_visible_contacts(user).values("pk")).count()


def segment_sample(*, user: User, rules: Any, limit: int = 10) -> list[Contact]:
    """The first contacts (by name) `user` sees that match `rules`."""
    return list(
        _visible_contacts(user).filter(rules_compile(rules)).order_by("sort_name", "id")[:limit]
    )


def segment_members(
    *, user: User, segment: Segment, cursor: str | None = None, limit: int = 50
) -> Page[Contact]:
    """A page of the segment's contacts now that `user` sees, by name."""
    members = segment_contacts(segment).filter(pk__in=_visible_contacts(user).values("pk"))
    return paginate(members, ordering=Ordering("sort_name"), cursor=cursor, limit=limit)


def segment_sizes(*, segment: Segment, days: int = 90) -> list[SegmentSize]:
    """The segment's daily sizes of the last `days` days, oldest first."""
    since = timezone.localdate() - timedelta(days=days)
    return list(SegmentSize.objects.filter(segment=segment, day__gte=since).order_by("day"))


def templates_list() -> list[EmailTemplate]:
    """Every email template with its language versions, by name."""
    return list(EmailTemplate.objects.prefetch_related("versions").order_by("name"))


def _campaigns(user: User) -> QuerySet[Campaign]:
    return visible_to(Campaign.objects.all(), user=user, module="marketing")


def campaigns_list(*, user: User, cursor: str | None = None, limit: int = 50) -> Page[Campaign]:
    """A page of the campaigns `user` sees, newest first."""
    return paginate(
        _campaigns(user).select_related("owner"),
        ordering=CAMPAIGN_ORDERING,
        cursor=cursor,
        limit=limit,
    )


def campaign_get(*, user: User, campaign_id: int) -> Campaign:
    """One campaign `user` sees; NotFound otherwise."""
    campaign = _campaigns(user).select_related("owner", "team").filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("campaign")
    return campaign


def campaign_recipients(
    *,
    user: User,
    campaign: Campaign,
    state: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[CampaignRecipient]:
    """A page of the campaign's recipients whose contact `user` sees, in audience order."""
    rows = CampaignRecipient.objects.filter(
        campaign=campaign, contact__in=_visible_contacts(user)
    ).select_related("contact", "variant")
    if state:
        rows = rows.filter(state=state)
    return paginate(rows, ordering=RECIPIENT_ORDERING, cursor=cursor, limit=limit)
