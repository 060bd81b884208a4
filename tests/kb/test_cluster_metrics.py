"""Clustering metrics on tiny hand-checked cases."""
from __future__ import annotations

import pytest

from kb.engine.clustering.metrics import bcubed, coverage, gold_groups_from_pairs, linked_share, pairs_together

# Gold: {a, b, c} linked as a chain, {d, e} linked; f and g are unlinked.
PAIRS = [("a", "b"), ("b", "c"), ("d", "e")]
LINKED = ["a", "b", "c", "d", "e"]


def test_coverage_counts_only_groups_of_two_or_more():
    assert coverage([["a", "b"], ["c"]], 10) == pytest.approx(0.2)
    assert coverage([], 10) == 0.0
    assert coverage([["a"]], 0) == 0.0


def test_gold_groups_are_link_components():
    groups = sorted(sorted(g) for g in gold_groups_from_pairs(PAIRS))
    assert groups == [["a", "b", "c"], ["d", "e"]]


def test_bcubed_hand_example():
    # Predicted {a, b, d}, {c, f}; e unclustered. Restricted to linked items:
    # C(a)=C(b)=C(d)={a,b,d}, C(c)={c}, C(e)={e}.
    # P(e): a 2/3, b 2/3, d 1/3, c 1, e 1.   R(e): a 2/3, b 2/3, d 1/2, c 1/3, e 1/2.
    p, r, f = bcubed([["a", "b", "d"], ["c", "f"]], PAIRS)
    assert p == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)
    assert r == pytest.approx((2 / 3 + 2 / 3 + 1 / 2 + 1 / 3 + 1 / 2) / 5)
    assert f == pytest.approx(2 * p * r / (p + r))


def test_bcubed_accepts_groups_as_well_as_pairs():
    clusters = [["a", "b"], ["d", "e", "f"]]
    assert bcubed(clusters, PAIRS) == pytest.approx(bcubed(clusters, [{"a", "b", "c"}, {"d", "e"}]))


def test_all_singletons_are_precise_but_miss_links():
    p, r, _ = bcubed([], PAIRS)
    assert p == 1.0
    # a, b, c each recall 1/3; d, e each 1/2.
    assert r == pytest.approx((3 * 1 / 3 + 2 * 1 / 2) / 5)


def test_one_giant_cluster_recalls_everything_imprecisely():
    p, r, _ = bcubed([LINKED + ["f", "g"]], PAIRS)
    assert r == 1.0
    assert p == pytest.approx((3 * 3 / 5 + 2 * 2 / 5) / 5)


def test_perfect_clustering_scores_one():
    assert bcubed([["a", "b", "c"], ["d", "e"]], PAIRS) == pytest.approx((1.0, 1.0, 1.0))


def test_pairs_together_and_linked_share():
    clusters = [["a", "b", "c", "f"], ["d"], ["e", "g"]]
    # a-b and b-c are together, d-e are not.
    assert pairs_together(clusters, PAIRS) == pytest.approx(2 / 3)
    # Predicted pairs: C(4,2)=6 + C(2,2)=1 = 7; of them a-b and b-c are linked.
    assert linked_share(clusters, PAIRS) == pytest.approx(2 / 7)


def test_pairs_are_unordered_and_counted_once():
    assert pairs_together([["a", "b"]], [("a", "b"), ("b", "a"), ("c", "d")]) == pytest.approx(1 / 2)
    assert linked_share([["a", "b"]], [("b", "a"), ("a", "b")]) == 1.0


def test_linked_share_handles_huge_cluster_by_counting():
    big = list(range(200_000))
    assert linked_share([big], [(1, 2)]) == pytest.approx(1 / (200_000 * 199_999 // 2))
