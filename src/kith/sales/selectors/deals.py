"""Reads of deals: the filtered list, one deal, its form choices and its stage history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Company, Contact
from kith.identity.access import can, visible_to
from kith.identity.models import User
from kith.sales.models import Deal, DealStageChange, Product

DEAL_ORDERING = Ordering("created_at", descending=True)


@dataclass(frozen=True)
class DealFilters:
    owner_id: int | None = None
    team_id: int | None = None
    close_month: date | None = None  # the first day of the month
    outcome: str = ""
    pipeline_id: int | None = None


# No filter: every visible deal (a shared default; DealFilters is frozen).
ALL_DEALS = DealFilters()


def deals_filtered(*, user: User, filters: DealFilters) -> QuerySet[Deal]:
    """The deals `user` may see, narrowed by `filters` (board, list and forecast share it)."""
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    if filters.owner_id:
        deals = deals.filter(owner_id=filters.owner_id)
    if filters.team_id:
        deals = deals.filter(team_id=filters.team_id)
    if filters.close_month:
        start = filters.close_month.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        deals = deals.filter(expected_close__gte=start, expected_close__lt=end)
    if filters.outcome:
        deals = deals.filter(outcome=filters.outcome)
    if filters.pipeline_id:
        deals = deals.filter(pipeline_id=filters.pipeline_id)
    return deals


def deals_list(
    *,
    user: User,
    filters: DealFilters = DealFilters(),
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Deal]:
    """Deals newest first; stage, owner and company joined (one query per page)."""
    deals = deals_filtered(user=user, filters=filters).select_related(
        "stage", "owner", "company", "pipeline", "team"
    )
    return paginate(deals, ordering=DEAL_ORDERING, cursor=cursor, limit=limit)


def deal_get(*, user: User, deal_id: int) -> Deal:
    """One visible deal with its stage, pipeline, owner, company, contacts and products."""
    deal = (
        visible_to(Deal.objects.all(), user=user, module="deals")
        .select_related("stage", "pipeline", "owner", "team", "company")
        .prefetch_related("contacts", "products")
        .filter(pk=deal_id)
        .first()
    )
    if deal is None:
        raise NotFound(_("Not found."))
    return deal


@dataclass
class DealChoices:
    """The company, contacts and products a deal form shows as chosen (visible ones only)."""

    company: Any = None
    contacts: list[Contact] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)


def deal_choices(
    *,
    user: User,
    company_id: int | None = None,
    contact_ids: Iterable[int] = (),
    product_ids: Iterable[int] = (),
) -> DealChoices:
    """What a deal form (or one picker chip) shows as chosen, in the order given; ids the user
    may not see are left out."""
    choices = DealChoices()
    if company_id:
        choices.company = (
            visible_to(Company.objects.all(), user=user, module="companies")
            .filter(pk=company_id)
            .only("id", "name")
            .first()
        )
    ids = list(dict.fromkeys(contact_ids))
    if ids:
        found = visible_to(Contact.objects.filter(pk__in=ids), user=user, module="contacts")
        contacts = {c.pk: c for c in found.only("id", "full_name", "primary_email")}
        choices.contacts = [contacts[i] for i in ids if i in contacts]
    ids = list(dict.fromkeys(product_ids))
    if ids and can(user, "products", "read"):
        products = Product.objects.in_bulk(ids)
        choices.products = [products[i] for i in ids if i in products]
    return choices


@dataclass
class StageStay:
    stage: str
    entered_at: datetime
    left_at: datetime | None
    seconds: int


def deal_stage_history(*, deal: Deal, now: datetime | None = None) -> list[StageStay]:
    """The stages a (visible) deal went through with the time spent in each, oldest first;
    the current stay runs until `now`."""
    now = now or timezone.now()
    changes = list(
        DealStageChange.objects.filter(deal=deal).select_related("to_stage").order_by("at", "id")
    )
    stays: list[StageStay] = []
    for index, change in enumerate(changes):
        left = changes[index + 1].at if index + 1 < len(changes) else None
        end = left or now
        stays.append(
            StageStay(
                stage=change.to_stage.name,
                entered_at=change.at,
                left_at=left,
                seconds=int((end - change.at).total_seconds()),
            )
        )
    return stays
