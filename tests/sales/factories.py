"""Sales factories and fixtures: a pipeline, products, deals and orders made by the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kith.sales import services
from kith.sales.models import Deal, Pipeline, Product, Stage
from kith.sales.services import StageInput

STAGES = (
    StageInput("Qualify", 10),
    StageInput("Proposal", 50),
    StageInput("Negotiation", 75),
    StageInput("Won", 100, "won"),
    StageInput("Lost", 0, "lost"),
)


@dataclass
class Funnel:
    pipeline: Pipeline
    qualify: Stage
    proposal: Stage
    negotiation: Stage
    won: Stage
    lost: Stage


def make_pipeline(*, by: Any, name: str = "Sales", currency: str = "USD") -> Funnel:
    pipeline = services.pipeline_create(by=by, name=name, stages=STAGES, currency=currency)
    stages = list(pipeline.stages.order_by("position"))
    return Funnel(pipeline, *stages)


def make_deal(*, by: Any, funnel: Funnel, **kwargs: Any) -> Deal:
    values: dict[str, Any] = {"name": "Deal", "pipeline_id": funnel.pipeline.pk}
    values.update(kwargs)
    return services.deal_create(by=by, **values)


def make_product(*, by: Any, sku: str = "SKU-1", price_minor: int = 1250, **kwargs: Any) -> Product:
    return services.product_create(
        by=by, sku=sku, name=kwargs.pop("name", f"Product {sku}"), price_minor=price_minor, **kwargs
    )
