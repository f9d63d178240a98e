"""API v1 sales force management: quotas (attainment, pacing, history, leaderboard), the
probabilistic forecast, its backtest and the win-probability model. Declared as its own router
by SalesConfig; reads go through the selectors (the gate: deals and quotas in the caller's
scope), writes through kith.sales.services.quotas."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS
from kith.core.errors import FieldError
from kith.identity.access import require
from kith.insights.win_models import WinModelRun
from kith.sales.selectors.quotas import leaderboard, quota_get, quota_list
from kith.sales.services.quotas import quota_delete, quota_set

router = Router(tags=["sales force"])
MAX_PAGE_SIZE = 200
MAX_DRAWS = 20_000


class MixOut(Schema):
    done: int
    target: int | None
    pct: float | None


class QuotaOut(Schema):
    id: int
    owner_id: int | None
    team_id: int | None
    holder: str
    period: str
    period_start: str
    period_end: str
    currency: str
    revenue_minor: int
    won_minor: int
    attainment_pct: float | None
    pace_pct: float | None
    deals_target: int | None
    won_deals: int
    activities_target: int | None
    activities: int
    activity_mix: dict[str, MixOut]
    open_pipeline_minor: int
    pipeline_coverage: float | None
    unconverted_currencies: list[str]
    version: int


class QuotaPage(Schema):
    items: list[QuotaOut]
    next_cursor: str | None


class QuotaParams(Schema):
    period: str | None = None
    period_start: date | None = None
    owner_id: int | None = None
    team_id: int | None = None
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


class QuotaIn(Schema):
    owner_id: int | None = None
    team_id: int | None = None
    period: str
    period_start: date
    revenue_minor: int
    currency: str = "USD"
    deals_target: int | None = None
    activities_target: int | None = None
    calls_target: int | None = None
    emails_target: int | None = None
    meetings_target: int | None = None


@router.get("/sales/quotas", response={200: QuotaPage, **ERRORS})
def quotas(request: ApiRequest, params: Query[QuotaParams]) -> Any:
    page, rows = quota_list(
        user=request.auth,
        period=params.period,
        period_start=params.period_start,
        owner_id=params.owner_id,
        team_id=params.team_id,
        cursor=params.cursor,
        limit=params.limit,
    )
    return {"items": [a.as_dict() for a in rows], "next_cursor": page.next_cursor}


@router.post("/sales/quotas", response={201: QuotaOut, **ERRORS})
def quota_put(request: ApiRequest, payload: QuotaIn) -> Any:
    quota = quota_set(by=request.auth, **payload.dict())
    return Status(201, quota_get(user=request.auth, quota_id=quota.pk).as_dict())


@router.get("/sales/quotas/leaderboard", response={200: list[QuotaOut], **ERRORS})
def quotas_leaderboard(request: ApiRequest, period: str = "month", day: date | None = None) -> Any:
    return [a.as_dict() for a in leaderboard(user=request.auth, period=period, day=day)]


@router.get("/sales/quotas/{quota_id}", response={200: QuotaOut, **ERRORS})
def quota_one(request: ApiRequest, quota_id: int) -> Any:
    return quota_get(user=request.auth, quota_id=quota_id).as_dict()


@router.delete("/sales/quotas/{quota_id}", response={204: None, **ERRORS})
def quota_remove(request: ApiRequest, quota_id: int) -> Any:
    quota_delete(by=request.auth, quota_id=quota_id)
    return Status(204, None)


class LineOut(Schema):
    kind: str
    id: int | None
    label: str
    p10_minor: int
    p50_minor: int
    p90_minor: int
    mean_minor: int
    weighted_minor: int
    won_minor: int
    open_deals: int
    quota_minor: int | None
    p_quota: float | None
    currency: str


class ForecastOut(Schema):
    period: str
    start: str
    end: str
    currency: str
    draws: int
    model: str
    model_reason: str
    unconverted_currencies: list[str]  # deals in these are left out: no exchange rate
    lines: list[LineOut]


class ForecastParams(Schema):
    period: str = "quarter"
    day: date | None = None
    currency: str | None = None
    draws: int = Field(10_000, ge=100, le=MAX_DRAWS)
    seed: int = 0


@router.get("/sales/forecast/probabilistic", response={200: ForecastOut, **ERRORS})
def forecast(request: ApiRequest, params: Query[ForecastParams]) -> Any:
    # The simulation needs NumPy: loaded on first use, not when the URLs load.
    from kith.insights.sales_forecast import forecast_probabilistic

    require(request.auth, "deals", "read")
    return forecast_probabilistic(
        user=request.auth,
        period=_period(params.period),
        day=params.day,
        currency=params.currency,
        draws=params.draws,
        seed=params.seed,
    ).as_dict()


class BacktestRowOut(Schema):
    start: date
    end: date
    actual_minor: int
    weighted_minor: int
    p10_minor: int
    p50_minor: int
    p90_minor: int
    open_deals: int


class BacktestOut(Schema):
    rows: list[BacktestRowOut]
    periods: int
    mape_weighted: float | None
    mape_mc: float | None
    coverage: float | None
    currency: str


@router.get("/sales/forecast/backtest", response={200: BacktestOut, **ERRORS})
def backtest(request: ApiRequest, period: str = "month", periods: int = 6) -> Any:
    # The simulation needs NumPy: loaded on first use, not when the URLs load.
    from kith.insights.sales_forecast import forecast_backtest

    require(request.auth, "deals", "read")
    periods = max(1, min(24, periods))
    rows, summary = forecast_backtest(user=request.auth, period=_period(period), periods=periods)
    return {"rows": [r.__dict__ for r in rows], **summary}


class WinModelOut(Schema):
    fitted_at: str | None
    kind: str
    reason: str
    deals_scored: int
    metrics: dict[str, Any]


@router.get("/sales/win-model", response={200: WinModelOut, **ERRORS})
def win_model(request: ApiRequest) -> Any:
    require(request.auth, "deals", "read")
    run = WinModelRun.objects.order_by("-fitted_at").first()
    if run is None:
        return {
            "fitted_at": None,
            "kind": "deal_probabilities",
            "reason": "not_fitted",
            "deals_scored": 0,
            "metrics": {},
        }
    return {
        "fitted_at": run.fitted_at.isoformat(),
        "kind": run.kind,
        "reason": run.reason,
        "deals_scored": run.deals_scored,
        "metrics": run.metrics,
    }


def _period(value: str) -> str:
    if value not in ("month", "quarter"):
        raise FieldError.one("period", _("Choose month or quarter."))
    return value
