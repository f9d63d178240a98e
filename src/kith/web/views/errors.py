"""How errors raised by services and selectors become HTTP responses in the browser UI."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from kith.core.errors import Forbidden, NotFound


def service_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn NotFound into a 404 page and Forbidden into a 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except Forbidden as exc:
            raise PermissionDenied(str(exc)) from exc

    return wrapper
