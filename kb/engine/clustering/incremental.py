"""Keep clusters stable as questions arrive and across full re-runs.

Two operations:
- ``assign_incremental``: attach new items to existing clusters (nearest
  centroid or best member above ``join_threshold``); cluster the rest among
  themselves and with earlier leftovers into new candidates.
- ``match_clusters`` / ``recluster``: after a full re-run, give each new group
  the id of the old cluster it overlaps most (Jaccard ≥ 0.5), so drafts and
  editor work stay attached to the same id.

Frozen clusters hold editor decisions (dismissed, merged, split, published).
Nothing here ever adds to, removes from or re-labels them: their members are
taken out of the input before clustering, and new items that match them are
reported in ``Assignment.held`` for the caller to show, never joined.
"""
from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from kb.engine.clustering.communities import DEFAULT_METHOD, DEFAULT_THRESHOLD, Method, cluster
from kb.engine.clustering.graph import search_nearest

# A member's cosine to its own cluster's centroid runs higher than member-to-member
# cosine (roughly its square root for a tight group), so joining asks for more
# than the pair threshold used to build clusters.
DEFAULT_JOIN_THRESHOLD = 0.7
MIN_JACCARD = 0.5

ItemId = Hashable
ClusterId = Hashable


@dataclass(frozen=True, slots=True)
class Assignment:
    joined: dict[ItemId, ClusterId]  # new item -> existing, non-frozen cluster
    new_clusters: list[list[ItemId]]  # candidates formed from new items and leftovers
    held: dict[ItemId, ClusterId] = field(default_factory=dict)  # matched a frozen cluster; left alone
    unclustered: list[ItemId] = field(default_factory=list)  # new items or leftovers still alone


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


def _targets(
    existing: Mapping[ClusterId, np.ndarray], match: str
) -> tuple[np.ndarray, list[ClusterId]]:
    """Rows to match against and the cluster each row stands for."""
    rows: list[np.ndarray] = []
    owners: list[ClusterId] = []
    for cid, arr in existing.items():
        arr = np.asarray(arr, dtype=np.float32)
        if arr.size == 0:
            continue
        if arr.ndim == 1:
            rows.append(arr[None, :])
            owners.append(cid)
        elif match == "best_member":
            rows.append(arr)
            owners.extend([cid] * arr.shape[0])
        else:
            rows.append(arr.mean(axis=0, keepdims=True))
            owners.append(cid)
    if not rows:
        return np.zeros((0, 0), dtype=np.float32), []
    return _unit_rows(np.vstack(rows)), owners


def assign_incremental(
    *,
    existing: Mapping[ClusterId, np.ndarray],
    new_ids: Sequence[ItemId],
    new_vectors: np.ndarray,
    frozen: Collection[ClusterId] = frozenset(),
    join_threshold: float = DEFAULT_JOIN_THRESHOLD,
    match: Literal["centroid", "best_member"] = "centroid",
    leftover_ids: Sequence[ItemId] = (),
    leftover_vectors: np.ndarray | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = 2,
    k: int = 10,
    method: Method = DEFAULT_METHOD,
) -> Assignment:
    """Place new items; never touch frozen clusters.

    Preconditions: ``new_vectors`` (len(new_ids)×d) and ``leftover_vectors``
    have unit rows; each ``existing`` value is a centroid (d,) or the member
    matrix (m×d) of that cluster; ``new_ids`` are not members of any existing
    cluster (the caller passes only unplaced items). A new item goes to the
    most similar cluster when the cosine (to the centroid, or with
    ``match="best_member"`` to the closest member) is ≥ ``join_threshold``;
    if that cluster is frozen the item is ``held`` instead. The remaining new
    items plus leftovers are clustered with ``cluster(threshold=…, method=…)``.
    """
    new_ids = list(new_ids)
    new_vectors = np.asarray(new_vectors, dtype=np.float32).reshape(len(new_ids), -1)
    frozen = set(frozen)
    joined: dict[ItemId, ClusterId] = {}
    held: dict[ItemId, ClusterId] = {}
    rest = list(range(len(new_ids)))
    targets, owners = _targets(existing, match)
    if owners and new_ids:
        ids, sims = search_nearest(targets, new_vectors, k=1)
        rest = []
        for row, (best, sim) in enumerate(zip(ids[:, 0], sims[:, 0])):
            if sim >= join_threshold:
                cid = owners[int(best)]
                (held if cid in frozen else joined)[new_ids[row]] = cid
            else:
                rest.append(row)

    pool_ids = [new_ids[i] for i in rest] + list(leftover_ids)
    parts = [new_vectors[rest]]
    if leftover_vectors is not None and len(leftover_ids):
        parts.append(np.asarray(leftover_vectors, dtype=np.float32).reshape(len(leftover_ids), -1))
    pool = np.vstack(parts) if pool_ids else np.zeros((0, new_vectors.shape[1]), dtype=np.float32)
    groups = cluster(pool, threshold=threshold, min_size=min_size, k=k, method=method) if len(pool_ids) > 1 else []
    new_clusters = [[pool_ids[i] for i in g] for g in groups]
    placed = {i for g in groups for i in g}
    unclustered = [pool_ids[i] for i in range(len(pool_ids)) if i not in placed]
    return Assignment(joined=joined, new_clusters=new_clusters, held=held, unclustered=unclustered)


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


def recluster(
    *,
    ids: Sequence[ItemId],
    vectors: np.ndarray,
    old: Mapping[ClusterId, Collection[ItemId]],
    frozen: Collection[ClusterId] = frozenset(),
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = 2,
    k: int = 10,
    method: Method = DEFAULT_METHOD,
) -> list[tuple[ClusterId | None, list[ItemId]]]:
    """Full re-run that keeps ids: ``[(old id or None for a new group, members)]``.

    Preconditions: ``vectors`` rows are unit length and align with ``ids``.
    Members of frozen clusters are removed before clustering, so no returned
    group contains them, and frozen ids are never reused.
    """
    frozen = set(frozen)
    locked = {item for cid in frozen for item in old.get(cid, ())}
    keep = [i for i, item in enumerate(ids) if item not in locked]
    kept_ids = [ids[i] for i in keep]
    groups = cluster(np.asarray(vectors, dtype=np.float32)[keep], threshold=threshold, min_size=min_size,
                     k=k, method=method) if len(keep) > 1 else []
    new = [[kept_ids[i] for i in g] for g in groups]
    mapping = match_clusters(old, [set(g) for g in new], frozen=frozen)
    return [(mapping[idx], members) for idx, members in enumerate(new)]
