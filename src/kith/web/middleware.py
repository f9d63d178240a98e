"""What every request and response goes through: the client's address for the audit trail, the
refusal of control characters and oversized numbers, and the Content-Security-Policy header.

Pages load scripts and styles only from Kith's static files (no inline script anywhere: charts
read their figures from data attributes or json_script blocks). A page that may be framed by
other sites (the embeddable web-to-lead form, marked with xframe_options_exempt) gets the policy
without its frame-ancestors part; every other page may be framed by no one.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kith.core.requests import client_address, current_address_reset, current_address_set
from kith.core.validation import controls_find, oversized_numbers_find
from kith.identity.two_factor import two_factor_required


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "KITH_CSP", "")
        if policy and "Content-Security-Policy" not in response:
            if not getattr(response, "xframe_options_exempt", False):
                policy = f"{policy}; frame-ancestors 'none'"
            response["Content-Security-Policy"] = policy
        return response


class RequestContextMiddleware:
    """Make the client's address known to services for the audit trail (kith.core.requests)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_address_set(client_address(request.META))
        try:
            return self.get_response(request)
        finally:
            current_address_reset(token)


class BadInputMiddleware:
    """Refuse, at the door, any request whose query, form fields or JSON body hold a control
    character (NUL, BEL… — tab and line breaks are text) or a number beyond 64 bits ("1e20",
    twenty digits): the API answers 422 with the field errors like a FieldError, the web UI a
    400 page naming the fields. Nothing reaches a view, so no door can store a control character
    (they break XLSX exports, and PostgreSQL refuses NUL) or overflow the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        errors = _request_controls(request)
        if not errors:
            return self.get_response(request)
        detail = "; ".join(f"{field}: {message}" for field, message in errors.items())
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail, "errors": errors}, status=422)
        return render(request, "400.html", {"field_errors": errors}, status=400)


def _request_controls(request: HttpRequest) -> dict[str, str]:
    errors = _fields_controls(request.GET)
    content_type = request.content_type or ""
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            errors.update(_fields_controls(request.POST))
        elif content_type == "application/json":
            size = int(request.META.get("CONTENT_LENGTH") or 0)
            if 0 < size <= (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or size):
                try:
                    body = json.loads(request.body)
                except ValueError:  # the API says what is wrong with it
                    return errors
                if request.path.startswith("/api/") and not isinstance(body, dict):
                    # Every API body is an object; ninja would read a bare string's methods as
                    # its fields ("Buy milk" made a task titled "Buy Milk").
                    errors["__all__"] = _("Send a JSON object.")
                errors.update(controls_find(body))
                errors.update(oversized_numbers_find(body))
    return errors


def _fields_controls(fields: QueryDict) -> dict[str, str]:
    # A query or form field may repeat: name the field, not the position of the value.
    errors: dict[str, str] = {}
    for name, values in fields.lists():
        for value in values:
            found = controls_find([name, value]) or oversized_numbers_find({name: value})
            if found:
                errors[name] = next(iter(found.values()))
    return errors


# Where an administrator who must set up two-factor sign-in may still go.
_TWO_FACTOR_OPEN = (
    "/account/two-factor/",
    "/logout/",
    "/login/",
    "/language/",
    "/static/",
    "/api/",
)


class TwoFactorRequiredMiddleware:
    """With KITH_2FA_REQUIRED_FOR_ADMINS, an administrator without two-factor sign-in is sent
    to set it up before any other page (kith.identity.two_factor)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            getattr(settings, "KITH_2FA_REQUIRED_FOR_ADMINS", False)
            and user is not None
            and user.is_authenticated
            and not request.path.startswith(_TWO_FACTOR_OPEN)
            and two_factor_required(user)
        ):
            return redirect("two-factor")
        return self.get_response(request)
