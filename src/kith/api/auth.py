"""Who is calling: a personal API token (`Authorization: Bearer kith_…`) or the browser's session.

Tokens are checked first. A request that sends a bearer token which is wrong or revoked is
refused outright (401) instead of falling back to a session cookie, so a script never runs as
whoever happens to be signed in. The session path enforces Django's CSRF check on unsafe
methods, exactly like a form post from the UI.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from kith.identity.models import User
from kith.identity.selectors import user_for_api_token


class ApiRequest(HttpRequest):
    """The request an operation receives: `auth` is the authenticated user."""

    auth: User


class ApiTokenAuth(HttpBearer):
    """A personal API token, looked up (hashed, unrevoked, active user) by the identity app."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_api_token(raw=token)
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The Django session of a signed-in browser, with CSRF protection on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: reload the page and try again."))
        return user

    def _get_key(self, request: HttpRequest) -> str | None:
        # The CSRF check runs in authenticate(), only for a signed-in user, so an anonymous
        # write gets "401 sign in" rather than a misleading "403 CSRF".
        return request.COOKIES.get(self.param_name)


token_auth = ApiTokenAuth()
session_auth = SessionAuth()
