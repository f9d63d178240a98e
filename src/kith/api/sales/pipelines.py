"""API v1 pipelines and their stages (changes by administrators only)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS
from kith.core.errors import NotFound
from kith.sales import selectors, services

router = Router()


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
