"""The keyword index: upkeep and queries.

Queries go to the in-memory BM25 index saved with each vector index version
(``search.engine.keyword_index``, kept by ``search.vectors``) when the live
version has one. The database's own full-text index is the fallback (no vector
index yet, or one saved before the keyword index existed) and is kept here:

PostgreSQL keeps a weighted tsvector in ``Document.search_vector`` (title A,
synonyms B, text C) under a GIN index; SQLite keeps an FTS5 table
(``search_document_fts``, rowid = document id) ranked by bm25 with the same
title > synonyms > text weighting. Both are written by ``search.indexing`` in
the same pass that writes passages, so the rankers see the same documents.

Queries are OR-of-terms everywhere: a support question in natural language
rarely has every word in the answer, and BM25 already rewards documents that
match more of them. That is also why the database path is slow on a large
corpus: it scores every document holding any query word (see the module
docstring of ``keyword_index``).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import numpy as np
from django.db import connection
from django.db.models import F, QuerySet

from search.engine import KeywordIndex, query_terms
from search.models import Document, IndexState

logger = logging.getLogger(__name__)

FTS_TABLE = "search_document_fts"
# bm25 column weights for (title, synonyms, text) on SQLite, mirroring PostgreSQL's A > B > C.
FTS_WEIGHTS = (10.0, 5.0, 1.0)
TS_CONFIG = "english"
MAX_TERMS = 32
_CHUNK = 500
REBUILD_RETRY = timedelta(minutes=10)


def _vendor() -> str:
    return connection.vendor


# --- upkeep -------------------------------------------------------------------------


def keyword_index_update(document_ids: Iterable[int]) -> None:
    """(Re)index active documents and drop inactive ones from the keyword index.

    Precondition: the ``Document`` rows are committed or in the caller's transaction.
    """
    ids = sorted({int(pk) for pk in document_ids})
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        if _vendor() == "postgresql":
            _pg_update(chunk)
        elif _vendor() == "sqlite":
            _sqlite_update(chunk)


def keyword_index_remove(document_ids: Iterable[int]) -> None:
    """Remove documents (deleted rows included) from the keyword index."""
    ids = sorted({int(pk) for pk in document_ids})
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        if _vendor() == "postgresql":
            Document.objects.filter(pk__in=chunk).update(search_vector=None)
        elif _vendor() == "sqlite":
            _sqlite_delete(chunk)


def keyword_index_clear() -> None:
    """Empty the keyword index (before a full rebuild)."""
    if _vendor() == "postgresql":
        Document.objects.exclude(search_vector=None).update(search_vector=None)
    elif _vendor() == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")


def keyword_indexed_ids() -> set[int]:
    """Document ids the keyword index holds (for the consistency check)."""
    if _vendor() == "postgresql":
        return set(Document.objects.exclude(search_vector=None).values_list("id", flat=True))
    if _vendor() == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {FTS_TABLE}")
            return {row[0] for row in cursor.fetchall()}
    return set()


def _pg_update(ids: list[int]) -> None:
    from django.contrib.postgres.search import SearchVector

    vector = (
        SearchVector("title", weight="A", config=TS_CONFIG)
        + SearchVector("synonyms", weight="B", config=TS_CONFIG)
        + SearchVector("text", weight="C", config=TS_CONFIG)
    )
    Document.objects.filter(pk__in=ids, is_active=True).update(search_vector=vector)
    Document.objects.filter(pk__in=ids, is_active=False).update(search_vector=None)


def _sqlite_delete(ids: list[int]) -> None:
    marks = ",".join("%s" for _ in ids)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", ids)


def _sqlite_update(ids: list[int]) -> None:
    _sqlite_delete(ids)
    rows = list(Document.objects.filter(pk__in=ids, is_active=True).values_list("id", "title", "synonyms", "text"))
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, synonyms, text) VALUES (%s, %s, %s, %s)", rows
            )


# --- queries ------------------------------------------------------------------------


def keyword_search(query: str, *, limit: int, document_ids=None) -> list[tuple[int, float]]:
    """Active documents matching any term of ``query``: ``[(document id, score)]``, best first.

    ``document_ids`` optionally restricts the candidates: ``permissions.Candidates``,
    a ``Document`` queryset or a ``values_list("id", flat=True)`` queryset. ``limit``
    results are returned when they exist. Scores are higher-is-better (BM25 from the
    in-memory index; on the database fallback SQLite's negated bm25 or PostgreSQL's
    ts_rank, not comparable with each other). An empty list when the query has no
    searchable term.
    """
    from search.permissions import as_candidates

    terms = query_terms(query)[:MAX_TERMS]
    if not terms or limit <= 0:
        return []
    candidates = as_candidates(document_ids)
    memory = _memory_index()
    if memory is not None:
        return MemoryKeywordSearch(memory, terms, limit=limit, candidates=candidates).search()
    ids = candidates.queryset().values("pk") if candidates is not None else None
    if _vendor() == "postgresql":
        return _pg_search(terms, limit=limit, document_ids=ids)
    if _vendor() == "sqlite":
        return _sqlite_search(terms, limit=limit, document_ids=ids)
    raise NotImplementedError(f"keyword search is not implemented for {_vendor()}")


def memory_keyword_search(query: str, *, limit: int, candidates) -> MemoryKeywordSearch | None:
    """The in-memory keyword ranking of ``query``, scored but not yet checked against ``candidates``.

    None when the live version has no keyword index (``keyword_search`` then asks
    the database). Lets the caller read the candidates of both rankers' first
    hits in one query (``proposals``) before ``search``.
    """
    memory = _memory_index()
    if memory is None:
        return None
    terms = query_terms(query)[:MAX_TERMS]
    return MemoryKeywordSearch(memory, terms, limit=limit, candidates=candidates)


def _memory_index() -> KeywordIndex | None:
    from search.index_access import IndexUnavailable, get_live_index

    try:
        return get_live_index().keyword()
    except IndexUnavailable:
        return None


# Ranked keyword hits are checked against the candidates a page at a time (the first as long
# as the answer: most hits usually pass), growing 4x; past this many pages the candidate ids
# are read whole instead (a filter few hits pass).
FIRST_PAGE = 10
MAX_PAGES = 4


class MemoryKeywordSearch:
    """One query over the in-memory index: BM25 for every document once, then the top ``limit``
    documents ``candidates`` allow, checked a page of hits at a time."""

    def __init__(self, index: KeywordIndex, terms: list[str], *, limit: int, candidates) -> None:
        self.index, self.limit, self.candidates = index, limit, candidates
        self.page = max(FIRST_PAGE, limit)
        if not terms or limit <= 0:
            self.scores, self.first = np.zeros(0), []
            return
        self.scores = index.scores(terms, kinds=getattr(candidates, "kinds", ()) or None)
        self.first = index.ranked(self.scores, self.page)

    def proposals(self) -> list[int]:
        """The documents of the first page of hits (what ``search`` checks first)."""
        return [doc for doc, _ in self.first]

    def search(self) -> list[tuple[int, float]]:
        index, limit, candidates = self.index, self.limit, self.candidates
        if candidates is None or not self.first:
            return self.first[:limit]
        found: list[tuple[int, float]] = []
        hits, skip, page = self.first, 0, self.page
        for turn in range(MAX_PAGES):
            if turn:
                skip, page = skip + len(hits), page * 4
                hits = index.ranked(self.scores, page, skip=skip)
            if not hits:
                return found
            allowed = candidates.filter_ids(doc for doc, _ in hits)
            found += [(doc, score) for doc, score in hits if doc in allowed]
            if len(found) >= limit:
                return found[:limit]
        allowed = np.fromiter(candidates.queryset().values_list("pk", flat=True), dtype=np.int64)
        return index.ranked(np.where(np.isin(index.doc_ids, allowed), self.scores, 0.0), limit)


def _restrict(qs: QuerySet, document_ids: QuerySet | None) -> QuerySet:
    if document_ids is None:
        return qs
    if document_ids.model is Document and not document_ids.query.values_select:
        document_ids = document_ids.values("pk")
    return qs.filter(pk__in=document_ids)


def _pg_search(terms: list[str], *, limit: int, document_ids: QuerySet | None) -> list[tuple[int, float]]:
    from django.contrib.postgres.search import SearchQuery, SearchRank

    query = SearchQuery(terms[0], config=TS_CONFIG, search_type="plain")
    for term in terms[1:]:
        query |= SearchQuery(term, config=TS_CONFIG, search_type="plain")
    # normalization 1: divide by 1 + log(length), so long threads do not win on length alone.
    rank = SearchRank(F("search_vector"), query, normalization=1)
    qs = _restrict(Document.objects.filter(is_active=True), document_ids)
    rows = (
        qs.filter(search_vector=query)
        .annotate(rank=rank)
        .order_by("-rank", "id")
        .values_list("id", "rank")[:limit]
    )
    return [(pk, float(score)) for pk, score in rows]


def _fts_match(terms: list[str]) -> str:
    # Every term becomes a quoted phrase, so FTS5 operators and syntax in user input are inert.
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _sqlite_search(terms: list[str], *, limit: int, document_ids: QuerySet | None) -> list[tuple[int, float]]:
    candidates = _restrict(Document.objects.filter(is_active=True), document_ids).values("pk")
    sub_sql, sub_params = candidates.query.sql_with_params()
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    # ``+rowid``: without the unary plus SQLite drives the query from the IN-list and runs
    # the full-text match once per candidate row (about 100x slower, growing with the corpus);
    # with it, FTS5 matches once and the candidates only filter.
    sql = (
        f"SELECT rowid, bm25({FTS_TABLE}, {weights}) AS score FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH %s AND +rowid IN ({sub_sql}) ORDER BY score, rowid LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_fts_match(terms), *sub_params, limit])
        return [(int(pk), -float(score)) for pk, score in cursor.fetchall()]


def postgres_plain_fts(query: str, *, limit: int) -> list[tuple[int, float]]:
    """The evaluation baseline: ``websearch_to_tsquery`` + ``ts_rank`` over title || text, unweighted.

    Computes the tsvector per row on the fly (a baseline, not a product path).
    Raises ``NotImplementedError`` off PostgreSQL.
    """
    if _vendor() != "postgresql":
        raise NotImplementedError("the plain full-text baseline needs PostgreSQL")
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    search_query = SearchQuery(query, config=TS_CONFIG, search_type="websearch")
    vector = SearchVector("title", "text", config=TS_CONFIG)
    rows = (
        Document.objects.filter(is_active=True)
        .annotate(vector=vector)
        .filter(vector=search_query)
        .annotate(rank=SearchRank(vector, search_query))
        .order_by("-rank", "id")
        .values_list("id", "rank")[:limit]
    )
    return [(pk, float(score)) for pk, score in rows]


# --- rebuild scheduling ---------------------------------------------------------------


def schedule_rebuild(reason: str) -> None:
    """Mark the vector index for rebuilding and enqueue ``search.tasks.rebuild_index``.

    Called by query code when the index is missing or corrupt; repeated calls
    while a rebuild is pending only log, so a burst of failing queries enqueues
    one rebuild (a pending mark older than ``REBUILD_RETRY`` is assumed lost and
    enqueued again). Never raises into the caller: search must keep answering.
    """
    from django.db import transaction
    from django.utils import timezone

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
        transaction.on_commit(lambda: _enqueue_rebuild(reason))
    except Exception:  # noqa: BLE001 - a broken database must not break the search page
        logger.exception("could not schedule a vector index rebuild (%s)", reason)


def _enqueue_rebuild(reason: str) -> None:
    from search.tasks import rebuild_index

    try:
        rebuild_index.delay(reason)
    except Exception:  # noqa: BLE001 - broker down (or an eager rebuild failed): the sweep retries
        logger.exception("could not run the vector index rebuild (%s); the periodic sweep will retry", reason)


__all__ = [
    "keyword_index_clear",
    "keyword_index_remove",
    "keyword_index_update",
    "keyword_indexed_ids",
    "keyword_search",
    "postgres_plain_fts",
    "schedule_rebuild",
]
