"""Time and peak memory of ``knn_graph`` + ``cluster`` on synthetic embeddings.

Usage: python bench/cluster_scale.py [--sizes 10000 100000] [--methods cpm leiden]

Vectors are 384-d and unit length, shaped like question embeddings: ~30 topics
(centre-to-centre cosine ≈ 0.4 inside a topic), a few thousand question
centres with Zipf-like sizes, per-cluster noise giving member-to-member cosine
≈ 0.6–0.8, and 20 % one-off questions. Each size/method runs in a fresh child
process so the reported peak RSS (``ru_maxrss``) is its own. B-cubed against
the generating centres shows whether a method fragments or over-merges.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DIM = 384


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def synthetic(n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors, labels)``; label −1 marks one-off questions."""
    rng = np.random.default_rng(seed)
    n_centres = max(10, n // 30)
    topics = _unit(rng.standard_normal((30, DIM)))
    centres = _unit(topics[rng.integers(0, 30, n_centres)] + 1.2 * rng.standard_normal((n_centres, DIM)) / np.sqrt(DIM))
    n_clustered = int(n * 0.8)
    weights = 1.0 / np.arange(1, n_centres + 1) ** 0.8
    labels = rng.choice(n_centres, size=n_clustered, p=weights / weights.sum())
    sigma = rng.uniform(0.5, 0.8, n_centres)[labels][:, None]
    clustered = centres[labels] + sigma * rng.standard_normal((n_clustered, DIM)).astype(np.float32) / np.sqrt(DIM)
    loners = rng.standard_normal((n - n_clustered, DIM))
    vectors = _unit(np.vstack([clustered, loners]))
    return vectors, np.concatenate([labels, -np.ones(n - n_clustered, dtype=np.int64)])


def run_one(n: int, method: str, threshold: float, resolution: float | None) -> dict:
    from kb.engine.clustering.communities import cluster_knn
    from kb.engine.clustering.graph import knn_graph
    from kb.engine.clustering.metrics import bcubed, coverage

    vectors, labels = synthetic(n)
    t0 = time.perf_counter()
    neighbors, sims = knn_graph(vectors, k=10)
    t1 = time.perf_counter()
    groups = cluster_knn(neighbors, sims, threshold=threshold, method=method, resolution=resolution)
    t2 = time.perf_counter()
    gold = [set(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels[labels >= 0])]
    p, r, f = bcubed(groups, gold, items=range(n))
    return {
        "n": n, "method": method, "threshold": threshold, "knn_s": t1 - t0, "cluster_s": t2 - t1,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "clusters": len(groups), "coverage": coverage(groups, n), "P": p, "R": r, "F1": f,
        "true_coverage": float((labels >= 0).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--methods", nargs="+", default=["cpm", "leiden"])
    parser.add_argument("--threshold", type=float, default=None, help="default: the library default")
    parser.add_argument("--resolution", type=float, default=None, help="default: the method's default")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from kb.engine.clustering.communities import DEFAULT_THRESHOLD

        threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
        print(json.dumps(run_one(int(args.child[0]), args.child[1], threshold, args.resolution)))
        return
    print(f"{'n':>7} {'method':<8} {'kNN s':>7} {'cluster s':>9} {'total s':>8} {'peak MB':>8} "
          f"{'clusters':>8} {'cov':>5} {'B3 P':>5} {'B3 R':>5} {'B3 F1':>5}")
    for n in args.sizes:
        for method in args.methods:
            extra = [f"--{name}={value}" for name, value in (("threshold", args.threshold),
                                                             ("resolution", args.resolution)) if value is not None]
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(n), method, *extra],
                check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            print(f"{r['n']:>7} {r['method']:<8} {r['knn_s']:>7.1f} {r['cluster_s']:>9.1f} "
                  f"{r['knn_s'] + r['cluster_s']:>8.1f} {r['peak_mb']:>8.0f} {r['clusters']:>8} "
                  f"{r['coverage']:>5.2f} {r['P']:>5.2f} {r['R']:>5.2f} {r['F1']:>5.2f}", flush=True)


if __name__ == "__main__":
    main()
