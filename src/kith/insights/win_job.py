"""The win-probability job: read the closed and open deals, fit (kith.insights.engine.
win_probability), store one score per open deal and the run's metrics.

A closed deal is described as it stood in its last open stage (the stage it left to close,
from its stage history) and only the activities logged before it closed count; an open deal as
it stands now. Deals closed without a recorded last open stage are left out of the fit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from kith.engagement.models import Interaction
from kith.insights.engine.win_probability import WinModel, win_score, win_train
from kith.insights.win_models import DealWinScore, WinModelRun
from kith.sales.models import Deal, DealStageChange, Lead

DAY = 86400.0


def _activity(deal_ids: list[int]) -> dict[int, list[dt.datetime]]:
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    for record_id, at in (
        Interaction.objects.filter(record_model="sales.deal", record_id__in=deal_ids)
        .values_list("record_id", "occurred_at")
        .iterator(chunk_size=5000)
    ):
        times[int(record_id)].append(at)
    return times


def _channels(deal_ids: list[int]) -> dict[int, str]:
    return dict(
        Lead.objects.filter(deal_id__in=deal_ids)
        .exclude(source_channel="")
        .values_list("deal_id", "source_channel")
    )


def _row(
    deal: dict[str, Any],
    *,
    at: dt.datetime,
    stage_probability: int,
    stage_position: int,
    stage_since: dt.datetime | None,
    acts: list[dt.datetime],
    channel: str,
) -> dict[str, Any]:
    before = [a for a in acts if a <= at]
    last = max(before) if before else None
    created = deal["created_at"]
    return {
        "deal_id": deal["id"],
        "owner_id": deal["owner_id"],
        "amount": float(deal["amount_minor"]),
        "stage_probability": float(stage_probability),
        "stage_position": float(stage_position),
        "days_in_stage": max(0.0, (at - (stage_since or created)).total_seconds() / DAY),
        "days_in_pipeline": max(0.0, (at - created).total_seconds() / DAY),
        "activities": float(len(before)),
        # No activity at all: as old as the deal.
        "days_since_activity": max(0.0, (at - (last or created)).total_seconds() / DAY),
        "source_channel": channel,
    }


FIELDS = ("id", "owner_id", "amount_minor", "created_at", "closed_at", "outcome")


def closed_deals_frame() -> pl.DataFrame:
    """One row per closed deal with a recorded last open stage (columns of win_train)."""
    closing: dict[int, dict[str, Any]] = {}
    for change in (
        DealStageChange.objects.filter(to_stage__outcome__in=("won", "lost"))
        .filter(from_stage__isnull=False)
        .values(
            "deal_id",
            "at",
            "seconds_in_from",
            "from_stage__probability",
            "from_stage__position",
        )
        .order_by("deal_id", "at", "id")
    ):
        closing[change["deal_id"]] = change  # the last closing move wins
    deals = list(
        Deal.objects.filter(outcome__in=("won", "lost"), pk__in=list(closing)).values(*FIELDS)
    )
    ids = [d["id"] for d in deals]
    acts, channels = _activity(ids), _channels(ids)
    rows = []
    for deal in deals:
        change = closing[deal["id"]]
        at = deal["closed_at"] or change["at"]
        seconds = change["seconds_in_from"]
        since = at - dt.timedelta(seconds=seconds) if seconds is not None else None
        row = _row(
            deal,
            at=at,
            stage_probability=change["from_stage__probability"],
            stage_position=change["from_stage__position"],
            stage_since=since,
            acts=acts.get(deal["id"], []),
            channel=channels.get(deal["id"], ""),
        )
        row["won"] = 1 if deal["outcome"] == "won" else 0
        row["closed_at"] = at
        rows.append(row)
    return _frame(rows, closed=True)


def open_deals_frame(*, now: dt.datetime | None = None) -> pl.DataFrame:
    now = now or timezone.now()
    deals = list(
        Deal.objects.filter(outcome="open").values(
            *FIELDS, "stage__probability", "stage__position", "stage_entered_at"
        )
    )
    ids = [d["id"] for d in deals]
    acts, channels = _activity(ids), _channels(ids)
    rows = [
        _row(
            deal,
            at=now,
            stage_probability=deal["stage__probability"],
            stage_position=deal["stage__position"],
            stage_since=deal["stage_entered_at"],
            acts=acts.get(deal["id"], []),
            channel=channels.get(deal["id"], ""),
        )
        for deal in deals
    ]
    return _frame(rows, closed=False)


def _frame(rows: list[dict[str, Any]], *, closed: bool) -> pl.DataFrame:
    schema: dict[str, Any] = {
        "deal_id": pl.Int64,
        "owner_id": pl.Int64,
        "amount": pl.Float64,
        "stage_probability": pl.Float64,
        "stage_position": pl.Float64,
        "days_in_stage": pl.Float64,
        "days_in_pipeline": pl.Float64,
        "activities": pl.Float64,
        "days_since_activity": pl.Float64,
        "source_channel": pl.Utf8,
    }
    if closed:
        schema |= {"won": pl.Int64, "closed_at": pl.Datetime(time_zone="UTC")}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def win_scores_run(*, now: dt.datetime | None = None) -> WinModelRun:
    """Fit on every closed deal, score every open deal, replace the stored scores."""
    now = now or timezone.now()
    model: WinModel = win_train(closed_deals_frame())
    open_frame = open_deals_frame(now=now)
    probabilities, drivers = win_score(model, open_frame)
    with transaction.atomic():
        run = WinModelRun.objects.create(
            fitted_at=now,
            kind=model.kind,
            reason=model.reason,
            metrics=model.metrics,
            deals_scored=open_frame.height,
        )
        DealWinScore.objects.all().delete()
        DealWinScore.objects.bulk_create(
            [
                DealWinScore(
                    deal_id=deal_id,
                    run=run,
                    probability=float(p),
                    drivers=[[name, round(value, 4)] for name, value in d],
                )
                for deal_id, p, d in zip(
                    open_frame["deal_id"].to_list(), probabilities, drivers, strict=True
                )
            ],
            batch_size=2000,
        )
    return run
