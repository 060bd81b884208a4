"""Search indexing tasks: fed by thread/document changes, a dirty-flag sweep, rebuilds.

Tasks take primary keys, call a service in ``search.indexing`` and retry on
transient errors (a locked SQLite file, a restarting database).
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from search import indexing

logger = logging.getLogger(__name__)

DIRTY_BATCH = 500


def _summary(report: indexing.IndexReport) -> dict:
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
        return _summary(indexing.threads_index(thread_ids=thread_ids))
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=5, acks_late=True)
def index_documents(self, document_ids: list[int]) -> dict:
    """Index documents written through ``document_upsert`` / ``document_remove`` (KB articles)."""
    try:
        return _summary(indexing.index_documents(document_ids))
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def index_dirty(limit: int = DIRTY_BATCH) -> dict:
    """The periodic sweep (every ``SEARCH_INDEX_INTERVAL`` s): dirty threads, stale documents, pending rebuilds.

    Catches what the signal path missed (a broker outage, a crashed worker). A
    sweep still running makes the next tick return at once instead of queueing up.
    """
    with indexing.index_write_lock(blocking=False, name=".sweep.lock") as acquired:
        if not acquired:
            return {"skipped": "another sweep is running"}
        return indexing.index_sweep(limit=limit)


@shared_task(bind=True, max_retries=3, default_retry_delay=30, acks_late=True)
def rebuild_index(self, reason: str = "") -> dict:
    """Rebuild the keyword and vector indexes from the database (stored vectors, no model unless needed)."""
    logger.info("search index rebuild: %s", reason or "requested")
    try:
        return _summary(indexing.index_rebuild())
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=3, default_retry_delay=60, acks_late=True)
def reembed_model_change(self) -> dict:
    """After a ``SEARCH_MODEL`` change: embed every passage with the new model, then swap in a new index.

    Search keeps answering meanwhile: the old index is refused for the new model,
    so queries fall back to keyword ranking until the new version is saved.
    """
    logger.info("re-embedding every passage with %s", settings.SEARCH_MODEL)
    try:
        return _summary(indexing.index_rebuild())
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc
