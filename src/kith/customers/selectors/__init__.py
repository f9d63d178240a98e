"""Reads for companies and contacts, always through the permission gate `visible_to`.

List selectors return one keyset page with a fixed number of queries whatever its size:
the rows (with company, owner and team joined) plus one query per prefetched relation.
One module per concept; the public selectors are re-exported here.
"""

from kith.core.pagination import Page
from kith.customers.selectors.companies import (
    COMPANY_CONTACTS_SHOWN,
    companies_export,
    companies_list,
    company_get,
    company_history,
)
from kith.customers.selectors.contacts import (
    contact_consents,
    contact_get,
    contact_history,
    contact_relationships,
    contacts_export,
    contacts_list,
)
from kith.customers.selectors.lists import (
    COMPANY_SORTS,
    CONTACT_SORTS,
    CompanyFilters,
    ContactFilters,
    ExtraContactFilter,
    OwnedFilters,
    contact_filter_register,
    contact_filters_extra,
    custom_fields_for,
    default_sort,
)
from kith.customers.selectors.lookup import contact_ids_by_point, contacts_by_points
from kith.customers.selectors.search import SearchResults, customers_search

__all__ = [
    "COMPANY_CONTACTS_SHOWN",
    "COMPANY_SORTS",
    "CONTACT_SORTS",
    "CompanyFilters",
    "ContactFilters",
    "ExtraContactFilter",
    "OwnedFilters",
    "Page",
    "SearchResults",
    "companies_export",
    "companies_list",
    "company_get",
    "company_history",
    "contact_consents",
    "contact_filter_register",
    "contact_filters_extra",
    "contact_get",
    "contact_history",
    "contact_ids_by_point",
    "contact_relationships",
    "contacts_by_points",
    "contacts_export",
    "contacts_list",
    "custom_fields_for",
    "customers_search",
    "default_sort",
]
