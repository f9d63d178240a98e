"""Template context every page of the UI needs: the module nav and what the user may do."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from kith.core.doors import nav_entries
from kith.identity.access import MODULES, can, is_admin


@dataclass(frozen=True)
class NavModule:
    key: str
    label: Any
    url_name: str | None  # None: not built yet, shown as "coming soon"


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
    """The installed apps' nav entries (KithAppConfig.nav_entries), by their order."""
    return tuple(NavModule(e.key, e.label, _built(e.url_name)) for e in nav_entries())


@cache
def _active_by_url_prefix() -> dict[str, str]:
    # URL names are "<entity>-<verb>"; the entity tells which nav module to highlight.
    return {prefix: e.key for e in nav_entries() for prefix in e.url_prefixes}


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
        "nav_active": _active_by_url_prefix().get(url_name.split("-")[0], ""),
        "rights": SimpleLazyObject(lambda: _rights_of(request.user)),
        "is_admin": SimpleLazyObject(lambda: is_admin(request.user)),
    }
