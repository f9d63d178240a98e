"""Reads of leads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.models import Lead

LEAD_ORDERING = Ordering("created_at", descending=True)
# Best first; a lead not scored yet (-1) after every scored one, on both databases.
LEAD_SCORE_ORDERING = Ordering("score_key", descending=True)
LEAD_SORTS = ("created", "score")


@dataclass(frozen=True)
class LeadFilters:
    status: str = ""
    source_channel: str = ""
    owner_id: int | None = None
    campaign: str = ""
    sort: str = "created"  # or "score": the conversion probability, best first


def leads_list(
    *, user: User, filters: LeadFilters = LeadFilters(), cursor: str | None = None, limit: int = 50
) -> Page[Lead]:
    """Newest leads first (or the best score first), one keyset page (1 query: rows with
    owner and team)."""
    leads = visible_to(Lead.objects.all(), user=user, module="leads")
    if filters.status:
        leads = leads.filter(status=filters.status)
    if filters.source_channel:
        leads = leads.filter(source_channel=filters.source_channel)
    if filters.owner_id:
        leads = leads.filter(owner_id=filters.owner_id)
    if filters.campaign:
        leads = leads.filter(campaign=filters.campaign)
    ordering = LEAD_ORDERING
    if filters.sort == "score":
        leads = leads.annotate(score_key=Coalesce("score", Value(-1)))
        ordering = LEAD_SCORE_ORDERING
    return paginate(
        leads.select_related("owner", "team"), ordering=ordering, cursor=cursor, limit=limit
    )


def lead_get(*, user: User, lead_id: int) -> Lead:
    """One visible lead with what it was converted into."""
    lead = (
        visible_to(Lead.objects.all(), user=user, module="leads")
        .select_related("owner", "team", "form", "contact", "company", "deal")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        raise NotFound(_("Not found."))
    return lead
