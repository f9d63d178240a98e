"""What list pages share: the htmx partial, the Vary header, safe `next` redirects."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def list_template(request: HttpRequest, template: str, *, partial: str = "table") -> str:
    """The `partial` of `template` for htmx filter/sort/page requests, the full page otherwise."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def with_vary(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a partial or a page: caches must key on HX-Request.
    patch_vary_headers(response, ("HX-Request",))
    return response


def safe_next(request: HttpRequest, *, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)
