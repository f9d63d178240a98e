"""API v1: leads, pipelines, deals, products, orders. Reads go through kith.sales.selectors and
writes through kith.sales.services, which apply the permission gate: a record outside the
caller's scope is a 404, the same as a missing one. Money is in minor units (cents)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, ErrorOut, Ref, named_ref, user_ref
from kith.core.errors import NotFound
from kith.sales import selectors, services
from kith.sales.models import Channel, Deal, Lead, Order

router = Router(tags=["sales"])

MAX_PAGE_SIZE = 200
MAX_IMPORT = 10_000
NOT_SENT: Any = None


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _page(page: Any) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


# --- leads --------------------------------------------------------------------------------------


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
    """Leads the caller may see, newest first; follow `next_cursor` with `?cursor=`."""
    filters = selectors.LeadFilters(
        status=params.status,
        source_channel=params.source_channel,
        owner_id=params.owner_id,
        campaign=params.campaign,
    )
    return _page(
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


# --- pipelines ----------------------------------------------------------------------------------


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    outcome: str


class PipelineOut(Schema):
    id: int
    name: str
    currency: str
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(pipeline: Any) -> list[Any]:
        return list(pipeline.stages.all())


class StageIn(Schema):
    name: str
    probability: int = Field(..., ge=0, le=100)
    outcome: str = "open"


class PipelineIn(Schema):
    name: str
    currency: str = "USD"
    stages: list[StageIn] = Field(..., min_length=3)


class StagePatch(StageIn):
    id: int | None = None  # an existing stage of the pipeline; omit to add a stage


class PipelinePatch(Schema):
    name: str | None = None
    currency: str | None = None
    # The whole list in the new order: stages left out are deleted (refused while they hold deals).
    stages: list[StagePatch] | None = None


@router.get("/pipelines", response={200: list[PipelineOut], **ERRORS}, tags=["deals"])
def pipelines_list(request: ApiRequest) -> Any:
    return selectors.pipelines_all()


@router.post("/pipelines", response={201: PipelineOut, **ERRORS}, tags=["deals"])
def pipeline_create(request: ApiRequest, payload: PipelineIn) -> Any:
    """Administrators only; needs open stages, a won and a lost stage."""
    pipeline = services.pipeline_create(
        by=request.auth,
        name=payload.name,
        currency=payload.currency,
        stages=[services.StageInput(s.name, s.probability, s.outcome) for s in payload.stages],
    )
    return Status(201, pipeline)


@router.get("/pipelines/{int:pipeline_id}", response={200: PipelineOut, **ERRORS}, tags=["deals"])
def pipeline_detail(request: ApiRequest, pipeline_id: int) -> Any:
    pipeline = selectors.pipeline_get(pipeline_id=pipeline_id)
    if pipeline.pk != pipeline_id:
        raise NotFound()
    return pipeline


@router.delete("/pipelines/{int:pipeline_id}", response={204: None, **ERRORS}, tags=["deals"])
def pipeline_delete(request: ApiRequest, pipeline_id: int) -> Any:
    """Administrators only; refused (422) while the pipeline has deals."""
    services.pipeline_delete(by=request.auth, pipeline_id=pipeline_id)
    return Status(204, None)


@router.patch("/pipelines/{int:pipeline_id}", response={200: PipelineOut, **ERRORS}, tags=["deals"])
def pipeline_update(request: ApiRequest, pipeline_id: int, payload: PipelinePatch) -> Any:
    """Administrators only: rename, change currency, rename/reorder/add/delete stages."""
    stages = None
    if payload.stages is not None:
        stages = [
            services.StageInput(s.name, s.probability, s.outcome, s.id) for s in payload.stages
        ]
    return services.pipeline_update(
        by=request.auth, pipeline_id=pipeline_id, name=payload.name,
        currency=payload.currency, stages=stages,
    )  # fmt: skip


# --- deals --------------------------------------------------------------------------------------


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
    def resolve_company(deal: Deal) -> dict[str, Any] | None:
        return named_ref(deal.company)

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
    return _page(
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


# --- products -----------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    price_minor: int
    currency: str
    is_active: bool


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None
    prev_cursor: str | None


class ProductListParams(PageParams):
    q: str = ""
    category: str = ""


class ProductIn(Schema):
    sku: str
    name: str
    price_minor: int = Field(..., ge=0)
    currency: str = "USD"
    category: str = ""
    is_active: bool = True


class ProductPatch(Schema):
    sku: str = NOT_SENT
    name: str = NOT_SENT
    price_minor: int = NOT_SENT
    currency: str = NOT_SENT
    category: str = NOT_SENT
    is_active: bool = NOT_SENT


@router.get("/products", response={200: ProductPage, **ERRORS}, tags=["products"])
def products_list(request: ApiRequest, params: Query[ProductListParams]) -> Any:
    return _page(
        selectors.products_list(
            user=request.auth,
            q=params.q,
            category=params.category,
            cursor=params.cursor,
            limit=params.limit,
        )
    )


@router.get("/products/{int:product_id}", response={200: ProductOut, **ERRORS}, tags=["products"])
def product_detail(request: ApiRequest, product_id: int) -> Any:
    return selectors.product_get(user=request.auth, product_id=product_id)


@router.post("/products", response={201: ProductOut, **ERRORS}, tags=["products"])
def product_create(request: ApiRequest, payload: ProductIn) -> Any:
    return Status(201, services.product_create(by=request.auth, **payload.model_dump()))


@router.patch("/products/{int:product_id}", response={200: ProductOut, **ERRORS}, tags=["products"])
def product_update(request: ApiRequest, product_id: int, payload: ProductPatch) -> Any:
    return services.product_update(
        by=request.auth, product_id=product_id, **payload.model_dump(exclude_unset=True)
    )


# --- orders -------------------------------------------------------------------------------------


class OrderOut(Schema):
    id: int
    number: str
    contact: Ref
    ordered_at: datetime
    status: str
    channel: str
    currency: str
    total_minor: int

    @staticmethod
    def resolve_contact(order: Order) -> dict[str, Any]:
        return {"id": order.contact_id, "name": order.contact.full_name}


class LineOut(Schema):
    product_id: int
    quantity: int
    unit_price_minor: int


class OrderDetailOut(OrderOut):
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(order: Order) -> list[Any]:
        return list(order.lines.all())


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None
    prev_cursor: str | None


class OrderListParams(PageParams):
    contact_id: int | None = None
    status: str = ""
    channel: str = ""
    owner_id: int | None = None


class LineIn(Schema):
    product_id: int
    quantity: int = Field(..., ge=1)
    unit_price_minor: int | None = Field(None, ge=0, description="default: the product's price")


class OrderIn(Schema):
    contact_id: int
    ordered_at: datetime | None = None
    status: str = "paid"
    channel: str = Channel.API
    currency: str = "USD"
    number: str = ""
    lines: list[LineIn] = Field(..., min_length=1)


class StatusIn(Schema):
    status: str = Field(..., description=", ".join(Order.Status.values))


class ImportLineIn(Schema):
    product_id: int
    quantity: int
    unit_price_minor: int


class ImportOrderIn(Schema):
    contact_id: int
    ordered_at: datetime
    status: str = "paid"
    channel: str = Channel.IMPORT
    currency: str = "USD"
    number: str = ""
    lines: list[ImportLineIn]


class ImportIn(Schema):
    orders: list[ImportOrderIn] = Field(..., min_length=1, max_length=MAX_IMPORT)


class ImportOut(Schema):
    orders: int
    lines: int


@router.get("/orders", response={200: OrderPage, **ERRORS}, tags=["orders"])
def orders_list(request: ApiRequest, params: Query[OrderListParams]) -> Any:
    """Orders newest first; `contact_id` gives a customer's order history."""
    filters = selectors.OrderFilters(
        contact_id=params.contact_id,
        status=params.status,
        channel=params.channel,
        owner_id=params.owner_id,
    )
    return _page(
        selectors.orders_list(
            user=request.auth, filters=filters, cursor=params.cursor, limit=params.limit
        )
    )


