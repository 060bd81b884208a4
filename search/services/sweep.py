"""The periodic sweep (``search.tasks.index_dirty``, every ``SEARCH_INDEX_INTERVAL`` s).

Catches what the on-commit path missed (a broker outage, a crashed worker): a
pending rebuild or model change first, else dirty threads and stale documents.
"""
from __future__ import annotations

from django.conf import settings
from django.db.models import F

from community.models import Thread
from search.engine import Embedder
from search.locks import index_write_lock
from search.models import Document, IndexState
from search.services.indexing import IndexReport, index_documents, threads_index
from search.services.rebuild import index_rebuild


def index_sweep(*, limit: int = 500, embedder: Embedder | None = None) -> dict:
    """One pass, bounded by ``limit`` threads and documents (the next tick takes the rest).

    A sweep still running makes this one return at once instead of queueing up.
    Returns counts for the task result.
    """
    with index_write_lock(blocking=False, name=".sweep.lock") as acquired:
        if not acquired:
            return {"skipped": "another sweep is running"}
        return _sweep(limit=limit, embedder=embedder)


def _sweep(*, limit: int, embedder: Embedder | None) -> dict:
    state = IndexState.objects.order_by("pk").first()
    if state is not None and (state.needs_rebuild or (state.model_name and state.model_name != settings.SEARCH_MODEL)):
        report = index_rebuild(embedder=embedder)
        return {"rebuilt": True, "version": report.version}
    thread_ids = list(Thread.objects.filter(search_dirty=True).order_by("pk").values_list("id", flat=True)[:limit])
    report = threads_index(thread_ids=thread_ids, embedder=embedder) if thread_ids else IndexReport()
    stale = list(
        Document.objects.filter(is_active=True).exclude(indexed_hash=F("content_hash")).values_list("id", flat=True)[:limit]
    )
    if stale:
        more = index_documents(stale, embedder=embedder)
        report.documents += more.documents
        report.version = more.version or report.version
    return {"threads": len(thread_ids), "documents": report.documents, "version": report.version}
