"""Tags on contacts and companies: names cleaned, missing tags created."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from kith.core.models import Tag
from kith.core.text import clean

MAX_TAG = 64


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    """Tags by name, creating the missing ones (two queries whatever the count)."""
    wanted = list(dict.fromkeys(clean(n)[:MAX_TAG] for n in names if clean(n)))
    if not wanted:
        return []
    Tag.objects.bulk_create([Tag(name=n) for n in wanted], ignore_conflicts=True)
    by_name = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [by_name[n] for n in wanted]


def tag_names_clean(names: Iterable[Any] | None, errors: dict[str, str]) -> list[str]:
    """Tag names as given, cleaned; a name over MAX_TAG characters is noted in `errors`."""
    cleaned = [clean(str(n)) for n in names or ()]
    if any(len(n) > MAX_TAG for n in cleaned):
        errors["tags"] = _("Use at most %(n)d characters per tag.") % {"n": MAX_TAG}
    return cleaned
