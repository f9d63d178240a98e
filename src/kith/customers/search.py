"""Substring search over contacts and companies, backed by an index on both databases.

Queries of 3+ characters use the trigram index (SQLite FTS5 `trigram`, PostgreSQL `pg_trgm`).
One- and two-character Chinese words ("王", "小明") are looked up as the bracketed tokens
search_text holds for every such piece of a name (kith.core.text.cjk_tokens), through the same
index. Other short words ("Li") match the start of a first name, last name or full name through
B-tree range scans. Phone-like queries are reduced to digits, so any format finds the number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.db import connection
from django.db.models import Model, Q, QuerySet

from kith.core.pagination import Ordering, Page, cursor_decode, cursor_encode, paginate
from kith.core.text import cjk_token, digits, fold, is_cjk

_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{5,}$")
# Highest code point: appended to a prefix it bounds a B-tree range scan ("li" <= x < "li\U0010ffff").
_MAX_CHAR = "\U0010ffff"


@dataclass(frozen=True)
class SearchTerms:
    """A query split into index-searchable needles (3+ chars) and short leftovers."""

    long: tuple[str, ...]
    short: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.long and not self.short


def search_terms(query: str) -> SearchTerms:
    """Fold the query and split it; a phone-like query becomes one digit needle."""
    raw = (query or "").strip()
    if _PHONE_LIKE.match(raw) and len(digits(raw)) >= 5:
        return SearchTerms(long=(_phone_needle(raw),), short=())
    words = [_cjk_word(w) for w in fold(raw).split()]
    long = tuple(w for w in words if len(w) >= 3)
    short = tuple(w for w in words if len(w) < 3)
    return SearchTerms(long=long, short=short)


def _cjk_word(word: str) -> str:
    """A one- or two-character Chinese word ("小明", "王") as the token search_text holds for it,
    so the trigram index finds it anywhere in a name, not only at its start."""
    if len(word) <= 2 and all(is_cjk(ch) for ch in word):
        return cjk_token(word)
    return word


def _phone_needle(raw: str) -> str:
    """Digits that occur in the stored E.164 form of the number, whatever format was typed."""
    try:
        number = phonenumbers.parse(raw, settings.KITH_DEFAULT_PHONE_REGION)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.national_significant_number(number)
    except phonenumbers.NumberParseException:
        pass
    # A national trunk prefix ("0912 345 678") is not part of the E.164 digits.
    return digits(raw).lstrip("0") or digits(raw)


def _fts_phrase(needle: str) -> str:
    return '"' + needle.replace('"', '""') + '"'


def apply_search(
    queryset: QuerySet, terms: SearchTerms, *, prefix_fields: tuple[str, ...]
) -> QuerySet:
    """Filter `queryset` (of a model with `search_text`) to rows matching every term."""
    if terms.empty:
        return queryset.none()
    if terms.long:
        table = queryset.model._meta.db_table
        if connection.vendor == "sqlite":
            match = " AND ".join(_fts_phrase(t) for t in terms.long)
            # Table names come from model metadata, never from input; the query is a bound parameter.
            queryset = queryset.extra(  # noqa: S610
                where=[f"{table}.id IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s)"],  # noqa: S608
                params=[match],
            )
        else:
            for term in terms.long:
                queryset = queryset.filter(search_text__contains=term)
        # Short words narrow the rows the index found; no index is needed for that.
        for term in terms.short:
            queryset = queryset.filter(search_text__contains=term)
        return queryset
    condition = Q()
    for field in prefix_fields:
        field_q = Q()
        for term in terms.short:
            field_q &= Q(**{f"{field}__gte": term, f"{field}__lt": term + _MAX_CHAR})
        condition |= field_q
    return queryset.filter(condition)


def search_ids(
    model: type[Model],
    visible: QuerySet,
    terms: SearchTerms,
    *,
    prefix_fields: tuple[str, ...],
    limit: int,
) -> list[int]:
    """Ids of up to `limit` matching rows among `visible`, newest first, without sorting all matches.

    On SQLite the FTS table drives the join so that a common term ("nguyen") stops after `limit`
    visible hits instead of collecting every match first.
    """
    if terms.empty:
        return []
    if connection.vendor == "sqlite" and terms.long:
        table = model._meta.db_table
        match = " AND ".join(_fts_phrase(t) for t in terms.long)
        queryset = visible.extra(  # noqa: S610
            tables=[f"{table}_fts"],
            where=[f"{table}_fts.rowid = {table}.id", f"{table}_fts MATCH %s"],
            params=[match],
            order_by=[f"-{table}_fts.rowid"],
        )
        for term in terms.short:
            queryset = queryset.filter(search_text__contains=term)
        return list(queryset.values_list("id", flat=True)[:limit])
    queryset = apply_search(visible, terms, prefix_fields=prefix_fields)
    return list(queryset.order_by("-id").values_list("id", flat=True)[:limit])


# Newest first: the order a search list defaults to (a common word can match 100,000 of a
# million contacts; the trigram index hands them over newest first, so a page stops early).
NEWEST = Ordering("id", descending=True)


def paginate_search(
    queryset: QuerySet,
    terms: SearchTerms,
    *,
    ordering: Ordering,
    cursor: str | None,
    limit: int,
    prefix_fields: tuple[str, ...],
) -> Page:
    """One page, in `ordering`, of the rows of `queryset` that match `terms`.

    Newest-first pages on SQLite walk the FTS index in rowid order and stop after `limit`
    visible matches. On PostgreSQL, whose trigram index answers with every match at once, a
    newest-first page is first looked for among the next NEWEST_WINDOW rows by id, where a
    common word fills it (ids do not follow names, so matches are spread evenly); only a rarer
    word, with few matches to sort, goes to the index (a phone number goes there first). Other
    orders sort every match, which
    costs in proportion to how common the words are.
    """
    if terms.long and ordering == NEWEST:
        if connection.vendor == "sqlite":
            return _paginate_fts_newest(queryset, terms, cursor=cursor, limit=limit)
        attempts = (_paginate_window, _paginate_rare)
        if _looks_rare(terms):
            attempts = (_paginate_rare, _paginate_window)
        page = None
        for attempt in attempts:
            page = attempt(queryset, terms, cursor=cursor, limit=limit)
            if page is not None:
                break
        if page is not None:
            return page
    matching = apply_search(queryset, terms, prefix_fields=prefix_fields)
    return paginate(matching, ordering=ordering, cursor=cursor, limit=limit)


def _looks_rare(terms: SearchTerms) -> bool:
    """A phone number's digits (7 or more) match a handful of rows: the trigram index finds them
    at once, while the newest-rows window would read its 10,000 rows for nothing."""
    return any(term.isdigit() and len(term) >= 7 for term in terms.long)


# A word too rare for the window matches at most about this many rows; they are fetched by id
# through the trigram index and sorted here.
RARE_MATCHES = 5_000


def _paginate_rare(
    queryset: QuerySet, terms: SearchTerms, *, cursor: str | None, limit: int
) -> Page | None:
    """The page from the ids of every match beyond the cursor, when there are at most
    RARE_MATCHES; else None. Asked without an order, PostgreSQL takes them from the trigram
    index: asked for the newest first, it walks the primary key instead whenever it misjudges
    the word as common, through hundreds of thousands of rows for "le huu"."""
    forward = True
    matching = apply_search(queryset.order_by(), terms, prefix_fields=())
    if cursor is not None:
        _value, edge, direction = cursor_decode(cursor)
        forward = direction == "n"
        matching = matching.filter(pk__lt=edge) if forward else matching.filter(pk__gt=edge)
    ids = list(matching.values_list("pk", flat=True)[: RARE_MATCHES + 1])
    if len(ids) > RARE_MATCHES:
        return None
    ids.sort(reverse=forward)
    wanted = ids[: limit + 1]
    rows = sorted(queryset.filter(pk__in=wanted[:limit]), key=lambda r: r.pk, reverse=True)
    return _page_of(rows, more=len(wanted) > limit, forward=forward, cursor=cursor)


def _page_of(rows: list, *, more: bool, forward: bool, cursor: str | None) -> Page:
    """A newest-first page of `rows` (already in page order), with its cursors."""
    has_next = more if forward else True
    has_prev = cursor is not None if forward else more
    return Page(
        items=rows,
        next_cursor=cursor_encode(rows[-1].pk, rows[-1].pk, "n") if rows and has_next else None,
        prev_cursor=cursor_encode(rows[0].pk, rows[0].pk, "p") if rows and has_prev else None,
    )


# Rows a newest-first search page looks through before it asks the trigram index: a word in one
# contact of 200 or more fills a 50-row page here.
NEWEST_WINDOW = 10_000


def _paginate_window(
    queryset: QuerySet, terms: SearchTerms, *, cursor: str | None, limit: int
) -> Page | None:
    """The page when NEWEST_WINDOW rows from the cursor on hold enough matches, else None."""
    window = queryset.order_by("-pk")
    forward = True
    if cursor is not None:
        _value, edge, direction = cursor_decode(cursor)
        forward = direction == "n"
        window = (
            window.filter(pk__lt=edge) if forward else window.filter(pk__gt=edge).order_by("pk")
        )
    matching = queryset.filter(pk__in=window.values("pk")[:NEWEST_WINDOW])
    for term in (*terms.long, *terms.short):
        matching = matching.filter(search_text__contains=term)
    page = paginate(matching, ordering=NEWEST, cursor=cursor, limit=limit)
    filled = page.next_cursor if forward else page.prev_cursor
    return page if filled is not None else None


def _paginate_fts_newest(
    queryset: QuerySet, terms: SearchTerms, *, cursor: str | None, limit: int
) -> Page:
    table = queryset.model._meta.db_table
    fts = f"{table}_fts"
    where = [f"{fts}.rowid = {table}.id", f"{fts} MATCH %s"]
    params: list[object] = [" AND ".join(_fts_phrase(t) for t in terms.long)]
    forward = True
    if cursor is not None:
        _value, edge, direction = cursor_decode(cursor)
        forward = direction == "n"
        where.append(f"{fts}.rowid {'<' if forward else '>'} %s")
        params.append(edge)
    # The FTS table drives (its rowid order is the page order), so SQLite never collects every match.
    rows_qs = queryset.order_by().extra(  # noqa: S610 - names from model metadata, values bound
        tables=[fts],
        where=where,
        params=params,
        order_by=[f"-{fts}.rowid" if forward else f"{fts}.rowid"],
    )
    for term in terms.short:
        rows_qs = rows_qs.filter(search_text__contains=term)
    rows = list(rows_qs[: limit + 1])
    items = rows[:limit] if forward else rows[:limit][::-1]
    return _page_of(items, more=len(rows) > limit, forward=forward, cursor=cursor)


@contextmanager
def search_index_batched(model: type[Model]) -> Iterator[None]:
    """Bulk inserts of contacts or companies inside the block are added to the SQLite trigram
    index in one statement at its end instead of row by row by the insert trigger (about four
    times cheaper). Must run inside a transaction, and new rows must get ids above the current
    highest (auto ids and kith.demo.bulk's pre-assigned ones do): in SQLite the trigger's
    removal is part of the transaction, so no other connection ever writes without it.
    Other databases index as they insert; the block changes nothing there.
    """
    if connection.vendor != "sqlite":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("search_index_batched needs a transaction")
    table = model._meta.db_table
    trigger = f"{table}_fts_ai"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [trigger]
        )
        row = cursor.fetchone()
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - model table
        highest = cursor.fetchone()[0]
        if row is not None:
            cursor.execute(f"DROP TRIGGER {trigger}")
    yield
    if row is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table}_fts(rowid, search_text) "  # noqa: S608 - model table
            f"SELECT id, search_text FROM {table} WHERE id > %s",
            [highest],
        )
        cursor.execute(row[0])
