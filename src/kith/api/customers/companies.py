"""Companies: list, detail, create, update, delete."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.customers.records import (
    NOT_SENT,
    CustomValues,
    ListParams,
    OwnedOut,
    list_answer,
    owned_filters,
    owned_json,
    patch_changes,
)
from kith.api.schemas import ERRORS, ErrorOut, Ref, linked_ref
from kith.customers import selectors, services
from kith.customers.models import Company

router = Router()


class CompanyOut(OwnedOut):
    id: int
    name: str
    domain: str
    industry: str
    size: str
    parent: Ref | None

    @staticmethod
    def resolve_parent(company: Company, context: Any) -> dict[str, Any] | None:
        return linked_ref(company.parent, context, module="companies")


class CompanyPage(Schema):
    items: list[CompanyOut]
    next_cursor: str | None
    prev_cursor: str | None


class CompanyListParams(ListParams):
    industry: str = ""
    sort: Literal[tuple(selectors.COMPANY_SORTS)] | None = Field(  # type: ignore[valid-type]
        None, description="default: name, or -created (newest first) when searching"
    )


class CompanyIn(Schema):
    name: str
    domain: str = ""
    industry: str = ""
    size: str = Field("", description="1-9, 10-49, 50-249, 250-999, 1000+ or empty")
    parent_id: int | None = None
    owner_id: int | None = Field(None, description="defaults to the caller")
    tags: list[str] = Field([], description="tag names")
    custom: CustomValues = {}


class CompanyPatch(Schema):
    """Only the fields sent change. `version` is the one you read (409 if it is stale)."""

    version: int
    name: str = NOT_SENT
    domain: str = NOT_SENT
    industry: str = NOT_SENT
    size: str = NOT_SENT
    parent_id: int | None = NOT_SENT
    owner_id: int = NOT_SENT
    tags: list[str] = NOT_SENT
    custom: CustomValues = NOT_SENT


@router.get("/companies", response={200: CompanyPage, **ERRORS}, tags=["companies"])
def companies_list(request: ApiRequest, params: Query[CompanyListParams]) -> Any:
    """Companies the caller may see, one page at a time (`cf_<key>=value` filters custom fields)."""
    filters = selectors.CompanyFilters(**owned_filters(request, params), industry=params.industry)
    return list_answer(
        request, params, filters=filters, select=selectors.companies_list, row=company_json
    )


@router.get("/companies/{int:company_id}", response={200: CompanyOut, **ERRORS}, tags=["companies"])
def company_detail(request: ApiRequest, company_id: int) -> Any:
    return selectors.company_get(user=request.auth, company_id=company_id)


@router.post("/companies", response={201: CompanyOut, **ERRORS}, tags=["companies"])
def company_create(request: ApiRequest, payload: CompanyIn) -> Any:
    company = services.company_create(by=request.auth, **payload.model_dump(exclude_unset=True))
    return Status(201, selectors.company_get(user=request.auth, company_id=company.pk))


@router.patch(
    "/companies/{int:company_id}",
    response={200: CompanyOut, 409: ErrorOut, **ERRORS},
    tags=["companies"],
)
def company_update(request: ApiRequest, company_id: int, payload: CompanyPatch) -> Any:
    version, changes = patch_changes(payload)
    services.company_update(by=request.auth, company_id=company_id, version=version, **changes)
    return selectors.company_get(user=request.auth, company_id=company_id)


@router.delete("/companies/{int:company_id}", response={204: None, **ERRORS}, tags=["companies"])
def company_delete(request: ApiRequest, company_id: int) -> Any:
    services.company_delete(by=request.auth, company_id=company_id)
    return Status(204, None)


def company_json(company: Company, context: Any = None) -> dict[str, Any]:
    """A company from the selectors as CompanyOut renders it."""
    return {
        **owned_json(company),
        "id": company.pk,
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "size": company.size,
        "parent": linked_ref(company.parent, context, module="companies"),
    }
