"""Importers: pure parsers from bytes/pages to ``harvest.engine.records``, plus fetchers.

Every importer is a class with one method::

    def iter_records(self, checkpoint: dict | None) -> Iterator[tuple[Record, dict | None]]

It yields each record with the cursor to resume from once that record (and all
before it) is stored, or ``None`` when it is not a safe resume point. No ORM here.
"""
