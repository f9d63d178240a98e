"""Writing many rows at once, for every app's loaders and imports (the demo, CSV imports, order
imports, backfills): COPY on PostgreSQL, multi-row INSERT statements on SQLite, plain indexes
and foreign keys deferred and rebuilt once for a first load into empty tables, explicit ids.

Rows are plain tuples of already clean values (no model instance per row: building one cost
imports half their write time). Callers clean and derive values as their services do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model
from django.utils import timezone

# Field types whose Python values need adapting to the database before they are written.
_ADAPTED = frozenset({"JSONField", "DateTimeField", "BooleanField"})


def values_write(table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (values of `columns`, already in the database's form) into `table`.

    PostgreSQL: one COPY. SQLite: INSERT statements of a thousand rows each, compiled once
    (several times faster than executemany's statement per row, which also rewrites
    sqlite_sequence each time; SQLite's compile time grows with the statement, so the
    longest statement it accepts is slower again)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    connection.ensure_connection()
    db = connection.connection
    per = max(1, min(1000, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))
    group = "(" + ", ".join(["?"] * len(columns)) + ")"
    head = f"INSERT INTO {quote(table)} ({cols}) VALUES "  # noqa: S608 - names from model meta
    full = head + ", ".join([group] * per)
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        sql = full if len(chunk) == per else head + ", ".join([group] * len(chunk))
        db.execute(sql, list(chain.from_iterable(chunk)))


def _fields(model: type[Model], attrs: tuple[str, ...]) -> tuple[list[Any], dict[str, Any]]:
    fields = [
        f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in attrs)
    ]
    return fields, {f.attname: f for f in fields}


def rows_prepare(model: type[Model], attrs: tuple[str, ...], rows: list[tuple]) -> list[tuple]:
    """`rows` with JSON, datetime and boolean values adapted as rows_insert would (a worker
    process does this so that the writing process does not; pass prepared=True then)."""
    _all, by_attname = _fields(model, attrs)
    prep = [
        (i, by_attname[a])
        for i, a in enumerate(attrs)
        if by_attname[a].get_internal_type() in _ADAPTED
    ]
    if not prep:
        return rows
    prepared = []
    for row in rows:
        values = list(row)
        for i, model_field in prep:
            values[i] = model_field.get_db_prep_save(values[i], connection)
        prepared.append(tuple(values))
    return prepared


def rows_insert(
    model: type[Model], attrs: tuple[str, ...], rows: list[tuple], *, prepared: bool = False
) -> None:
    """Insert `rows` (values of `attrs`, already clean) into `model`'s table: what bulk_create
    does minus a model instance per row. Every other column gets its field's default, and
    auto_now/auto_now_add columns the current time."""
    if not rows:
        return
    fields, by_attname = _fields(model, attrs)
    now = timezone.now()
    extra = [f for f in fields if f.attname not in attrs]
    extra_values = tuple(
        f.get_db_prep_save(
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default(),
            connection,
        )
        for f in extra
    )
    if not prepared:
        rows = rows_prepare(model, attrs, rows)
    columns = [by_attname[a].column for a in attrs] + [f.column for f in extra]
    values_write(model._meta.db_table, columns, [tuple(row) + extra_values for row in rows])


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain indexes of `table`: not the primary key, not the
    unique ones (they guard the data while it is written)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        else:
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique",
                [table],
            )
        return list(cursor.fetchall())


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    """(name, definition) of `table`'s foreign keys (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return list(cursor.fetchall())


def _fts_insert_trigger(table: str) -> list[tuple[str, str, str]]:
    """[(table, trigger name, CREATE statement)] of the SQLite trigger named <table>_fts_ai
    that feeds a table's full-text index on insert (kith.customers migration 0003)."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [f"{table}_fts_ai"],
        )
        return [(table, name, sql) for name, sql in cursor.fetchall()]


@contextmanager
def secondary_indexes_deferred(
    models: Sequence[type[Model]], *, foreign_keys: bool = False
) -> Iterator[bool]:
    """Into empty tables, write first and build the plain indexes (and SQLite's full-text
    index) afterwards: one sort per index instead of a B-tree insert per row and index,
    several times faster for a million rows. With `foreign_keys`, PostgreSQL's foreign keys of
    those tables are dropped too and added back at the end, validating every row in one join
    instead of one locking lookup per row (PostgreSQL's documented bulk-load advice).

    Tables that hold rows already keep their indexes (rebuilding them would cost more); the
    empty ones are deferred all the same (a contact load still defers its own tables when the
    companies' addresses are in the address table). Yields whether every table was empty: a
    first load. The indexes come back when the block ends; if it fails inside a transaction,
    the rollback brings them back instead."""
    empty = [model for model in models if not model._default_manager.exists()]
    if not empty:
        yield False
        return
    first_load = len(empty) == len(models)
    tables = [model._meta.db_table for model in empty]
    indexes = [index for table in tables for index in _secondary_indexes(table)]
    triggers = [trigger for table in tables for trigger in _fts_insert_trigger(table)]
    postgres = connection.vendor == "postgresql"
    keys = (
        [(table, *key) for table in tables for key in _foreign_keys(table)]
        if foreign_keys and postgres
        else []
    )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if keys:
            # ALTER TABLE touches the referenced tables too, which PostgreSQL refuses while
            # checks of rows written earlier in this transaction are pending: run those now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
        for _table, name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {quote(name)}")
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    try:
        yield first_load
    except BaseException:
        if connection.in_atomic_block:
            raise  # the rollback restores what was dropped; DDL now would fail on PostgreSQL
        _restore(indexes, triggers, keys)
        raise
    _restore(indexes, triggers, keys)


def _restore(
    indexes: list[tuple[str, str]],
    triggers: list[tuple[str, str, str]],
    keys: list[tuple[str, str, str]],
) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # CREATE INDEX refuses to run while deferred foreign-key checks of the rows are
            # pending: run them now (they would run at COMMIT anyway), then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        elif connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, sql in indexes:
            cursor.execute(sql)
        for table, _name, sql in triggers:
            # The full-text index built in one pass, like the plain ones.
            cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")  # noqa: S608
            cursor.execute(sql)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def next_id(model: type[Model]) -> int:
    """The first free id of `model` (bulk rows get explicit ids from here on)."""
    return int(model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def sequences_reset(models: Sequence[type[Model]]) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite does it itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
