"""The account page: password change and personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError
from kith.identity import selectors as identity_selectors
from kith.identity import services as identity_services
from kith.identity import two_factor as two_factor_services
from kith.web.forms.account import ApiTokenForm, PasswordChangeForm
from kith.web.views.errors import service_errors


def _account_page(
    request: HttpRequest, *, token_form: ApiTokenForm, new_secret: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "tokens": identity_selectors.api_tokens_of(user=request.user),
        "token_form": token_form,
        "new_secret": new_secret,
    }
    return render(request, "web/account/detail.html", context, status=status)


@login_required
def account_detail(request: HttpRequest) -> HttpResponse:
    return _account_page(request, token_form=ApiTokenForm())


@require_POST
@login_required
@service_errors
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            _token, secret = identity_services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            # Shown in this response only; the secret is never stored or shown again.
            response = _account_page(request, token_form=ApiTokenForm(), new_secret=secret)
            response["Cache-Control"] = "no-store"
            return response
    return _account_page(request, token_form=form)


@require_POST
@login_required
@service_errors
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    identity_services.api_token_revoke(by=request.user, token_id=token_id)
    messages.success(request, _("Token revoked. Programs using it can no longer sign in."))
    return redirect("account")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            identity_services.user_change_password(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("account")
    return render(request, "web/account/password.html", {"form": form})


TOTP_PENDING = "kith_totp_pending"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan or type the secret, confirm with a first code) or off."""
    user = request.user
    error = ""
    if request.method == "POST":
        code = str(request.POST.get("code", ""))
        try:
            if user.totp_secret:
                two_factor_services.totp_disable(user=user, code=code)
                messages.success(request, _("Two-factor sign-in is off."))
            else:
                secret = request.session.get(TOTP_PENDING) or ""
                two_factor_services.totp_enable(user=user, secret=secret, code=code)
                request.session.pop(TOTP_PENDING, None)
                messages.success(request, _("Two-factor sign-in is on."))
            return redirect("account")
        except FieldError as exc:
            error = exc.errors.get("code", str(exc))
    context: dict[str, object] = {"enabled": bool(user.totp_secret), "error": error}
    if not user.totp_secret:
        secret = request.session.get(TOTP_PENDING) or two_factor_services.totp_secret_new()
        request.session[TOTP_PENDING] = secret
        context.update(secret=secret, uri=two_factor_services.totp_uri(user=user, secret=secret))
    response = render(request, "web/account/two_factor.html", context, status=400 if error else 200)
    response["Cache-Control"] = "no-store"
    return response
