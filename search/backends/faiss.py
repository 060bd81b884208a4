"""The default vector backend: passage vectors in a FAISS index held by every web process.

Queries: the query is embedded on the model thread (``search.embeddings``) while
the caller ranks by keyword; then one FAISS search for a window of the top
``8 × depth`` passages, mapped to documents through the passage map the same
version's keyword index holds (passages it does not know are read from the
database). docs/search.md walks this path; bench/performance-log.md has its costs.

Upkeep: writers serialise on a lock file (``search.locks``) across load, modify
and save, so two workers never lose each other's additions; readers never wait
(``LiveIndex`` over the versioned files, ``search.backends.versions``). Each
version also carries the in-memory keyword index of the same pass
(``search.backends.memory``), kept here from the ``Document`` rows whatever
keyword backend answers: its passage map is how dense ranking reads documents
without a query.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from search.backends.base import DenseWindow, PendingDense, VectorBackend
from search.backends.memory import keyword_index_build, keyword_index_for_version
from search.backends.versions import get_live_index, index_store, reset_live_index
from search.candidates import Candidates, as_candidates
from search.embeddings import get_embedder, start_query_embedding
from search.engine import Embedder, IndexUnavailable, KeywordIndex, VectorIndex
from search.engine.batches import Progress, chunks
from search.engine.vector_index import best_per_document
from search.locks import index_write_lock
from search.models import Document, Embedding, IndexState, Passage
from search.services.embeddings import passages_rekey_and_embed, vectors_for
from search.sql import id_in

logger = logging.getLogger(__name__)

ROW_CHUNK = 5000


# --- queries -------------------------------------------------------------------------------------


class FaissWindow(DenseWindow):
    """One FAISS search: the top passages of a query, best first (no padding), and the document of
    each where the live version's passage map knows it (-1 where it does not)."""

    def __init__(self, *, scores: np.ndarray, ids: np.ndarray, docs: np.ndarray, step: int,
                 hints: KeywordIndex | None) -> None:
        self.scores, self.ids, self.docs, self.step, self.hints = scores, ids, docs, step, hints

    def proposals(self) -> list[int]:
        """The known documents of the passages ``documents`` maps first."""
        docs = self.docs[:self.step]
        return docs[docs >= 0].tolist()

    def documents(self, *, depth: int, candidates=None) -> list[tuple[int, float, int]]:
        """Top ``depth`` documents by best-passage cosine, restricted to ``candidates`` when given.

        The window's passages are mapped to the documents ``candidates`` allow
        best first, ``step`` at a time, doubling, until ``depth`` documents are
        found: usually the first step suffices, and the result is the same as
        mapping the whole window at once. Passages the map does not know (added
        since the version was saved, or a version without a map) are looked up
        in the database.
        """
        mapping: dict[int, int] = {}
        mapped, step = 0, self.step
        while True:
            ids, docs = self.ids[mapped:mapped + step], self.docs[mapped:mapped + step]
            known = docs >= 0
            if not known.all():
                mapping.update(passage_documents(ids[~known].tolist(), candidates=candidates))
            pairs = list(zip(ids[known].tolist(), docs[known].tolist()))
            allowed = candidates.filter_ids({doc for _, doc in pairs}) if candidates is not None else None
            mapping.update((pid, doc) for pid, doc in pairs if allowed is None or doc in allowed)
            mapped, step = mapped + step, step * 2
            found = best_per_document(self.scores[:mapped], self.ids[:mapped], mapping, depth)
            if len(found) >= depth or mapped >= len(self.ids):
                return [(int(doc), float(score), int(passage)) for doc, score, passage in found]


