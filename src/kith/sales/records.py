"""Deals and leads as records engagement can be about (interactions, tasks, comments, follows);
registered with kith.engagement.records in SalesConfig.ready()."""

from __future__ import annotations

from django.urls import reverse

from kith.customers.models import Company
from kith.engagement.records import RecordRef
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.selectors import deal_get, lead_get


def deal_ref(*, user: User, record_id: int) -> RecordRef:
    """A deal the user may see (NotFound otherwise)."""
    deal = deal_get(user=user, deal_id=record_id)
    company_id = deal.company_id
    if company_id is not None and not (
        visible_to(Company.objects.all(), user=user, module="companies")
        .filter(pk=company_id)
        .exists()
    ):
        company_id = None
    return RecordRef(
        model="sales.deal", id=deal.pk, label=str(deal),
        url=reverse("deal-detail", args=[deal.pk]), company_id=company_id,
    )  # fmt: skip


def lead_ref(*, user: User, record_id: int) -> RecordRef:
    """A lead the user may see (NotFound otherwise)."""
    lead = lead_get(user=user, lead_id=record_id)
    return RecordRef(
        model="sales.lead", id=lead.pk, label=str(lead),
        url=reverse("lead-detail", args=[lead.pk]),
    )  # fmt: skip
