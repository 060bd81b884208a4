"""TF-IDF keyword clustering: the baseline Gleaner's embeddings must beat.

Same graph pipeline as ``communities`` (cosine kNN → threshold → community
detection), but over sparse TF-IDF rows instead of sentence embeddings.
Comparisons are only fair at equal coverage (a stricter threshold always looks
more precise), hence ``tune_to_coverage``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from kb.engine.clustering.communities import Method, cluster_knn
from kb.engine.clustering.graph import knn_graph
from kb.engine.clustering.metrics import coverage

_ROWS_PER_BATCH = 2048


def tfidf_vectors(texts: Sequence[str], *, min_df: int = 1, max_features: int | None = 50_000) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows (English stop words, unigrams + bigrams, sublinear tf)."""
    # Imported here: scikit-learn takes ~1 s to import and only this baseline (benchmarks, tests) uses it.
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), sublinear_tf=True, min_df=min_df, max_features=max_features
    )
    return vectorizer.fit_transform(texts).tocsr()


def sparse_knn(matrix: sparse.csr_matrix, *, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine kNN for L2-normalised sparse rows, same output as ``knn_graph``.

    Brute force in row batches (X_b · Xᵀ), so memory stays at batch × n floats.
    Rows with no terms have similarity 0 to everything.
    """
    n = matrix.shape[0]
    k = min(k, n - 1)
    if n == 0 or k <= 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    transposed = matrix.T.tocsc()
    neighbors = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _ROWS_PER_BATCH):
        stop = min(start + _ROWS_PER_BATCH, n)
        block = (matrix[start:stop] @ transposed).toarray().astype(np.float32)
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        neighbors[start:stop] = np.take_along_axis(top, order, axis=1)
        sims[start:stop] = np.take_along_axis(top_sims, order, axis=1)
    return neighbors, sims


def tfidf_cluster(
    texts: Sequence[str], *, threshold: float = 0.3, min_size: int = 2, k: int = 10, method: Method = "leiden"
) -> list[list[int]]:
    """Cluster texts by TF-IDF cosine; row indices as in ``communities.cluster``."""
    neighbors, sims = sparse_knn(tfidf_vectors(texts), k=k)
    return cluster_knn(neighbors, sims, threshold=threshold, min_size=min_size, method=method)


@dataclass(frozen=True, slots=True)
class Tuned:
    threshold: float
    coverage: float
    clusters: list[list[int]]
    hit: bool  # False when no threshold reached the target within tolerance


def tune_to_coverage(
    texts_or_vectors: Sequence[str] | np.ndarray | sparse.spmatrix,
    target_coverage: float,
    *,
    tolerance: float = 0.01,
    k: int = 10,
    method: Method = "leiden",
    min_size: int = 2,
    mutual: bool = False,
    resolution: float | None = None,
    low: float = 0.0,
    high: float = 1.0,
    max_steps: int = 40,
) -> Tuned:
    """Bisect the similarity threshold until coverage = target ± ``tolerance``.

    Accepts raw texts (TF-IDF is built here), a sparse L2-normalised matrix, or
    a dense n×d array of unit rows (embeddings). The kNN graph is built once.
    Coverage falls as the threshold rises (fewer edges, smaller groups); with
    community detection that holds only roughly, so the closest threshold seen
    is returned with ``hit=False`` when the target is never met.
    """
    if isinstance(texts_or_vectors, np.ndarray):
        neighbors, sims = knn_graph(texts_or_vectors, k=k)
    elif sparse.issparse(texts_or_vectors):
        neighbors, sims = sparse_knn(sparse.csr_matrix(texts_or_vectors), k=k)
    else:
        neighbors, sims = sparse_knn(tfidf_vectors(list(texts_or_vectors)), k=k)
    n = neighbors.shape[0]

    def run(threshold: float) -> tuple[float, list[list[int]]]:
        groups = cluster_knn(neighbors, sims, threshold=threshold, min_size=min_size, method=method, mutual=mutual,
                             resolution=resolution)
        return coverage(groups, n), groups

    best: Tuned | None = None
    for _ in range(max_steps):
        mid = (low + high) / 2
        cov, groups = run(mid)
        if best is None or abs(cov - target_coverage) < abs(best.coverage - target_coverage):
            best = Tuned(mid, cov, groups, abs(cov - target_coverage) <= tolerance)
        if abs(cov - target_coverage) <= tolerance:
            return best
        if cov > target_coverage:
            low = mid
        else:
            high = mid
    assert best is not None
    return best
