"""Passage vectors in FAISS: exact search for small corpora, HNSW for large ones.

Ids are int64 *passage* ids; the caller maps them to documents. Vectors must be
L2-normalised float32 (see ``embedding``), so inner product is cosine similarity.
"""
from __future__ import annotations

import os
import threading
from typing import Callable, Hashable, Iterable, Mapping, Sequence

import faiss
import numpy as np

DEFAULT_HNSW_THRESHOLD = 50_000
DEFAULT_HNSW_M = 32
DEFAULT_EF_SEARCH = 64
DEFAULT_EF_CONSTRUCTION = 80
# HNSW graphs cannot delete; past this share of dead entries, quality and memory
# suffer enough that a rebuild is due.
REBUILD_TOMBSTONE_SHARE = 0.20

_threads_lock = threading.Lock()
_threads_set = False


def set_faiss_threads(threads: int | None = None) -> None:
    """Cap FAISS's OpenMP threads (default: half the cores, 1..4).

    Called once by the first index. FAISS parallelises over queries, so a
    single-query search gains nothing from threads, while idle OpenMP threads
    spinning next to torch and other request threads slow everything down.
    """
    global _threads_set
    with _threads_lock:
        if threads is None and _threads_set:
            return
        faiss.omp_set_num_threads(threads or max(1, min((os.cpu_count() or 1) // 2, 4)))
        _threads_set = True


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"expected vectors of dimension {dim}, got shape {array.shape}")
    return np.ascontiguousarray(array)


def _as_ids(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64))
    if array.ndim != 1:
        raise ValueError("ids must be one-dimensional")
    if (array < 0).any():
        raise ValueError("ids must be non-negative (FAISS uses -1 for 'no result')")
    return array


def best_per_document(
    scores: np.ndarray,
    ids: np.ndarray,
    passage_to_doc: Callable[[int], Hashable | None] | Mapping[int, Hashable],
    k: int,
) -> list[tuple[Hashable, float, int]]:
    """The first ``k`` documents of one ranked passage row: ``[(doc_id, score, passage_id)]``.

    ``scores``/``ids`` are one row of ``VectorIndex.search`` (best first, ``-1`` padding).
    A document scores as its best passage (max-pooling); passages the mapping does
    not know are skipped.
    """
    lookup = passage_to_doc.get if isinstance(passage_to_doc, Mapping) else passage_to_doc
    best: dict[Hashable, tuple[float, int]] = {}
    for score, pid in zip(scores.tolist(), ids.tolist()):
        if pid < 0:
            break
        doc = lookup(pid)
        if doc is not None and doc not in best:
            best[doc] = (score, pid)
            if len(best) == k:
                break
    return [(doc, score, pid) for doc, (score, pid) in best.items()]


class VectorIndex:
    """A FAISS index of passage vectors with add, remove and document-level search.

    Layout: ``IndexIDMap2(IndexFlatIP)`` (exact) while the index holds fewer than
    ``hnsw_threshold`` vectors, ``IndexIDMap2(IndexHNSWFlat)`` from then on; the
    switch happens inside ``add`` (or ``build``) and re-inserts all vectors.

    Removal: the flat layout removes for real; HNSW cannot, so removed ids go to
    a tombstone set excluded during the search (a FAISS ID selector), and ``needs_rebuild`` turns true
    once tombstones exceed 20% of stored vectors. Re-adding an id that HNSW
    still stores (live or tombstoned) raises: give changed passages new ids or
    rebuild. On the flat layout ``add`` replaces existing ids (upsert).

    All methods are thread-safe (one lock; FAISS searches are short).
    """

    def __init__(
        self,
        dim: int,
        *,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
        hnsw_m: int = DEFAULT_HNSW_M,
        ef_search: int = DEFAULT_EF_SEARCH,
        ef_construction: int = DEFAULT_EF_CONSTRUCTION,
        _faiss_index: faiss.Index | None = None,
        _tombstones: Iterable[int] = (),
    ) -> None:
        if dim <= 0:
            raise ValueError("dim must be positive")
        set_faiss_threads()
        self.dim = dim
        self.hnsw_threshold = hnsw_threshold
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self._lock = threading.RLock()
        self._index = _faiss_index if _faiss_index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        if self._index.d != dim:
            raise ValueError(f"FAISS index has dimension {self._index.d}, expected {dim}")
        self._tombstones: set[int] = set(int(i) for i in _tombstones)
        self._selector: tuple[faiss.IDSelector, ...] | None = None

    # --- construction ---------------------------------------------------------

    @classmethod
    def build(cls, ids: Sequence[int] | np.ndarray, vectors: np.ndarray, **options) -> "VectorIndex":
        """A fresh index over ``vectors``, in the layout its size calls for."""
        vectors = np.asarray(vectors, dtype=np.float32)
        index = cls(vectors.shape[1], **options)
        index.add(ids, vectors)
        return index

    @property
    def kind(self) -> str:
        """``"flat"`` (exact) or ``"hnsw"`` (approximate)."""
        return "hnsw" if isinstance(self._inner(), faiss.IndexHNSW) else "flat"

    def _inner(self) -> faiss.Index:
        return faiss.downcast_index(self._index.index)

    def _new_hnsw(self) -> faiss.IndexIDMap2:
        hnsw = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = self.ef_construction
        hnsw.hnsw.efSearch = self.ef_search
        return faiss.IndexIDMap2(hnsw)

    def _stored_ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)

    def _switch_to_hnsw(self) -> None:
        # The flat storage keeps vectors in insertion order next to id_map.
        ids = self._stored_ids()
        vectors = self._inner().reconstruct_n(0, self._index.ntotal) if len(ids) else None
        self._index = self._new_hnsw()
        if vectors is not None:
            self._index.add_with_ids(vectors, ids)

    # --- writes ---------------------------------------------------------------

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add ``vectors`` (n × dim, unit-norm float32) under passage ``ids`` (n, int64 ≥ 0)."""
        id_array = _as_ids(ids)
        matrix = _as_matrix(vectors, self.dim)
        if len(id_array) != len(matrix):
            raise ValueError(f"{len(id_array)} ids for {len(matrix)} vectors")
        if len(np.unique(id_array)) != len(id_array):
            raise ValueError("ids passed to add() must be unique")
        if not len(id_array):
            return
        with self._lock:
            present = id_array[np.isin(id_array, self._stored_ids())]
            if self.kind == "flat":
                if len(present):
                    self._index.remove_ids(present)
                if self._index.ntotal + len(id_array) >= self.hnsw_threshold:
                    self._switch_to_hnsw()
            elif len(present):
                raise ValueError(
                    f"{len(present)} passage ids are already in the HNSW index (e.g. {int(present[0])}); "
                    "HNSW cannot replace vectors: use new ids or rebuild the index"
                )
            self._index.add_with_ids(matrix, id_array)

    def remove(self, ids: Iterable[int] | np.ndarray) -> int:
        """Remove passages; returns how many of ``ids`` were live. Unknown ids are ignored."""
        id_array = _as_ids(ids)
        with self._lock:
            present = np.unique(id_array[np.isin(id_array, self._stored_ids())])
            if self.kind == "flat":
                return int(self._index.remove_ids(present)) if len(present) else 0
            fresh = [int(i) for i in present if int(i) not in self._tombstones]
            self._tombstones.update(fresh)
            if fresh:
                self._selector = None
            return len(fresh)

    def _tombstone_selector(self) -> faiss.IDSelector:
        """A FAISS filter excluding tombstones, applied inside the graph walk.

        Filtering during the search (rather than over-fetching and dropping)
        still returns k live results when many entries are dead, at normal
        cost. Built once per change of the tombstone set; the batch selector is
        kept referenced because the "not" selector only borrows it.
        """
        if self._selector is None:
            batch = faiss.IDSelectorBatch(np.fromiter(self._tombstones, dtype=np.int64))
            self._selector = (batch, faiss.IDSelectorNot(batch))
        return self._selector[1]

    # --- reads ----------------------------------------------------------------

    def __len__(self) -> int:
        """Live passages (stored minus tombstoned)."""
        with self._lock:
            return int(self._index.ntotal) - len(self._tombstones)

    def __contains__(self, passage_id: int) -> bool:
        with self._lock:
            return passage_id not in self._tombstones and bool(
                np.isin(np.int64(passage_id), self._stored_ids())
            )

    @property
    def tombstones(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._tombstones)

    @property
    def needs_rebuild(self) -> bool:
        with self._lock:
            total = self._index.ntotal
            return total > 0 and len(self._tombstones) > REBUILD_TOMBSTONE_SHARE * total

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` live passages per query row: ``(scores, ids)``, both (n × k).

        Rows are best first; missing results (fewer than ``k`` live passages) are
        padded with score ``-inf`` and id ``-1``. Tombstoned passages never appear.
        """
        if k <= 0:
            raise ValueError("k must be positive")
        queries = _as_matrix(vectors, self.dim)
        with self._lock:
            total = int(self._index.ntotal)
            out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
            out_ids = np.full((len(queries), k), -1, dtype=np.int64)
            if total == 0 or not len(queries):
                return out_scores, out_ids
            fetch = min(total, k)
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW()
                params.efSearch = max(self.ef_search, fetch)
                if self._tombstones:
                    params.sel = self._tombstone_selector()
                scores, ids = self._index.search(queries, fetch, params=params)
            else:
                scores, ids = self._index.search(queries, fetch)
        # FAISS pads with -1 when the graph walk finds fewer than `fetch` results.
        valid = ids >= 0
        out_ids[:, :fetch] = np.where(valid, ids, -1)
        out_scores[:, :fetch] = np.where(valid, scores, -np.inf)
        return out_scores, out_ids

    def search_documents(
        self,
        vector: np.ndarray,
        k: int,
        passage_to_doc: Callable[[int], Hashable | None] | Mapping[int, Hashable],
    ) -> list[tuple[Hashable, float, int]]:
        """Top-``k`` documents for one query vector: ``[(doc_id, score, passage_id)]``.

        A document scores as its best passage (max-pooling), reported with that
        passage's id for snippets. Fetches ``4k`` passages and, when too many
        belong to the same documents, doubles until ``k`` documents are found or
        the index is exhausted. Passages the mapping does not know (a document
        deleted since indexing) are skipped; a callable may return ``None`` for that.
        """
        query = _as_matrix(vector, self.dim)[:1]
        fetch = max(k * 4, k)
        while True:
            scores, ids = self.search(query, fetch)
            found = best_per_document(scores[0], ids[0], passage_to_doc, k)
            exhausted = ids[0][-1] < 0 or fetch >= len(self)
            if len(found) >= k or exhausted:
                return found
            fetch *= 2

    def memory_bytes(self) -> int:
        """Approximate resident size of the index (vectors, graph, id maps)."""
        with self._lock:
            n = int(self._index.ntotal)
            # id_map (8 B) + rev_map (an unordered_map: ~40 B per entry in libstdc++).
            size = n * 48
            inner = self._inner()
            if isinstance(inner, faiss.IndexHNSW):
                storage = faiss.downcast_index(inner.storage)
                hnsw = inner.hnsw
                size += storage.codes.size()
                size += hnsw.neighbors.size() * 4 + hnsw.offsets.size() * 8 + hnsw.levels.size() * 4
                size += hnsw.assign_probas.size() * 8
            else:
                size += inner.codes.size()
            return size + 56 * len(self._tombstones)

    # --- persistence helpers (used by IndexStore) -----------------------------

    def to_bytes(self) -> bytes:
        with self._lock:
            return faiss.serialize_index(self._index).tobytes()

    def options(self) -> dict:
        return {
            "hnsw_threshold": self.hnsw_threshold,
            "hnsw_m": self.hnsw_m,
            "ef_search": self.ef_search,
            "ef_construction": self.ef_construction,
        }

    @classmethod
    def from_bytes(cls, data: bytes, *, tombstones: Iterable[int] = (), **options) -> "VectorIndex":
        """Rebuild from ``to_bytes`` output; raises whatever FAISS raises on bad data."""
        raw = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        if not isinstance(raw, faiss.IndexIDMap2):
            raise ValueError(f"expected an IndexIDMap2, found {type(raw).__name__}")
        return cls(raw.d, _faiss_index=raw, _tombstones=tombstones, **options)
