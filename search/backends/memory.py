"""The default keyword backend: BM25 over the in-memory keyword index of the live version.

The index (``search.engine.keyword_index``) is saved with each vector index
version by the FAISS backend (``keyword_index_for_version``, from the rows
here), so it is as fresh as the vectors: its upkeep is the vector backend's
``apply`` and ``rebuild``, and ``update``/``remove``/``clear`` have nothing to
do. When the live version has none (no index yet, or one saved by older code)
``start`` returns None and the fallback backend (the database's full-text
index) answers. Why in memory: docs/search.md, "Keyword backends".
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import numpy as np

from search.backends.base import KeywordBackend, KeywordSearch
from search.backends.versions import get_live_index, index_store
from search.engine import IndexUnavailable, KeywordDocument, KeywordIndex, query_terms
from search.engine.batches import chunks
from search.engine.query import MAX_KEYWORD_TERMS
from search.models import Document, Passage

logger = logging.getLogger(__name__)

ROW_CHUNK = 5000
# Ranked hits are checked against the candidates a page at a time (the first as long as the
# answer: most hits usually pass), growing 4x; past this many pages the candidate ids are read
# whole instead (a filter few hits pass).
FIRST_PAGE = 10
MAX_PAGES = 4


class MemoryKeywordSearch(KeywordSearch):
    """One query over the in-memory index: BM25 for every document once (at construction), then the
    top ``limit`` documents ``candidates`` allow, checked a page of hits at a time."""

    def __init__(self, index: KeywordIndex, terms: list[str], *, limit: int, candidates) -> None:
        self.index, self.hints, self.limit, self.candidates = index, index, limit, candidates
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


class MemoryKeywordBackend(KeywordBackend):
    saved_with_vectors = True

    def start(self, query: str, *, limit: int, candidates) -> MemoryKeywordSearch | None:
        """Scored at once (while the model thread embeds the query); None without a live keyword index."""
        try:
            index = get_live_index().keyword()
        except IndexUnavailable:
            return None
        if index is None:
            return None
        return MemoryKeywordSearch(index, query_terms(query)[:MAX_KEYWORD_TERMS], limit=limit,
                                   candidates=candidates)

    def update(self, document_ids: Sequence[int]) -> None:
        """Nothing: the vector backend re-reads changed documents into the next version."""

    def remove(self, document_ids: Sequence[int]) -> None:
        """Nothing (see ``update``)."""

    def clear(self) -> None:
        """Nothing: a rebuild builds the next version's index from every active document."""

    def held(self, passage_documents: dict[int, int]) -> tuple[set[int], set[int]] | None:
        """The current version's documents, and those whose passages it maps wrongly (missing, stale,
        or to another document) or whose filter fields it holds otherwise. A version saved
        without a keyword index holds nothing."""
        store = index_store()
        try:
            version = store.current_version()
        except IndexUnavailable:
            return None
        if version is None:
            return None
        try:
            memory = store.load_keyword(version)
        except IndexUnavailable:
            return set(), set()
        held = {int(pk) for pk in memory.doc_ids}
        return held, _passage_map_drift(memory, passage_documents) | _filter_drift(memory)


def _passage_map_drift(memory: KeywordIndex, passage_docs: dict[int, int]) -> set[int]:
    ids = np.fromiter(passage_docs, dtype=np.int64, count=len(passage_docs))
    mapped = memory.passage_documents(ids)
    expected = np.fromiter(passage_docs.values(), dtype=np.int64, count=len(passage_docs))
    wrong = set(expected[mapped != expected].tolist())
    stale = ~np.isin(memory.passage_ids, ids)
    return wrong | set(memory.passage_docs[stale].tolist())


def _filter_drift(memory: KeywordIndex) -> set[int]:
    rows = list(Document.objects.filter(is_active=True).values_list("id", "kind", "visibility", "source", "tags"))
    held = memory.document_filters([row[0] for row in rows])
    return {pk for (pk, kind, visibility, source, tags), copy in zip(rows, held)
            if copy is not None and copy != (kind, visibility, source, " ".join(tags.split()))}


# --- building the index a version carries (called by the FAISS backend) ---------------------------


def keyword_documents(ids: list[int] | None = None) -> Iterator[KeywordDocument]:
    """Active documents as the keyword index reads them (with their passage ids and filter fields): all of
    them, or those of ``ids``."""
    qs = Document.objects.filter(is_active=True).order_by("pk")
    fields = ("id", "kind", "title", "synonyms", "text", "visibility", "source", "tags")
    if ids is not None:
        for chunk in chunks(sorted(set(ids)), ROW_CHUNK):
            yield from _with_passages(list(qs.filter(pk__in=chunk).values_list(*fields)))
        return
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).values_list(*fields)[:ROW_CHUNK])
        if not rows:
            return
        last = rows[-1][0]
        yield from _with_passages(rows)


def _with_passages(rows: list[tuple]) -> Iterator[KeywordDocument]:
    passages: dict[int, list[int]] = {}
    for doc_id, pid in Passage.objects.filter(document_id__in=[row[0] for row in rows]).order_by().values_list(
            "document_id", "id"):
        passages.setdefault(doc_id, []).append(pid)
    for pk, kind, title, synonyms, text, visibility, source, tags in rows:
        yield KeywordDocument(pk, kind, title, synonyms, text, passages=tuple(passages.get(pk, ())),
                              visibility=visibility, source=source, tags=tags)


def keyword_index_build() -> KeywordIndex:
    """A keyword index of every active document, read in chunks."""
    return KeywordIndex.build(keyword_documents())


def keyword_index_for_version(current: int, documents: Sequence[int], refresh: Sequence[int]) -> KeywordIndex | None:
    """The keyword index for the version after ``current``: None (carry it over) when nothing changed.

    ``documents`` are re-read; of ``refresh`` only those whose filter fields
    differ from the current copy. Built in full when ``current`` has none.
    """
    try:
        held = index_store().load_keyword(current)
    except IndexUnavailable as exc:
        logger.warning("building the keyword index: %s", exc)
        return keyword_index_build()
    documents = sorted(set(documents) | set(_filters_changed(held, sorted(set(refresh) - set(documents)))))
    if not documents:
        return None
    return held.apply(remove=documents, add=keyword_documents(documents))


def _filters_changed(current: KeywordIndex, ids: list[int]) -> list[int]:
    """Documents among ``ids`` whose kind, visibility, source or tags differ from ``current``'s copy
    (or that it holds and are no longer active, or lacks and are)."""
    changed: list[int] = []
    for chunk in chunks(ids, ROW_CHUNK):
        rows = {pk: (kind, visibility, source, " ".join(tags.split())) for pk, kind, visibility, source, tags in
                Document.objects.filter(pk__in=chunk, is_active=True).values_list(
                    "id", "kind", "visibility", "source", "tags")}
        changed += [pk for pk, held in zip(chunk, current.document_filters(chunk)) if held != rows.get(pk)]
    return changed
