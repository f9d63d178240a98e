"""{{ stage|localized }}, {{ field|localized:"label" }}: a name an administrator gave in several
languages (kith.core.translated), in the reader's. A builtin of the templates (settings)."""

from __future__ import annotations

from typing import Any

from django import template

from kith.core.translated import name_localized

register = template.Library()


@register.filter
def localized(record: Any, field: str = "name") -> str:
    if record is None or record == "":
        return ""
    return name_localized(record, field)
