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

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from search.engine.embedding import ModelUnavailable
from search.engine.fusion import DEFAULT_RRF_K, convex, rrf
from search.engine.index_store import IndexUnavailable

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
            method=getattr(settings, "SEARCH_FUSION", "convex"),
            alpha=getattr(settings, "SEARCH_ALPHA", 0.5),
            rrf_k=getattr(settings, "SEARCH_RRF_K", DEFAULT_RRF_K),
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


def dense_ranking(query: str, *, depth: int, candidates=None) -> list[tuple[int, float, int]]:
    """Top ``depth`` documents by best-passage cosine, restricted to ``candidates`` when given.

    Raises ``IndexUnavailable`` / ``ModelUnavailable``. One FAISS search fetches a
    window of the top ``8 × depth`` passages (at least 64); documents are ranked
    by their best passage within it, so a restrictive filter cannot make FAISS
    walk the whole index. The window's passages are mapped to the documents
    ``candidates`` allow best first, ``2 × depth`` at a time, doubling, until
    ``depth`` documents are found: usually the first query suffices, and the
    result is the same as mapping the whole window at once.
    """
    from search.engine.vector_index import best_per_document
    from search.index_access import embed_query, get_live_index, passage_documents

    live = get_live_index()
    index, _ = live.get()
    vector = embed_query(query)
    window = max(64, depth * 8)
    scores, ids = index.search(vector, window)
    scores, ids = scores[0], ids[0]
    valid = [int(pid) for pid in ids if pid >= 0]  # FAISS pads the end with -1
    mapping: dict[int, int] = {}
    mapped, step = 0, max(32, 2 * depth)
    while True:
        mapping.update(passage_documents(valid[mapped:mapped + step], candidates=candidates))
        mapped, step = mapped + step, step * 2
        found = best_per_document(scores[:mapped], ids[:mapped], mapping, depth)
        if len(found) >= depth or mapped >= len(valid):
            return [(int(doc), float(score), int(passage)) for doc, score, passage in found]


def keyword_ranking(query: str, *, depth: int, candidates=None) -> list[tuple[int, float]]:
    """Top ``depth`` documents from the keyword index (in memory; the database's full-text index as fallback)."""
    from search.keyword import keyword_search

    return [(int(doc), float(score)) for doc, score in keyword_search(query, limit=depth, document_ids=candidates)]


def request_rebuild(reason: str) -> None:
    """Ask for an index rebuild; ``schedule_rebuild`` collapses a burst of requests into one."""
    from search.keyword import schedule_rebuild

    schedule_rebuild(reason)


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
    from search.permissions import as_candidates

    candidates = as_candidates(candidates)
    config = config or FusionConfig.from_settings()
    depth = min(MAX_DEPTH, max(limit * 3, 30))
    mode = {"dense": "dense", "keyword": "keyword"}.get(config.method, "hybrid")
    dense: list[tuple[int, float, int]] = []
    keyword: list[tuple[int, float]] = []
    if config.method != "keyword":
        try:
            dense = dense_ranking(query, depth=depth, candidates=candidates)
        except (IndexUnavailable, ModelUnavailable) as exc:
            logger.warning("semantic search unavailable, falling back to keyword search: %s", exc)
            if isinstance(exc, IndexUnavailable):
                request_rebuild(f"search found no usable index: {exc}")
            config, mode = FusionConfig(method="keyword"), "keyword-fallback"
    if config.method != "dense":
        try:
            # Inside a caller's transaction, a savepoint, so a failing keyword query does not abort
            # it. Outside one, none: on SQLite (transaction_mode IMMEDIATE) a transaction of
            # its own would take the write lock and queue every search behind the others.
            with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
                keyword = keyword_ranking(query, depth=depth, candidates=candidates)
        except DatabaseError as exc:
            # A missing FTS table must not take search down either; dense alone still answers.
            logger.error("keyword search failed: %s", exc)
            if mode == "keyword-fallback":
                return Ranking(hits=[], mode=mode)
            config, mode = FusionConfig(method="dense"), "dense"
    return Ranking(hits=fuse(dense, keyword, config=config)[:limit], mode=mode)
