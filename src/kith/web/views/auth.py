"""Sign-in and the interface language."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from kith.core.requests import client_address
from kith.identity.models import User
from kith.identity.security import Kind, security_event_record, signin_lockout
from kith.identity.services import user_set_language
from kith.identity.two_factor import totp_check

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class KithLoginView(auth_views.LoginView):
    """Django's sign-in with throttling: a locked-out account or address is refused before the
    password is checked; every attempt is in the security audit trail."""

    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = str(request.POST.get("username", ""))[:150]
        address = client_address(request.META)
        lockout = signin_lockout(username=username, address=address)
        if lockout is not None:
            security_event_record(kind=Kind.SIGNIN_LOCKED, username=username)
            # An unbound form: binding it would check the password.
            context = self.get_context_data(form=self.form_class(request=request))
            context["lockout_message"] = lockout.message(timezone.now())
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        username = str(self.request.POST.get("username", ""))[:150]
        security_event_record(kind=Kind.SIGNIN_FAILED, username=username)
        return super().form_invalid(form)

    def form_valid(self, form):
        user = form.get_user()
        if user.totp_secret:
            # The password was right; the code comes next (kith.identity.two_factor).
            self.request.session[TWO_FACTOR_SESSION] = {
                "user": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": int(time.time()),
            }
            return redirect("login-two-factor")
        response = super().form_valid(form)
        security_event_record(kind=Kind.SIGNIN, actor=user)
        # The user's saved language wins over the browser's on every device they sign in on.
        language = form.get_user().language
        if language in LANGUAGE_CODES:
            _set_language_cookie(response, language)
        return response


TWO_FACTOR_SESSION = "kith_two_factor"
TWO_FACTOR_SECONDS = 300


def login_two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code of the user's authenticator app. Wrong codes
    count as failed sign-ins (throttled and locked out like wrong passwords)."""
    pending = request.session.get(TWO_FACTOR_SESSION) or {}
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None or int(time.time()) - int(pending.get("at", 0)) > TWO_FACTOR_SECONDS:
        request.session.pop(TWO_FACTOR_SESSION, None)
        return redirect("login")
    error = ""
    status = 200
    if request.method == "POST":
        lockout = signin_lockout(username=user.username, address=client_address(request.META))
        if lockout is not None:
            security_event_record(kind=Kind.SIGNIN_LOCKED, username=user.username)
            request.session.pop(TWO_FACTOR_SESSION, None)
            error, status = lockout.message(timezone.now()), 429
        elif totp_check(user=user, code=str(request.POST.get("code", ""))):
            request.session.pop(TWO_FACTOR_SESSION, None)
            auth_login(request, user, backend=pending.get("backend"))
            security_event_record(kind=Kind.SIGNIN, actor=user, detail={"two_factor": True})
            response = redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)
            if user.language in LANGUAGE_CODES:
                _set_language_cookie(response, user.language)
            return response
        else:
            security_event_record(
                kind=Kind.SIGNIN_FAILED, username=user.username, detail={"two_factor": True}
            )
            error, status = _("This code is not right; type the code your app shows now."), 400
    return render(request, "web/auth/two_factor.html", {"error": error}, status=status)


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
