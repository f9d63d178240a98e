"""The command palette (Ctrl/⌘-K): one search over every kind of record the apps declare
(kith.core.doors.search_sources), grouped by kind, and the actions that match the words typed."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kith.core.doors import search_sources
from kith.core.text import fold
from kith.core.translated import name_localized
from kith.identity.access import can
from kith.sales.selectors import pipelines_all
from kith.web.views.errors import service_errors

# Records of each kind the palette shows.
PER_KIND = 5


@dataclass(frozen=True)
class PaletteLink:
    title: str
    detail: str
    url: str


def _actions(
    request: HttpRequest, query: str, first_contact: PaletteLink | None
) -> list[PaletteLink]:
    """What the user may do from anywhere, filtered by the words typed (all for no words)."""
    user = request.user
    made = [
        ("contacts", _("New contact"), "contact-create"),
        ("companies", _("New company"), "company-create"),
        ("leads", _("New lead"), "lead-create"),
        ("deals", _("New deal"), "deal-create"),
        ("orders", _("New order"), "order-create"),
        ("tickets", _("New ticket"), "ticket-create"),
        ("tasks", _("New task"), "task-create"),
    ]
    actions = [
        PaletteLink(label, "", reverse(url_name))
        for module, label, url_name in made
        if can(user, module, "create")
    ]
    if can(user, "deals", "read"):
        actions += [
            PaletteLink(_("Go to pipeline %(name)s") % {"name": name_localized(p)}, "",
                        f"{reverse('deal-board')}?pipeline={p.pk}")
            for p in pipelines_all()
        ]  # fmt: skip
    words = fold(query).split()
    if words:
        actions = [a for a in actions if all(w in fold(a.title) for w in words)]
    if first_contact is not None and can(user, "interactions", "create"):
        actions.insert(
            0,
            PaletteLink(_("Log a call on %(name)s") % {"name": first_contact.title}, "",
                        f"{first_contact.url}#log-call"),
        )  # fmt: skip
    return actions[:8]


@login_required
@service_errors
def palette(request: HttpRequest) -> HttpResponse:
    """The palette's results for ?q=: records grouped by kind (each source already limited to
    what the user may read), then actions."""
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    groups: list[tuple[str, list[PaletteLink]]] = []
    first_contact = None
    if query:
        hits = [
            hit
            for source in search_sources()
            for hit in source(user=request.user, query=query, limit=PER_KIND)
        ]
        for _kind, same in groupby(hits, key=lambda h: h.kind):
            found = list(same)
            links = [
                PaletteLink(
                    h.title,
                    h.detail,
                    reverse(h.url_name, args=h.args) + (f"?{h.params}" if h.params else ""),
                )
                for h in found
            ]
            groups.append((str(found[0].kind_label), links))
            if found[0].kind == "contact" and first_contact is None:
                first_contact = links[0]
    context = {
        "query": query,
        "groups": groups,
        "actions": _actions(request, query, first_contact),
    }
    return render(request, "web/search/palette.html", context)
