"""What every record form shares: tag input and placing a service's FieldError on form fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.core.errors import FieldError
from kith.core.translated import languages_other

# Commas as typed on English, Chinese and Vietnamese keyboards.
_TAG_SEPARATORS = re.compile(r"[,，、;；]")


def tags_parse(text: str) -> list[str]:
    """'vip, 北京，vip' -> ['vip', '北京'] (trimmed, first spelling kept, no duplicates)."""
    seen: dict[str, str] = {}
    for raw in _TAG_SEPARATORS.split(text or ""):
        name = raw.strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def tags_text(names: Iterable[str]) -> str:
    return ", ".join(names)


class TagsField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Tags"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate tags with commas."))
        super().__init__(**kwargs)


class ServiceForm(forms.Form):
    """A form whose data goes to a service; `add_service_errors` shows the service's FieldError
    on the field the user typed into."""

    # Service argument -> form field, where their names differ.
    service_field_names: dict[str, str] = {}

    def form_field_for(self, key: str) -> str | None:
        """The form field a service error key ("emails.0", "custom.size", "owner_id") names."""
        if key in self.service_field_names:
            return self.service_field_names[key]
        if key.startswith("custom."):
            key = "custom-" + key.removeprefix("custom.")
        return key if key in self.fields else None

    def add_service_errors(self, error: FieldError) -> None:
        for key, message in error.errors.items():
            name = self.form_field_for(key)
            if name is None:
                self.add_error(None, f"{key}: {message}")
            else:
                # add_error drops a field from cleaned_data, so do it one field at a time.
                self.add_error(name, message)


def translation_fields(form: forms.BaseForm, *, label: Any, limit: int) -> None:
    """Add name_<language> fields for the installation's other languages (kith.core.translated)."""
    for code, language in languages_other():
        form.fields[f"name_{code}"] = forms.CharField(
            label=_("%(field)s in %(language)s") % {"field": label, "language": language},
            max_length=limit, required=False,
        )  # fmt: skip


def translations_from(form: forms.BaseForm) -> dict[str, str]:
    """The names the translation_fields of a valid form hold, by language."""
    return {code: form.cleaned_data.get(f"name_{code}") or "" for code, _l in languages_other()}


def translations_initial(names: dict[str, str]) -> dict[str, str]:
    return {f"name_{code}": text for code, text in names.items()}
