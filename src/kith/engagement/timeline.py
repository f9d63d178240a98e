"""A contact's timeline: one newest-first stream merged from many sources.

Each app that puts things on a timeline (engagement's interactions, sales' orders and deals,
service's tickets, the record history…) registers a source in its AppConfig.ready():

    timeline_source_register(kind="order", label=_("Orders"), fetch=orders_for_timeline)

A source's `fetch(user=, contact_id=, before=, limit=)` returns at most `limit` TimelineItems of
its kind for that contact, newest first, strictly older than `before` (a TimelineCursor; None for
the first page), already limited to what the user may see. It filters with
`before.q(kind=…, at_field=…, key_field=…)` and orders by (-at_field, -key_field) on an index
that starts with the contact: one query per source per page, whatever the page number.
`contact_timeline` merges the sources (higher layers register; engagement never imports them).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db.models import Q
from django.utils.translation import gettext as _

from kith.core.errors import FieldError


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # the source's kind: "interaction", "order", "deal", "ticket", "change", …
    at: datetime
    key: int  # the row's id in its source; (at, kind, key) orders the timeline totally
    title: str
    summary: str = ""
    url: str | None = None
    actor: str | None = None  # who did it, as shown
    icon: str = ""  # a short name the template maps to a symbol ("call", "email", "order", …)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.key)


@dataclass(frozen=True)
class TimelineCursor:
    """The (at, kind, key) of the last item shown; the next page holds items strictly older."""

    at: datetime
    kind: str
    key: int

    def q(self, *, kind: str, at_field: str, key_field: str = "pk") -> Q:
        """Rows of source `kind` that come after this cursor in newest-first order."""
        older = Q(**{f"{at_field}__lt": self.at})
        if kind < self.kind:
            return older | Q(**{at_field: self.at})
        if kind == self.kind:
            return older | Q(**{at_field: self.at, f"{key_field}__lt": self.key})
        return older

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.kind, self.key], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> TimelineCursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            at, kind, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
            return cls(at=datetime.fromisoformat(at), kind=str(kind), key=int(key))
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
            raise FieldError.one("cursor", _("This page link is invalid or out of date.")) from exc


class TimelineFetch(Protocol):
    def __call__(
        self, *, user: Any, contact_id: int, before: TimelineCursor | None, limit: int
    ) -> Iterable[TimelineItem]: ...


@dataclass(frozen=True)
class TimelineSource:
    kind: str
    label: Any  # lazy translated name for the kind filter
    fetch: TimelineFetch


TIMELINE_SOURCES: dict[str, TimelineSource] = {}


def timeline_source_register(*, kind: str, label: Any, fetch: TimelineFetch) -> None:
    """Add (or replace) the source of one kind of timeline item."""
    TIMELINE_SOURCES[kind] = TimelineSource(kind=kind, label=label, fetch=fetch)


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str | None


def timeline_merge(
    streams: Iterable[Iterable[TimelineItem]], *, limit: int
) -> tuple[list[TimelineItem], bool]:
    """The newest `limit` items of newest-first streams, and whether more remain."""
    merged = heapq.merge(*streams, key=lambda item: item.sort_key, reverse=True)
    items: list[TimelineItem] = []
    for item in merged:
        if len(items) == limit:
            return items, True
        items.append(item)
    return items, False


def timeline_sources_fetch(
    *,
    user: Any,
    contact_id: int,
    cursor: str | None = None,
    kinds: Iterable[str] | None = None,
    limit: int = 25,
    sources: Callable[[], dict[str, TimelineSource]] = lambda: TIMELINE_SOURCES,
) -> TimelinePage:
    """One page of a contact's timeline from the registered sources (the contact's own
    visibility is checked by the caller, kith.engagement.selectors.contact_timeline)."""
    before = TimelineCursor.decode(cursor) if cursor else None
    wanted = set(kinds) if kinds else None
    streams = [
        list(source.fetch(user=user, contact_id=contact_id, before=before, limit=limit + 1))
        for kind, source in sorted(sources().items())
        if wanted is None or kind in wanted
    ]
    items, more = timeline_merge(streams, limit=limit)
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = TimelineCursor(at=last.at, kind=last.kind, key=last.key).encode()
    return TimelinePage(items=items, next_cursor=next_cursor)
