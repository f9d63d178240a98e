"""Sales force pages: the probabilistic forecast (P10/P50/P90 beside the weighted sum, the
chance of reaching each quota, the backtest, the win model's calibration), and quotas with the
leaderboard. Thin: the selectors gate what the user sees; quota_set gates the writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError
from kith.identity.access import can, require, users_assignable
from kith.identity.models import Team
from kith.insights.win_models import WinModelRun
from kith.sales.models import Quota
from kith.sales.money import money_format, money_parse
from kith.sales.selectors.quotas import leaderboard, quota_list
from kith.sales.services.quotas import period_start_of, quota_set
from kith.web.views.errors import service_errors

DRAWS = 10_000


def _period(request: HttpRequest, default: str) -> str:
    value = request.GET.get("period", default)
    return value if value in Quota.Period.values else default


def _day(request: HttpRequest) -> date:
    return parse_date(request.GET.get("day", "") or "") or timezone.localdate()


def _money(minor: float | int | None, currency: str) -> str:
    return "—" if minor is None else money_format(int(minor), currency)


@login_required
@service_errors
def forecast_mc_view(request: HttpRequest) -> HttpResponse:
    # The simulation needs NumPy: loaded on first use, not when the URLs load.
    from kith.insights.deals_at_risk import deals_at_risk
    from kith.insights.sales_forecast import forecast_backtest, forecast_probabilistic

    require(request.user, "deals", "read")
    period = _period(request, Quota.Period.QUARTER)
    forecast = forecast_probabilistic(user=request.user, period=period, day=_day(request))
    rows, summary = forecast_backtest(user=request.user, period=Quota.Period.MONTH, periods=6)
    cur = forecast.currency
    lines = [
        {
            "kind": line.kind,
            "label": line.label or _("Everything you can see"),
            "p10": _money(line.distribution.p10, cur),
            "p50": _money(line.distribution.p50, cur),
            "p90": _money(line.distribution.p90, cur),
            "weighted": _money(line.weighted_minor, cur),
            "won": _money(line.won_minor, cur),
            "quota": _money(line.quota_minor, cur),
            "p_quota": None
            if line.distribution.p_quota is None
            else round(100 * line.distribution.p_quota),
            "open_deals": line.open_deals,
        }
        for line in forecast.lines
    ]
    run = WinModelRun.objects.order_by("-fitted_at").first()
    metrics = run.metrics if run else {}
    chart = {
        "histogram": {
            "edges": [round(e / 100) for e, _c in forecast.histogram],
            "counts": [c for _e, c in forecast.histogram],
        },
        "backtest": {
            "months": [r.start.strftime("%Y-%m") for r in rows],
            "actual": [r.actual_minor / 100 for r in rows],
            "weighted": [r.weighted_minor / 100 for r in rows],
            "p10": [r.p10_minor / 100 for r in rows],
            "p50": [r.p50_minor / 100 for r in rows],
            "p90": [r.p90_minor / 100 for r in rows],
        },
        "reliability": metrics.get("reliability", []),
        "labels": {
            "draws": _("Draws"),
            "actual": _("Actual"),
            "weighted": _("Weighted sum"),
            "p10": "P10",
            "p50": "P50",
            "p90": "P90",
            "model": _("Model"),
            "perfect": _("Perfectly calibrated"),
        },
    }
    context: dict[str, Any] = {
        "forecast": forecast,
        "lines": lines,
        "period": period,
        "backtest": [
            {
                "month": r.start.strftime("%Y-%m"),
                "actual": _money(r.actual_minor, cur),
                "weighted": _money(r.weighted_minor, cur),
                "p10": _money(r.p10_minor, cur),
                "p50": _money(r.p50_minor, cur),
                "p90": _money(r.p90_minor, cur),
                "inside": r.p10_minor <= r.actual_minor <= r.p90_minor,
            }
            for r in rows
        ],
        "summary": {
            "mape_weighted": _pct(summary.get("mape_weighted")),
            "mape_mc": _pct(summary.get("mape_mc")),
            "coverage": _pct(summary.get("coverage")),
        },
        "run": run,
        "metrics": metrics,
        "chart": chart,
        "risks": deals_at_risk(user=request.user),  # type: ignore[arg-type]
    }
    return render(request, "web/sales/forecast_mc.html", context)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


@login_required
@service_errors
def quota_board(request: HttpRequest) -> HttpResponse:
    require(request.user, "quotas", "read")
    period = _period(request, Quota.Period.MONTH)
    day = _day(request)
    board = leaderboard(user=request.user, period=period, day=day)
    _page, teams = quota_list(
        user=request.user, period=period, period_start=period_start_of(period, day), limit=50
    )
    context = {
        "period": period,
        "day": day,
        "start": period_start_of(period, day),
        "board": board,
        "teams": [a for a in teams if a.quota.owner_id is None],
        "can_set": can(request.user, "quotas", "create"),
        "reps": users_assignable(user=request.user, module="deals")
        if can(request.user, "quotas", "create")
        else [],
        "all_teams": Team.objects.all() if can(request.user, "quotas", "create") else [],
        "periods": Quota.Period.choices,
    }
    return render(request, "web/sales/quotas.html", context)


@login_required
@require_POST
@service_errors
def quota_set_view(request: HttpRequest) -> HttpResponse:
    data = request.POST
    holder = data.get("holder", "")
    currency = (data.get("currency") or "USD").upper()
    try:
        start = parse_date(data.get("period_start", "") or "")
        if start is None:
            raise FieldError.one("period_start", _("Enter a date."))
        kind, _sep, pk = holder.partition(":")
        if not pk.isdigit() or kind not in ("rep", "team"):
            raise FieldError.one("owner_id", _("Give either a rep or a team."))
        quota_set(
            by=request.user,  # type: ignore[arg-type]
            owner_id=int(pk) if kind == "rep" else None,
            team_id=int(pk) if kind == "team" else None,
            period=data.get("period", ""),
            period_start=start,
            revenue_minor=money_parse(data.get("revenue", "") or "0", currency),
            currency=currency,
            deals_target=int(data["deals"]) if data.get("deals", "").isdigit() else None,
            activities_target=int(data["activities"])
            if data.get("activities", "").isdigit()
            else None,
            **{
                f"{kind}_target": int(data[kind]) if data.get(kind, "").isdigit() else None
                for kind in ("calls", "emails", "meetings")
            },
        )
        messages.success(request, _("Quota saved."))
    except (FieldError, ValueError) as exc:
        errors = exc.errors if isinstance(exc, FieldError) else {"revenue": str(exc)}
        messages.error(request, "; ".join(str(v) for v in errors.values()))
    return redirect(f"{_url('quota-board')}?period={data.get('period', 'month')}")


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)
