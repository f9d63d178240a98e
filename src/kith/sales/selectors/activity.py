"""The activity monitor: stale and overdue deals, and the stage funnel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count
from django.utils import timezone

from kith.engagement.models import Interaction
from kith.engagement.selectors import interactions_last_at
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.models import Deal, DealStageChange, Pipeline, Stage
from kith.sales.selectors.board import deals_for_cards


@dataclass
class StageMetric:
    stage: Stage
    entered: int  # deals that ever entered the stage
    converted_pct: float | None  # share of those that entered the next open/won stage
    avg_days: float | None  # average time spent in the stage before leaving it


@dataclass
class ActivityMonitor:
    stale: list[Deal]
    overdue: list[Deal]
    stages: list[StageMetric]
    stale_days: int


def _last_activity(deal_ids: list[int]) -> dict[int, datetime]:
    """When an interaction (call, email, meeting…) was last logged against each deal."""
    return interactions_last_at(record_model="sales.deal", record_ids=deal_ids)


def sales_activity(
    *,
    user: User,
    pipeline: Pipeline,
    stale_days: int = 14,
    limit: int = 50,
    today: date | None = None,
) -> ActivityMonitor:
    """Open deals with no activity (interaction or stage move) for `stale_days`, open deals
    past their expected close date, and per stage how many deals entered, the share that went
    on to the next stage and the average days spent there."""
    now = timezone.now()
    today = today or timezone.localdate()
    cutoff = now - timedelta(days=stale_days)
    deals = visible_to(Deal.objects.all(), user=user, module="deals").filter(
        pipeline=pipeline, outcome="open"
    )
    # Stale: not moved since the cutoff and no interaction logged against it since then (one
    # query; the subquery reads interaction_record_idx).
    recent = Interaction.objects.filter(
        record_model="sales.deal", record_id__isnull=False, occurred_at__gte=cutoff
    ).values("record_id")
    stale = list(
        deals_for_cards(deals.filter(stage_entered_at__lt=cutoff).exclude(pk__in=recent)).order_by(
            "stage_entered_at", "id"
        )[:limit]
    )
    last = _last_activity([d.pk for d in stale])
    for deal in stale:
        # The later of its last move and its last interaction.
        deal.last_activity_at = max(  # type: ignore[attr-defined]
            filter(None, (deal.stage_entered_at, last.get(deal.pk)))
        )
    overdue = list(
        deals_for_cards(deals.filter(expected_close__lt=today)).order_by("expected_close", "id")[
            :limit
        ]
    )
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    visible_changes = DealStageChange.objects.filter(
        deal_id__in=visible_to(Deal.objects.all(), user=user, module="deals")
        .filter(pipeline=pipeline)
        .values("pk")
    )
    entered = dict(
        visible_changes.values("to_stage_id")
        .annotate(n=Count("deal_id", distinct=True))
        .values_list("to_stage_id", "n")
        .order_by()
    )
    avg_seconds = dict(
        visible_changes.filter(from_stage__isnull=False, seconds_in_from__isnull=False)
        .values("from_stage_id")
        .annotate(avg=Avg("seconds_in_from"))
        .values_list("from_stage_id", "avg")
        .order_by()
    )
    funnel = [s for s in stages if s.outcome != Stage.Outcome.LOST]
    metrics = []
    for stage in stages:
        n = entered.get(stage.pk, 0)
        pct = None
        if stage in funnel and stage.outcome == Stage.Outcome.OPEN and n:
            following = funnel[funnel.index(stage) + 1 :]
            if following:
                pct = round(100 * entered.get(following[0].pk, 0) / n, 1)
        avg = avg_seconds.get(stage.pk)
        metrics.append(
            StageMetric(
                stage=stage,
                entered=n,
                converted_pct=pct,
                avg_days=round(avg / 86400, 1) if avg is not None else None,
            )
        )
    return ActivityMonitor(stale=stale, overdue=overdue, stages=metrics, stale_days=stale_days)
