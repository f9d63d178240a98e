"""API v1 leads: list, read, create, update, delete, convert."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.sales.schemas import NOT_SENT, PageParams, page_out
from kith.api.schemas import ERRORS, ErrorOut, Ref, named_ref, user_ref
from kith.core.errors import FieldError
from kith.insights.lead_scores import lead_score_explain
from kith.sales import selectors, services
from kith.sales.models import Channel, Lead

router = Router()


class LeadOut(Schema):
    id: int
    full_name: str
    email: str
    phone: str
    company_name: str
    website: str
    message: str
    source_channel: str
    campaign: str
    status: str
    disqualified_reason: str
    score: int | None
    owner: Ref
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    version: int
    created_at: datetime

    @staticmethod
    def resolve_owner(lead: Lead) -> dict[str, Any]:
        return user_ref(lead.owner)


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None
    prev_cursor: str | None


class LeadListParams(PageParams):
    status: str = ""
    source_channel: str = ""
    owner_id: int | None = None
    campaign: str = ""
    sort: str = Field("created", description="created (newest first) or score (best first)")


class LeadScoreOut(Schema):
    lead_id: int
    probability: float | None
    percent: int | None
    reasons: list[str]
    model: str
    note: str
    fitted_at: datetime | None


class RouteIn(Schema):
    team_id: int
    capacity: int = Field(services.LEAD_CAPACITY, ge=1, le=10_000)


class RouteOut(Schema):
    routed: dict[int, list[int]]
    kept: list[int]
    reps: int


class LeadIn(Schema):
    full_name: str
    email: str = ""
    phone: str = ""
    company_name: str = ""
    website: str = ""
    message: str = ""
    source_channel: str = Field(Channel.API, description=", ".join(Channel.values))
    campaign: str = ""
    status: str = "new"
    disqualified_reason: str = ""
    owner_id: int | None = None


class LeadPatch(Schema):
    version: int
    full_name: str = NOT_SENT
    email: str = NOT_SENT
    phone: str = NOT_SENT
    company_name: str = NOT_SENT
    website: str = NOT_SENT
    message: str = NOT_SENT
    source_channel: str = NOT_SENT
    campaign: str = NOT_SENT
    status: str = NOT_SENT
    disqualified_reason: str = NOT_SENT
    owner_id: int = NOT_SENT


class ConvertIn(Schema):
    create_deal: bool = False
    deal_name: str = ""
    pipeline_id: int | None = None
    amount_minor: int = Field(0, ge=0)
    currency: str = ""
    expected_close: date | None = None


class ConvertOut(Schema):
    lead_id: int
    contact: Ref
    company: Ref | None
    deal_id: int | None
    contact_created: bool
    company_created: bool


@router.get("/leads", response={200: LeadPage, **ERRORS}, tags=["leads"])
def leads_list(request: ApiRequest, params: Query[LeadListParams]) -> Any:
    """Leads the caller may see, newest first (or `sort=score`: the best chance to convert
    first, unscored last); follow `next_cursor` with `?cursor=`."""
    if params.sort not in selectors.LEAD_SORTS:
        raise FieldError.one(
            "sort", _("Choose one of: %(choices)s.") % {"choices": ", ".join(selectors.LEAD_SORTS)}
        )
    filters = selectors.LeadFilters(
        status=params.status,
        source_channel=params.source_channel,
        owner_id=params.owner_id,
        campaign=params.campaign,
        sort=params.sort,
    )
    return page_out(
        selectors.leads_list(
            user=request.auth, filters=filters, cursor=params.cursor, limit=params.limit
        )
    )


@router.get("/leads/{int:lead_id}", response={200: LeadOut, **ERRORS}, tags=["leads"])
def lead_detail(request: ApiRequest, lead_id: int) -> Any:
    return selectors.lead_get(user=request.auth, lead_id=lead_id)


@router.post("/leads", response={201: LeadOut, **ERRORS}, tags=["leads"])
def lead_create(request: ApiRequest, payload: LeadIn) -> Any:
    lead = services.lead_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.lead_get(user=request.auth, lead_id=lead.pk))


@router.patch(
    "/leads/{int:lead_id}", response={200: LeadOut, 409: ErrorOut, **ERRORS}, tags=["leads"]
)
def lead_update(request: ApiRequest, lead_id: int, payload: LeadPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.lead_update(by=request.auth, lead_id=lead_id, version=version, **changes)
    return selectors.lead_get(user=request.auth, lead_id=lead_id)


@router.delete("/leads/{int:lead_id}", response={204: None, **ERRORS}, tags=["leads"])
def lead_delete(request: ApiRequest, lead_id: int) -> Any:
    services.lead_delete(by=request.auth, lead_id=lead_id)
    return Status(204, None)


@router.post("/leads/{int:lead_id}/convert", response={200: ConvertOut, **ERRORS}, tags=["leads"])
def lead_convert(request: ApiRequest, lead_id: int, payload: ConvertIn) -> Any:
    """Contact + company (existing ones matched by email, phone, domain) + optional deal."""
    result = services.lead_convert(by=request.auth, lead_id=lead_id, **payload.model_dump())
    return {
        "lead_id": result.lead.pk,
        "contact": {"id": result.contact.pk, "name": result.contact.full_name},
        "company": named_ref(result.company),
        "deal_id": result.deal.pk if result.deal else None,
        "contact_created": result.contact_created,
        "company_created": result.company_created,
    }


@router.get("/leads/{int:lead_id}/score", response={200: LeadScoreOut, **ERRORS}, tags=["leads"])
def lead_score(request: ApiRequest, lead_id: int) -> Any:
    """The lead's chance to convert (learned from the base's decided leads), its reasons in
    words, the model that gave it and, for a fallback, what the score is instead."""
    lead = selectors.lead_get(user=request.auth, lead_id=lead_id)
    view = lead_score_explain(lead=lead)
    return {"lead_id": lead.pk, **view.__dict__}


@router.post("/leads/route", response={200: RouteOut, **ERRORS}, tags=["leads"])
def leads_route(request: ApiRequest, payload: RouteIn) -> Any:
    """Hand the team's new leads to its sales reps: best score to the rep with the most free
    capacity (open leads per rep at most `capacity`); leads no rep has room for are kept."""
    result = services.leads_route(
        by=request.auth, team_id=payload.team_id, capacity=payload.capacity
    )
    return {"routed": result.routed, "kept": result.kept, "reps": result.reps}
