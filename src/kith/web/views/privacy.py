"""Privacy pages (administrators): a contact's or a lead's personal data (download everything
Kith holds about them, or erase it), and the privacy request log with overdue requests flagged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import Conflict, FieldError
from kith.core.pagination import Ordering, paginate
from kith.customers.models import Contact
from kith.intake.models import PrivacyRequest
from kith.intake.privacy import (
    lead_personal_data_erase,
    lead_personal_data_export,
    personal_data_erase,
    personal_data_export,
)
from kith.intake.privacy_requests import (
    privacy_request_done,
    privacy_request_is_overdue,
    privacy_request_log,
    privacy_requests_for,
)
from kith.sales.models import Lead
from kith.web.views.admin_settings import admin_only
from kith.web.views.lists import list_template, with_vary


def _contact(contact_id: int) -> Contact:
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


def _lead(lead_id: int) -> Lead:
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


def _zip(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


@admin_only
def contact_privacy(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact(contact_id)
    context = {
        "name": contact.full_name,
        "back_url": reverse("contact-detail", args=[contact.pk]),
        "export_url": reverse("contact-privacy-export", args=[contact.pk]),
        "erase_url": reverse("contact-privacy-erase", args=[contact.pk]),
    }
    return render(request, "web/contacts/privacy.html", context)


@admin_only
def contact_privacy_export(request: HttpRequest, contact_id: int) -> HttpResponse:
    body = personal_data_export(by=request.user, contact_id=_contact(contact_id).pk)
    return _zip(body, f"contact-{contact_id}")


@admin_only
def contact_privacy_erase(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact(contact_id)
    if request.method != "POST":
        return redirect("contact-privacy", contact_id=contact.pk)
    if request.POST.get("confirm") != "ERASE":
        messages.error(request, _("Type ERASE to confirm."))
        return redirect("contact-privacy", contact_id=contact.pk)
    personal_data_erase(by=request.user, contact_id=contact.pk)
    messages.success(request, _("The contact's personal data was erased in every app."))
    return redirect("contact-detail", contact_id=contact.pk)


@admin_only
def lead_privacy(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead(lead_id)
    if lead.contact_id is not None:  # the contact's page answers for them
        return redirect("contact-privacy", contact_id=lead.contact_id)
    context = {
        "name": lead.full_name,
        "back_url": reverse("lead-detail", args=[lead.pk]),
        "export_url": reverse("lead-privacy-export", args=[lead.pk]),
        "erase_url": reverse("lead-privacy-erase", args=[lead.pk]),
    }
    return render(request, "web/contacts/privacy.html", context)


@admin_only
def lead_privacy_export(request: HttpRequest, lead_id: int) -> HttpResponse:
    try:
        body = lead_personal_data_export(by=request.user, lead_id=_lead(lead_id).pk)
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect("lead-detail", lead_id=lead_id)
    return _zip(body, f"lead-{lead_id}")


@admin_only
def lead_privacy_erase(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead(lead_id)
    if request.method != "POST":
        return redirect("lead-privacy", lead_id=lead.pk)
    if request.POST.get("confirm") != "ERASE":
        messages.error(request, _("Type ERASE to confirm."))
        return redirect("lead-privacy", lead_id=lead.pk)
    try:
        lead_personal_data_erase(by=request.user, lead_id=lead.pk)
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect("lead-detail", lead_id=lead.pk)
    messages.success(request, _("The lead's personal data was erased in every app."))
    return redirect("lead-detail", lead_id=lead.pk)


def _received_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FieldError({"received_at": _("Enter a date, e.g. 2026-12-04.")}) from exc
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@admin_only
def privacy_request_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, Any] = {}
    if request.method == "POST":
        form = request.POST
        try:
            if form.get("done"):
                privacy_request_done(by=request.user, request_id=int(form["done"]))
                messages.success(request, _("The request is marked done."))
            else:
                privacy_request_log(
                    by=request.user,
                    kind=form.get("kind", ""),
                    subject=form.get("subject", ""),
                    subject_id=int(form.get("subject_id") or 0),
                    received_at=_received_at(form.get("received_at", "").strip()),
                    channel=form.get("channel", "").strip(),
                )
                messages.success(request, _("The request is logged."))
            return redirect("settings-privacy-request-list")
        except (ValueError, OverflowError):
            errors = {"subject_id": _("Enter a record id.")}
        except FieldError as exc:
            errors = exc.errors
    state = request.GET.get("state", "")
    page = paginate(
        privacy_requests_for(user=request.user, state=state),
        ordering=Ordering("received_at", descending=True),
        cursor=request.GET.get("cursor") or None,
        limit=settings.KITH_PAGE_SIZE,
    )
    now = timezone.now()
    rows = [(r, privacy_request_is_overdue(r, now=now)) for r in page.items]
    context = {
        "page": page,
        "rows": rows,
        "state": state,
        "errors": errors,
        "form": request.POST if errors else {},
        "kinds": PrivacyRequest.Kind.choices,
        "subjects": PrivacyRequest.SUBJECTS,
        "overdue_count": privacy_requests_for(user=request.user, state="overdue").count(),
        "days": settings.KITH_PRIVACY_REQUEST_DAYS,
    }
    template = list_template(request, "web/settings/privacy_request_list.html")
    return with_vary(render(request, template, context, status=400 if errors else 200))
