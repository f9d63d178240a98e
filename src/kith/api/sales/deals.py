"""API v1 deals: list, read, create, update, move between stages, delete."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.sales.schemas import NOT_SENT, PageParams, page_out
from kith.api.schemas import ERRORS, ErrorOut, Ref, linked_ref, user_ref
from kith.sales import selectors, services
from kith.sales.models import Deal

router = Router()


class DealOut(Schema):
    id: int
    name: str
    pipeline_id: int
    stage: Ref
    outcome: str
    amount_minor: int
    currency: str
    probability: int
    expected_close: date | None
    company: Ref | None
    owner: Ref
    lost_reason: str
    stage_entered_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime

    @staticmethod
    def resolve_stage(deal: Deal) -> dict[str, Any]:
        return {"id": deal.stage.pk, "name": deal.stage.name}

    @staticmethod
    def resolve_company(deal: Deal, context: Any) -> dict[str, Any] | None:
        return linked_ref(deal.company, context, module="companies")

    @staticmethod
    def resolve_owner(deal: Deal) -> dict[str, Any]:
        return user_ref(deal.owner)


class DealDetailOut(DealOut):
    contact_ids: list[int]
    product_ids: list[int]

    @staticmethod
    def resolve_contact_ids(deal: Deal) -> list[int]:
        return [c.pk for c in deal.contacts.all()]

    @staticmethod
    def resolve_product_ids(deal: Deal) -> list[int]:
        return [p.pk for p in deal.products.all()]


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None
    prev_cursor: str | None


class DealListParams(PageParams):
    pipeline_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    outcome: str = Field("", description="open, won or lost")
    close_month: date | None = Field(None, description="any day of the expected close month")


class DealIn(Schema):
    name: str
    pipeline_id: int
    stage_id: int | None = None
    amount_minor: int = Field(0, ge=0)
    currency: str = ""
    probability: int | None = Field(None, ge=0, le=100)
    expected_close: date | None = None
    company_id: int | None = None
    contact_ids: list[int] = []
    product_ids: list[int] = []
    owner_id: int | None = None


class DealPatch(Schema):
    version: int
    name: str = NOT_SENT
    amount_minor: int = NOT_SENT
    currency: str = NOT_SENT
    probability: int = NOT_SENT
    expected_close: date | None = NOT_SENT
    company_id: int | None = NOT_SENT
    contact_ids: list[int] = NOT_SENT
    product_ids: list[int] = NOT_SENT
    lost_reason: str = NOT_SENT
    owner_id: int = NOT_SENT


class MoveIn(Schema):
    stage_id: int
    lost_reason: str = ""


@router.get("/deals", response={200: DealPage, **ERRORS}, tags=["deals"])
def deals_list(request: ApiRequest, params: Query[DealListParams]) -> Any:
    filters = selectors.DealFilters(
        owner_id=params.owner_id,
        team_id=params.team_id,
        close_month=params.close_month,
        outcome=params.outcome,
        pipeline_id=params.pipeline_id,
    )
    return page_out(
        selectors.deals_list(
            user=request.auth, filters=filters, cursor=params.cursor, limit=params.limit
        )
    )


@router.get("/deals/{int:deal_id}", response={200: DealDetailOut, **ERRORS}, tags=["deals"])
def deal_detail(request: ApiRequest, deal_id: int) -> Any:
    return selectors.deal_get(user=request.auth, deal_id=deal_id)


@router.post("/deals", response={201: DealDetailOut, **ERRORS}, tags=["deals"])
def deal_create(request: ApiRequest, payload: DealIn) -> Any:
    deal = services.deal_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.deal_get(user=request.auth, deal_id=deal.pk))


@router.patch(
    "/deals/{int:deal_id}", response={200: DealDetailOut, 409: ErrorOut, **ERRORS}, tags=["deals"]
)
def deal_update(request: ApiRequest, deal_id: int, payload: DealPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.deal_update(by=request.auth, deal_id=deal_id, version=version, **changes)
    return selectors.deal_get(user=request.auth, deal_id=deal_id)


@router.post("/deals/{int:deal_id}/move", response={200: DealDetailOut, **ERRORS}, tags=["deals"])
def deal_move(request: ApiRequest, deal_id: int, payload: MoveIn) -> Any:
    """Move the deal to another stage of its pipeline (records the stage history)."""
    services.deal_move(
        by=request.auth,
        deal_id=deal_id,
        stage_id=payload.stage_id,
        lost_reason=payload.lost_reason,
    )
    return selectors.deal_get(user=request.auth, deal_id=deal_id)


@router.delete("/deals/{int:deal_id}", response={204: None, **ERRORS}, tags=["deals"])
def deal_delete(request: ApiRequest, deal_id: int) -> Any:
    services.deal_delete(by=request.auth, deal_id=deal_id)
    return Status(204, None)
