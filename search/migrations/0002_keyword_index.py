"""The keyword index, per database vendor.

PostgreSQL: a GIN index over ``Document.search_vector`` (the weighted tsvector
``search.keyword`` keeps up to date). SQLite: an FTS5 table whose rowid is the
document id, searched with bm25 (``porter`` stemming over ``unicode61`` words).
Other vendors get nothing and keyword search raises there.
"""
from django.db import migrations

FTS_TABLE = "search_document_fts"


def create_keyword_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_document_vector_gin ON search_document USING gin (search_vector)"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, synonyms, text, tokenize = 'porter unicode61 remove_diacritics 2')"
        )


def drop_keyword_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_document_vector_gin")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create_keyword_index, drop_keyword_index)]
