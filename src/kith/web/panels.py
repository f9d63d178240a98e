"""Panels that other domains add to the contact and company pages, each loaded by htmx from its
own URL (so the record page stays one fast request and each panel checks its own permissions).

The apps declare them (KithAppConfig.record_panels). A panel appears once its URL name exists;
its view takes the record's id and returns a fragment.
"""

from __future__ import annotations

from functools import cache

from django.urls import NoReverseMatch, reverse

from kith.core.apps import RecordPanel
from kith.core.doors import record_panels


def _built(panels: list[RecordPanel]) -> dict[str, list[RecordPanel]]:
    columns: dict[str, list[RecordPanel]] = {"main": [], "side": []}
    for panel in panels:
        try:
            reverse(panel.url_name, args=[1])
        except NoReverseMatch:
            continue
        columns[panel.column].append(panel)
    return columns


@cache
def contact_panels() -> dict[str, list[RecordPanel]]:
    return _built(record_panels("contact"))


@cache
def company_panels() -> dict[str, list[RecordPanel]]:
    return _built(record_panels("company"))
