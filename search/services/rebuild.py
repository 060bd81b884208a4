"""Rebuilding every search index from the database, and asking for a rebuild.

A rebuild reads stored vectors, so it needs the model only for text never
embedded (or after a ``SEARCH_MODEL`` change, when it re-embeds everything).
Search asks for one when it finds no usable index (``schedule_rebuild``), and so does
the scheduled check of the index files (``index_files_verify``); the periodic sweep
runs one that was asked for but never ran.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from community.models import Thread
from core.queueing import delay_on_commit
from search.backends import keyword_backends, vector_backend
from search.engine import Embedder, IndexUnavailable
from search.engine.batches import Progress, chunks
from search.models import Document, IndexState, Passage
from search.services.documents import documents_sync_threads
from search.services.indexing import DOC_CHUNK, IndexReport, index_documents

logger = logging.getLogger(__name__)

REBUILD_RETRY = timedelta(minutes=10)


def index_rebuild(
    *, embedder: Embedder | None = None, progress: Progress | None = None, resplit: bool = False
) -> IndexReport:
    """Rebuild everything: documents from all threads, stale passages, keyword indexes, vector index.

    Stored embeddings are reused, so the model is loaded only for text it never
    embedded (or after a ``SEARCH_MODEL`` change). ``resplit`` re-splits every
    document (after a change of the passage rules); unchanged passages still
    keep their vectors.
    """
    report = IndexReport(rebuilt=True)
    thread_ids = list(Thread.objects.order_by("pk").values_list("id", flat=True))
    for done, chunk in enumerate(chunks(thread_ids, DOC_CHUNK), start=1):
        Thread.objects.filter(pk__in=chunk, search_dirty=True).update(search_dirty=False)
        documents_sync_threads(thread_ids=chunk)
        if progress:
            progress("threads", min(done * DOC_CHUNK, len(thread_ids)), len(thread_ids))
    # Documents of threads that were deleted outright.
    Document.objects.filter(kind__in=("question", "thread"), is_active=True).exclude(
        object_id__in=Thread.objects.values("pk")
    ).update(is_active=False, updated_at=timezone.now())
    if resplit:
        Document.objects.update(indexed_hash="")
    stale = set(
        Document.objects.filter(is_active=True).exclude(indexed_hash=F("content_hash")).values_list("id", flat=True)
    )
    stale.update(Document.objects.filter(is_active=True, passages__isnull=True).values_list("id", flat=True))
    stale.update(Document.objects.filter(is_active=False, passages__isnull=False).values_list("id", flat=True))
    if stale:
        sub = index_documents(stale, embedder=embedder, update_vectors=False, progress=progress)
        report.documents, report.embedded = sub.documents, sub.embedded
        report.passages_added, report.passages_removed = sub.passages_added, sub.passages_removed
    keywords = keyword_backends()
    for backend in keywords:
        backend.clear()
    active = list(Document.objects.filter(is_active=True).order_by("pk").values_list("id", flat=True))
    for done, chunk in enumerate(chunks(active, DOC_CHUNK), start=1):
        for backend in keywords:
            backend.update(chunk)
        if progress:
            progress("keyword", min(done * DOC_CHUNK, len(active)), len(active))
    report.version = vector_backend().rebuild(embedder=embedder, progress=progress)
    report.extra = {"documents": len(active), "passages": IndexState.objects.order_by("pk").first().passages}
    return report


def schedule_rebuild(reason: str) -> None:
    """Mark the search indexes for rebuilding and queue ``search.tasks.rebuild_index``.

    Called by query code when the index is missing or corrupt; repeated calls
    while a rebuild is pending only log, so a burst of failing queries enqueues
    one rebuild (a pending mark older than ``REBUILD_RETRY`` is assumed lost and
    enqueued again). Never raises into the caller: search must keep answering.
    """
    reason = (reason or "unspecified")[:300]
    try:
        with transaction.atomic():
            state = IndexState.objects.select_for_update().order_by("pk").first()
            if state is None:
                state = IndexState.objects.create(model_name="", needs_rebuild=True, reason=reason)
                already = False
            else:
                already = state.needs_rebuild and state.updated_at > timezone.now() - REBUILD_RETRY
                if not already:
                    IndexState.objects.filter(pk=state.pk).update(
                        needs_rebuild=True, reason=reason, updated_at=timezone.now()
                    )
        if already:
            logger.info("vector index rebuild already pending (%s)", reason)
            return
        logger.warning("vector index rebuild scheduled: %s", reason)
        delay_on_commit("search.tasks.rebuild_index", reason,
                        what=f"the vector index rebuild ({reason}); the periodic sweep will retry")
    except Exception:  # noqa: BLE001 - a broken database must not break the search page
        logger.exception("could not schedule a vector index rebuild (%s)", reason)


def index_files_verify() -> dict:
    """The scheduled check (``search.tasks.verify_index_files``): when the database holds
    searchable passages but the index files are missing, damaged or built with another model,
    schedule a rebuild, as a query meeting a corrupt file does. Returns what it found."""
    if not Passage.objects.filter(document__is_active=True).exists():
        return {"ok": True, "passages": 0}
    try:
        vector_backend().verify()
    except IndexUnavailable as exc:
        schedule_rebuild(f"scheduled check: {exc}")
        return {"ok": False, "reason": str(exc)}
    return {"ok": True}
