"""Group similar items without a preset number of clusters.

Pipeline: kNN graph (``graph.knn_graph``) → keep edges with cosine similarity
≥ ``threshold`` (optionally only mutual neighbours) → community detection on
the weighted, undirected graph → drop groups smaller than ``min_size``.

Why community detection rather than plain connected components: on real data a
threshold graph chains (A≈B, B≈C, … Y≈Z puts A with Z). Leiden splits such chains
where the edge density drops, and never joins two disconnected parts.

Defaults (measured with ``bench/cluster_explore.py`` on the Beer and Cardano
Stack Exchange dumps, all-MiniLM-L6-v2 on title + body; B-cubed over questions
in duplicate/related links):
- threshold 0.65 + Leiden/modularity: B-cubed F1 0.64 / 0.66 at 41 % / 38 %
  coverage; 75 % of Beer duplicate pairs end up together (TF-IDF at the same
  coverage: 29 %). 0.75 leaves only 7–9 % of questions clustered.
- ``cpm`` scores higher F1 on these small sites (0.66 / 0.73 at threshold 0.55)
  but on a sparse kNN graph it caps groups at roughly k+1 members, so a popular
  issue asked hundreds of times splits into many drafts (B-cubed recall 0.37 on
  the synthetic 100k set of ``bench/cluster_scale.py``). Use it when precision
  matters more than one draft per issue.
- mutual-kNN edges changed almost nothing here, so they are off by default.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from kb.engine.clustering.graph import knn_graph

Method = Literal["leiden", "cpm", "louvain", "components"]
METHODS: tuple[str, ...] = ("leiden", "cpm", "louvain", "components")
DEFAULT_THRESHOLD = 0.65
DEFAULT_METHOD: Method = "leiden"


def threshold_edges(
    neighbors: np.ndarray, sims: np.ndarray, *, threshold: float, mutual: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges ``(src, dst, weight)`` with ``src < dst`` from a kNN graph.

    Each pair appears once; its weight is the larger of the two directed
    similarities (they differ only by float noise for exact search). With
    ``mutual`` a pair is kept only when each end lists the other among its k
    nearest, which cuts hub items that are everyone's neighbour.
    """
    n = neighbors.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.int64), neighbors.shape[1])
    cols = neighbors.reshape(-1).astype(np.int64)
    weights = sims.reshape(-1).astype(np.float32)
    keep = (cols >= 0) & (cols != rows) & (weights >= threshold)
    rows, cols, weights = rows[keep], cols[keep], weights[keep]
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    codes = lo * n + hi
    order = np.lexsort((-weights, codes))
    codes, weights = codes[order], weights[order]
    uniq, first, counts = np.unique(codes, return_index=True, return_counts=True)
    w = weights[first]
    if mutual:
        both = counts >= 2
        uniq, w = uniq[both], w[both]
    return uniq // n, uniq % n, w


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    # The graph libraries are imported by the method that uses them: each costs import time, and a
    # run uses one (connected components, Leiden, or Louvain).
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adj = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    return labels


def _leiden(n: int, src, dst, w, *, method: str, resolution: float, seed: int, iterations: int) -> np.ndarray:
    # Imported here, see ``_components``.
    import igraph as ig
    import leidenalg as la

    g = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=False)
    g.es["weight"] = w.astype(float).tolist()
    if method == "cpm":
        part_type = la.CPMVertexPartition
    else:
        # RBConfiguration with resolution 1 is plain modularity; >1 favours smaller groups.
        part_type = la.RBConfigurationVertexPartition
    partition = la.find_partition(
        g, part_type, weights="weight", resolution_parameter=resolution, seed=seed, n_iterations=iterations
    )
    return np.asarray(partition.membership, dtype=np.int64)


def _louvain(n: int, src, dst, w, *, resolution: float, seed: int) -> np.ndarray:
    # Imported here, see ``_components``.
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), w.astype(float).tolist()))
    labels = np.arange(n, dtype=np.int64)
    for label, members in enumerate(nx.community.louvain_communities(g, resolution=resolution, seed=seed)):
        labels[list(members)] = n + label
    return labels


def labels_to_clusters(labels: np.ndarray, *, min_size: int = 2) -> list[list[int]]:
    """Groups of row indices sharing a label, largest first, each sorted."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    bounds = np.flatnonzero(np.diff(sorted_labels)) + 1
    groups = [g.tolist() for g in np.split(order, bounds) if len(g) >= min_size]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def cluster_knn(
    neighbors: np.ndarray,
    sims: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = 2,
    method: Method = DEFAULT_METHOD,
    mutual: bool = False,
    resolution: float | None = None,
    seed: int = 0,
    iterations: int = 2,
) -> list[list[int]]:
    """Cluster from an already built kNN graph (see ``cluster`` for the meaning).

    ``resolution`` defaults to 1.0 for ``leiden``/``louvain`` (modularity) and to
    ``threshold`` for ``cpm`` (a group must be denser than that average weight).
    ``iterations`` is Leiden's pass count (2 is leidenalg's default; −1 runs to
    convergence, which is much slower at 100k items for little change).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    n = neighbors.shape[0]
    if n == 0:
        return []
    src, dst, w = threshold_edges(neighbors, sims, threshold=threshold, mutual=mutual)
    if len(src) == 0:
        return []
    if method == "components":
        labels = _components(n, src, dst)
    elif method == "louvain":
        labels = _louvain(n, src, dst, w, resolution=resolution or 1.0, seed=seed)
    else:
        default_res = threshold if method == "cpm" else 1.0
        labels = _leiden(
            n, src, dst, w, method=method, resolution=default_res if resolution is None else resolution,
            seed=seed, iterations=iterations,
        )
    return labels_to_clusters(labels, min_size=min_size)


def cluster(
    vectors: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = 2,
    k: int = 10,
    method: Method = DEFAULT_METHOD,
    mutual: bool = False,
    resolution: float | None = None,
    seed: int = 0,
) -> list[list[int]]:
    """Cluster L2-normalised rows; return lists of row indices.

    Preconditions: ``vectors`` is n×d with unit-length rows (cosine = dot).
    Only groups of at least ``min_size`` rows are returned; everything else is
    left out (unclustered). Two rows can share a group only if a path of edges
    with similarity ≥ ``threshold`` joins them. Deterministic for a given
    ``seed``. Methods: ``leiden`` (modularity, default), ``cpm`` (Leiden with the
    constant Potts model), ``louvain`` (networkx, no extra packages),
    ``components`` (connected components, chains freely).
    """
    neighbors, sims = knn_graph(vectors, k=k)
    return cluster_knn(
        neighbors, sims, threshold=threshold, min_size=min_size, method=method,
        mutual=mutual, resolution=resolution, seed=seed,
    )
