"""Template context every page of the UI needs: the module nav and what the user may do."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from kith.identity.access import MODULES, can


@dataclass(frozen=True)
class NavModule:
    key: str
    label: Any
    url_name: str | None  # None: not built yet, shown as "coming soon"


_NAV_MODULES = (
    NavModule("contacts", _("Contacts"), "contact-list"),
    NavModule("companies", _("Companies"), "company-list"),
    NavModule("tasks", _("Tasks"), "task-list"),
    NavModule("leads", _("Leads"), "lead-list"),
    NavModule("deals", _("Deals"), "deal-board"),
    NavModule("orders", _("Orders"), "order-list"),
    NavModule("tickets", _("Tickets"), "ticket-list"),
    NavModule("campaigns", _("Campaigns"), None),
    NavModule("insights", _("Insights"), "insights-dashboard"),
    NavModule("data", _("Data"), "import-list"),
)

# URL names are "<entity>-<verb>"; the entity tells which nav module to highlight.
_ACTIVE_BY_URL_PREFIX = {
    "contact": "contacts",
    "company": "companies",
    "task": "tasks",
    "lead": "leads",
    "form": "leads",
    "deal": "deals",
    "pipeline": "deals",
    "forecast": "deals",
    "order": "orders",
    "product": "orders",
    "ticket": "tickets",
    "sla": "tickets",
    "import": "data",
    "export": "data",
    "duplicate": "data",
    "merge": "data",
    "insights": "insights",
    "segment": "insights",
}


def _built(url_name: str | None) -> str | None:
    """The URL name when its page exists; modules whose pages are not built yet show "soon"."""
    if url_name is None:
        return None
    try:
        reverse(url_name)
    except NoReverseMatch:
        return None
    return url_name


@cache
def nav_modules() -> tuple[NavModule, ...]:
    return tuple(NavModule(m.key, m.label, _built(m.url_name)) for m in _NAV_MODULES)


RIGHTS = ("read", "create", "edit", "delete", "export")


def _rights_of(user: Any) -> dict[str, dict[str, bool]]:
    # Only decides which buttons to show; every service checks the same rights again.
    return {module: {right: can(user, module, right) for right in RIGHTS} for module in MODULES}


def kith(request: HttpRequest) -> dict[str, Any]:
    """`nav_modules`, `rights` (rights.contacts.delete …) and the active module."""
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name or "") if match else ""
    return {
        "nav_modules": nav_modules(),
        "nav_active": _ACTIVE_BY_URL_PREFIX.get(url_name.split("-")[0], ""),
        "rights": SimpleLazyObject(lambda: _rights_of(request.user)),
    }
