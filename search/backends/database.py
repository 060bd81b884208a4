"""The database's own full-text index as a keyword backend: PostgreSQL tsvector, SQLite FTS5.

The default fallback: it answers when the live version has no in-memory
keyword index (no vector index yet, or one saved by older code), and every
indexing pass keeps it in step, in the pass's transaction. As the only keyword
backend it is slow on a large corpus (docs/search.md, "Keyword backends").

PostgreSQL keeps a weighted tsvector in ``Document.search_vector`` (title A,
synonyms B, text C) under a GIN index; SQLite keeps an FTS5 table
(``search_document_fts``, rowid = document id) ranked by bm25 with the same
title > synonyms > text weighting.

Queries are OR-of-terms everywhere: a support question in natural language
rarely has every word in the answer, and BM25 already rewards documents that
match more of them. Scores are SQLite's negated bm25 or PostgreSQL's ts_rank
(higher is better; not comparable with each other).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, QuerySet

from search.backends.base import KeywordBackend, KeywordSearch
from search.engine import query_terms
from search.engine.query import MAX_KEYWORD_TERMS
from search.models import Document

FTS_TABLE = "search_document_fts"
# bm25 column weights for (title, synonyms, text) on SQLite, mirroring PostgreSQL's A > B > C.
FTS_WEIGHTS = (10.0, 5.0, 1.0)
TS_CONFIG = "english"
_CHUNK = 500


def _vendor() -> str:
    return connection.vendor


class DatabaseKeywordSearch(KeywordSearch):
    """One query, run when ``search`` is called (inside the caller's savepoint), restricted to the
    candidates inside the database."""

    def __init__(self, terms: list[str], *, limit: int, candidates) -> None:
        self.terms, self.limit, self.candidates = terms, limit, candidates

    def search(self) -> list[tuple[int, float]]:
        if not self.terms or self.limit <= 0:
            return []
        ids = self.candidates.queryset().values("pk") if self.candidates is not None else None
        if _vendor() == "postgresql":
            return _pg_search(self.terms, limit=self.limit, document_ids=ids)
        if _vendor() == "sqlite":
            return _sqlite_search(self.terms, limit=self.limit, document_ids=ids)
        raise NotImplementedError(f"keyword search is not implemented for {_vendor()}")


class DatabaseKeywordBackend(KeywordBackend):
    def start(self, query: str, *, limit: int, candidates) -> DatabaseKeywordSearch:
        return DatabaseKeywordSearch(query_terms(query)[:MAX_KEYWORD_TERMS], limit=limit, candidates=candidates)

    def update(self, document_ids: Sequence[int]) -> None:
        """Precondition: the ``Document`` rows are committed or in the caller's transaction."""
        for chunk in _chunks(document_ids):
            if _vendor() == "postgresql":
                _pg_update(chunk)
            elif _vendor() == "sqlite":
                _sqlite_update(chunk)

    def remove(self, document_ids: Sequence[int]) -> None:
        for chunk in _chunks(document_ids):
            if _vendor() == "postgresql":
                Document.objects.filter(pk__in=chunk).update(search_vector=None)
            elif _vendor() == "sqlite":
                _sqlite_delete(chunk)

    def clear(self) -> None:
        if _vendor() == "postgresql":
            Document.objects.exclude(search_vector=None).update(search_vector=None)
        elif _vendor() == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS_TABLE}")

    def held(self, passage_documents: dict[int, int]) -> tuple[set[int], set[int]]:
        return indexed_ids(), set()


def _chunks(document_ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted({int(pk) for pk in document_ids})
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def indexed_ids() -> set[int]:
    """Document ids the full-text index holds."""
    if _vendor() == "postgresql":
        return set(Document.objects.exclude(search_vector=None).values_list("id", flat=True))
    if _vendor() == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {FTS_TABLE}")
            return {row[0] for row in cursor.fetchall()}
    return set()


def _pg_update(ids: list[int]) -> None:
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


def _restrict(qs: QuerySet, document_ids: QuerySet | None) -> QuerySet:
    if document_ids is None:
        return qs
    if document_ids.model is Document and not document_ids.query.values_select:
        document_ids = document_ids.values("pk")
    return qs.filter(pk__in=document_ids)


def _pg_search(terms: list[str], *, limit: int, document_ids: QuerySet | None) -> list[tuple[int, float]]:
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
