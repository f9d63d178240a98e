"""API v1 product catalogue."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.sales.schemas import NOT_SENT, PageParams, page_out
from kith.api.schemas import ERRORS
from kith.sales import selectors, services

router = Router()


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
    return page_out(
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
