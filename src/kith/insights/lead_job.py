"""The lead-scoring job: read the leads, fit on the decided ones (converted against
disqualified; kith.insights.engine.lead_scoring), store each open lead's probability with its
drivers, put it on the lead (score in percent, which the lead list sorts by) and keep the run's
metrics.

Features, as each lead stood when it was decided (converted_at, or its last change for a
disqualified lead) or as it stands now when open: source channel and campaign; size and industry
of the company already in the base under the lead's web or email domain before the lead came
(a company made by the conversion would leak the outcome); replies (inbound emails), hours to
the first outbound touch and activities logged on the lead before that time. Email opens are
not tracked on leads, so `emails_opened` is left empty (the model ignores a constant column).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from kith.customers.models import Company
from kith.engagement.models import Interaction
from kith.insights.engine.lead_scoring import LeadModel, leads_score, leads_train
from kith.insights.lead_models import LeadModelRun, LeadScore
from kith.sales.models import Lead
from kith.sales.services import lead_scores_store

HOUR = 3600.0
DECIDED = (Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED)
SCHEMA: dict[str, Any] = {
    "lead_id": pl.Int64,
    "source_channel": pl.Utf8,
    "campaign": pl.Utf8,
    "company_size": pl.Utf8,
    "industry": pl.Utf8,
    "emails_opened": pl.Float64,
    "emails_replied": pl.Float64,
    "hours_to_first_response": pl.Float64,
    "activities": pl.Float64,
    "converted": pl.Int64,
}


def _domain(lead: dict[str, Any]) -> str:
    if lead["website"]:
        return str(lead["website"])
    return str(lead["email"]).rpartition("@")[2] if "@" in lead["email"] else ""


def leads_frame(*, now: dt.datetime | None = None) -> pl.DataFrame:
    """One row per lead (columns of leads_train, plus lead_id; `converted` is 1, 0 or null for
    an open lead)."""
    now = now or timezone.now()
    leads = list(
        Lead.objects.values(
            "id", "status", "source_channel", "campaign", "website", "email", "created_at",
            "updated_at", "converted_at",
        ).order_by("id")
    )  # fmt: skip
    domains = {_domain(x) for x in leads} - {""}
    companies: dict[str, tuple[dt.datetime, str, str]] = {}
    for domain, created, size, industry in (
        Company.objects.filter(domain__in=domains)
        .values_list("domain", "created_at", "size", "industry")
        .order_by("created_at", "id")
    ):
        companies.setdefault(domain, (created, size, industry))  # the oldest one
    touches: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for record_id, at, kind, direction in (
        Interaction.objects.filter(record_model="sales.lead")
        .values_list("record_id", "occurred_at", "kind", "direction")
        .iterator(chunk_size=5000)
    ):
        touches[int(record_id)].append((at, kind, direction))
    rows = []
    for lead in leads:
        decided = lead["status"] in DECIDED
        at = (lead["converted_at"] or lead["updated_at"]) if decided else now
        company = companies.get(_domain(lead))
        known = company is not None and company[0] <= lead["created_at"]
        before = [t for t in touches.get(lead["id"], []) if t[0] <= at]
        outbound = [t[0] for t in before if t[2] == "out" or (t[2] == "" and t[1] != "note")]
        first = min(outbound) if outbound else None
        rows.append(
            {
                "lead_id": lead["id"],
                "source_channel": lead["source_channel"],
                "campaign": lead["campaign"],
                "company_size": company[1] if known and company else "",
                "industry": company[2] if known and company else "",
                "emails_opened": None,
                "emails_replied": float(sum(1 for t in before if t[1] == "email" and t[2] == "in")),
                "hours_to_first_response": (
                    max(0.0, (first - lead["created_at"]).total_seconds() / HOUR) if first else None
                ),
                "activities": float(len(before)),
                "converted": (1 if lead["status"] == Lead.Status.CONVERTED else 0)
                if decided
                else None,
            }
        )
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)


def lead_scores_run(*, now: dt.datetime | None = None) -> LeadModelRun:
    """Fit on every decided lead, score every open lead, replace the stored scores."""
    now = now or timezone.now()
    frame = leads_frame(now=now)
    decided = frame.filter(pl.col("converted").is_not_null())
    model: LeadModel = leads_train(decided)
    open_frame = frame.filter(pl.col("converted").is_null())
    probabilities, drivers = leads_score(model, open_frame)
    ids = open_frame["lead_id"].to_list()
    features = open_frame.drop("lead_id", "converted").to_dicts()
    with transaction.atomic():
        run = LeadModelRun.objects.create(
            fitted_at=now, kind=model.kind, metrics=model.metrics, leads_scored=len(ids)
        )
        LeadScore.objects.all().delete()
        LeadScore.objects.bulk_create(
            [
                LeadScore(
                    lead_id=lead_id,
                    run=run,
                    probability=float(p),
                    drivers=[[name, round(value, 4)] for name, value in d],
                    features={k: v for k, v in f.items() if v not in (None, "")},
                )
                for lead_id, p, d, f in zip(ids, probabilities, drivers, features, strict=True)
            ],
            batch_size=2000,
        )
        lead_scores_store(
            scores={i: round(float(p) * 100) for i, p in zip(ids, probabilities, strict=True)}
        )
    return run
