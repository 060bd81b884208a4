"""Hybrid ranking: the configured backends (``search.backends``) driven through one query.

The vector backend starts embedding the query; meanwhile the keyword backend
scores it; both rankers' first hits are checked against the candidates at once;
the ranker combines the two rankings. When the vector backend cannot answer (no
usable index, no model) search degrades to keyword ranking instead of failing,
logs it and schedules a rebuild; when the keyword backend fails, dense ranking
answers alone.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging

from django.db import DatabaseError, connection, transaction

from search.backends import keyword_backends, ranker as configured_ranker, vector_backend
from search.backends.base import DenseWindow, KeywordSearch, PendingDense, Ranker, Ranking
from search.candidates import Candidates, as_candidates
from search.engine import IndexUnavailable, ModelUnavailable
from search.engine.relevance import relevance
from search.services.rebuild import schedule_rebuild

logger = logging.getLogger(__name__)

MAX_DEPTH = 200


def dense_ranking(query: str, *, depth: int, candidates=None) -> list[tuple[int, float, int]]:
    """Top ``depth`` documents by best-passage cosine, restricted to ``candidates`` when given.

    Raises ``IndexUnavailable`` / ``ModelUnavailable``.
    """
    window = vector_backend().start(query, depth=depth).result()
    return window.documents(depth=depth, candidates=as_candidates(candidates))


def keyword_ranking(query: str, *, depth: int, candidates=None) -> list[tuple[int, float]]:
    """Top ``depth`` documents from the keyword backend (or its fallback when it cannot answer)."""
    found = _start_keyword(query, depth=depth, candidates=as_candidates(candidates))
    return [(int(doc), float(score)) for doc, score in found.search()] if found is not None else []


def _start_keyword(query: str, *, depth: int, candidates) -> KeywordSearch | None:
    for backend in keyword_backends():
        found = backend.start(query, limit=depth, candidates=candidates)
        if found is not None:
            return found
    return None


def _fall_back(ranker: Ranker, exc: Exception) -> tuple[Ranker, str]:
    """Keyword search alone when semantic search cannot answer (and a rebuild when the index is bad)."""
    logger.warning("semantic search unavailable, falling back to keyword search: %s", exc)
    if isinstance(exc, IndexUnavailable):
        schedule_rebuild(f"search found no usable index: {exc}")
    return ranker.only("keyword"), "keyword-fallback"


def rank(query: str, *, limit: int, candidates=None, ranker: Ranker | None = None,
         judged_among=None) -> Ranking:
    """Rank active documents for a cleaned ``query``; never raises for a missing index.

    Every hit carries its calibrated ``relevance``. Precondition: ``query`` went through
    ``clean_query``. ``candidates`` are the
    documents the caller may return (``search.candidates.Candidates``, or any
    ``Document`` queryset); ``None`` means every document. ``ranker`` defaults
    to the configured one. ``judged_among``, when given, are the wider candidates the
    relevance is judged among (what the caller may see before their own type, tag or source
    filters): the model was fitted on unfiltered rankings, where being first among a dozen
    articles says much less than being first among everything.
    """
    candidates = as_candidates(candidates)
    ranker = ranker or configured_ranker()
    depth = min(MAX_DEPTH, max(limit * 3, 30))
    mode = ranker.mode
    window: DenseWindow | None = None
    pending: PendingDense | None = None
    if ranker.uses_dense:
        try:
            pending = vector_backend().start(query, depth=depth)
        except (IndexUnavailable, ModelUnavailable) as exc:
            ranker, mode = _fall_back(ranker, exc)
    # While the model thread embeds the query (traced, without the GIL): the keyword scores, and the
    # database connection the results will be read on (Django's health check is a round trip).
    words = _start_keyword(query, depth=depth, candidates=candidates) if ranker.uses_keyword else None
    if pending is not None:
        connection.close_if_health_check_failed()  # what the first query would do first
        connection.ensure_connection()
        try:
            window = pending.result()
        except (IndexUnavailable, ModelUnavailable) as exc:
            ranker, mode = _fall_back(ranker, exc)
    if words is None and ranker.uses_keyword:  # a dense-only ranker fell back to keywords just now
        words = _start_keyword(query, depth=depth, candidates=candidates)
    if isinstance(candidates, Candidates):
        # Both rankers' first hits checked at once; each ranker then reads its decisions. The index's
        # copy of their fields allows most of them; only the rest are read from the database.
        proposals = {*(window.proposals() if window else ()), *(words.proposals() if words else ())}
        hints = words.hints if words is not None and words.hints is not None else (
            window.hints if window is not None else None)
        if hints is not None:
            candidates.allow_known(hints, proposals)
        candidates.filter_ids(proposals)
    dense = window.documents(depth=depth, candidates=candidates) if window is not None else []
    keyword: list[tuple[int, float]] = []
    if words is not None:
        try:
            keyword = _keyword_scores(words)
        except DatabaseError as exc:
            # A missing FTS table must not take search down either; dense alone still answers.
            logger.error("keyword search failed: %s", exc)
            if mode == "keyword-fallback":
                return Ranking(hits=[], mode=mode)
            ranker, mode = ranker.only("dense"), "dense"
    hits = ranker.combine(dense, keyword)[:limit]
    judged_dense, judged_keyword = dense, keyword
    if judged_among is not None and hits:
        judged_dense, judged_keyword = _widened(query, depth=depth, window=window,
                                                keyword_ran=bool(keyword), judged_among=as_candidates(judged_among),
                                                dense=dense, keyword=keyword)
    # Calibrated from what both rankers saw (restricted to the candidates, or to the wider ones the
    # relevance is judged among), whatever the ranker: the fused score only orders this query's hits.
    scores = relevance([hit.document_id for hit in hits], dense=judged_dense, keyword=judged_keyword, query=query,
                       mode=mode)
    return Ranking(hits=[dataclasses.replace(hit, relevance=value) for hit, value in zip(hits, scores)], mode=mode)


def _widened(query: str, *, depth: int, window: DenseWindow | None, keyword_ran: bool, judged_among,
             dense: list, keyword: list) -> tuple[list, list]:
    """Both rankings over ``judged_among`` merged with the filtered ones, best first.

    A filtered document beyond the wider rankings' depth keeps its place after them, so its
    keyword rank and cosine margin are at least as far behind as they really are. Cosines and keyword
    scores do not depend on the candidates, so the two lists merge by value.
    """
    wide_dense = window.documents(depth=depth, candidates=judged_among) if window is not None else []
    wide_keyword: list[tuple[int, float]] = []
    if keyword_ran:
        found = _start_keyword(query, depth=depth, candidates=judged_among)
        try:
            wide_keyword = _keyword_scores(found) if found else []
        except DatabaseError as exc:
            logger.error("keyword search failed: %s", exc)
    return _merged(wide_dense, dense), _merged(wide_keyword, keyword)


def _keyword_scores(words) -> list[tuple[int, float]]:
    """The started keyword search's ``(document, score)`` pairs; raises ``DatabaseError`` if it fails.

    Inside a caller's transaction, a savepoint, so a failing keyword query does not abort it. Outside
    one, none: on SQLite (transaction_mode IMMEDIATE) a transaction of its own would take the write
    lock and queue every search behind the others.
    """
    with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
        return [(int(doc), float(score)) for doc, score in words.search()]


def _merged(first: list[tuple], second: list[tuple]) -> list[tuple]:
    """One ranking from two of the same documents' scores (``(document, score, ...)``), best first."""
    seen, out = set(), []
    for item in sorted([*first, *second], key=lambda item: -item[1]):
        if item[0] not in seen:
            seen.add(item[0])
            out.append(item)
    return out
