"""Indexing services: passages, stored embeddings, FAISS upkeep, keyword upkeep, rebuild.

Flow for changed documents (``index_documents``): split into passages with the
model's tokenizer, embed only texts whose (text, model) key has no stored
``Embedding``, replace the changed ``Passage`` rows (new rows get new ids, which
HNSW requires), update the keyword index, then apply all removals and additions
to the FAISS index under one lock and save one new version. A rebuild reads
stored vectors and needs the model only for text never embedded.

FAISS upkeep and stored vectors live in ``search.vectors``; documents from
threads and the KB entry points in ``search.documents`` (re-exported here).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from search.documents import document_remove, document_upsert, documents_sync_threads
from search.engine import Embedder, embedding_key, split_passages
from search.index_access import get_embedder
from search.keyword import keyword_index_clear, keyword_index_update
from search.models import Document, IndexState, Passage
from search.vectors import (
    Progress,
    chunks,
    embed_missing,
    index_write_lock,
    vector_index_apply,
    vector_index_rebuild_locked,
)

logger = logging.getLogger(__name__)

DOC_CHUNK = 1000
MAX_SYNONYM_PASSAGES = 8

__all__ = [
    "IndexReport",
    "document_remove",
    "document_upsert",
    "embed_missing",
    "index_documents",
    "index_rebuild",
    "index_sweep",
    "index_write_lock",
    "passage_texts",
    "threads_index",
]


@dataclass
class IndexReport:
    documents: int = 0
    passages_added: int = 0
    passages_removed: int = 0
    embedded: int = 0
    version: int | None = None
    rebuilt: bool = False
    extra: dict = field(default_factory=dict)


# --- passages and embeddings ------------------------------------------------------------


def passage_texts(doc: Document, *, embedder: Embedder) -> list[str]:
    """What gets embedded for ``doc``: body passages, then one passage per synonym line.

    Passages fit ``embedder.max_tokens`` as counted by the model's own tokenizer.
    Inactive documents have none.
    """
    if not doc.is_active:
        return []
    token_len = getattr(embedder, "token_len", None)
    limits = {"tokenizer_len": token_len, "max_tokens": embedder.max_tokens}
    texts = split_passages(doc.title, doc.text, **limits)
    lines = [" ".join(line.split()) for line in doc.synonyms.splitlines()]
    for line in [line for line in lines if line][:MAX_SYNONYM_PASSAGES]:
        texts.extend(split_passages(doc.title, line, max_passages=1, **limits))
    return texts or [doc.title]


# --- documents to passages --------------------------------------------------------------


def index_documents(
    document_ids: Iterable[int], *, embedder: Embedder | None = None, update_vectors: bool = True,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the passages, embeddings, keyword entries and FAISS index of these documents up to date.

    Active documents whose ``indexed_hash`` differs from ``content_hash`` (or that
    have no passages) are re-split; unchanged passages keep their rows and ids.
    Inactive documents lose their passages. With ``update_vectors`` the FAISS
    index gets one new version for the whole call (the rebuild passes False and
    builds the index itself).
    """
    embedder = embedder or get_embedder()
    ids = sorted({int(pk) for pk in document_ids})
    report = IndexReport()
    added: list[int] = []
    removed: list[int] = []
    changed: list[int] = []
    for done, chunk in enumerate(chunks(ids, DOC_CHUNK), start=1):
        chunk_added, chunk_removed, chunk_changed = _index_chunk(
            chunk, embedder=embedder, report=report, progress=progress)
        added += chunk_added
        removed += chunk_removed
        changed += chunk_changed
        if progress:
            progress("documents", min(done * DOC_CHUNK, len(ids)), len(ids))
    report.passages_added, report.passages_removed = len(added), len(removed)
    if update_vectors and ids:
        # ``refresh``: a document whose visibility, tags or source changed keeps its passages, but
        # search reads those fields from the keyword index as a hint (``Candidates.allow_known``).
        report.version, report.rebuilt = vector_index_apply(
            add_ids=added, remove_ids=removed, embedder=embedder, documents=changed, refresh=ids)
    return report


