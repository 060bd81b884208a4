"""An in-memory BM25 keyword index over numpy arrays: the fast keyword ranker.

The database keeps a full-text index too (``search.backends.database``: SQLite FTS5 or a
PostgreSQL tsvector), but both score every document that matches any query
word, and natural-language queries match most of a large corpus (a 4-word query
matched ~40% of 100k documents; a chat transcript ~99%). Measured at 100k
documents that cost 30-300 ms per query on SQLite and 0.3-1 s on PostgreSQL,
against ~1 ms here.

Scoring is the BM25 of SQLite FTS5's ``bm25()`` with the weights search used
there: title 10, synonyms 5, text 1 (a word's frequency is the weighted sum over
the three fields), document length = all words of the three fields, k1 = 1.2,
b = 0.75, idf = ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6. Words and stems
are FTS5's own (``stemming``), and queries and documents are read the same way,
so the ranking matches the SQLite keyword index it replaces (measured on
StackFAQ: keyword nDCG@10 0.871 both).

Layout: one posting per (term, document), grouped by term (``starts[t]`` ..
``starts[t + 1]``): the document slot and the weighted frequency (6 bytes a
posting), plus per-slot document id, kind and length. ``apply`` returns a new
index, so readers of the old one are never disturbed.

It also holds which document each passage (FAISS id) belongs to, sorted by
passage id (16 bytes a passage): the vector index of the same version returns
passage ids, and the dense ranker maps them to documents here instead of asking
the database on every query. The map is as fresh as the version, like the rest
of the index; the rows a search returns are re-checked in the database anyway.

And each document's visibility, source and tags as the version read them
(``document_filters``): search uses them as a hint to skip asking the database
about documents the caller may plainly see (``search.candidates.Candidates``).
"""
from __future__ import annotations

import io
import json
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .query import query_terms
from .stemming import analyze, query_stems

FIELD_WEIGHTS = (10, 5, 1)  # title, synonyms, text
K1 = 1.2
B = 0.75
MIN_IDF = 1e-6
MAX_WEIGHT = np.iinfo(np.uint16).max  # BM25 saturates long before a word repeats this often
# Each term's per-document BM25 factor, tf·(k1 + 1) / (tf + k1·(1 - b + b·len/avgdl)), is kept once
# computed for terms in this many documents or more, up to IMPACT_CACHE_BYTES an index: the common
# words of a query are most of its postings, and they are the words queries share.
IMPACT_CACHE_MIN_POSTINGS = 2048
IMPACT_CACHE_BYTES = 32 << 20
FORMAT = 3  # 2: with the passage -> document map; 3: with the filter fields


@dataclass(frozen=True, slots=True)
class KeywordDocument:
    """What the keyword index reads of one ``Document``."""

    id: int
    kind: str
    title: str
    synonyms: str
    text: str
    passages: tuple[int, ...] = ()  # ids of its passages (the vector index's ids)
    visibility: str = "public"
    source: str = ""
    tags: str = ""  # space-separated names, as ``Document.tags``


def _filter_line(doc: KeywordDocument) -> str:
    # Neither a visibility, a source slug nor whitespace-collapsed tags hold a tab or a newline.
    return f"{doc.visibility}\t{doc.source}\t{' '.join(doc.tags.split())}"


def _postings(doc: KeywordDocument) -> tuple[dict[str, int], int]:
    counts: dict[str, int] = {}
    length = 0
    for weight, text in zip(FIELD_WEIGHTS, (doc.title, doc.synonyms, doc.text)):
        stems, words = analyze(text or "")
        length += words
        for term in stems:
            counts[term] = counts.get(term, 0) + weight
    return counts, length


