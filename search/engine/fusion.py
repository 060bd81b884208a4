"""Combining the dense (embedding) and keyword rankings into one.

Pure functions over ids and scores; ties are broken by first appearance in the
inputs (dense before keyword), so results are deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterator, Literal, Mapping, Sequence

DEFAULT_RRF_K = 60


@dataclass(frozen=True, slots=True)
class Ranked:
    """One fused result. Unpacks like a tuple: ``for doc_id, score in results``."""

    id: Hashable
    score: float

    def __iter__(self) -> Iterator:
        yield self.id
        yield self.score


def _sorted(scores: dict[Hashable, float]) -> list[Ranked]:
    order = {doc: position for position, doc in enumerate(scores)}
    return [Ranked(doc, score) for doc, score in sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))]


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = DEFAULT_RRF_K) -> list[Ranked]:
    """Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009).

    ``score(d) = Σ_r 1 / (k + rank_r(d))`` over the rankings ``r`` that contain
    ``d``, with ranks starting at 1. Only positions matter, so scores of
    different scales need no normalisation; ``k`` (60 in the paper) damps the
    weight of the very top ranks. A document repeated within one ranking counts
    once, at its first position, and ranks are counted over distinct documents.
    """
    if k < 0:
        raise ValueError("k must be non-negative")
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        seen: set[Hashable] = set()
        for doc in ranking:
            if doc in seen:
                continue
            seen.add(doc)
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + len(seen))
    return _sorted(scores)


def normalize_scores(
    scores: Mapping[Hashable, float], method: Literal["minmax", "none"] = "minmax"
) -> dict[Hashable, float]:
    """Min-max scaling ``(s - min) / (max - min)`` into [0, 1].

    When all scores are equal (including a single result) every document gets
    1.0: being the only match is the strongest evidence the list can give.
    ``"none"`` returns the scores unchanged.
    """
    if method == "none":
        return dict(scores)
    if method != "minmax":
        raise ValueError(f"unknown normalisation {method!r}; use 'minmax' or 'none'")
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return {doc: 1.0 for doc in scores}
    span = high - low
    return {doc: (score - low) / span for doc, score in scores.items()}


def convex(
    dense: Mapping[Hashable, float],
    keyword: Mapping[Hashable, float],
    *,
    alpha: float,
    normalize: Literal["minmax", "none"] = "minmax",
) -> list[Ranked]:
    """Convex combination of normalised scores (Bruch, Gai & Ingber, TOIS 2023).

    ``score(d) = α · dense'(d) + (1 - α) · keyword'(d)`` where ``x'`` is the
    min-max normalised score. A document missing from one list gets that list's
    minimum after normalisation, i.e. 0: not retrieved counts as least relevant.
    ``alpha`` = 1 is dense only, 0 is keyword only.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("alpha must be between 0 and 1")
    dense_n = normalize_scores(dense, normalize)
    keyword_n = normalize_scores(keyword, normalize)
    floor_dense = min(dense_n.values(), default=0.0) if normalize == "none" else 0.0
    floor_keyword = min(keyword_n.values(), default=0.0) if normalize == "none" else 0.0
    combined: dict[Hashable, float] = {}
    for doc in list(dense_n) + [d for d in keyword_n if d not in dense_n]:
        combined[doc] = alpha * dense_n.get(doc, floor_dense) + (1.0 - alpha) * keyword_n.get(doc, floor_keyword)
    return _sorted(combined)
