"""Admin pages of trust and operations: the security audit trail (filter, CSV export) and the
backups (the last ones, a warning when the newest is too old)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from kith.core.errors import FieldError
from kith.identity.models import SecurityEvent
from kith.identity.security import security_events_csv, security_events_page
from kith.intake.backup_runs import backup_status
from kith.web.views.admin_settings import admin_only
from kith.web.views.lists import list_template, with_vary

FILTERS = ("kind", "username", "since", "until")


def _filters(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip()[:150] for name in FILTERS}


@admin_only
def security_event_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    errors: dict[str, str] = {}
    try:
        page = security_events_page(
            by=request.user,
            cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
            **filters,
        )
    except FieldError as exc:
        errors = exc.errors
        page = None
    context = {
        "page": page,
        "events": page.items if page else [],
        "filters": filters,
        "errors": errors,
        "kinds": SecurityEvent.Kind.choices,
    }
    template = list_template(request, "web/settings/security_list.html")
    return with_vary(render(request, template, context, status=400 if errors else 200))


@admin_only
def backup_list(request: HttpRequest) -> HttpResponse:
    status = backup_status(by=request.user)
    return render(request, "web/settings/backup_list.html", {"status": status})


@admin_only
def security_event_export(request: HttpRequest) -> HttpResponse:
    lines = security_events_csv(by=request.user, **_filters(request))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kith-security-events.csv"'
    return response
