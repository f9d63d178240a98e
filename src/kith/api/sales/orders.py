"""API v1 orders: list, read, create, status, bulk import."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.sales.schemas import PageParams, page_out
from kith.api.schemas import ERRORS, ErrorOut, Ref
from kith.sales import selectors, services
from kith.sales.models import Channel, Order

router = Router()


MAX_IMPORT = 10_000


class OrderOut(Schema):
    id: int
    number: str
    contact: Ref
    ordered_at: datetime
    status: str
    channel: str
    currency: str
    total_minor: int
    refunded_minor: int
    status_reason: str
    version: int

    @staticmethod
    def resolve_contact(order: Order) -> dict[str, Any]:
        return {"id": order.contact_id, "name": order.contact.full_name}


class OrderLineOut(Schema):
    product_id: int
    quantity: int
    unit_price_minor: int


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]

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
    version: int = Field(..., description="the order's version you read (a stale one is a 409)")
    reason: str = Field("", description="required to cancel or refund")
    refund_minor: int | None = Field(
        None, description="amount refunded now, minor units (default: all that is left)"
    )


class OrderUpdateIn(Schema):
    """Only the fields sent change; `lines` replaces all lines. Placed and paid orders only."""

    version: int = Field(..., description="the order's version you read (a stale one is a 409)")
    contact_id: int | None = None
    ordered_at: datetime | None = None
    channel: str | None = None
    currency: str | None = None
    number: str | None = None
    lines: list[LineIn] | None = Field(None, min_length=1)


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


class OrderImportOut(Schema):
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
    return page_out(
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
    "/orders/{int:order_id}/status",
    response={200: OrderDetailOut, 409: ErrorOut, **ERRORS},
    tags=["orders"],
)
def order_status_set(request: ApiRequest, order_id: int, payload: StatusIn) -> Any:
    """Move the order: placed → paid → fulfilled; cancelled, refunded or partially refunded
    with a reason (a refund of less than what is left is partial)."""
    services.order_status_set(
        by=request.auth, order_id=order_id, status=payload.status, version=payload.version,
        reason=payload.reason, refund_minor=payload.refund_minor,
    )  # fmt: skip
    return selectors.order_get(user=request.auth, order_id=order_id)


@router.patch(
    "/orders/{int:order_id}",
    response={200: OrderDetailOut, 409: ErrorOut, **ERRORS},
    tags=["orders"],
)
def order_update(request: ApiRequest, order_id: int, payload: OrderUpdateIn) -> Any:
    """Change an order that is not fulfilled yet."""
    values = payload.model_dump(exclude_unset=True)
    version = values.pop("version")
    lines = values.pop("lines", None)
    services.order_update(
        by=request.auth, order_id=order_id, version=version,
        lines=[services.LineInput(**line) for line in lines] if lines is not None else None,
        **{k: v for k, v in values.items() if v is not None},
    )  # fmt: skip
    return selectors.order_get(user=request.auth, order_id=order_id)


@router.post("/orders/import", response={201: OrderImportOut, **ERRORS}, tags=["orders"])
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
