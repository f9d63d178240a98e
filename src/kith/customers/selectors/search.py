"""The quick search across contacts and companies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from kith.core.apps import SearchHit
from kith.customers.models import Company, Contact
from kith.customers.search import search_ids, search_terms
from kith.customers.selectors.lists import COMPANY_PREFIX_FIELDS, CONTACT_PREFIX_FIELDS
from kith.identity.access import visible_to
from kith.identity.models import User


@dataclass
class SearchResults:
    contacts: list[Contact]
    companies: list[Company]


def customers_search(*, user: User, query: str, limit: int = 10) -> SearchResults:
    """Contacts and companies matching `query` by name (any substring of 3+ characters, or the
    start of a name for shorter queries; accents and case ignored), email, phone in any format,
    or company name. Newest first."""
    terms = search_terms(query)
    contact_ids = search_ids(
        Contact,
        visible_to(Contact.objects.all(), user=user, module="contacts"),
        terms,
        prefix_fields=CONTACT_PREFIX_FIELDS,
        limit=limit,
    )
    company_ids = search_ids(
        Company,
        visible_to(Company.objects.all(), user=user, module="companies"),
        terms,
        prefix_fields=COMPANY_PREFIX_FIELDS,
        limit=limit,
    )
    contacts: dict[Any, Contact] = Contact.objects.select_related("company").in_bulk(contact_ids)
    companies: dict[Any, Company] = Company.objects.in_bulk(company_ids)
    return SearchResults(
        contacts=[contacts[i] for i in contact_ids if i in contacts],
        companies=[companies[i] for i in company_ids if i in companies],
    )


def palette_search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """The command palette's contacts and companies: customers_search as hits."""
    found = customers_search(user=user, query=query, limit=limit)
    return [
        SearchHit("contact", gettext_lazy("Contacts"), c.full_name,
                  " · ".join(v for v in (c.company.name if c.company else "", c.primary_email) if v),
                  "contact-detail", (c.pk,))
        for c in found.contacts
    ] + [
        SearchHit("company", gettext_lazy("Companies"), c.name, c.domain, "company-detail", (c.pk,))
        for c in found.companies
    ]  # fmt: skip
