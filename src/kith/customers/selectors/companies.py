"""Reads of companies: the list page, one company with its contacts and subsidiaries, its
history, the export."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from kith.core.audit import history_for
from kith.core.errors import NotFound
from kith.core.models import ChangeRecord, Tag
from kith.core.pagination import Page
from kith.customers.models import Company, Contact
from kith.customers.selectors.lists import (
    COMPANY_PREFIX_FIELDS,
    COMPANY_SORTS,
    CompanyFilters,
    list_page,
    owned_filter,
    searched,
)
from kith.identity.access import require, visible_to
from kith.identity.models import User

# A company page shows its first contacts; the full list is the contacts list filtered by company.
COMPANY_CONTACTS_SHOWN = 20


def _companies_filtered(
    *, user: User, filters: CompanyFilters, search: bool = True
) -> QuerySet[Company]:
    companies = visible_to(Company.objects.all(), user=user, module="companies")
    if filters.industry:
        companies = companies.filter(industry=filters.industry)
    companies = owned_filter(companies, model="customers.company", filters=filters)
    if search:
        companies = searched(companies, filters.q, prefix_fields=COMPANY_PREFIX_FIELDS)
    return companies


def _company_rows(companies: QuerySet[Company]) -> QuerySet[Company]:
    return (
        companies.select_related("parent", "owner", "team")
        .defer("search_text", "parent__search_text", "owner__password")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name"), to_attr="tag_list")
        )
    )


def companies_export(
    *, user: User, filters: CompanyFilters | None = None, batch: int = 2000
) -> Iterator[Company]:
    """Every company of the filtered list, for export; needs the export right. Streams in batches."""
    require(user, "companies", "export")
    companies = _companies_filtered(user=user, filters=filters or CompanyFilters())
    return (
        companies.select_related("owner", "parent")
        .defer("search_text", "parent__search_text", "owner__password")
        .order_by("order_name", "pk")
        .iterator(chunk_size=batch)
    )


def companies_list(
    *,
    user: User,
    filters: CompanyFilters | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Company]:
    """One page of the companies `user` may see, filtered and sorted (sort None: by name, or
    newest first when searching)."""
    filters = filters or CompanyFilters()
    return list_page(
        _company_rows(_companies_filtered(user=user, filters=filters, search=False)),
        q=filters.q,
        sorts=COMPANY_SORTS,
        sort=sort,
        cursor=cursor,
        limit=limit,
        prefix_fields=COMPANY_PREFIX_FIELDS,
    )


def company_get(*, user: User, company_id: int) -> Company:
    """One company with parent, owner, team, tags, its visible subsidiaries and its first
    COMPANY_CONTACTS_SHOWN visible contacts (`visible_contacts`)."""
    visible_contacts = visible_to(Contact.objects.all(), user=user, module="contacts").order_by(
        "order_name", "pk"
    )[:COMPANY_CONTACTS_SHOWN]
    visible_subsidiaries = visible_to(
        Company.objects.all(), user=user, module="companies"
    ).order_by("order_name", "pk")
    company = (
        _company_rows(visible_to(Company.objects.all(), user=user, module="companies"))
        .prefetch_related(
            Prefetch("contacts", queryset=visible_contacts, to_attr="visible_contacts"),
            Prefetch("subsidiaries", queryset=visible_subsidiaries, to_attr="visible_subsidiaries"),
            "addresses",
        )
        .filter(pk=company_id)
        .first()
    )
    if company is None:
        raise NotFound(_("Not found."))
    return company


def company_history(*, user: User, company: Company, limit: int = 100) -> list[ChangeRecord]:
    """The newest changes of a company the user can see."""
    if not visible_to(
        Company.objects.filter(pk=company.pk), user=user, module="companies"
    ).exists():
        raise NotFound(_("Not found."))
    return history_for(model="customers.company", object_id=company.pk, limit=limit)
