"""Public marketing links (no sign-in; the signed token is the authority): the open pixel, the
click redirect, the RFC 8058 one-click unsubscribe, and the unsubscribe page / preference centre."""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kith.core.errors import FieldError, NotFound
from kith.marketing.models import LANGUAGES
from kith.marketing.services import tracking

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def marketing_open(request: HttpRequest, token: str) -> HttpResponse:
    try:
        tracking.recipient_open(token=token)
    except NotFound:
        raise Http404(_("Not found.")) from None
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


def marketing_click(request: HttpRequest, token: str) -> HttpResponse:
    try:
        url = tracking.recipient_click(token=token)
    except NotFound:
        raise Http404(_("Not found.")) from None
    return HttpResponseRedirect(url)


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" without a session
def marketing_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        recipient = tracking.recipient_from_token(token)
    except NotFound:
        raise Http404(_("Not found.")) from None
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        tracking.recipient_unsubscribe(token=token, source="one-click")
        return HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")
    context: dict[str, object] = {"saved": False, "error": ""}
    if request.method == "POST":
        purposes = {p: request.POST.get(p) == "on" for p in tracking.EMAIL_PURPOSES}
        try:
            tracking.preferences_save(
                token=token, purposes=purposes, language=request.POST.get("language", "")
            )
            context["saved"] = True
        except FieldError as exc:
            context["error"] = "; ".join(exc.errors.values())
    preferences = tracking.preferences_of(recipient)
    labels = {
        "marketing": _("Offers and news"),
        "newsletter": _("Newsletter"),
        "surveys": _("Surveys"),
    }
    purposes_state = preferences["purposes"]
    assert isinstance(purposes_state, dict)
    context.update(
        {
            "purposes": [(p, labels[p], purposes_state[p]) for p in tracking.EMAIL_PURPOSES],
            "language": preferences["language"],
            "languages": LANGUAGES,
        }
    )
    return render(request, "web/marketing/preferences_public.html", context)
