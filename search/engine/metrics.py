"""Retrieval quality metrics for the evaluation harness (duplicate links, StackFAQ).

``ranked`` is a result list, best first; ``relevant`` maps a document to its
relevance grade (> 0 means relevant; a plain set of ids can be passed as
``dict.fromkeys(ids, 1.0)``). Duplicates in ``ranked`` count at their first
position only, so a run cannot earn credit twice for one document.
"""
from __future__ import annotations

import math
import random
from typing import Hashable, Iterable, Mapping, Sequence


def _top_k(ranked: Sequence[Hashable], k: int) -> list[Hashable]:
    if k <= 0:
        raise ValueError("k must be positive")
    seen: set[Hashable] = set()
    top: list[Hashable] = []
    for doc in ranked:
        if doc not in seen:
            seen.add(doc)
            top.append(doc)
            if len(top) == k:
                break
    return top


def _positive(relevant: Mapping[Hashable, float]) -> dict[Hashable, float]:
    return {doc: float(grade) for doc, grade in relevant.items() if grade > 0}


def recall_at_k(ranked: Sequence[Hashable], relevant: Mapping[Hashable, float], k: int = 10) -> float:
    """``|relevant ∩ top-k| / |relevant|``; 0.0 when nothing is relevant."""
    positive = _positive(relevant)
    if not positive:
        return 0.0
    return sum(1 for doc in _top_k(ranked, k) if doc in positive) / len(positive)


def mrr_at_k(ranked: Sequence[Hashable], relevant: Mapping[Hashable, float], k: int = 10) -> float:
    """Reciprocal rank ``1 / rank`` of the first relevant document within the top k, else 0."""
    positive = _positive(relevant)
    for rank, doc in enumerate(_top_k(ranked, k), start=1):
        if doc in positive:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[Hashable], relevant: Mapping[Hashable, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain with linear gains (as trec_eval).

    ``DCG@k = Σ_{i=1..k} rel_i / log2(i + 1)`` and ``nDCG@k = DCG@k / IDCG@k``,
    where IDCG is the DCG of the grades sorted descending. With binary grades
    this is the usual binary nDCG. 0.0 when nothing is relevant.
    """
    positive = _positive(relevant)
    if not positive:
        return 0.0
    dcg = sum(positive.get(doc, 0.0) / math.log2(i + 1) for i, doc in enumerate(_top_k(ranked, k), start=1))
    ideal = sorted(positive.values(), reverse=True)[:k]
    idcg = sum(grade / math.log2(i + 1) for i, grade in enumerate(ideal, start=1))
    return dcg / idcg


def evaluate(
    runs: Mapping[Hashable, Sequence[Hashable]],
    qrels: Mapping[Hashable, Mapping[Hashable, float]],
    k: int = 10,
) -> dict:
    """Mean recall@k, MRR@k and nDCG@k over the queries of ``qrels``.

    Queries whose qrels hold no relevant document are skipped (they cannot be
    scored); queries missing from ``runs`` score 0 (the system returned
    nothing). Runs for queries outside ``qrels`` are ignored. Returns
    ``{"recall@k": …, "mrr@k": …, "ndcg@k": …, "queries": n, "skipped": m}``.
    """
    totals = {"recall": 0.0, "mrr": 0.0, "ndcg": 0.0}
    scored = skipped = 0
    for query_id, relevant in qrels.items():
        if not _positive(relevant):
            skipped += 1
            continue
        ranked = runs.get(query_id, ())
        totals["recall"] += recall_at_k(ranked, relevant, k)
        totals["mrr"] += mrr_at_k(ranked, relevant, k)
        totals["ndcg"] += ndcg_at_k(ranked, relevant, k)
        scored += 1
    result = {f"{name}@{k}": (value / scored if scored else 0.0) for name, value in totals.items()}
    result.update(queries=scored, skipped=skipped)
    return result


def split_dev_test(
    ids: Iterable[Hashable], seed: int = 13, *, dev_share: float = 0.5
) -> tuple[list[Hashable], list[Hashable]]:
    """Deterministic split of query ids into (dev, test) for tuning vs reporting.

    Ids are sorted by their string form before shuffling with ``seed``, so the
    split depends only on the set of ids, not on the order they came in.
    """
    if not 0.0 < dev_share < 1.0:
        raise ValueError("dev_share must be between 0 and 1")
    unique = sorted(set(ids), key=lambda value: (type(value).__name__, str(value)))
    random.Random(seed).shuffle(unique)
    cut = round(len(unique) * dev_share)
    return unique[:cut], unique[cut:]
