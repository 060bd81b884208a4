"""k-nearest-neighbour graph over L2-normalised embeddings, with FAISS.

Inner product on unit vectors is cosine similarity, so every index here uses
inner product. Below ``exact_below`` rows the search is exact (``IndexFlatIP``);
above it an HNSW graph keeps the cost near n·log n instead of n², at the price of
missing a few true neighbours, which only weakens edges the threshold would
mostly drop anyway.
"""
from __future__ import annotations

import faiss
import numpy as np

# The demo host has two cores; more threads only add contention.
faiss.omp_set_num_threads(2)

_BATCH = 4096


def _as_unit_float32(vectors: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n×d), got shape {arr.shape}")
    return arr


def _build_index(vectors: np.ndarray, *, exact: bool, hnsw_m: int, ef_construction: int, ef_search: int):
    d = vectors.shape[1]
    if exact:
        index = faiss.IndexFlatIP(d)
    else:
        index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
    index.add(vectors)
    return index


def _drop_self(ids: np.ndarray, sims: np.ndarray, first_row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own id from its k+1 results, keeping k columns.

    A row usually finds itself first, but exact duplicates tie with it and HNSW
    may miss it, so the position is looked up rather than assumed. When the row
    is absent the weakest (last) result is dropped instead.
    """
    rows = np.arange(first_row, first_row + ids.shape[0])[:, None]
    is_self = ids == rows
    no_self = ~is_self.any(axis=1)
    is_self[no_self, -1] = True
    # Exactly one True per row after this, so the boolean mask keeps k per row.
    first_true = is_self.argmax(axis=1)
    keep = np.ones_like(is_self)
    keep[np.arange(ids.shape[0]), first_true] = False
    return ids[keep].reshape(-1, k), sims[keep].reshape(-1, k)


def knn_graph(
    vectors: np.ndarray,
    *,
    k: int = 10,
    exact_below: int = 20_000,
    hnsw_m: int = 32,
    ef_construction: int = 80,
    ef_search: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's ``k`` nearest other rows and their cosine similarities.

    Preconditions: ``vectors`` is n×d, float32 (other dtypes are converted) and
    every row is L2-normalised. ``k`` is clamped to ``n - 1``; the result is
    ``(neighbors, sims)``, both n×k, sorted by decreasing similarity. A row
    never lists itself. HNSW may return ``-1`` for a slot it could not fill;
    callers must skip negative neighbour ids.
    """
    arr = _as_unit_float32(vectors)
    n = arr.shape[0]
    k = min(k, n - 1)
    if n == 0 or k <= 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    index = _build_index(
        arr, exact=n < exact_below, hnsw_m=hnsw_m, ef_construction=ef_construction, ef_search=ef_search
    )
    neighbors = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _BATCH):
        stop = min(start + _BATCH, n)
        batch_sims, batch_ids = index.search(arr[start:stop], k + 1)
        ids_k, sims_k = _drop_self(batch_ids, batch_sims, start, k)
        neighbors[start:stop] = ids_k
        sims[start:stop] = sims_k
    return neighbors, sims
