"""Hybrid ranking: the dense (FAISS) ranker and the keyword ranker, fused.

Which fusion runs is a setting (``SEARCH_FUSION``: ``rrf``, ``convex``, ``dense``
or ``keyword``; ``SEARCH_ALPHA`` weighs dense against keyword in ``convex``,
``SEARCH_RRF_K`` damps top ranks in ``rrf``). The shipped default is the one
that won on the held-out half of the labelled data (``bench/eval_search.py``):
fusion is not assumed to help, it was measured.

When the vector index is missing or corrupt (or the model cannot load) search
degrades to keyword ranking instead of failing, logs it and schedules a rebuild.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from search.engine.embedding import ModelUnavailable
from search.engine.fusion import DEFAULT_RRF_K, convex, rrf
from search.engine.index_store import IndexUnavailable
from search.engine.keyword_index import KeywordIndex

logger = logging.getLogger(__name__)

FUSIONS = ("rrf", "convex", "dense", "keyword")
Fusion = Literal["rrf", "convex", "dense", "keyword"]
MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class FusionConfig:
    method: Fusion = "convex"
    alpha: float = 0.5
    rrf_k: int = DEFAULT_RRF_K

    def __post_init__(self) -> None:
        if self.method not in FUSIONS:
            raise ValueError(f"unknown fusion {self.method!r}; use one of {', '.join(FUSIONS)}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError("alpha must be between 0 and 1")

    @classmethod
    def from_settings(cls) -> "FusionConfig":
        return cls(
            method=settings.SEARCH_FUSION,
            alpha=settings.SEARCH_ALPHA,
            rrf_k=settings.SEARCH_RRF_K,
        )


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document. ``dense``/``keyword`` are the rankers' raw scores (None: not retrieved)."""

    document_id: int
    score: float
    passage_id: int | None = None
    dense: float | None = None
    keyword: float | None = None


@dataclass(slots=True)
class Ranking:
    hits: list[Hit] = field(default_factory=list)
    # "hybrid", "dense", "keyword" (as configured) or "keyword-fallback" (index unavailable).
    mode: str = "hybrid"


def fuse(
    dense: list[tuple[int, float, int | None]],
    keyword: list[tuple[int, float]],
    *,
    config: FusionConfig,
) -> list[Hit]:
    """Combine two rankings, best first. Pure: the evaluation calls it with many configs.

    ``dense`` is ``[(document id, cosine, best passage id)]`` and ``keyword``
    ``[(document id, score)]``, each best first with higher scores better.
    """
    dense_by_doc = {doc: (score, passage) for doc, score, passage in dense}
    keyword_by_doc = dict(keyword)
    if config.method == "dense":
        fused = [(doc, score) for doc, score, _ in dense]
    elif config.method == "keyword":
        fused = list(keyword)
    elif config.method == "rrf":
        fused = [tuple(r) for r in rrf([[d for d, _, _ in dense], [d for d, _ in keyword]], k=config.rrf_k)]
    else:
        fused = [
            tuple(r)
            for r in convex(
                {doc: score for doc, score, _ in dense}, keyword_by_doc, alpha=config.alpha
            )
        ]
    return [
        Hit(
            document_id=doc,
            score=float(score),
            passage_id=dense_by_doc.get(doc, (None, None))[1],
            dense=dense_by_doc.get(doc, (None, None))[0],
            keyword=keyword_by_doc.get(doc),
        )
        for doc, score in fused
    ]


@dataclass(frozen=True, slots=True)
class DenseWindow:
    """One FAISS search: the top passages of a query, best first (no padding), and the document of
    each where the live version's passage map knows it (-1 where it does not)."""

    scores: np.ndarray
    ids: np.ndarray
    docs: np.ndarray
    step: int
    keyword: KeywordIndex | None = None  # the keyword index whose passage map was used

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
        from search.engine.vector_index import best_per_document
        from search.index_access import passage_documents

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


class PendingWindow:
    """A dense window whose query is being embedded (``start_dense_window``)."""

    def __init__(self, query: str, *, depth: int) -> None:
        from search.index_access import get_live_index, start_query_embedding

        self.live, self.depth = get_live_index(), depth
        self.live.get()  # IndexUnavailable before any model time is spent
        self.embedding = start_query_embedding(query)

    def result(self) -> DenseWindow:
        """Wait for the embedding and search the index (raises what embedding raised)."""
        vector = self.embedding.result()
        index, _ = self.live.get()
        scores, ids = index.search(vector, max(64, self.depth * 8))
        valid = ids[0] >= 0  # FAISS pads the end with -1
        scores, ids = scores[0][valid], ids[0][valid].astype(np.int64)
        # The map of the version being served; a swap in between only leaves passages unknown.
        memory = self.live.keyword()
        docs = memory.passage_documents(ids) if memory is not None else np.full(len(ids), -1, dtype=np.int64)
        return DenseWindow(scores=scores, ids=ids, docs=docs, step=max(32, 2 * self.depth), keyword=memory)


