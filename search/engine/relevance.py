"""Calibrated relevance: the probability that a search result answers the query.

Ranking fuses min-max normalised scores, so its scores only order one query's
results: the top dense hit always gets 1.0, for "zzqxv flurble" as for a
word-for-word match. Relevance is the number to show and to act on. It comes
from evidence the rankers already computed, fed to a small logistic model fitted
on real community data (``bench/eval_relevance.py``):

- ``cosine``: the document's best-passage cosine to the query. A document the
  dense window did not reach gets the window's lowest cosine (an upper bound).
- ``margin``: its cosine minus the best cosine among the query's results (0 for
  the best, negative below it): a result far behind a much closer one is
  seldom what was asked.
- ``agreement``: its cosine when both the dense and the keyword ranker put it
  first, else 0. Agreement counts in proportion to the meaning match, so two
  rankers agreeing on a distant document do not make it relevant.
- ``short`` (1 for a query of at most ``SHORT_TERMS`` searchable words, else 0)
  and ``short_cosine``, ``short_agreement`` (the cosine and the agreement of a
  short query, else 0): a query of a few keywords ("two step code", "nat") has
  a low cosine to every document, the one it names exactly included, so the
  same cosine means more for it than for a sentence.

Each ranking mode has its own model: ``hybrid`` (all of them), ``dense`` (no
keyword ranking: cosine, margin, ``short`` and ``short_cosine``) and ``keyword``
(the vector index is unavailable: only the keyword rank,
``keyword_reciprocal_rank`` = 1 / (1 + rank), which can order results but
cannot tell a query from another field apart).

The coefficients live in ``relevance.json`` next to this module, written by
``bench/eval_relevance.py --write``; its ``fitted`` block says on what data.
Pure Python: no Django, no numpy needed at serve time.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search.engine.query import query_terms

MODEL_FILE = Path(__file__).with_name("relevance.json")
# Below this relevance a result is not a good match (``SEARCH_RELEVANCE_FLOOR``); chosen on the
# held-out figures of ``bench/eval_relevance.py``.
DEFAULT_FLOOR = 0.2
MODES = ("hybrid", "dense", "keyword")
FEATURES = ("cosine", "margin", "agreement", "keyword_reciprocal_rank", "short", "short_cosine", "short_agreement")
# A query of at most this many searchable words (stopwords left out) is short: a few keywords.
SHORT_TERMS = 3


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rankers say about one document for one query (see the module docstring)."""

    cosine: float | None
    margin: float | None
    agreement: float
    keyword_reciprocal_rank: float
    # The query's searchable words (``query.query_terms``); 0 when unknown, read as a long query.
    terms: int = 0

    @property
    def short(self) -> float:
        return 1.0 if 0 < self.terms <= SHORT_TERMS else 0.0

    @property
    def short_cosine(self) -> float | None:
        return None if self.cosine is None else self.cosine * self.short

    @property
    def short_agreement(self) -> float:
        return self.agreement * self.short

    def value(self, name: str) -> float:
        found = getattr(self, name)
        if found is None:
            raise ValueError(f"no {name} for this result: the dense ranker did not run")
        return float(found)


def evidence(
    documents: Sequence[int],
    *,
    dense: Sequence[tuple],
    keyword: Sequence[tuple],
    query: str,
) -> list[Evidence]:
    """The evidence for each of ``documents`` (usually the fused top hits) found for ``query``.

    ``dense`` is the dense ranking ``[(document, cosine, ...)]`` and ``keyword``
    the keyword ranking ``[(document, score)]``, both best first and restricted
    to what the caller may see; either may be empty (that ranker did not run).
    """
    terms = len(query_terms(query))
    cosines = {item[0]: float(item[1]) for item in dense}
    lowest = min(cosines.values(), default=None)
    best = max(cosines.values(), default=None)
    keyword_rank = {}
    for rank, item in enumerate(keyword):
        keyword_rank.setdefault(item[0], rank)
    dense_first = dense[0][0] if dense else None
    keyword_first = keyword[0][0] if keyword else None
    out = []
    for doc in documents:
        cosine = cosines.get(doc, lowest)
        rank = keyword_rank.get(doc)
        agreed = cosine is not None and doc == dense_first and doc == keyword_first
        out.append(Evidence(
            cosine=cosine,
            margin=None if cosine is None else cosine - best,
            agreement=cosine if agreed else 0.0,
            keyword_reciprocal_rank=0.0 if rank is None else 1.0 / (1 + rank),
            terms=terms,
        ))
    return out


