"""Feedback pages: the themes of negative and positive text per period and language, and the
sentiment panel of the contact page (each scored text with the words that drove it)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kith.feedback import selectors
from kith.web.views.errors import service_errors

LANGUAGE_NAMES = {"en": "English", "zh": "中文", "vi": "Tiếng Việt"}
PERIOD_DAYS = {"7": 7, "30": 30, "90": 90, "365": 365}


@login_required
@service_errors
def sentiment_themes_page(request: HttpRequest) -> HttpResponse:
    days = request.GET.get("days", "30")
    if days not in PERIOD_DAYS:
        days = "30"
    until = timezone.now()
    since = until - dt.timedelta(days=PERIOD_DAYS[days])
    themes = selectors.sentiment_themes(user=request.user, since=since, until=until)
    context = {
        "themes": [(LANGUAGE_NAMES.get(t.language, t.language), t) for t in themes],
        "days": days,
        "periods": list(PERIOD_DAYS),
        "since": since,
        "until": until,
    }
    return render(request, "web/feedback/themes.html", context)


@login_required
@service_errors
def contact_sentiment_panel(request: HttpRequest, contact_id: int) -> HttpResponse:
    page = selectors.sentiments_for_contact(
        user=request.user, contact_id=contact_id, cursor=request.GET.get("cursor"), limit=10
    )
    return render(
        request, "web/feedback/sentiment_panel.html", {"page": page, "contact_id": contact_id}
    )
