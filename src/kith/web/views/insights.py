"""Insights pages: the dashboard (segments, CLV, win-back list, cohorts, KPIs, model quality)
and the scores panel of the contact page. Every figure comes from kith.insights.selectors,
which counts only the contacts the user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.validation import DAY_MAX, DAY_MIN
from kith.insights import selectors
from kith.insights.vocabulary import driver_sentence, segment_name
from kith.web.views.errors import service_errors
from kith.web.views.lists import with_vary

WINBACK_PAGE = 20
PERIODS = ("month", "quarter", "week")


def _date(raw: str | None, default: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default
    # Year 1 or 9999 would overflow the date arithmetic below.
    return day if DAY_MIN <= day <= DAY_MAX else default


def _winback(request: HttpRequest) -> Any:
    cursor = request.GET.get("cursor") or None
    try:
        return selectors.churn_risk_list(user=request.user, cursor=cursor, limit=WINBACK_PAGE)
    except FieldError:  # an old or hand-edited page link: the first page
        return selectors.churn_risk_list(user=request.user, limit=WINBACK_PAGE)


def _winback_rows(page: Any) -> list[dict[str, Any]]:
    return [
        {
            "score": s,
            "segment": segment_name(s.segment),
            "drivers": [driver_sentence(d) for d in (s.churn_drivers or [])[:3]],
        }
        for s in page.items
    ]


@login_required
@service_errors
def insights_dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    end = _date(request.GET.get("end"), today)
    start = _date(request.GET.get("start"), end.replace(day=1) - dt.timedelta(days=365))
    if start > end:
        start, end = end, start
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "month"
    run = selectors.run_latest_for(user=request.user)
    summary = selectors.segment_summary(user=request.user)
    histogram = selectors.clv_histogram(user=request.user)
    winback = _winback(request)
    try:
        kpis = selectors.kpis_by_period(user=request.user, start=start, end=end, period=period)
    except FieldError as exc:  # a range too long or out of the calendar: the default range
        messages.error(request, " ".join(exc.errors.values()))
        end = today
        start = end.replace(day=1) - dt.timedelta(days=365)
        kpis = selectors.kpis_by_period(user=request.user, start=start, end=end, period=period)
    cohorts = selectors.cohort_table(user=request.user)
    charts = {
        "segments": {
            "labels": [str(r.name) for r in summary.rows],
            "customers": [r.customers for r in summary.rows],
            "share": [round(r.revenue_share * 100, 1) for r in summary.rows],
            "names": {"customers": _("Customers"), "share": _("Revenue share (%)")},
        },
        "clv": {
            "labels": [
                f"{histogram.edges[i]:,.0f}–{histogram.edges[i + 1]:,.0f}"
                if i + 1 < len(histogram.counts)
                else f"≥ {histogram.edges[i]:,.0f}"
                for i in range(len(histogram.counts))
            ],
            "counts": histogram.counts,
            "name": _("Customers"),
        },
        "kpis": kpis.chart,
    }
    context = {
        "run": run,
        # The contacts this user sees (a rep: their scope), not everyone the run scored.
        "scored_visible": summary.customers + summary.no_purchases,
        "quality": selectors.model_quality(run, user=request.user),
        "summary": summary,
        "grid_rows": [
            (r, [(f, summary.grid.get(r, {}).get(f, 0)) for f in range(1, 6)])
            for r in range(5, 0, -1)
        ],
        "grid_max": max([n for row in summary.grid.values() for n in row.values()] or [0]),
        "movement": [
            (segment_name(old), segment_name(new), n) for old, new, n in summary.movement[:8]
        ],
        "histogram": histogram,
        "winback": winback,
        "winback_rows": _winback_rows(winback),
        "kpis": kpis,
        "cohorts": cohorts,
        "charts": charts,
        "start": start,
        "end": end,
        "period": period,
        "periods": [
            ("month", _("Month")),
            ("quarter", _("Quarter")),
            ("week", _("Week")),
        ],
    }
    return render(request, "web/insights/dashboard.html", context)


@login_required
@service_errors
def insights_winback(request: HttpRequest) -> HttpResponse:
    """One page of the win-back list: the table for the dashboard's htmx pager, a whole page
    (title, styles) when opened directly."""
    winback = _winback(request)
    context = {"winback": winback, "winback_rows": _winback_rows(winback)}
    htmx = getattr(request, "htmx", None)
    partial = htmx and not htmx.boosted and not htmx.history_restore_request
    template = "web/insights/_winback.html" if partial else "web/insights/winback.html"
    return with_vary(render(request, template, context))


@login_required
@service_errors
def contact_insights_panel(request: HttpRequest, contact_id: int) -> HttpResponse:
    score = selectors.contact_score(user=request.user, contact_id=contact_id)
    context = {
        "score": score,
        "segment": segment_name(score.segment if score else ""),
        "previous_segment": segment_name(score.previous_segment)
        if score and score.previous_segment and score.previous_segment != score.segment
        else None,
        "drivers": [driver_sentence(d) for d in (score.churn_drivers if score else [])[:3]],
        "propensity": [
            (c.get("category") or "—", f"{float(c.get('probability') or 0) * 100:.1f}%")
            for c in (score.category_propensity if score else [])
        ],
        "run": selectors.run_latest(),
    }
    return render(request, "web/insights/panel.html", context)
