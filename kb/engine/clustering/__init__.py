"""Pure clustering core (the topic level, and tools problem clusters share): numpy arrays and ids in,
groups of ids out (no ORM).

Modules, by operation (imported directly so ``metrics`` stays free of FAISS):
- ``graph``: ``knn_graph`` (FAISS exact/HNSW inner-product kNN).
- ``communities``: ``cluster`` / ``cluster_knn`` (threshold graph + Leiden).
- ``matching``: ``match_clusters`` (ids that survive a re-run).
- ``baseline``: TF-IDF clustering and ``tune_to_coverage``.
- ``metrics``: ``coverage``, ``bcubed``, ``pairs_together``, ``linked_share``.
"""
