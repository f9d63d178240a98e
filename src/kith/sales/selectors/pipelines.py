"""Reads of pipelines and their stages."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.sales.models import Deal, Pipeline, Stage


def pipelines_all() -> list[Pipeline]:
    """Every pipeline with its stages in order."""
    return list(
        Pipeline.objects.prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
        )
    )


def pipeline_get(*, pipeline_id: int | None) -> Pipeline:
    """A pipeline (the first one when no id is given)."""
    pipelines = Pipeline.objects.order_by("position", "id")
    pipeline = pipelines.filter(pk=pipeline_id).first() if pipeline_id else pipelines.first()
    if pipeline is None:
        raise NotFound(_("Not found."))
    return pipeline


def stage_deal_counts(*, pipeline: Pipeline) -> dict[int, int]:
    """How many deals (all, whoever owns them) are in each stage of a pipeline: what the
    pipeline editor says before an administrator deletes a stage."""
    rows = Deal.objects.filter(pipeline=pipeline).values("stage_id").annotate(n=Count("id"))
    return {row["stage_id"]: row["n"] for row in rows.order_by()}
