"""Form fields for admin-defined custom fields (core.CustomField), on edit forms and filters."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.core.models import CustomField
from kith.core.translated import name_localized

PREFIX = "custom-"


def field_name(custom_field: CustomField) -> str:
    return f"{PREFIX}{custom_field.key}"


def _choice_pairs(custom_field: CustomField) -> list[tuple[str, str]]:
    pairs = []
    for choice in custom_field.choices or []:
        if isinstance(choice, dict):
            value = str(choice.get("value", ""))
            pairs.append((value, str(choice.get("label", value))))
        else:
            pairs.append((str(choice), str(choice)))
    return pairs


def form_field(custom_field: CustomField, *, for_filter: bool = False) -> forms.Field:
    """The form field for one custom field; on a filter every field is optional."""
    required = custom_field.required and not for_filter
    common: dict[str, Any] = {"label": name_localized(custom_field, "label"), "required": required}
    if custom_field.kind == CustomField.Kind.CHOICE:
        blank = _("Any") if for_filter else "—"
        return forms.ChoiceField(choices=[("", blank), *_choice_pairs(custom_field)], **common)
    if custom_field.kind == CustomField.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if custom_field.kind == CustomField.Kind.NUMBER and not for_filter:
        return forms.DecimalField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
    return forms.CharField(max_length=500, **common)


def add_fields(form: forms.BaseForm, custom_fields: Iterable[CustomField], **kw: Any) -> list[str]:
    """Add one form field per custom field; returns their names in order."""
    names = []
    for custom_field in custom_fields:
        name = field_name(custom_field)
        form.fields[name] = form_field(custom_field, **kw)
        names.append(name)
    return names


def as_text(value: Any) -> str:
    """A cleaned custom value as the text the services and filters take."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()


def values_of(form: forms.BaseForm, names: Iterable[str]) -> dict[str, str]:
    """{key: text} of the cleaned custom fields of `form` (blank values included)."""
    return {name[len(PREFIX) :]: as_text(form.cleaned_data.get(name)) for name in names}
