"""Clustering quality measures against link labels (duplicate/related pairs).

Conventions: a clustering is a list of groups of hashable item ids; an item in
no group is a singleton. Groups are assumed disjoint (an item in two groups
keeps the first). Gold labels are unordered pairs ``(a, b)`` of linked items,
or gold groups (sets); pairs become groups as the connected components of the
link graph.
"""
from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Sequence

Clusters = Sequence[Collection[Hashable]]
Pair = tuple[Hashable, Hashable]


def _label_of(clusters: Clusters) -> dict[Hashable, int]:
    labels: dict[Hashable, int] = {}
    for idx, group in enumerate(clusters):
        for item in group:
            labels.setdefault(item, idx)
    return labels


def _unique_pairs(pairs: Iterable[Pair]) -> set[frozenset]:
    # Self-links carry no information about grouping.
    return {frozenset(p) for p in pairs if len(set(p)) == 2}


def coverage(clusters: Clusters, n: int) -> float:
    """Share of the ``n`` items that sit in a group of size ≥ 2.

    coverage = |⋃{C : |C| ≥ 2}| / n   (0.0 when n = 0)
    """
    if n <= 0:
        return 0.0
    covered = set()
    for group in clusters:
        if len(group) >= 2:
            covered.update(group)
    return len(covered) / n


def gold_groups_from_pairs(pairs: Iterable[Pair]) -> list[set]:
    """Connected components of the link graph (union-find)."""
    parent: dict[Hashable, Hashable] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[Hashable, set] = {}
    for x in list(parent):
        groups.setdefault(find(x), set()).add(x)
    return list(groups.values())


def bcubed(
    clusters: Clusters,
    gold: Iterable[Pair] | Iterable[Collection[Hashable]],
    *,
    items: Collection[Hashable] | None = None,
) -> tuple[float, float, float]:
    """B-cubed ``(precision, recall, f1)`` over the linked items.

    ``gold`` is either pairs (2-tuples) or groups (sets/frozensets/lists of any
    length given as non-tuples). Evaluated items E = ``items`` if given, else
    every item in a gold group. For e ∈ E, with both clusterings restricted to E:
      C(e) = e's predicted group ∩ E (just {e} if e is unclustered),
      G(e) = e's gold group ∩ E ({e} if e has no link),
      P(e) = |C(e) ∩ G(e)| / |C(e)|,   R(e) = |C(e) ∩ G(e)| / |G(e)|,
      precision = mean P(e), recall = mean R(e), f1 = 2PR / (P + R).
    Restricting to E is deliberate: unlinked questions have no label, so a
    group mixing linked and unlinked questions is neither rewarded nor punished.
    All-singletons give precision 1; one group holding everything gives recall 1.
    """
    gold = list(gold)
    if gold and all(isinstance(g, tuple) and len(g) == 2 for g in gold):
        groups = gold_groups_from_pairs(gold)
    else:
        groups = [set(g) for g in gold]
    evaluated = set(items) if items is not None else set().union(*groups) if groups else set()
    if not evaluated:
        return 0.0, 0.0, 0.0
    gold_label = _label_of(groups)
    pred_label = _label_of(clusters)
    pred_members: dict[int, set] = {}
    gold_members: dict[int, set] = {}
    for e in evaluated:
        if e in pred_label:
            pred_members.setdefault(pred_label[e], set()).add(e)
        if e in gold_label:
            gold_members.setdefault(gold_label[e], set()).add(e)
    p_sum = r_sum = 0.0
    for e in evaluated:
        c = pred_members[pred_label[e]] if e in pred_label else {e}
        g = gold_members[gold_label[e]] if e in gold_label else {e}
        both = len(c & g)
        p_sum += both / len(c)
        r_sum += both / len(g)
    p, r = p_sum / len(evaluated), r_sum / len(evaluated)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def pairs_together(clusters: Clusters, pairs: Iterable[Pair]) -> float:
    """Share of gold pairs whose two items are in the same predicted group.

    pairs_together = |{(a,b) ∈ gold : label(a) = label(b) ≠ none}| / |gold|
    (0.0 for no pairs). Pairs are unordered and counted once.
    """
    unique = _unique_pairs(pairs)
    if not unique:
        return 0.0
    labels = _label_of(clusters)
    together = 0
    for pair in unique:
        a, b = tuple(pair)
        if a in labels and labels.get(a) == labels.get(b):
            together += 1
    return together / len(unique)


def linked_share(clusters: Clusters, pairs: Iterable[Pair]) -> float:
    """Share of predicted co-clustered pairs that are gold-linked.

    linked_share = |{(a,b) ∈ gold : same group}| / Σ_C |C|·(|C|−1)/2
    The denominator is counted from group sizes, never by enumerating pairs,
    so a huge group costs O(1). 0.0 when no group has two items.
    """
    labels = _label_of(clusters)
    sizes: dict[int, int] = {}
    for label in labels.values():
        sizes[label] = sizes.get(label, 0) + 1
    predicted = sum(s * (s - 1) // 2 for s in sizes.values())
    if predicted == 0:
        return 0.0
    linked = 0
    for pair in _unique_pairs(pairs):
        a, b = tuple(pair)
        if a in labels and labels.get(a) == labels.get(b):
            linked += 1
    return linked / predicted
