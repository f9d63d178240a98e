"""Substring search indexes: SQLite FTS5 (trigram) kept in sync by triggers; PostgreSQL pg_trgm."""

from django.db import migrations

from kith.customers.search_index import search_index_create, search_index_drop


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]
    operations = [migrations.RunPython(search_index_create, search_index_drop)]