@router.get("/orders/{int:order_id}", response={200: OrderDetailOut, **ERRORS}, tags=["orders"])
def order_detail(request: ApiRequest, order_id: int) -> Any:
    return selectors.order_get(user=request.auth, order_id=order_id)


@router.post("/orders", response={201: OrderDetailOut, **ERRORS}, tags=["orders"])
def order_create(request: ApiRequest, payload: OrderIn) -> Any:
    values = payload.model_dump()
    lines = [services.LineInput(**line) for line in values.pop("lines")]
    order = services.order_create(by=request.auth, lines=lines, **values)
    return Status(201, selectors.order_get(user=request.auth, order_id=order.pk))


@router.post(
    "/orders/{int:order_id}/status", response={200: OrderDetailOut, **ERRORS}, tags=["orders"]
)
def order_status_set(request: ApiRequest, order_id: int, payload: StatusIn) -> Any:
    services.order_status_set(by=request.auth, order_id=order_id, status=payload.status)
    return selectors.order_get(user=request.auth, order_id=order_id)


@router.post("/orders/import", response={201: ImportOut, **ERRORS}, tags=["orders"])
def orders_import(request: ApiRequest, payload: ImportIn) -> Any:
    """Up to 10,000 orders at once, all or nothing; errors name the order ("orders.3.…")."""
    result = services.orders_import(
        by=request.auth,
        orders=[
            services.OrderImport(
                contact_id=o.contact_id,
                ordered_at=o.ordered_at,
                status=o.status,
                channel=o.channel,
                currency=o.currency.upper(),
                number=o.number,
                lines=[(li.product_id, li.quantity, li.unit_price_minor) for li in o.lines],
            )
            for o in payload.orders
        ],
    )
    return Status(201, {"orders": result.orders, "lines": result.lines})
