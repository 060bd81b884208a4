"""Consistency between the database and the search indexes: report drift, repair it.

Three layers can drift apart: threads vs ``Document`` rows (a lost signal),
``Document`` vs its ``Passage`` rows (a failed indexing pass), and passages vs
the vector backend's ids and the keyword backends' indexes — by default the
database's full-text index and the in-memory one saved with each vector index
version (a crash between commit and save, a restored backup, a deleted file).
``index_check`` reports each kind by id; ``index_repair`` fixes them with the
same services the indexer uses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F

from community.models import Thread
from search.backends import keyword_backends, vector_backend
from search.engine import Embedder, IndexUnavailable
from search.engine.batches import Progress
from search.models import Document, Embedding, Passage
from search.services.indexing import index_documents, threads_index

# Past this share of drifting passages a fresh build is cheaper than patching.
REBUILD_SHARE = 0.25
SAMPLE = 5


@dataclass
class Drift:
    """What is out of step; every list holds ids (thread, document or passage ids as named)."""

    index_error: str | None = None
    threads_unsynced: list[int] = field(default_factory=list)
    documents_stale: list[int] = field(default_factory=list)
    passages_unembedded: list[int] = field(default_factory=list)
    faiss_missing: list[int] = field(default_factory=list)
    faiss_orphaned: list[int] = field(default_factory=list)
    keyword_missing: list[int] = field(default_factory=list)
    keyword_orphaned: list[int] = field(default_factory=list)
    passages: int = 0

    @property
    def ok(self) -> bool:
        return not self.index_error and not any(
            getattr(self, name) for name in self._lists()
        )

    @staticmethod
    def _lists() -> tuple[str, ...]:
        return ("threads_unsynced", "documents_stale", "passages_unembedded", "faiss_missing",
                "faiss_orphaned", "keyword_missing", "keyword_orphaned")

    def lines(self) -> list[str]:
        """One human-readable line per kind of drift (empty when consistent)."""
        out = [f"vector index unusable: {self.index_error}"] if self.index_error else []
        labels = {
            "threads_unsynced": "threads whose document is missing or has the wrong visibility",
            "documents_stale": "documents whose passages do not match their text (stale)",
            "passages_unembedded": f"passages without a stored {settings.SEARCH_MODEL} vector",
            "faiss_missing": "passages missing from the vector index",
            "faiss_orphaned": "vector index entries with no active passage (orphaned)",
            "keyword_missing": "documents missing from the keyword index",
            "keyword_orphaned": "keyword index entries with no active document (orphaned)",
        }
        for name in self._lists():
            ids = getattr(self, name)
            if ids:
                sample = ", ".join(str(i) for i in ids[:SAMPLE]) + (", …" if len(ids) > SAMPLE else "")
                out.append(f"{len(ids)} {labels[name]}: {sample}")
        return out


def index_check() -> Drift:
    """Compare threads, documents, passages, stored vectors and every backend's index."""
    drift = Drift()
    visible = set(Thread.objects.visible().values_list("id", flat=True))
    thread_docs = Document.objects.filter(kind__in=(Document.Kind.QUESTION, Document.Kind.THREAD))
    active_threads = set(thread_docs.filter(is_active=True).values_list("object_id", flat=True))
    drift.threads_unsynced = sorted(visible ^ active_threads)

    active = Document.objects.filter(is_active=True)
    stale = set(active.exclude(indexed_hash=F("content_hash")).values_list("id", flat=True))
    stale |= set(active.filter(passages__isnull=True).values_list("id", flat=True))
    stale |= set(Document.objects.filter(is_active=False, passages__isnull=False).values_list("id", flat=True))
    drift.documents_stale = sorted(stale)

    live_passages = Passage.objects.filter(document__is_active=True)
    passage_docs = dict(live_passages.values_list("id", "document_id"))
    expected = set(passage_docs)
    drift.passages = len(expected)
    current_vectors = Embedding.objects.filter(model_name=settings.SEARCH_MODEL).values("key")
    drift.passages_unembedded = sorted(
        live_passages.exclude(embedding_key__in=current_vectors).values_list("id", flat=True)
    )
    try:
        stored = vector_backend().stored_ids()
    except IndexUnavailable as exc:
        drift.index_error = str(exc)  # a rebuild makes every index anew
    else:
        drift.faiss_missing = sorted(expected - stored)
        drift.faiss_orphaned = sorted(stored - expected)

    active_ids = set(active.values_list("id", flat=True))
    held_by_all, held_by_any, wrong = active_ids, set(), set()
    for backend in keyword_backends():
        if backend.saved_with_vectors and drift.index_error:
            continue  # its index lives in the unusable vector index version
        found = backend.held(passage_docs)
        if found is None:
            continue
        held, held_wrongly = found
        held_by_all, held_by_any, wrong = held_by_all & held, held_by_any | held, wrong | held_wrongly
    drift.keyword_missing = sorted((active_ids - held_by_all) | (wrong & active_ids))
    drift.keyword_orphaned = sorted((held_by_any | wrong) - active_ids)
    return drift


def index_repair(*, embedder: Embedder | None = None, progress: Progress | None = None) -> Drift:
    """Fix every drift ``index_check`` finds; returns the check after repair.

    Threads are re-read into documents, stale documents re-split (stored vectors
    reused), then the FAISS index is patched — or rebuilt from stored vectors when
    it is unusable, vectors are missing, or too much of it drifted — and the
    keyword indexes get the missing entries added and orphans removed.
    """
    drift = index_check()
    if drift.ok:
        return drift
    if drift.threads_unsynced:
        threads_index(thread_ids=drift.threads_unsynced, embedder=embedder)
    if drift.documents_stale:
        index_documents(drift.documents_stale, embedder=embedder, update_vectors=False, progress=progress)
    drift = index_check()
    for backend in keyword_backends():
        if drift.keyword_missing:
            backend.update(drift.keyword_missing)
        if drift.keyword_orphaned:
            backend.remove(drift.keyword_orphaned)
    patch = len(drift.faiss_missing) + len(drift.faiss_orphaned)
    keyword_drift = drift.keyword_missing + drift.keyword_orphaned
    vector = vector_backend()
    if drift.index_error or drift.passages_unembedded or patch > REBUILD_SHARE * max(drift.passages, 1):
        vector.rebuild(embedder=embedder, progress=progress)
    elif patch or keyword_drift:
        # ``documents``: the vector backend re-reads the entries of the keyword index it saves.
        vector.apply(add_ids=drift.faiss_missing, remove_ids=drift.faiss_orphaned, embedder=embedder,
                     documents=keyword_drift)
    return index_check()
