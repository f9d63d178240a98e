"""Reads of web-to-lead forms."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.sales.models import WebForm


def webforms_all() -> QuerySet[WebForm]:
    """Every web-to-lead form by name (the administrators' list)."""
    return WebForm.objects.select_related("owner", "team").order_by("name")


def webform_public(*, slug: str) -> WebForm:
    """The active form at this address; NotFound otherwise."""
    form = WebForm.objects.filter(slug=slug, is_active=True).first()
    if form is None:
        raise NotFound(_("Not found."))
    return form
