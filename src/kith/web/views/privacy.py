"""A contact's privacy page (administrators): download everything Kith holds about them, or
erase it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kith.customers.models import Contact
from kith.intake.privacy import personal_data_erase, personal_data_export
from kith.web.views.admin_settings import admin_only


def _contact(contact_id: int) -> Contact:
    from django.http import Http404

    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


@admin_only
def contact_privacy(request: HttpRequest, contact_id: int) -> HttpResponse:
    return render(request, "web/contacts/privacy.html", {"contact": _contact(contact_id)})


@admin_only
def contact_privacy_export(request: HttpRequest, contact_id: int) -> HttpResponse:
    body = personal_data_export(by=request.user, contact_id=_contact(contact_id).pk)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact_id}.zip"'
    return response


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