@dataclass(frozen=True, slots=True)
class LogisticModel:
    """``P(relevant) = 1 / (1 + exp(-(intercept + Σ weight · feature)))``."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float

    def __post_init__(self) -> None:
        unknown = set(self.features) - set(FEATURES)
        if unknown or len(self.features) != len(self.weights) or not self.features:
            raise ValueError(f"a model needs one weight per known feature, got {self.features!r}")

    def probability(self, item: Evidence) -> float:
        z = self.intercept + sum(w * item.value(name) for name, w in zip(self.features, self.weights))
        # Written so that neither branch overflows.
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    @classmethod
    def from_dict(cls, data: Mapping) -> "LogisticModel":
        weights = data["weights"]
        return cls(features=tuple(weights), weights=tuple(float(w) for w in weights.values()),
                   intercept=float(data["intercept"]))

    def to_dict(self) -> dict:
        return {"weights": {name: round(w, 4) for name, w in zip(self.features, self.weights)},
                "intercept": round(self.intercept, 4)}


@dataclass(frozen=True, slots=True)
class RelevanceModel:
    """One logistic model per ranking mode."""

    models: Mapping[str, LogisticModel]

    def __post_init__(self) -> None:
        missing = set(MODES) - set(self.models)
        if missing:
            raise ValueError(f"no relevance model for {', '.join(sorted(missing))}")

    def score(self, items: Sequence[Evidence], *, mode: str) -> list[float]:
        """The relevance of each result, in [0, 1]. ``mode`` is the ranking's: ``hybrid``,
        ``dense``, ``keyword`` or ``keyword-fallback``; a result without a cosine is
        scored by the keyword model whatever the mode."""
        chosen = self.models["keyword" if mode.startswith("keyword") else mode if mode in MODES else "hybrid"]
        scores = []
        for item in items:
            model = self.models["keyword"] if item.cosine is None else chosen
            scores.append(round(model.probability(item), 4))
        return scores

    @classmethod
    def from_dict(cls, data: Mapping) -> "RelevanceModel":
        return cls(models={mode: LogisticModel.from_dict(data["models"][mode]) for mode in MODES})

    def to_dict(self) -> dict:
        return {"models": {mode: self.models[mode].to_dict() for mode in MODES}}


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> RelevanceModel:
    """The committed model (``relevance.json``), read once per process."""
    return RelevanceModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def relevance(
    documents: Sequence[int],
    *,
    dense: Sequence[tuple],
    keyword: Sequence[tuple],
    query: str,
    mode: str = "hybrid",
    model: RelevanceModel | None = None,
) -> list[float]:
    """Calibrated relevance of each of ``documents`` found for ``query`` (see ``evidence``)."""
    model = model or load_model()
    return model.score(evidence(documents, dense=dense, keyword=keyword, query=query), mode=mode)


def no_good_match(relevances: Sequence[float], *, floor: float) -> bool:
    """True when no result clears ``floor``: nothing found is likely to answer the query."""
    return not any(value >= floor for value in relevances)


# At or above this relevance a result is more likely than not to answer the query.
LIKELY = 0.5


def relevance_words(value: float, *, floor: float) -> str:
    """How likely a result is to help, in words for a customer (the number is calibrated, but a
    percentage next to every result reads as false precision)."""
    if value >= max(LIKELY, floor):
        return "Likely to help"
    if value >= floor:
        return "May help"
    return "Unlikely to help"


# --- calibration measures ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    weight: float
    mean_predicted: float | None  # None for an empty bin
    fraction_relevant: float | None


def reliability(
    predicted: Sequence[float],
    relevant: Sequence[bool],
    *,
    bins: int = 10,
    weights: Sequence[float] | None = None,
) -> list[ReliabilityBin]:
    """Equal-width bins of predicted probability, each with its mean prediction and the
    (weighted) share of relevant results. A prediction of exactly 1 falls in the last bin."""
    if len(predicted) != len(relevant) or (weights is not None and len(weights) != len(predicted)):
        raise ValueError("predicted, relevant and weights must have the same length")
    if bins < 1:
        raise ValueError("bins must be positive")
    weights = [1.0] * len(predicted) if weights is None else [float(w) for w in weights]
    sums = [[0, 0.0, 0.0, 0.0] for _ in range(bins)]  # count, weight, Σ w·p, Σ w·y
    for p, y, w in zip(predicted, relevant, weights):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"a probability must be in [0, 1], got {p}")
        row = sums[min(int(p * bins), bins - 1)]
        row[0] += 1
        row[1] += w
        row[2] += w * p
        row[3] += w * (1.0 if y else 0.0)
    return [
        ReliabilityBin(low=i / bins, high=(i + 1) / bins, count=n, weight=total,
                       mean_predicted=(sp / total) if total else None,
                       fraction_relevant=(sy / total) if total else None)
        for i, (n, total, sp, sy) in enumerate(sums)
    ]


def expected_calibration_error(
    predicted: Sequence[float],
    relevant: Sequence[bool],
    *,
    bins: int = 10,
    weights: Sequence[float] | None = None,
) -> float:
    """ECE: Σ over bins of (bin weight / total) · |mean prediction − share relevant|; 0 is perfect."""
    table = reliability(predicted, relevant, bins=bins, weights=weights)
    total = sum(b.weight for b in table)
    if not total:
        return 0.0
    return sum(b.weight / total * abs(b.mean_predicted - b.fraction_relevant) for b in table if b.weight)