def _index_chunk(
    ids: list[int], *, embedder: Embedder, report: IndexReport, progress: Progress | None
) -> tuple[list[int], list[int], list[int]]:
    """``(passage ids added, passage ids removed, documents re-split)`` for one chunk of documents."""
    docs = list(Document.objects.filter(pk__in=ids))
    old: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    for pid, doc_id, position, key in Passage.objects.filter(document_id__in=ids).values_list(
        "id", "document_id", "position", "embedding_key"
    ):
        old[doc_id][position] = (pid, key)
    plans: dict[int, list[tuple[str, str]]] = {}
    to_embed: dict[str, str] = {}
    for doc in docs:
        if doc.is_active and doc.indexed_hash == doc.content_hash and old[doc.pk]:
            continue
        texts = passage_texts(doc, embedder=embedder)
        plan = [(text, embedding_key(text, embedder.name)) for text in texts]
        plans[doc.pk] = plan
        to_embed.update({key: text for text, key in plan})
    report.embedded += embed_missing(to_embed, embedder=embedder, progress=progress)

    removed: list[int] = []
    new_rows: list[Passage] = []
    for doc in docs:
        plan = plans.get(doc.pk)
        if plan is None:
            continue
        current = old[doc.pk]
        for position, (pid, key) in current.items():
            if position >= len(plan) or plan[position][1] != key:
                removed.append(pid)
        for position, (text, key) in enumerate(plan):
            if position not in current or current[position][1] != key:
                new_rows.append(Passage(document_id=doc.pk, position=position, text=text, embedding_key=key))
        doc.indexed_hash = doc.content_hash if doc.is_active else ""
    with transaction.atomic():
        Passage.objects.filter(pk__in=removed).delete()
        created = Passage.objects.bulk_create(new_rows, batch_size=500)
        changed = [doc for doc in docs if doc.pk in plans]
        Document.objects.bulk_update(changed, ["indexed_hash"], batch_size=500)
        keyword_index_update(ids)
    report.documents += len(plans)
    added = [row.pk for row in created if row.pk is not None]
    if len(added) < len(created):  # backends without RETURNING: read the new ids back
        keys = {(row.document_id, row.position) for row in created}
        added = [
            pid for pid, doc_id, pos in Passage.objects.filter(document_id__in=list(plans)).values_list(
                "id", "document_id", "position") if (doc_id, pos) in keys
        ]
    return added, removed, list(plans)


def threads_index(*, thread_ids: Iterable[int], embedder: Embedder | None = None) -> IndexReport:
    """Re-read threads into documents and index what changed (the signal and dirty-flag path).

    The dirty flag is cleared *before* reading, so a change made while this runs
    marks the thread again and is picked up by the next pass; on failure the flag
    is restored.
    """
    from community.models import Thread

    ids = sorted({int(pk) for pk in thread_ids})
    if not ids:
        return IndexReport()
    Thread.objects.filter(pk__in=ids, search_dirty=True).update(search_dirty=False)
    try:
        changed = set(documents_sync_threads(thread_ids=ids))
        # Documents a failed earlier pass left stale are retried here as well.
        changed.update(
            Document.objects.filter(kind__in=("question", "thread"), object_id__in=ids)
            .exclude(indexed_hash=F("content_hash"))
            .values_list("id", flat=True)
        )
        return index_documents(changed, embedder=embedder)
    except Exception:
        Thread.objects.filter(pk__in=ids).update(search_dirty=True)
        raise


# --- rebuild ------------------------------------------------------------------------------


def index_rebuild(
    *, embedder: Embedder | None = None, progress: Progress | None = None, resplit: bool = False
) -> IndexReport:
    """Rebuild everything: documents from all threads, stale passages, keyword index, FAISS index.

    Stored embeddings are reused, so the model is loaded only for text it never
    embedded (or after a ``SEARCH_MODEL`` change). ``resplit`` re-splits every
    document (after a change of the passage rules); unchanged passages still
    keep their vectors.
    """
    from community.models import Thread

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
    keyword_index_clear()
    active = list(Document.objects.filter(is_active=True).order_by("pk").values_list("id", flat=True))
    for done, chunk in enumerate(chunks(active, DOC_CHUNK), start=1):
        keyword_index_update(chunk)
        if progress:
            progress("keyword", min(done * DOC_CHUNK, len(active)), len(active))
    with index_write_lock():
        report.version = vector_index_rebuild_locked(embedder=embedder, progress=progress)
    report.extra = {"documents": len(active), "passages": IndexState.objects.order_by("pk").first().passages}
    return report


def index_sweep(*, limit: int = 500, embedder: Embedder | None = None) -> dict:
    """One pass of the periodic task: a pending rebuild or model change, else dirty threads and stale documents.

    Returns counts for the task result. Bounded by ``limit`` threads and
    documents per pass; the next tick takes the rest.
    """
    from community.models import Thread

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
