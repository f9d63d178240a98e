"""Panels that other domains add to the contact and company pages, each loaded by htmx from its
own URL (so the record page stays one fast request and each panel checks its own permissions).

A panel appears once its URL name exists; its view takes the record's id and returns a fragment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Panel:
    url_name: str
    label: Any
    column: str  # "main" or "side"


_CONTACT_PANELS = (
    Panel("contact-timeline", _("Timeline"), "main"),
    Panel("contact-sales-panel", _("Purchases and deals"), "side"),
    Panel("contact-insights-panel", _("Scores"), "side"),
    Panel("contact-tickets-panel", _("Tickets"), "side"),
    Panel("contact-tasks-panel", _("Tasks"), "side"),
    Panel("contact-duplicates-panel", _("Possible duplicates"), "side"),
)
_COMPANY_PANELS = (
    Panel("company-timeline", _("Timeline"), "main"),
    Panel("company-sales-panel", _("Purchases and deals"), "side"),
    Panel("company-tickets-panel", _("Tickets"), "side"),
)


def _built(panels: tuple[Panel, ...]) -> dict[str, list[Panel]]:
    columns: dict[str, list[Panel]] = {"main": [], "side": []}
    for panel in panels:
        try:
            reverse(panel.url_name, args=[1])
        except NoReverseMatch:
            continue
        columns[panel.column].append(panel)
    return columns


@cache
def contact_panels() -> dict[str, list[Panel]]:
    return _built(_CONTACT_PANELS)


@cache
def company_panels() -> dict[str, list[Panel]]:
    return _built(_COMPANY_PANELS)