class PendingWindow(PendingDense):
    """A FAISS window whose query is being embedded."""

    def __init__(self, query: str, *, depth: int) -> None:
        self.live, self.depth = get_live_index(), depth
        self.live.get()  # IndexUnavailable before any model time is spent
        self.embedding = start_query_embedding(query)

    def result(self) -> FaissWindow:
        vector = self.embedding.result()
        index, _ = self.live.get()
        scores, ids = index.search(vector, max(64, self.depth * 8))
        valid = ids[0] >= 0  # FAISS pads the end with -1
        scores, ids = scores[0][valid], ids[0][valid].astype(np.int64)
        # The map of the version being served; a swap in between only leaves passages unknown.
        memory = self.live.keyword()
        docs = memory.passage_documents(ids) if memory is not None else np.full(len(ids), -1, dtype=np.int64)
        return FaissWindow(scores=scores, ids=ids, docs=docs, step=max(32, 2 * self.depth), hints=memory)


def _passages_with_candidate_fields(ids: list[int]) -> list[tuple]:
    """``(passage id, document id, *Candidates.FIELDS of the document)`` for the passages ``ids``.

    In SQL rather than the ORM: this runs on every search, and building the join
    through the ORM took twice as long as the database took to answer it.
    """
    fields = ", ".join(f"d.{Document._meta.get_field(name).column}" for name in Candidates.FIELDS)
    where, params = id_in("p.id", ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.document_id, {fields} FROM {Passage._meta.db_table} p "
            f"JOIN {Document._meta.db_table} d ON d.id = p.document_id WHERE {where}",
            params,
        )
        return cursor.fetchall()


def passage_documents(passage_ids: list[int], *, candidates=None) -> dict[int, int]:
    """Map passage ids (FAISS ids) to document ids; ids no longer stored are left out.

    With ``candidates`` (``Candidates``, or a ``Document`` queryset) passages of
    documents outside them are left out too. ``Candidates`` are checked in the
    same query, read by the passages' primary keys, so the cost follows the
    number of ids, never the size of the candidate set.
    """
    ids = [int(pid) for pid in passage_ids if int(pid) >= 0]
    if not ids:
        return {}
    candidates = as_candidates(candidates)
    mapping: dict[int, int] = {}
    # Chunked: SQLite allows at most 32k bound parameters per statement.
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        if isinstance(candidates, Candidates):
            mapping.update((pid, doc) for pid, doc, *row in _passages_with_candidate_fields(chunk)
                           if candidates.decide(doc, *row))
        else:
            mapping.update(Passage.objects.filter(pk__in=chunk).order_by().values_list("id", "document_id"))
    if candidates is not None and not isinstance(candidates, Candidates) and mapping:
        allowed = candidates.filter_ids(set(mapping.values()))
        mapping = {pid: doc for pid, doc in mapping.items() if doc in allowed}
    return mapping


# --- the backend ---------------------------------------------------------------------------------


