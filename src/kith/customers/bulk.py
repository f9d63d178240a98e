"""Writing contacts and companies in bulk, stored exactly as the services would store them.

Generic helpers for loaders (the demo, imports): INSERT with executemany without building model
instances, plain indexes built after loading into empty tables, explicit ids, tags by name,
"created" history entries. Callers clean values with kith.customers.points/normalise and derive
sort/search columns with kith.customers.indexing, as the services do.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model
from django.utils import timezone

from kith.core.models import ChangeRecord, Tag
from kith.customers.models import Company, Contact
from kith.identity.models import User

# Rows travel from workers as tuples of these attributes (pickling model instances costs more
# than building them); Rows.insert fills any other column with the field's default.
CONTACT_ATTRS = (
    "id", "owner_id", "team_id", "first_name", "last_name", "full_name", "title", "company_id",
    "lifecycle_stage", "source_channel", "custom", "primary_email", "primary_phone",
    "sort_name", "order_name", "first_key", "last_key", "search_text",
)  # fmt: skip
POINT_ATTRS = ("contact_id", "kind", "label", "value", "is_primary")
ADDRESS_ATTRS = ("contact_id", "kind", "line1", "line2", "city", "region", "postal_code", "country")
RELATIONSHIP_ATTRS = ("from_contact_id", "to_contact_id", "kind")
CONSENT_ATTRS = ("contact_id", "channel", "purpose", "status", "at", "source")


def rows_insert(
    model: type[Model], attrs: tuple[str, ...], rows: list[tuple], *, prepared: bool = False
) -> None:
    """INSERT `rows` (values of `attrs`, already clean) with executemany: what bulk_create does
    minus building a model instance per row. Other columns get their field's default, and
    auto_now/auto_now_add columns the current time."""
    if not rows:
        return
    fields = [
        f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in attrs)
    ]
    by_attname = {f.attname: f for f in fields}
    now = timezone.now()
    extra = [f for f in fields if f.attname not in attrs]
    extra_values = [
        now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in extra
    ]
    # Only values that need adapting to the database (JSON, dates) go through the field.
    prep = [
        (i, by_attname[a])
        for i, a in enumerate(attrs)
        if by_attname[a].get_internal_type() in {"JSONField", "DateTimeField", "BooleanField"}
    ]
    extra_prepped = [
        f.get_db_prep_save(v, connection) for f, v in zip(extra, extra_values, strict=True)
    ]
    quote = connection.ops.quote_name
    columns = [by_attname[a].column for a in attrs] + [f.column for f in extra]
    # Names come from the model's meta, quoted; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    params = []
    for row in rows:
        values = list(row)
        if not prepared:
            for i, model_field in prep:
                values[i] = model_field.get_db_prep_save(values[i], connection)
        params.append(values + extra_prepped)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def rows_prepare(model: type[Model], attrs: tuple[str, ...], rows: list[tuple]) -> list[tuple]:
    """`rows` with JSON, date and boolean values adapted as rows_insert would (a worker does this
    so that the writing process does not have to; pass prepared=True to rows_insert then)."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    prep = [
        (i, by_attname[a])
        for i, a in enumerate(attrs)
        if by_attname[a].get_internal_type() in {"JSONField", "DateTimeField", "BooleanField"}
    ]
    prepared = []
    for row in rows:
        values = list(row)
        for i, model_field in prep:
            values[i] = model_field.get_db_prep_save(values[i], connection)
        prepared.append(tuple(values))
    return prepared


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


def _fts_insert_trigger(model: type[Model]) -> list[tuple[str, str, str]]:
    """[(table, trigger name, CREATE statement)] of the SQLite trigger that feeds `model`'s
    trigram index on insert (kith.customers migration 0003), if it has one."""
    if connection.vendor != "sqlite":
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [f"{table}_fts_ai"],
        )
        return [(table, name, sql) for name, sql in cursor.fetchall()]


@contextmanager
def secondary_indexes_deferred(models: Sequence[type[Model]]) -> Iterator[None]:
    """Into empty tables, write first and build the plain indexes (and SQLite's trigram index)
    afterwards: one sort per index instead of an insert per row and index, several times faster
    for a million rows.
    Tables that hold rows already keep their indexes (rebuilding them would cost more). The
    indexes come back even when the load fails."""
    if any(model.objects.exists() for model in models):
        yield
        return
    saved = [index for model in models for index in _secondary_indexes(model._meta.db_table)]
    triggers = [trigger for model in models for trigger in _fts_insert_trigger(model)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name, _sql in saved:
            cursor.execute(f"DROP INDEX {quote(name)}")
        for _table, name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {quote(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, sql in saved:
                cursor.execute(sql)
            # The trigram index built in one pass, like the plain ones.
            for table, _name, sql in triggers:
                cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")  # noqa: S608
                cursor.execute(sql)


def next_id(model: type[Company] | type[Contact]) -> int:
    """The first free id of `model` (bulk rows get explicit ids from here on)."""
    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def sequences_reset() -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite does it itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Company, Contact])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def tag_ids(names: list[str]) -> dict[str, int]:
    """Ids of the tags named, creating missing ones."""
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def created_record(model: type[Company] | type[Contact], ids: list[int], actor: User) -> None:
    """The "created" history entry the services write (kith.core.audit.changes_record)."""
    label = model._meta.label_lower
    # rows_insert, not bulk_create: a model instance per row cost imports half their write time.
    rows_insert(
        ChangeRecord,
        ("model", "object_id", "action", "actor_id"),
        [(label, pk, ChangeRecord.Action.CREATE.value, actor.pk) for pk in ids],
    )
