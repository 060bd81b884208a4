"""Keep cluster ids stable across full re-runs.

``match_clusters`` gives each new group the id of the old group it overlaps
most (Jaccard ≥ 0.5), so drafts and editor work stay attached to the same
problem cluster, and a topic keeps its id. Frozen clusters hold editor
decisions; their ids are never reused.
"""
from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence

MIN_JACCARD = 0.5

ItemId = Hashable
ClusterId = Hashable


def match_clusters(
    old: Mapping[ClusterId, Collection[ItemId]],
    new: Sequence[Collection[ItemId]],
    *,
    frozen: Collection[ClusterId] = frozenset(),
    min_jaccard: float = MIN_JACCARD,
) -> dict[int, ClusterId | None]:
    """Map each new group (by index) to the old cluster id it continues, or None.

    Candidates are (new, old) pairs sharing items; they are taken greedily by
    overlap |N ∩ O| (ties: higher Jaccard, then lower new index), and a pair is
    accepted when both sides are still free and Jaccard |N ∩ O| / |N ∪ O| ≥
    ``min_jaccard``. Each old id is used at most once; frozen ids never.
    """
    frozen = set(frozen)
    owner: dict[ItemId, list[ClusterId]] = {}
    old_sets = {cid: set(members) for cid, members in old.items() if cid not in frozen}
    for cid, members in old_sets.items():
        for item in members:
            owner.setdefault(item, []).append(cid)
    candidates = []
    new_sets = [set(g) for g in new]
    for idx, members in enumerate(new_sets):
        overlap: dict[ClusterId, int] = {}
        for item in members:
            for cid in owner.get(item, ()):
                overlap[cid] = overlap.get(cid, 0) + 1
        for order, (cid, shared) in enumerate(overlap.items()):
            jaccard = shared / len(members | old_sets[cid])
            candidates.append((-shared, -jaccard, idx, order, cid, jaccard))
    candidates.sort(key=lambda c: c[:4])
    result: dict[int, ClusterId | None] = {idx: None for idx in range(len(new_sets))}
    used: set[ClusterId] = set()
    for _, _, idx, _, cid, jaccard in candidates:
        if result[idx] is None and cid not in used and jaccard >= min_jaccard:
            result[idx] = cid
            used.add(cid)
    return result
