"""Pipelines and their stages (administrators only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, NotFound
from kith.core.text import clean
from kith.core.translated import translations_clean
from kith.core.validation import choice_check, currency_clean, text_clean
from kith.identity.access import admin_require
from kith.identity.models import User
from kith.sales.models import Deal, DealStageChange, Pipeline, Stage


@dataclass(frozen=True)
class StageInput:
    name: str
    probability: int
    outcome: str = Stage.Outcome.OPEN
    id: int | None = None  # pipeline_update: an existing stage of the pipeline; None adds one
    # the stage's name in the installation's other languages; None keeps what it has
    name_translations: Mapping[str, str] | None = None


@transaction.atomic
def pipeline_create(
    *,
    by: User,
    name: str,
    stages: Sequence[StageInput],
    currency: str = "USD",
    name_translations: Mapping[str, str] | None = None,
) -> Pipeline:
    """A pipeline with its ordered stages (administrators only); needs one won and one lost
    stage so every deal can close."""
    admin_require(by, message=_("Only administrators can change pipelines."))
    errors: dict[str, str] = {}
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    if name and Pipeline.objects.filter(name=name).exists():
        errors["name"] = _("Another pipeline has this name.")
    currency = currency_clean(currency, field="currency", errors=errors)
    _stages_check(stages, errors)
    if errors:
        raise FieldError(errors)
    pipeline = Pipeline.objects.create(
        name=name, currency=currency, position=Pipeline.objects.count(),
        name_translations=translations_clean(name_translations, limit=120),
    )  # fmt: skip
    Stage.objects.bulk_create(
        [
            Stage(
                pipeline=pipeline,
                name=clean(s.name)[:80],
                name_translations=translations_clean(s.name_translations, limit=80),
                position=i,
                probability=s.probability,
                outcome=s.outcome,
            )
            for i, s in enumerate(stages)
        ]
    )
    return pipeline


def _stages_check(stages: Sequence[StageInput], errors: dict[str, str]) -> None:
    for index, stage in enumerate(stages):
        if not clean(stage.name):
            errors[f"stages.{index}.name"] = _("Enter a name.")
        if not 0 <= stage.probability <= 100:
            errors[f"stages.{index}.probability"] = _("Use a percentage from 0 to 100.")
        choice_check(
            stage.outcome, Stage.Outcome.values, field=f"stages.{index}.outcome", errors=errors
        )
    outcomes = [s.outcome for s in stages]
    if "open" not in outcomes or "won" not in outcomes or "lost" not in outcomes:
        errors["stages"] = _("A pipeline needs open stages, a won stage and a lost stage.")


def _pipeline_snapshot(pipeline: Pipeline) -> dict[str, str]:
    stages = pipeline.stages.order_by("position", "id")
    return {
        "name": pipeline.name,
        "names": "; ".join(f"{k}: {v}" for k, v in sorted(pipeline.name_translations.items())),
        "currency": pipeline.currency,
        "stages": "; ".join(f"{s.name} {s.probability}% {s.outcome}" for s in stages),
    }


@transaction.atomic
def pipeline_update(
    *,
    by: User,
    pipeline_id: int,
    name: str | None = None,
    currency: str | None = None,
    stages: Sequence[StageInput] | None = None,
    name_translations: Mapping[str, str] | None = None,
) -> Pipeline:
    """Rename a pipeline, change its currency, and (with `stages`, in their new order) rename,
    reorder, re-weight and add stages; stages left out are deleted (with the stage-history
    entries that name them), which is refused while deals are in them. Administrators only.
    A stage whose won/lost flag changes takes its deals along (their outcome and closed date
    follow); its probability is the default of deals that enter it later, existing deals keep
    theirs."""
    admin_require(by, message=_("Only administrators can change pipelines."))
    pipeline = Pipeline.objects.select_for_update().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("Not found."))
    before = _pipeline_snapshot(pipeline)
    errors: dict[str, str] = {}
    if name is not None:
        name = text_clean(name, field="name", limit=120, errors=errors, required=True)
        if name and Pipeline.objects.filter(name=name).exclude(pk=pipeline.pk).exists():
            errors["name"] = _("Another pipeline has this name.")
        pipeline.name = name
    if name_translations is not None:
        pipeline.name_translations = translations_clean(name_translations, limit=120)
    if currency is not None:
        pipeline.currency = currency_clean(currency, field="currency", errors=errors)
    existing = {stage.pk: stage for stage in pipeline.stages.all()}
    removed = _stages_removed(stages, existing, errors) if stages is not None else []
    if errors:
        raise FieldError(errors)
    pipeline.save()
    if stages is not None:
        _stages_save(pipeline, stages, existing, removed)
    changes_record(instance=pipeline, actor=by, before=before, after=_pipeline_snapshot(pipeline))
    return pipeline


def _stages_removed(
    stages: Sequence[StageInput], existing: dict[int, Stage], errors: dict[str, str]
) -> list[Stage]:
    """Check the new stage list against the pipeline's stages; the stages it leaves out
    (an error while deals are in one of them)."""
    _stages_check(stages, errors)
    kept = [s.id for s in stages if s.id is not None]
    for index, stage in enumerate(stages):
        if stage.id is not None and stage.id not in existing:
            errors[f"stages.{index}.id"] = _("This stage is not in this pipeline.")
    if len(set(kept)) != len(kept):
        errors["stages"] = _("A stage is listed twice.")
    removed = [row for pk, row in existing.items() if pk not in kept]
    busy = set(Deal.objects.filter(stage__in=removed).values_list("stage_id", flat=True).distinct())
    for row in removed:
        if row.pk in busy:
            errors["stages"] = _(
                "The stage “%(name)s” still has deals: move them before deleting it."
            ) % {"name": row.name}
    return removed


def _stages_save(
    pipeline: Pipeline,
    stages: Sequence[StageInput],
    existing: dict[int, Stage],
    removed: list[Stage],
) -> None:
    """Delete the removed stages (and the stage history naming them), then update and add the
    listed ones in order; a stage whose won/lost flag changes takes its deals along."""
    now = timezone.now()
    DealStageChange.objects.filter(Q(from_stage__in=removed) | Q(to_stage__in=removed)).delete()
    Stage.objects.filter(pk__in=[s.pk for s in removed]).delete()
    for position, item in enumerate(stages):
        current = existing.get(item.id) if item.id is not None else None
        if current is None:
            Stage.objects.create(
                pipeline=pipeline, name=clean(item.name)[:80], position=position,
                probability=item.probability, outcome=item.outcome,
                name_translations=translations_clean(item.name_translations, limit=80),
            )  # fmt: skip
            continue
        flag_changed = current.outcome != item.outcome
        current.name, current.position = clean(item.name)[:80], position
        current.probability, current.outcome = item.probability, item.outcome
        if item.name_translations is not None:
            current.name_translations = translations_clean(item.name_translations, limit=80)
        current.save()
        if flag_changed:
            deals = Deal.objects.filter(stage=current)
            if item.outcome == Stage.Outcome.OPEN:
                deals.update(outcome=item.outcome, closed_at=None)
            else:
                deals.filter(closed_at__isnull=True).update(closed_at=now)
                deals.update(outcome=item.outcome)


@transaction.atomic
def pipeline_delete(*, by: User, pipeline_id: int) -> None:
    """Delete a pipeline and its stages (administrators only); refused while it has deals."""
    admin_require(by, message=_("Only administrators can change pipelines."))
    pipeline = Pipeline.objects.select_for_update().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("Not found."))
    if Deal.objects.filter(pipeline=pipeline).exists():
        raise FieldError.one(
            "pipeline", _("This pipeline still has deals: move or delete them first.")
        )
    changes_record(instance=pipeline, actor=by, before=_pipeline_snapshot(pipeline), after=None)
    pipeline.delete()
