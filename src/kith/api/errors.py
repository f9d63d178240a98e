"""Turn every error a client can cause into JSON: {"detail": "...", "errors": {field: message}}.

Field paths are dotted ("emails.0", "custom.budget"), the same keys services put in FieldError,
so a client handles a schema error and a business-rule error the same way.
"""

from __future__ import annotations

from typing import Any

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from kith.core.errors import Conflict, FieldError, Forbidden, KithError, NotFound, StaleEdit


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """A pydantic error location as a dotted field path, without ninja's source prefix.

    ("body", "payload", "emails", 0, "value") -> "emails.0.value"; ("query", "limit") -> "limit".
    """
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source = parts.pop(0)
        # A body schema is nested under its parameter name; query/path params are flattened.
        if source == "body" and len(parts) > 1:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or "__all__"


def install(api: NinjaAPI) -> None:
    """Register the handlers on `api`."""

    def respond(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
        return api.create_response(request, {"detail": detail, **extra}, status=status)

    @api.exception_handler(FieldError)
    def on_field_error(request: HttpRequest, exc: FieldError) -> HttpResponse:
        return respond(request, 422, str(exc), errors=exc.errors)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors: dict[str, str] = {}
        for error in exc.errors:
            errors.setdefault(field_path(error.get("loc", ())), error.get("msg", ""))
        detail = "; ".join(f"{field}: {msg}" for field, msg in errors.items())
        return respond(request, 422, detail or _("The request is not valid."), errors=errors)

    @api.exception_handler(NotFound)
    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Deliberately the same answer for "missing" and "outside your scope".
        return respond(request, 404, _("Not found."))

    @api.exception_handler(Forbidden)
    def on_forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
        return respond(request, 403, str(exc) or _("You may not do this."))

    @api.exception_handler(Conflict)
    def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return respond(request, 409, str(exc))

    @api.exception_handler(StaleEdit)
    def on_stale_edit(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
        message = str(exc) or _(
            "This record was changed by someone else since you loaded it. "
            "Reload it and apply your changes again."
        )
        return respond(request, 409, message)

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def on_value_too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The door (kith.web.middleware.BadInputMiddleware) refuses what it can see; a value
        # the database still cannot hold (a number beyond a 32-bit column on PostgreSQL) is the
        # client's error too, and the service's transaction has been rolled back.
        return respond(request, 422, _("A value is too large or not valid to store."))

    @api.exception_handler(KithError)
    def on_kith_error(request: HttpRequest, exc: KithError) -> HttpResponse:
        return respond(request, 400, str(exc))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        # One answer for "no credentials" and "bad or revoked token": nothing to probe.
        message = _(
            "Sign in, or send a valid personal API token as “Authorization: Bearer kith_…”."
        )
        response = respond(request, 401, message)
        response["WWW-Authenticate"] = 'Bearer realm="kith"'
        return response


@csrf_exempt  # it changes nothing; a DELETE to it gets the 404, not the CSRF page
def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """A path below /api/ that no operation has (an id a path converter refuses, such as -1):
    the API's JSON 404, not the web pages' HTML one."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
