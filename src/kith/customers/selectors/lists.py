"""What the contact and company lists share: sorts, filters (owner, team, tag, custom fields,
filters registered by higher layers) and one keyset page, searched or not."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from kith.core.custom_fields import custom_fields_of, custom_value_clean
from kith.core.errors import FieldError
from kith.core.models import CustomField
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Contact
from kith.customers.search import NEWEST, apply_search, paginate_search, search_terms

M = TypeVar("M", bound=Model)

# Ids are given in creation order, so "created" sorts by id: the one order that the trigram
# index can also hand over (see kith.customers.search.paginate_search).
CONTACT_SORTS: dict[str, Ordering] = {
    "name": Ordering("order_name"),
    "-name": Ordering("order_name", descending=True),
    "created": Ordering("id"),
    "-created": NEWEST,
}
COMPANY_SORTS: dict[str, Ordering] = {
    "name": Ordering("order_name"),
    "-name": Ordering("order_name", descending=True),
    "created": Ordering("id"),
    "-created": NEWEST,
}
# A list without a chosen sort: by name, or newest first when searching.
DEFAULT_SORT = "name"
SEARCH_DEFAULT_SORT = "-created"
CONTACT_PREFIX_FIELDS = ("first_key", "last_key", "sort_name")
COMPANY_PREFIX_FIELDS = ("sort_name",)
MAX_PAGE = 200


@dataclass
class OwnedFilters:
    """Filters every customer list has."""

    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ContactFilters(OwnedFilters):
    stage: str = ""
    company_id: int | None = None
    # Values of filters that higher layers register (see contact_filter_register), by name.
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass
class CompanyFilters(OwnedFilters):
    industry: str = ""


@dataclass(frozen=True)
class ExtraContactFilter:
    """A contacts-list filter added by a higher layer (insights adds clv_min, segment, …).

    `apply(contacts, value)` narrows the queryset in the same query (a subquery, no extra round
    trip) and raises FieldError naming the filter for a bad value. `kind` is "number" or
    "choice"; `choices()` gives the (value, label) pairs of a choice filter.
    """

    name: str
    label: Any
    kind: str
    apply: Callable[[QuerySet[Contact], str], QuerySet[Contact]]
    choices: Callable[[], Sequence[tuple[str, Any]]] | None = None


_EXTRA_CONTACT_FILTERS: dict[str, ExtraContactFilter] = {}


def contact_filter_register(
    *,
    name: str,
    label: Any,
    apply: Callable[[QuerySet[Contact], str], QuerySet[Contact]],
    kind: str = "number",
    choices: Callable[[], Sequence[tuple[str, Any]]] | None = None,
) -> ExtraContactFilter:
    """Add a contacts-list filter (idempotent per name); call it from an AppConfig.ready()."""
    extra = ExtraContactFilter(name=name, label=label, kind=kind, apply=apply, choices=choices)
    _EXTRA_CONTACT_FILTERS[name] = extra
    return extra


def contact_filters_extra() -> list[ExtraContactFilter]:
    """The registered extra contact filters, in registration order."""
    return list(_EXTRA_CONTACT_FILTERS.values())


def contact_filters_extra_apply(
    contacts: QuerySet[Contact], values: Mapping[str, str]
) -> QuerySet[Contact]:
    """`contacts` narrowed by the registered extra filters named in `values` (blank: ignored)."""
    for name, value in values.items():
        if value in ("", None):
            continue
        extra = _EXTRA_CONTACT_FILTERS.get(name)
        if extra is None:
            raise FieldError.one(name, _("Unknown field."))
        contacts = extra.apply(contacts, str(value))
    return contacts


def custom_fields_for(*, model: str) -> list[CustomField]:
    """Custom field definitions of "customers.contact" or "customers.company"."""
    return custom_fields_of(model)


def _custom_filter(queryset: QuerySet[M], *, model: str, values: Mapping[str, str]) -> QuerySet[M]:
    """Filter on custom field values, each compared as its field's type."""
    if not values:
        return queryset
    definitions = {d.key: d for d in custom_fields_of(model)}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise FieldError.one(
                f"custom.{key}", _("There is no custom field “%(key)s”.") % {"key": key}
            )
        try:
            value = custom_value_clean(definition, raw)
        except ValueError as exc:
            raise FieldError.one(f"custom.{key}", str(exc)) from exc
        if value is not None:
            queryset = queryset.filter(**{f"custom__{key}": value})
    return queryset


def owned_filter(queryset: QuerySet[M], *, model: str, filters: OwnedFilters) -> QuerySet[M]:
    """`queryset` narrowed by owner, team, tag and custom values (not by the search `q`)."""
    if filters.owner_id:
        queryset = queryset.filter(owner_id=filters.owner_id)
    if filters.team_id:
        queryset = queryset.filter(team_id=filters.team_id)
    if filters.tag:
        queryset = queryset.filter(tags__name=filters.tag)
    return _custom_filter(queryset, model=model, values=filters.custom)


def searched(queryset: QuerySet[M], q: str, *, prefix_fields: tuple[str, ...]) -> QuerySet[M]:
    """`queryset` narrowed to the records matching the search `q` (all of them when blank)."""
    if not q.strip():
        return queryset
    return apply_search(queryset, search_terms(q), prefix_fields=prefix_fields)


def default_sort(q: str) -> str:
    """The sort of a list without a chosen one: newest first when searching, else by name."""
    return SEARCH_DEFAULT_SORT if q.strip() else DEFAULT_SORT


def list_page(
    rows: QuerySet[M],
    *,
    q: str,
    sorts: Mapping[str, Ordering],
    sort: str | None,
    cursor: str | None,
    limit: int,
    prefix_fields: tuple[str, ...],
) -> Page[M]:
    """One keyset page of `rows` (already filtered, not searched) matching the search `q`."""
    if (sort or default_sort(q)) not in sorts:
        raise FieldError.one("sort", _("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(sorts)})
    ordering = sorts[sort or default_sort(q)]
    limit = min(limit, MAX_PAGE)
    if q.strip():
        return paginate_search(
            rows,
            search_terms(q),
            ordering=ordering,
            cursor=cursor,
            limit=limit,
            prefix_fields=prefix_fields,
        )
    return paginate(rows, ordering=ordering, cursor=cursor, limit=limit)
