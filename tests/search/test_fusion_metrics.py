"""Rank fusion and evaluation metrics on hand-computed examples."""
from __future__ import annotations

import math

import pytest

from search.engine.fusion import Ranked, convex, rrf
from search.engine.metrics import evaluate, mrr_at_k, ndcg_at_k, recall_at_k, split_dev_test


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert [r.id for r in fused] == ["b", "c", "a", "d"]
    scores = dict(fused)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 62)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["d"] == pytest.approx(1 / 63)


def test_rrf_counts_a_repeated_document_once_per_ranking_and_breaks_ties_by_appearance():
    fused = rrf([["x", "x", "y"], ["y", "x"]], k=0)
    assert dict(fused) == {"x": pytest.approx(1 + 1 / 2), "y": pytest.approx(1 / 2 + 1)}
    assert [doc for doc, _ in fused] == ["x", "y"]
    assert rrf([]) == []


def test_convex_combination_of_minmax_scores():
    dense = {"a": 0.9, "b": 0.5, "c": 0.7}
    keyword = {"b": 10.0, "d": 2.0}
    fused = convex(dense, keyword, alpha=0.5)
    # dense' = a 1, b 0, c .5 ; keyword' = b 1, d 0 ; missing = 0
    assert [(r.id, r.score) for r in fused] == [
        ("a", pytest.approx(0.5)),
        ("b", pytest.approx(0.5)),
        ("c", pytest.approx(0.25)),
        ("d", pytest.approx(0.0)),
    ]
    assert isinstance(fused[0], Ranked)


def test_convex_extremes_and_degenerate_lists():
    dense = {"a": 0.2, "b": 0.8}
    keyword = {"a": 7.0, "b": 3.0}
    assert [r.id for r in convex(dense, keyword, alpha=1.0)] == ["b", "a"]
    assert [r.id for r in convex(dense, keyword, alpha=0.0)] == ["a", "b"]
    # A single keyword hit is maximal evidence in its list.
    assert dict(convex({}, {"z": 3.2}, alpha=0.3)) == {"z": pytest.approx(0.7)}
    assert dict(convex({"a": 0.5}, {"b": 4.0}, alpha=0.5, normalize="none")) == {
        "a": pytest.approx(0.5 * 0.5 + 0.5 * 4.0),
        "b": pytest.approx(0.5 * 0.5 + 0.5 * 4.0),
    }
    with pytest.raises(ValueError):
        convex(dense, keyword, alpha=1.5)


def test_binary_metrics():
    ranked = ["x", "a", "y", "b"]
    relevant = {"a": 1, "b": 1, "c": 1}
    assert recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert mrr_at_k(ranked, relevant, 4) == pytest.approx(1 / 2)
    assert mrr_at_k(ranked, relevant, 1) == 0.0
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, relevant, 4) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b", "c"], relevant, 3) == pytest.approx(1.0)


def test_graded_ndcg_and_duplicates():
    relevant = {"a": 3, "b": 1, "n": 0}
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert ndcg_at_k(["b", "a"], relevant, 10) == pytest.approx(expected)
    # Repeating "a" cannot earn credit twice.
    assert recall_at_k(["a", "a", "a"], relevant, 2) == pytest.approx(1 / 2)
    assert ndcg_at_k(["a", "a", "b"], relevant, 10) == pytest.approx(1.0)
    assert recall_at_k(["a"], {}, 10) == 0.0


def test_evaluate_averages_over_answerable_queries():
    runs = {"q1": ["d1", "d2"], "q2": ["d9", "d3"], "q-extra": ["d1"]}
    qrels = {"q1": {"d1": 1}, "q2": {"d3": 1}, "q3": {"d4": 1}, "q4": {"d5": 0}}
    result = evaluate(runs, qrels, k=10)
    assert result["queries"] == 3 and result["skipped"] == 1
    assert result["recall@10"] == pytest.approx((1 + 1 + 0) / 3)
    assert result["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert result["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3) + 0) / 3)


def test_split_dev_test_is_deterministic_and_order_independent():
    ids = list(range(101))
    dev, test = split_dev_test(ids)
    assert (dev, test) == split_dev_test(list(reversed(ids)))
    assert sorted(dev + test) == ids and not set(dev) & set(test)
    assert len(dev) in (50, 51)
    assert dev != sorted(dev)  # actually shuffled
    assert split_dev_test(ids, seed=14)[0] != dev