class FaissVectorBackend(VectorBackend):
    def start(self, query: str, *, depth: int) -> PendingWindow:
        return PendingWindow(query, depth=depth)

    def warm_up(self) -> None:
        start_query_embedding("warm up").result()
        get_live_index()

    def reset(self) -> None:
        reset_live_index()

    def verify(self) -> None:
        """Read the current version's files from disk (not this process's loaded copy) and check
        their checksums: a deleted or damaged file is found before a query meets it."""
        store = index_store()
        _, meta = store.load_current(expected_model=settings.SEARCH_MODEL)
        if meta.get("keyword"):
            store.load_keyword(store.current_version())

    def apply(self, *, add_ids: list[int], remove_ids: list[int], embedder: Embedder | None = None,
              documents: Sequence[int] = (), refresh: Sequence[int] = ()) -> tuple[int | None, bool]:
        """Remove and add passages in the current FAISS index and save one new version.

        ``documents`` are re-read into the version's keyword index (which is
        built in full when the current version has none); of ``refresh`` those
        whose filter fields differ from its copy. Nothing is saved when neither
        index changed. When there is no usable index (missing, corrupt, other
        model) or HNSW tombstones pass their limit, the whole index is rebuilt
        from the database instead, which includes these changes.
        Precondition: the passage and document rows are committed.
        """
        store = index_store()
        with index_write_lock():
            try:
                index, meta = store.load_current(expected_model=settings.SEARCH_MODEL)
            except IndexUnavailable as exc:
                logger.warning("rebuilding the vector index: %s", exc)
                return _rebuild_locked(embedder=embedder, progress=None), True
            faiss_changed = bool(index.remove(remove_ids))
            # Only passages still stored: a concurrent pass may have replaced them already.
            rows = []
            for chunk in chunks(sorted(set(add_ids)), ROW_CHUNK):
                rows += list(Passage.objects.filter(pk__in=chunk, document__is_active=True).values_list(
                    "id", "embedding_key"))
            ids, vectors = vectors_for(rows)
            if index.kind == "hnsw" and len(ids):
                keep = np.array([int(pid) not in index for pid in ids], dtype=bool)
                ids, vectors = ids[keep], vectors[keep]
            if len(ids):
                faiss_changed = True
                try:
                    index.add(ids, vectors)
                except ValueError as exc:  # an id HNSW still holds as a tombstone: only a rebuild can re-add it
                    logger.warning("rebuilding the vector index: %s", exc)
                    return _rebuild_locked(embedder=embedder, progress=None), True
            if index.needs_rebuild:
                return _rebuild_locked(embedder=embedder, progress=None), True
            keyword = keyword_index_for_version(meta["version"], documents or [], refresh or [])
            if not faiss_changed and keyword is None:
                return meta["version"], False
            version = store.save(index, meta={"model": settings.SEARCH_MODEL}, keyword=keyword)
            _state_update(version=version, passages=len(index))
            return version, False

    def rebuild(self, *, embedder: Embedder | None = None, progress: Progress | None = None) -> int:
        with index_write_lock():
            return _rebuild_locked(embedder=embedder, progress=progress)

    def stored_ids(self) -> set[int]:
        index, _ = index_store().load_current(expected_model=settings.SEARCH_MODEL)
        # VectorIndex has no public id listing yet; its id map is the source of truth.
        return {int(pid) for pid in index._stored_ids()} - set(index.tombstones)


def _state_update(**values) -> IndexState:
    state = IndexState.objects.order_by("pk").first() or IndexState(model_name=settings.SEARCH_MODEL)
    for name, value in {"model_name": settings.SEARCH_MODEL, **values}.items():
        setattr(state, name, value)
    state.updated_at = timezone.now()
    state.save()
    return state


def _rebuild_locked(*, embedder: Embedder | None, progress: Progress | None) -> int:
    """Build a fresh FAISS index from stored vectors and save it. Precondition: the write lock is held."""
    passages_rekey_and_embed(embedder=embedder, progress=progress)
    qs = Passage.objects.filter(document__is_active=True).order_by("pk")
    total, last = qs.count(), 0
    index: VectorIndex | None = None
    while True:
        rows = list(qs.filter(pk__gt=last).values_list("id", "embedding_key")[:ROW_CHUNK])
        if not rows:
            break
        last = rows[-1][0]
        ids, vectors = vectors_for(rows)
        if len(ids):
            if index is None:
                index = VectorIndex(vectors.shape[1], hnsw_threshold=settings.SEARCH_HNSW_THRESHOLD)
            index.add(ids, vectors)
        if progress:
            progress("faiss", min(len(index or ()), total), total)
    if index is None:
        index = VectorIndex(_model_dim(embedder), hnsw_threshold=settings.SEARCH_HNSW_THRESHOLD)
    keyword = keyword_index_build()
    if progress:
        progress("keyword", len(keyword), len(keyword))
    version = index_store().save(index, meta={"model": settings.SEARCH_MODEL}, keyword=keyword)
    _state_update(version=version, passages=len(index), needs_rebuild=False, reason="")
    return version


def _model_dim(embedder: Embedder | None) -> int:
    dim = (
        Embedding.objects.filter(model_name=settings.SEARCH_MODEL).values_list("dim", flat=True).first()
    )
    return int(dim) if dim else (embedder or get_embedder()).dim
