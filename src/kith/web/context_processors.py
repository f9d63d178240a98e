"""Template context every page of the UI needs: the module nav and what the user may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from kith.identity.access import MODULES, can


@dataclass(frozen=True)
class NavModule:
    key: str
    label: Any
    url_name: str | None  # None: not built yet, shown as "coming soon"


NAV_MODULES = (
    NavModule("contacts", _("Contacts"), "contact-list"),
    NavModule("companies", _("Companies"), "company-list"),
    NavModule("leads", _("Leads"), None),
    NavModule("deals", _("Deals"), None),
    NavModule("orders", _("Orders"), None),
    NavModule("tickets", _("Tickets"), None),
    NavModule("campaigns", _("Campaigns"), None),
    NavModule("insights", _("Insights"), None),
)

# URL names are "<entity>-<verb>"; the entity tells which nav module to highlight.
_ACTIVE_BY_URL_PREFIX = {"contact": "contacts", "company": "companies"}

RIGHTS = ("read", "create", "edit", "delete", "export")


def _rights_of(user: Any) -> dict[str, dict[str, bool]]:
    # Only decides which buttons to show; every service checks the same rights again.
    return {module: {right: can(user, module, right) for right in RIGHTS} for module in MODULES}


def kith(request: HttpRequest) -> dict[str, Any]:
    """`nav_modules`, `rights` (rights.contacts.delete …) and the active module."""
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name or "") if match else ""
    return {
        "nav_modules": NAV_MODULES,
        "nav_active": _ACTIVE_BY_URL_PREFIX.get(url_name.split("-")[0], ""),
        "rights": SimpleLazyObject(lambda: _rights_of(request.user)),
    }
