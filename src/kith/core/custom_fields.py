"""Validation of custom field values against the admin's definitions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.models import CustomField

MAX_TEXT = 1000


def custom_fields_of(model: str) -> list[CustomField]:
    """The definitions for `model` ("customers.contact"), in display order."""
    return list(CustomField.objects.filter(model=model))


def custom_value_clean(definition: CustomField, raw: Any) -> Any:
    """One value as stored in JSON (number as int/float, date as ISO text), or None when blank.

    Raises ValueError with a message for the user.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.kind
    if kind == CustomField.Kind.NUMBER:
        try:
            number = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.Kind.DATE:
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if kind == CustomField.Kind.CHOICE:
        value = str(raw).strip()
        if value not in definition.choices:
            raise ValueError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(definition.choices)}
            )
        return value
    value = str(raw).strip()
    if len(value) > MAX_TEXT:
        raise ValueError(_("Use at most %(n)d characters.") % {"n": MAX_TEXT})
    return value


def custom_values_clean(
    *, model: str, values: Mapping[str, Any], existing: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge `values` into `existing` after validating each against its definition.

    Errors are keyed "custom.<key>"; unknown keys and missing required values are errors too.
    """
    definitions = {d.key: d for d in custom_fields_of(model)}
    result = dict(existing or {})
    errors: dict[str, str] = {}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom.{key}"] = _("There is no custom field “%(key)s”.") % {"key": key}
            continue
        try:
            value = custom_value_clean(definition, raw)
        except ValueError as exc:
            errors[f"custom.{key}"] = str(exc)
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    for key, definition in definitions.items():
        if definition.required and key not in result and f"custom.{key}" not in errors:
            errors[f"custom.{key}"] = _("This field is required.")
    if errors:
        raise FieldError(errors)
    return result
