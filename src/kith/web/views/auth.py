"""Sign-in and the interface language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from kith.identity.services import user_set_language

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class KithLoginView(auth_views.LoginView):
    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The user's saved language wins over the browser's on every device they sign in on.
        language = form.get_user().language
        if language in LANGUAGE_CODES:
            _set_language_cookie(response, language)
        return response


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie + redirect to `next`), remembering the choice on the user."""
    language = request.POST.get("language", "")
    if (
        request.user.is_authenticated
        and language in LANGUAGE_CODES
        and check_for_language(language)
    ):
        user_set_language(user=request.user, language=language)
    return set_language(request)
