"""Search indexing tasks: fed by thread/document changes, the periodic sweep, rebuilds.

Tasks take primary keys, call a service in ``search.services`` and retry on
transient errors (a locked SQLite file, a restarting database). Services queue
them by name (``core.queueing``).
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from search.services.indexing import IndexReport, index_documents as documents_index, threads_index
from search.services.rebuild import index_files_verify, index_rebuild
from search.services.sweep import index_sweep

logger = logging.getLogger(__name__)

DIRTY_BATCH = 500


def _summary(report: IndexReport) -> dict:
    return {
        "documents": report.documents,
        "added": report.passages_added,
        "removed": report.passages_removed,
        "embedded": report.embedded,
        "version": report.version,
        "rebuilt": report.rebuilt,
    }


@shared_task(bind=True, max_retries=5, default_retry_delay=5, acks_late=True)
def index_threads(self, thread_ids: list[int]) -> dict:
    """Index threads whose searchable content changed (sent by the community and harvest signals)."""
    try:
        return _summary(threads_index(thread_ids=thread_ids))
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=5, acks_late=True)
def index_documents(self, document_ids: list[int]) -> dict:
    """Index documents written through ``document_upsert`` / ``document_remove`` (KB articles)."""
    try:
        return _summary(documents_index(document_ids))
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def index_dirty(limit: int = DIRTY_BATCH) -> dict:
    """The periodic sweep (every ``SEARCH_INDEX_INTERVAL`` s): dirty threads, stale documents, pending rebuilds."""
    return index_sweep(limit=limit)


@shared_task
def verify_index_files() -> dict:
    """Periodic (every ``SEARCH_INDEX_CHECK_INTERVAL`` s): deleted or damaged index files ask for a rebuild."""
    return index_files_verify()


@shared_task(bind=True, max_retries=3, default_retry_delay=30, acks_late=True)
def rebuild_index(self, reason: str = "") -> dict:
    """Rebuild every search index from the database (stored vectors, no model unless needed).

    Also what a ``SEARCH_MODEL`` change comes to: search finds the index built
    with another model, answers by keyword and asks for this rebuild, which
    re-embeds every passage with the new model.
    """
    logger.info("search index rebuild: %s", reason or "requested")
    try:
        return _summary(index_rebuild())
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc
