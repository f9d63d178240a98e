"""Reads of marketing: segments, their live counts and sizes, templates, campaigns, recipients.

Segments and campaigns are filtered by `visible_to(user, "marketing")`; a segment's count and
members, and a campaign's recipients, by the contacts the user sees (`visible_to(user,
"contacts")`), so a representative counts only their own customers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


# The live count is exact while the contact ids span at most SAMPLE_IDS; above, it counts the
# contacts whose id falls in SAMPLE_STRIPES evenly spread id ranges that together cover
# SAMPLE_IDS ids and scales up (each id is in the sample with the same probability, so the
# estimate is unbiased whatever the gaps in the ids; the margin is a 95 % interval).
SAMPLE_IDS = 30_000
SAMPLE_STRIPES = 10


@dataclass(frozen=True)
class LiveCount:
    """The editor's count: exact, or estimated from a sample with a 95 % margin (±)."""

    count: int
    estimated: bool = False
    margin: int = 0
    sampled_share: float = 1.0  # the share of contacts (by id) that was counted


def _id_stripes(low: int, high: int) -> tuple[list[tuple[int, int]], float]:
    span = high - low + 1
    period = span / SAMPLE_STRIPES
    width = max(1, SAMPLE_IDS // SAMPLE_STRIPES)
    starts = [low + int(n * period + (period - width) / 2) for n in range(SAMPLE_STRIPES)]
    return [(start, start + width) for start in starts], min(1.0, width * SAMPLE_STRIPES / span)


def rules_live_count(*, user: User, rules: Any, exact: bool = False) -> LiveCount:
    """The live count of the editor: how many of the contacts `user` sees match `rules` — exact
    for up to SAMPLE_IDS contacts (or when `exact`), else estimated from an evenly spread
    sample of the ids (see SAMPLE_IDS) with its 95 % margin, so the count stays fast at a
    million contacts. FieldError for bad rules."""
    matching = _visible_contacts(user).filter(rules_compile(rules))
    # Two one-row index reads (SQLite scans the table for MIN and MAX in one statement).
    ids = Contact.objects.order_by("pk").values_list("pk", flat=True)
    low, high = ids.first(), ids.last()
    if exact or low is None or high is None or high - low + 1 <= SAMPLE_IDS:
        return LiveCount(count=matching.count())
    stripes, share = _id_stripes(low, high)
    # One count per stripe: each is a range scan of the primary key (an OR of ranges in one
    # statement makes SQLite scan every contact).
    found = sum(matching.filter(pk__gte=a, pk__lt=b).count() for a, b in stripes)
    estimate = round(found / share)
    margin = round(1.96 * math.sqrt(found * (1 - share)) / share) if found else round(1 / share)
    return LiveCount(count=estimate, estimated=True, margin=margin, sampled_share=share)


def rules_count(*, user: User, rules: Any) -> int:
    """How many of the contacts `user` sees match `rules` now, exactly; FieldError for bad
    rules."""
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
