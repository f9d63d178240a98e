"""Global search over contacts and companies: the live dropdown and the full results page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kith.customers import selectors
from kith.web.views.errors import service_errors

LIVE_LIMIT = 6
PAGE_LIMIT = 50


def _results(request: HttpRequest, limit: int):
    query = request.GET.get("q", "").strip()[:200]
    if not query:
        return query, None
    return query, selectors.customers_search(user=request.user, query=query, limit=limit)


@login_required
@service_errors
def search_live(request: HttpRequest) -> HttpResponse:
    query, results = _results(request, LIVE_LIMIT)
    return render(request, "web/search/live.html", {"query": query, "results": results})


@login_required
@service_errors
def search(request: HttpRequest) -> HttpResponse:
    query, results = _results(request, PAGE_LIMIT)
    return render(request, "web/search/results.html", {"query": query, "results": results})
