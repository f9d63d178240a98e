"""Names an administrator gives in every language of the installation: a pipeline, its stages,
an SLA policy, a role, a custom field's label. The record keeps its name in the installation's
language (what it is sorted, searched and exported by) and, in `<field>_translations`, the
names for other languages ({"vi": "…", "zh-hans": "…"}); a page shows the reader's language's
name when there is one (Odoo stores its translatable names the same way)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import translation

from kith.core.text import clean


def languages_other() -> list[tuple[str, str]]:
    """(code, name) of the installation's languages other than its own."""
    return [
        (code, str(name)) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
    ]


def name_localized(record: Any, field: str = "name", language: str | None = None) -> str:
    """`record.<field>` in `language` (default: the active one) when it has been translated,
    else as stored."""
    stored = getattr(record, field)
    names: Mapping[str, str] | None = getattr(record, f"{field}_translations", None)
    if not names:
        return stored
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return names.get(language) or names.get(language.split("-")[0]) or stored


def translations_clean(raw: Mapping[str, Any] | None, *, limit: int) -> dict[str, str]:
    """Only the installation's languages, cleaned and cut to `limit`; blanks dropped."""
    known = {code for code, _name in settings.LANGUAGES}
    return {
        code: clean(str(text))[:limit]
        for code, text in (raw or {}).items()
        if code in known and clean(str(text or ""))
    }


def translations_of(message: Any, *, limit: int = 200) -> dict[str, str]:
    """A message marked for translation (gettext_lazy) in every language of the installation:
    what built-in setup (roles, the demo's pipelines) is seeded with."""
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names[code] = str(message)[:limit]
    return names


def seeded_name(message: Any, *, limit: int = 200) -> tuple[str, dict[str, str]]:
    """(name in the installation's language, the names in the others) for built-in setup."""
    names = translations_of(message, limit=limit)
    own = names.pop(settings.LANGUAGE_CODE, str(message))
    return own, names
