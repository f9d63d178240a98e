"""Change history rows for display: field names become labels, stored choice values their names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kith.core.models import ChangeRecord, CustomField
from kith.customers.models import Consent

# History fields that are not model fields of the same name.
_EXTRA_LABELS = {
    "emails": _("Emails"),
    "phones": _("Phones"),
    "socials": _("Social handles"),
    "addresses": _("Addresses"),
    "tags": _("Tags"),
    "relationships": _("Relationships"),
}


@dataclass(frozen=True)
class HistoryRow:
    record: ChangeRecord
    field_label: Any
    old_value: Any
    new_value: Any


def _consent_label(field: str) -> Any:
    # "consent.email.marketing" -> "Consent: Email, Marketing"
    _prefix, channel, purpose = [*field.split("."), "", ""][:3]
    channels = dict(Consent.Channel.choices)
    purposes = dict(Consent.Purpose.choices)
    return _("Consent: %(channel)s, %(purpose)s") % {
        "channel": channels.get(channel, channel),
        "purpose": purposes.get(purpose, purpose),
    }


def _describe(model: type[Model], field: str, custom: dict[str, str]) -> tuple[Any, dict]:
    """The label of a history field, and the display names of its stored choice values."""
    if field.startswith("custom."):
        return custom.get(field.removeprefix("custom."), field), {}
    if field.startswith("consent."):
        return _consent_label(field), dict(Consent.Status.choices)
    if field in _EXTRA_LABELS:
        return _EXTRA_LABELS[field], {}
    try:
        model_field = model._meta.get_field(field.removesuffix("_id"))
    except FieldDoesNotExist:
        return field, {}
    choices = dict(model_field.choices or ()) if getattr(model_field, "choices", None) else {}
    return capfirst(model_field.verbose_name), choices


def history_rows(
    records: Iterable[ChangeRecord], *, model: type[Model], custom_fields: Sequence[CustomField]
) -> list[HistoryRow]:
    custom = {cf.key: cf.label for cf in custom_fields}
    rows = []
    for record in records:
        label, choices = _describe(model, record.field, custom) if record.field else ("", {})
        rows.append(
            HistoryRow(
                record=record,
                field_label=label,
                old_value=choices.get(record.old_value, record.old_value),
                new_value=choices.get(record.new_value, record.new_value),
            )
        )
    return rows
