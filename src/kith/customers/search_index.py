"""The substring search indexes of contacts and companies, which Django's schema does not know:
SQLite FTS5 (trigram) tables kept in sync by triggers; PostgreSQL pg_trgm GIN indexes.

On SQLite, a migration that adds a NOT NULL column (or otherwise makes Django rebuild the table)
drops the table's triggers with the old table: such a migration ends with
`migrations.RunPython(sqlite_triggers_restore, migrations.RunPython.noop)`, and
tests/customers/test_search_index.py checks the triggers after every migration.
"""

# The SQL is built from the constant table names above, never from input.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

TABLES = ("customers_contact", "customers_company")
TRIGGER_SUFFIXES = ("ai", "ad", "au")


def sqlite_triggers(table: str) -> list[str]:
    """The triggers that keep `table`'s FTS5 index in step with its search_text."""
    fts = f"{table}_fts"
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
    ]


def search_index_create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in TABLES:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE {table}_fts USING fts5(search_text, "
                    f"content='{table}', content_rowid='id', tokenize='trigram')"
                )
                for sql in sqlite_triggers(table):
                    cursor.execute(sql)
                cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for table in TABLES:
                cursor.execute(
                    f"CREATE INDEX {table}_search_trgm ON {table} "
                    "USING gin (search_text gin_trgm_ops)"
                )


def search_index_drop(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "sqlite":
                for suffix in TRIGGER_SUFFIXES:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
                cursor.execute(f"DROP TABLE IF EXISTS {table}_fts")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


def sqlite_triggers_restore(apps: Any, schema_editor: Any) -> None:
    """Recreate the FTS triggers (and rebuild the index) after a migration rebuilt the tables."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            for suffix in TRIGGER_SUFFIXES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            for sql in sqlite_triggers(table):
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