class KeywordIndex:
    """BM25 over postings arrays. Build with ``build``; change with ``apply`` (returns a new index)."""

    def __init__(
        self,
        *,
        vocabulary: Sequence[str] = (),
        kinds: Sequence[str] = (),
        doc_ids: np.ndarray | None = None,
        doc_kinds: np.ndarray | None = None,
        lengths: np.ndarray | None = None,
        starts: np.ndarray | None = None,
        slots: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        passage_ids: np.ndarray | None = None,
        passage_docs: np.ndarray | None = None,
        doc_filters: Sequence[str] | None = None,
    ) -> None:
        self.vocabulary = list(vocabulary)
        self.kinds = list(kinds)
        self._term_ids = {term: i for i, term in enumerate(self.vocabulary)}
        self.doc_ids = np.asarray(doc_ids if doc_ids is not None else (), dtype=np.int64)
        self.doc_kinds = np.asarray(doc_kinds if doc_kinds is not None else (), dtype=np.uint8)
        self.lengths = np.asarray(lengths if lengths is not None else (), dtype=np.uint32)
        self.slots = np.asarray(slots if slots is not None else (), dtype=np.uint32)
        self.weights = np.asarray(weights if weights is not None else (), dtype=np.uint16)
        self.starts = np.asarray(starts if starts is not None else np.zeros(len(self.vocabulary) + 1), dtype=np.int64)
        # Sorted by passage id, for ``passage_documents``.
        self.passage_ids = np.asarray(passage_ids if passage_ids is not None else (), dtype=np.int64)
        self.passage_docs = np.asarray(passage_docs if passage_docs is not None else (), dtype=np.int64)
        if len(self.passage_ids) != len(self.passage_docs) or (np.diff(self.passage_ids) <= 0).any():
            raise ValueError("passage ids must be unique, sorted, and have one document each")
        # Per slot, "visibility<TAB>source<TAB>tags" (see ``document_filters``).
        self.doc_filters = list(doc_filters) if doc_filters is not None else ["public\t\t"] * len(self.doc_ids)
        self._by_id: np.ndarray | None = None  # slots ordered by document id, built on first lookup
        if not (len(self.doc_ids) == len(self.doc_kinds) == len(self.lengths) == len(self.doc_filters)):
            raise ValueError("doc_ids, doc_kinds, lengths and doc_filters must have one entry per document")
        if len(self.slots) != len(self.weights) or len(self.starts) != len(self.vocabulary) + 1 \
                or self.starts[-1] != len(self.slots):
            raise ValueError("postings do not match the vocabulary")
        total = float(self.lengths.sum()) if len(self.lengths) else 0.0
        self._avgdl = total / len(self.lengths) if len(self.lengths) else 0.0
        # k1 · (1 - b + b · length / avgdl): the per-document part of the BM25 denominator.
        self._norm = (K1 * (1 - B + B * self.lengths / self._avgdl)) if self._avgdl else np.zeros(0)
        # Term id -> its postings' BM25 factors (see ``_impacts``); the index never changes, so neither do they.
        self._impact_cache: dict[int, np.ndarray] = {}
        self._impact_bytes = 0

    # --- construction ---------------------------------------------------------

    @classmethod
    def build(cls, documents: Iterable[KeywordDocument], *, batch: int = 5000) -> "KeywordIndex":
        """An index of ``documents``, read ``batch`` at a time (a generator is never held whole)."""
        index, pending = cls(), []
        for doc in documents:
            pending.append(doc)
            if len(pending) >= batch:
                index, pending = index.apply(add=pending), []
        return index.apply(add=pending) if pending or not len(index) else index

    def apply(self, *, add: Iterable[KeywordDocument] = (), remove: Iterable[int] = ()) -> "KeywordIndex":
        """A new index without the documents ``remove`` names and with ``add`` (re)indexed.

        A document in ``add`` replaces any entry with its id; unknown ids in
        ``remove`` are ignored. ``self`` is left unchanged.
        """
        add = list({doc.id: doc for doc in add}.values())
        drop = np.fromiter({int(pk) for pk in remove} | {doc.id for doc in add}, dtype=np.int64)
        keep = ~np.isin(self.doc_ids, drop) if len(drop) else np.ones(len(self.doc_ids), dtype=bool)
        # Old slot -> new slot for the documents that stay; postings of the others go.
        renumber = np.cumsum(keep, dtype=np.int64) - 1
        kept = keep[self.slots] if len(self.slots) else np.zeros(0, dtype=bool)
        terms = np.repeat(np.arange(len(self.vocabulary), dtype=np.uint32), np.diff(self.starts))[kept]
        slots, weights = renumber[self.slots[kept]].astype(np.uint32), self.weights[kept]

        vocabulary, term_ids = list(self.vocabulary), dict(self._term_ids)
        kinds, kind_ids = list(self.kinds), {kind: i for i, kind in enumerate(self.kinds)}
        first = int(keep.sum())
        # Typed arrays: a large batch has millions of postings, too many for lists of ints.
        new_terms, new_slots, new_weights = array("I"), array("I"), array("I")
        new_kinds, new_lengths = array("B"), array("I")
        for offset, doc in enumerate(add):
            counts, length = _postings(doc)
            for term, weight in counts.items():
                tid = term_ids.get(term)
                if tid is None:
                    tid = term_ids[term] = len(vocabulary)
                    vocabulary.append(term)
                new_terms.append(tid)
                new_slots.append(first + offset)
                new_weights.append(weight)
            if doc.kind not in kind_ids:
                kind_ids[doc.kind] = len(kinds)
                kinds.append(doc.kind)
            new_kinds.append(kind_ids[doc.kind])
            new_lengths.append(length)
        if len(kinds) > 255:
            raise ValueError("more than 255 document kinds")
        passage_ids, passage_docs = self._passages_apply(add, drop)
        if new_terms:
            order = np.argsort(np.frombuffer(new_terms, dtype=np.uintc).astype(np.uint32), kind="stable")
            add_terms = np.frombuffer(new_terms, dtype=np.uintc).astype(np.uint32)[order]
            # One pass of inserts keeps the postings sorted by term without re-sorting them all.
            at = np.searchsorted(terms, add_terms, side="right")
            terms = np.insert(terms, at, add_terms)
            slots = np.insert(slots, at, np.frombuffer(new_slots, dtype=np.uintc).astype(np.uint32)[order])
            capped = np.minimum(np.frombuffer(new_weights, dtype=np.uintc), MAX_WEIGHT).astype(np.uint16)
            weights = np.insert(weights, at, capped[order])
        return KeywordIndex(
            vocabulary=vocabulary,
            kinds=kinds,
            doc_ids=np.concatenate([self.doc_ids[keep], np.asarray([doc.id for doc in add], dtype=np.int64)]),
            doc_kinds=np.concatenate([self.doc_kinds[keep], np.frombuffer(new_kinds, dtype=np.uint8)]),
            lengths=np.concatenate([self.lengths[keep], np.frombuffer(new_lengths, dtype=np.uintc).astype(np.uint32)]),
            starts=np.searchsorted(terms, np.arange(len(vocabulary) + 1, dtype=np.uint32)),
            slots=slots,
            weights=weights,
            passage_ids=passage_ids,
            passage_docs=passage_docs,
            doc_filters=[line for line, kept_doc in zip(self.doc_filters, keep.tolist()) if kept_doc]
            + [_filter_line(doc) for doc in add],
        )

    def _passages_apply(self, add: list[KeywordDocument], drop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The passage map without the passages of ``drop`` and with those of ``add``."""
        keep = ~np.isin(self.passage_docs, drop) if len(drop) else np.ones(len(self.passage_ids), dtype=bool)
        new_ids = np.fromiter((pid for doc in add for pid in doc.passages), dtype=np.int64)
        new_docs = np.fromiter((doc.id for doc in add for _ in doc.passages), dtype=np.int64)
        ids = np.concatenate([self.passage_ids[keep], new_ids])
        docs = np.concatenate([self.passage_docs[keep], new_docs])
        # A passage id named twice keeps its last document (a document re-read moves nothing).
        order = np.argsort(ids, kind="stable")
        ids, docs = ids[order], docs[order]
        last = np.ones(len(ids), dtype=bool)
        last[:-1] = ids[1:] != ids[:-1]
        return ids[last], docs[last]

    # --- reads ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.doc_ids)

    def __contains__(self, doc_id: int) -> bool:
        return bool(np.isin(np.int64(doc_id), self.doc_ids))

    def passage_documents(self, passage_ids: np.ndarray | Sequence[int]) -> np.ndarray:
        """The document of each passage id (int64, -1 where the map has no such passage)."""
        ids = np.asarray(passage_ids, dtype=np.int64)
        if not len(self.passage_ids) or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.passage_ids, ids), len(self.passage_ids) - 1)
        return np.where(self.passage_ids[at] == ids, self.passage_docs[at], -1)

    def document_filters(self, doc_ids: Sequence[int]) -> list[tuple[str, str, str, str] | None]:
        """``(kind, visibility, source, tags)`` of each document as this version read it (None: not held)."""
        if not len(self.doc_ids) or not len(doc_ids):
            return [None] * len(doc_ids)
        if self._by_id is None:
            self._by_id = np.argsort(self.doc_ids, kind="stable")
        ids = np.asarray(doc_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.doc_ids[self._by_id], ids), len(self.doc_ids) - 1)
        slots = self._by_id[at]
        found = self.doc_ids[slots] == ids
        out: list[tuple[str, str, str, str] | None] = []
        for slot, hit in zip(slots.tolist(), found.tolist()):
            if hit:
                visibility, source, tags = self.doc_filters[slot].split("\t")
                out.append((self.kinds[self.doc_kinds[slot]], visibility, source, tags))
            else:
                out.append(None)
        return out

    def scores(self, terms: Sequence[str], *, kinds: Iterable[str] | None = None) -> np.ndarray:
        """BM25 for every slot of a query given as ``query_terms`` (0: no term occurs, or not a wanted kind)."""
        total = np.zeros(len(self.doc_ids), dtype=np.float64)
        n = len(self.doc_ids)
        for term in query_stems(list(terms)):
            tid = self._term_ids.get(term)
            if tid is None:
                continue
            start, end = int(self.starts[tid]), int(self.starts[tid + 1])
            if start == end:
                continue
            df = end - start
            idf = max(MIN_IDF, float(np.log((n - df + 0.5) / (df + 0.5))))
            slots = self.slots[start:end]
            # A term has one posting per document, so the slots are distinct and += is safe.
            total[slots] += idf * self._impacts(tid, start, end)
        if kinds is not None:
            codes = [self.kinds.index(kind) for kind in kinds if kind in self.kinds]
            total[~np.isin(self.doc_kinds, np.asarray(codes, dtype=np.uint8))] = 0.0
        return total

    def _impacts(self, tid: int, start: int, end: int) -> np.ndarray:
        """BM25 without the idf for each posting of term ``tid`` (``start`` .. ``end``), cached for long lists."""
        cached = self._impact_cache.get(tid)
        if cached is not None:
            return cached
        tf = self.weights[start:end].astype(np.float64)
        impacts = tf * (K1 + 1) / (tf + self._norm[self.slots[start:end]])
        if end - start >= IMPACT_CACHE_MIN_POSTINGS and self._impact_bytes + impacts.nbytes <= IMPACT_CACHE_BYTES:
            # Two threads may compute the same term at once; either result is the same array.
            self._impact_cache[tid] = impacts
            self._impact_bytes += impacts.nbytes
        return impacts

    def search(self, query: str, k: int, *, kinds: Iterable[str] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` documents for ``query``: ``[(doc_id, score)]``, best first, ties by lower id."""
        return self.ranked(self.scores(query_terms(query), kinds=kinds), k)

    def ranked(self, scores: np.ndarray, k: int, *, skip: int = 0) -> list[tuple[int, float]]:
        """Documents ranked ``skip`` .. ``skip + k`` of a ``scores`` array (only those scoring above 0)."""
        matched = np.flatnonzero(scores > 0)
        if k <= 0 or skip >= len(matched):
            return []
        want = min(len(matched), skip + k)
        if want < len(matched):
            # Keep every document tied with the cut, so ties are broken by id below.
            cut = np.partition(scores[matched], len(matched) - want)[len(matched) - want]
            matched = matched[scores[matched] >= cut]
        order = np.lexsort((self.doc_ids[matched], -scores[matched]))[skip:want]
        chosen = matched[order]
        return [(int(doc), float(score)) for doc, score in zip(self.doc_ids[chosen], scores[chosen])]

    def memory_bytes(self) -> int:
        arrays = (self.doc_ids, self.doc_kinds, self.lengths, self.starts, self.slots, self.weights, self._norm,
                  self.passage_ids, self.passage_docs)
        return (sum(a.nbytes for a in arrays) + sum(len(t) + 60 for t in self.vocabulary)
                + sum(len(line) + 50 for line in self.doc_filters) + self._impact_bytes)

    # --- persistence ------------------------------------------------------------

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        header = {"format": FORMAT, "kinds": self.kinds}
        np.savez(
            buffer,
            header=np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
            # Terms never contain a newline (see query.TERM_PATTERN).
            vocabulary=np.frombuffer("\n".join(self.vocabulary).encode("utf-8"), dtype=np.uint8),
            doc_ids=self.doc_ids, doc_kinds=self.doc_kinds, lengths=self.lengths,
            starts=self.starts, slots=self.slots, weights=self.weights,
            passage_ids=self.passage_ids, passage_docs=self.passage_docs,
            doc_filters=np.frombuffer("\n".join(self.doc_filters).encode("utf-8"), dtype=np.uint8),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "KeywordIndex":
        """Rebuild from ``to_bytes`` output; raises ``ValueError`` on data it cannot read."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                header = json.loads(arrays["header"].tobytes().decode("utf-8"))
                if header.get("format") != FORMAT:
                    raise ValueError(f"keyword index format {header.get('format')!r}, expected {FORMAT}")
                text = arrays["vocabulary"].tobytes().decode("utf-8")
                filters = arrays["doc_filters"].tobytes().decode("utf-8")
                return cls(
                    vocabulary=text.split("\n") if text else [],
                    doc_filters=filters.split("\n") if len(arrays["doc_ids"]) else [],
                    kinds=header["kinds"],
                    **{name: arrays[name] for name in ("doc_ids", "doc_kinds", "lengths", "starts", "slots", "weights",
                                                   "passage_ids", "passage_docs")},
                )
        except (OSError, KeyError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"unreadable keyword index: {exc}") from exc
