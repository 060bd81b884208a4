"""The default ranker: score fusion of the dense and keyword rankings.

Which fusion runs is a setting (``SEARCH_FUSION``: ``rrf``, ``convex``, ``dense``
or ``keyword``; ``SEARCH_ALPHA`` weighs dense against keyword in ``convex``,
``SEARCH_RRF_K`` damps top ranks in ``rrf``). The shipped default is the one
that won on the held-out half of the labelled data (``bench/eval_search.py``):
fusion is not assumed to help, it was measured.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from search.backends.base import Hit, Ranker
from search.engine.fusion import convex, rrf

FUSIONS = ("rrf", "convex", "dense", "keyword")
Fusion = Literal["rrf", "convex", "dense", "keyword"]


@dataclass(frozen=True, slots=True)
class FusionConfig:
    method: Fusion
    alpha: float
    rrf_k: int

    def __post_init__(self) -> None:
        if self.method not in FUSIONS:
            raise ValueError(f"unknown fusion {self.method!r}; use one of {', '.join(FUSIONS)}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError("alpha must be between 0 and 1")

    @classmethod
    def from_settings(cls, **overrides) -> "FusionConfig":
        """The configured fusion, with ``overrides`` (e.g. ``method="keyword"``) replacing settings."""
        values = {"method": settings.SEARCH_FUSION, "alpha": settings.SEARCH_ALPHA, "rrf_k": settings.SEARCH_RRF_K}
        return cls(**{**values, **overrides})


def fuse(
    dense: list[tuple[int, float, int | None]],
    keyword: list[tuple[int, float]],
    *,
    config: FusionConfig,
) -> list[Hit]:
    """Combine two rankings, best first. Pure: the evaluation calls it with many configs.

    ``dense`` is ``[(document id, cosine, best passage id)]`` and ``keyword``
    ``[(document id, score)]``, each best first with higher scores better.
    """
    dense_by_doc = {doc: (score, passage) for doc, score, passage in dense}
    keyword_by_doc = dict(keyword)
    if config.method == "dense":
        fused = [(doc, score) for doc, score, _ in dense]
    elif config.method == "keyword":
        fused = list(keyword)
    elif config.method == "rrf":
        fused = [tuple(r) for r in rrf([[d for d, _, _ in dense], [d for d, _ in keyword]], k=config.rrf_k)]
    else:
        fused = [
            tuple(r)
            for r in convex(
                {doc: score for doc, score, _ in dense}, keyword_by_doc, alpha=config.alpha
            )
        ]
    return [
        Hit(
            document_id=doc,
            score=float(score),
            passage_id=dense_by_doc.get(doc, (None, None))[1],
            dense=dense_by_doc.get(doc, (None, None))[0],
            keyword=keyword_by_doc.get(doc),
        )
        for doc, score in fused
    ]


class FusionRanker(Ranker):
    def __init__(self, config: FusionConfig) -> None:
        self.config = config
        self.uses_dense = config.method != "keyword"
        self.uses_keyword = config.method != "dense"

    @classmethod
    def from_settings(cls) -> "FusionRanker":
        return cls(FusionConfig.from_settings())

    @property
    def mode(self) -> str:
        return {"dense": "dense", "keyword": "keyword"}.get(self.config.method, "hybrid")

    def only(self, ranking: str) -> "FusionRanker":
        return FusionRanker(dataclasses.replace(self.config, method=ranking))

    def combine(self, dense, keyword) -> list[Hit]:
        return fuse(dense, keyword, config=self.config)

    def __repr__(self) -> str:
        return f"FusionRanker({self.config!r})"
