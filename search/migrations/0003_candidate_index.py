"""PostgreSQL: the fields a search checks its candidates by, in an index of their own.

Every search reads ``is_active, visibility, kind, source, tags`` of the documents
its rankers propose, by primary key (``permissions._candidate_fields``). From the
table each row is a random heap page, and a document table much larger than
``shared_buffers`` is mostly read from disk or the OS cache; this index holds
just those fields (tens of bytes a document), so the lookup is an index-only
scan wherever autovacuum has marked the pages all-visible. SQLite reads the row
by rowid either way; other vendors get nothing.
"""
from django.db import migrations

INDEX = "search_document_candidate"


def create_candidate_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_document (id) "
            "INCLUDE (is_active, visibility, kind, source, tags)"
        )


def drop_candidate_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_keyword_index")]

    operations = [migrations.RunPython(create_candidate_index, drop_candidate_index)]