def start_dense_window(query: str, *, depth: int) -> PendingWindow:
    """Start ``dense_window``: the query's forward pass runs on the model thread until ``result()``.
    Raises ``IndexUnavailable`` / ``ModelUnavailable``."""
    return PendingWindow(query, depth=depth)


def dense_window(query: str, *, depth: int) -> DenseWindow:
    """Embed ``query`` and search the live index once for a window of the top ``8 × depth``
    passages (at least 64), so a restrictive filter cannot make FAISS walk the whole index.
    Raises ``IndexUnavailable`` / ``ModelUnavailable``."""
    return start_dense_window(query, depth=depth).result()


def dense_ranking(query: str, *, depth: int, candidates=None) -> list[tuple[int, float, int]]:
    """Top ``depth`` documents by best-passage cosine, restricted to ``candidates`` when given.

    Raises ``IndexUnavailable`` / ``ModelUnavailable``. See ``DenseWindow.documents``.
    """
    from search.permissions import as_candidates

    return dense_window(query, depth=depth).documents(depth=depth, candidates=as_candidates(candidates))


def keyword_ranking(query: str, *, depth: int, candidates=None) -> list[tuple[int, float]]:
    """Top ``depth`` documents from the keyword index (in memory; the database's full-text index as fallback)."""
    from search.keyword import keyword_search

    return [(int(doc), float(score)) for doc, score in keyword_search(query, limit=depth, document_ids=candidates)]


def request_rebuild(reason: str) -> None:
    """Ask for an index rebuild; ``schedule_rebuild`` collapses a burst of requests into one."""
    from search.keyword import schedule_rebuild

    schedule_rebuild(reason)


def _fall_back(exc: Exception) -> tuple[FusionConfig, str]:
    """Keyword search alone when semantic search cannot answer (and a rebuild when the index is bad)."""
    logger.warning("semantic search unavailable, falling back to keyword search: %s", exc)
    if isinstance(exc, IndexUnavailable):
        request_rebuild(f"search found no usable index: {exc}")
    return FusionConfig(method="keyword"), "keyword-fallback"


def rank(
    query: str,
    *,
    limit: int,
    candidates=None,
    config: FusionConfig | None = None,
) -> Ranking:
    """Rank active documents for a cleaned ``query``; never raises for a missing index.

    Precondition: ``query`` went through ``clean_query``. ``candidates`` are the
    documents the caller may return (``permissions.Candidates``, or any
    ``Document`` queryset); ``None`` means every document.
    """
    from search.permissions import Candidates, as_candidates

    candidates = as_candidates(candidates)
    config = config or FusionConfig.from_settings()
    depth = min(MAX_DEPTH, max(limit * 3, 30))
    mode = {"dense": "dense", "keyword": "keyword"}.get(config.method, "hybrid")
    window: DenseWindow | None = None
    pending: PendingWindow | None = None
    if config.method != "keyword":
        try:
            pending = start_dense_window(query, depth=depth)
        except (IndexUnavailable, ModelUnavailable) as exc:
            config, mode = _fall_back(exc)
    # While the model thread embeds the query (traced, without the GIL): the keyword scores, and the
    # database connection the results will be read on (Django's health check is a round trip).
    memory = None
    if config.method != "dense":
        from search.keyword import memory_keyword_search

        memory = memory_keyword_search(query, limit=depth, candidates=candidates)
    if pending is not None:
        connection.close_if_health_check_failed()  # what the first query would do first
        connection.ensure_connection()
        try:
            window = pending.result()
        except (IndexUnavailable, ModelUnavailable) as exc:
            config, mode = _fall_back(exc)
    if isinstance(candidates, Candidates):
        # Both rankers' first hits checked at once; each ranker then reads its decisions. The index's
        # copy of their fields allows most of them; only the rest are read from the database.
        proposals = {*(window.proposals() if window else ()), *(memory.proposals() if memory else ())}
        index = memory.index if memory is not None else (window.keyword if window is not None else None)
        if index is not None:
            candidates.allow_known(index, proposals)
        candidates.filter_ids(proposals)
    dense = window.documents(depth=depth, candidates=candidates) if window is not None else []
    keyword: list[tuple[int, float]] = []
    if config.method != "dense":
        try:
            # Inside a caller's transaction, a savepoint, so a failing keyword query does not abort
            # it. Outside one, none: on SQLite (transaction_mode IMMEDIATE) a transaction of
            # its own would take the write lock and queue every search behind the others.
            with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
                if memory is not None:
                    keyword = [(int(doc), float(score)) for doc, score in memory.search()]
                else:
                    keyword = keyword_ranking(query, depth=depth, candidates=candidates)
        except DatabaseError as exc:
            # A missing FTS table must not take search down either; dense alone still answers.
            logger.error("keyword search failed: %s", exc)
            if mode == "keyword-fallback":
                return Ranking(hits=[], mode=mode)
            config, mode = FusionConfig(method="dense"), "dense"
    return Ranking(hits=fuse(dense, keyword, config=config)[:limit], mode=mode)
