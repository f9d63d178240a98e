"""Keyset (cursor) pagination: every page costs the same, the first or the ten-thousandth.

A cursor is an opaque token holding the sort key and id of the row at a page edge and the
direction to move in. Rows are ordered by (key, id) so the order is total.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from kith.core.errors import FieldError

T = TypeVar("T", bound=Model)


@dataclass
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None
    prev_cursor: str | None = None


@dataclass(frozen=True)
class Ordering:
    """Sort by `key` (a field name) then id, ascending unless `descending`."""

    key: str
    descending: bool = False


def cursor_encode(value: Any, pk: int, direction: str) -> str:
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    elif isinstance(value, date):
        value = value.isoformat()  # a DateField key: compared as an ISO string
    raw = json.dumps([value, pk, direction], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[Any, int, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk, direction = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["dt"])
        if direction not in {"n", "p"} or not isinstance(pk, int):
            raise ValueError(direction)
    except (ValueError, TypeError, KeyError, binascii.Error, json.JSONDecodeError) as exc:
        raise FieldError.one("cursor", _("This page link is invalid or out of date.")) from exc
    return value, pk, direction


def _beyond(ordering: Ordering, value: Any, pk: int, forward: bool) -> Q:
    """Rows strictly after (forward) or before the edge row, in the ordering's direction.

    The leading `key >= value` (or <=) is redundant logically but gives both databases an
    index range to seek to, so a deep page costs what the first one does.
    """
    ascending = forward != ordering.descending
    op, op_eq = ("gt", "gte") if ascending else ("lt", "lte")
    return Q(**{f"{ordering.key}__{op_eq}": value}) & (
        Q(**{f"{ordering.key}__{op}": value}) | Q(**{f"pk__{op}": pk})
    )


def paginate(
    queryset: QuerySet[T], *, ordering: Ordering, cursor: str | None, limit: int
) -> Page[T]:
    """One page of `queryset` in `ordering`, starting after/before `cursor` (None: first page)."""
    limit = max(1, limit)
    key = ordering.key
    forward_order = (f"-{key}", "-pk") if ordering.descending else (key, "pk")
    backward_order = (key, "pk") if ordering.descending else (f"-{key}", "-pk")
    if cursor is None:
        rows = list(queryset.order_by(*forward_order)[: limit + 1])
        items = rows[:limit]
        next_cursor = (
            cursor_encode(getattr(items[-1], key), items[-1].pk, "n") if len(rows) > limit else None
        )
        return Page(items=items, next_cursor=next_cursor, prev_cursor=None)
    value, pk, direction = cursor_decode(cursor)
    if direction == "n":
        rows = list(
            queryset.filter(_beyond(ordering, value, pk, True)).order_by(*forward_order)[
                : limit + 1
            ]
        )
        items = rows[:limit]
        has_next, has_prev = len(rows) > limit, True
    else:
        rows = list(
            queryset.filter(_beyond(ordering, value, pk, False)).order_by(*backward_order)[
                : limit + 1
            ]
        )
        items = rows[:limit][::-1]
        has_next, has_prev = True, len(rows) > limit
    return Page(
        items=items,
        next_cursor=cursor_encode(getattr(items[-1], key), items[-1].pk, "n")
        if items and has_next
        else None,
        prev_cursor=cursor_encode(getattr(items[0], key), items[0].pk, "p")
        if items and has_prev
        else None,
    )
