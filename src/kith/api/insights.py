"""API v1: customer scores, segments, the win-back list, KPIs and the latest scoring run.

kith.insights.selectors apply the permission gate through the contact's visible_to: a contact
outside the caller's scope is a 404, and every count or sum covers only visible contacts.
Money is in major units of the run's currency (runs/latest: metrics.currency).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS
from kith.core.errors import NotFound
from kith.core.validation import day_check
from kith.insights import selectors
from kith.insights.models import CustomerScore
from kith.insights.vocabulary import driver_sentence, segment_name

router = Router(tags=["insights"])

MAX_PAGE_SIZE = 200


class DriverOut(Schema):
    feature: str
    value: Any
    effect: float
    text: str = Field(description="the driver in words, in the caller's language")


class ScoreOut(Schema):
    """A contact's latest scores. segment "" means no purchase yet: the RFM, CLV and churn
    fields are then null."""

    contact_id: int
    segment: str
    segment_name: str
    previous_segment: str
    recency_days: int | None
    frequency: int | None
    monetary: float | None
    r_score: int | None
    f_score: int | None
    m_score: int | None
    expected_purchases_90: float | None
    expected_purchases_365: float | None
    p_alive: float | None
    expected_spend: float | None
    clv: float | None
    churn_risk: float | None
    churn_drivers: list[DriverOut]
    recommendations: list[dict[str, Any]]
    category_propensity: list[dict[str, Any]]
    scored_at: datetime


def score_json(score: CustomerScore) -> dict[str, Any]:
    return {
        "contact_id": score.contact_id,
        "segment": score.segment,
        "segment_name": str(segment_name(score.segment)),
        "previous_segment": score.previous_segment,
        **{
            name: getattr(score, name)
            for name in (
                "recency_days",
                "frequency",
                "monetary",
                "r_score",
                "f_score",
                "m_score",
                "expected_purchases_90",
                "expected_purchases_365",
                "p_alive",
                "expected_spend",
                "clv",
                "churn_risk",
                "recommendations",
                "category_propensity",
                "scored_at",
            )
        },
        "churn_drivers": [
            {
                "feature": str(d.get("feature", "")),
                "value": d.get("value"),
                "effect": float(d.get("effect") or 0),
                "text": driver_sentence(d),
            }
            for d in score.churn_drivers or []
        ],
    }


@router.get(
    "/contacts/{int:contact_id}/scores", response={200: ScoreOut, **ERRORS}, tags=["insights"]
)
def contact_scores(request: ApiRequest, contact_id: int) -> Any:
    """The contact's latest scores (404 when the contact is not visible or not scored yet)."""
    score = selectors.contact_score(user=request.auth, contact_id=contact_id)
    if score is None:
        raise NotFound(_("This contact has not been scored yet."))
    return score_json(score)


class RfmSegmentOut(Schema):
    code: str
    name: str
    customers: int
    revenue: float
    revenue_share: float
    moved_in: int
    moved_out: int


class MoveOut(Schema):
    from_segment: str
    to_segment: str
    customers: int


class SegmentsOut(Schema):
    segments: list[RfmSegmentOut]
    customers: int = Field(description="visible customers with a purchase")
    no_purchases: int = Field(description="visible contacts without a purchase")
    movement: list[MoveOut] = Field(description="moves since the scoring before, biggest first")
    rfm_grid: dict[int, dict[int, int]] = Field(description="r_score -> f_score -> customers")


@router.get("/insights/segments", response={200: SegmentsOut, **ERRORS})
def segments(request: ApiRequest) -> Any:
    """Customers, revenue and revenue share per RFM segment, and the moves between segments."""
    summary = selectors.segment_summary(user=request.auth)
    return {
        "segments": [{**row.__dict__, "name": str(row.name)} for row in summary.rows],
        "customers": summary.customers,
        "no_purchases": summary.no_purchases,
        "movement": [
            {"from_segment": old, "to_segment": new, "customers": n}
            for old, new, n in summary.movement
        ],
        "rfm_grid": summary.grid,
    }


class ChurnRiskParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    churn_risk_min: float = Field(0.0, ge=0, le=1)


class ChurnRiskOut(Schema):
    contact_id: int
    full_name: str
    churn_risk: float
    segment: str
    clv: float | None
    churn_drivers: list[DriverOut]


class ChurnRiskPage(Schema):
    items: list[ChurnRiskOut]
    next_cursor: str | None
    prev_cursor: str | None


@router.get("/insights/churn-risk", response={200: ChurnRiskPage, **ERRORS})
def churn_risk(request: ApiRequest, params: Query[ChurnRiskParams]) -> Any:
    """Visible customers by churn risk, highest first (the win-back list), one page at a time."""
    page = selectors.churn_risk_list(
        user=request.auth,
        cursor=params.cursor,
        limit=params.limit,
        churn_risk_min=params.churn_risk_min,
    )
    return {
        "items": [
            {
                "contact_id": s.contact_id,
                "full_name": s.contact.full_name,
                "churn_risk": s.churn_risk,
                "segment": s.segment,
                "clv": s.clv,
                "churn_drivers": score_json(s)["churn_drivers"],
            }
            for s in page.items
        ],
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
    }


class KpiParams(Schema):
    start: date | None = Field(None, description="first day (default: a year before end)")
    end: date | None = Field(None, description="last day (default: today)")
    period: str = Field("month", pattern="^(month|quarter|week)$")


class KpisOut(Schema):
    start: date
    end: date
    period: str
    columns: list[str]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


@router.get("/insights/kpis", response={200: KpisOut, **ERRORS})
def kpis(request: ApiRequest, params: Query[KpiParams]) -> Any:
    """KPIs per period over the visible customers: new, active and churned customers,
    retention, order value, purchase frequency, revenue; and lead conversion, win rate, sales
    cycle, NPS and CSAT over the whole range."""
    day_check(params.end, field="end")
    day_check(params.start, field="start")
    end = params.end or timezone.localdate()
    start = params.start or end - timedelta(days=365)
    table = selectors.kpis_by_period(user=request.auth, start=start, end=end, period=params.period)
    return {
        "start": start,
        "end": end,
        "period": params.period,
        "columns": [key for key, _label in table.columns],
        "rows": table.records,
        "totals": table.totals_by_key,
    }


class ScoringRunOut(Schema):
    id: int
    started_at: datetime
    finished_at: datetime | None
    as_of: date
    status: str
    customers_scored: int
    metrics: dict[str, Any]


@router.get("/insights/runs/latest", response={200: ScoringRunOut, **ERRORS})
def run_latest(request: ApiRequest) -> Any:
    """The newest successful scoring run: when, how many contacts, and the models' metrics
    (BG/NBD and Gamma-Gamma parameters, CLV holdout, churn AUC against a recency-only baseline
    with calibration, recommendation hit rate at 5)."""
    run = selectors.run_latest_for(user=request.auth)
    if run is None:
        raise NotFound(_("No scoring has run yet."))
    return run
