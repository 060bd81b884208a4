"""Calibrated relevance, the pure core: evidence from rankings, the committed model, calibration measures."""
from __future__ import annotations

import json
import math

import pytest

from search.engine.relevance import (
    DEFAULT_FLOOR,
    MODEL_FILE,
    Evidence,
    LogisticModel,
    RelevanceModel,
    evidence,
    expected_calibration_error,
    load_model,
    no_good_match,
    relevance,
    reliability,
)

DENSE = [(7, 0.71, 70), (3, 0.64, 30), (9, 0.40, 90)]
KEYWORD = [(7, 12.5), (5, 8.0), (3, 2.0)]


def test_evidence_reads_cosine_margin_agreement_and_keyword_rank_from_the_rankings():
    first, second, keyword_only = evidence([7, 3, 5], dense=DENSE, keyword=KEYWORD,
                                           query="How do I open a port for my game console?")
    assert first == Evidence(cosine=0.71, margin=0.0, agreement=0.71, keyword_reciprocal_rank=1.0, terms=4)
    assert second.cosine == 0.64 and second.margin == pytest.approx(-0.07) and second.agreement == 0.0
    assert second.keyword_reciprocal_rank == pytest.approx(1 / 3)
    # A document the dense window did not reach gets the window's lowest cosine: at most that close.
    assert keyword_only.cosine == 0.40 and keyword_only.margin == pytest.approx(-0.31)
    assert keyword_only.keyword_reciprocal_rank == pytest.approx(0.5)


def test_agreement_needs_both_rankers_to_put_the_document_first():
    (item,) = evidence([7], dense=DENSE, keyword=[(3, 9.0), (7, 8.0)], query="open port")
    assert item.agreement == 0.0
    (alone,) = evidence([7], dense=DENSE, keyword=[], query="open port")
    assert alone.agreement == 0.0 and alone.keyword_reciprocal_rank == 0.0


def test_without_a_dense_ranking_there_is_no_cosine_and_the_keyword_model_answers():
    (item,) = evidence([5], dense=[], keyword=KEYWORD, query="open port")
    assert item.cosine is None and item.margin is None and item.short_cosine is None
    model = load_model()
    expected = model.models["keyword"].probability(item)
    assert relevance([5], dense=[], keyword=KEYWORD, query="open port", mode="hybrid") == [round(expected, 4)]
    assert relevance([5], dense=[], keyword=KEYWORD, query="open port",
                     mode="keyword-fallback") == [round(expected, 4)]
    with pytest.raises(ValueError, match="cosine"):
        model.models["hybrid"].probability(item)


def test_the_committed_model_is_complete_and_says_what_it_was_fitted_on():
    data = json.loads(MODEL_FILE.read_text())
    assert set(data["models"]) == {"hybrid", "dense", "keyword"}
    assert data["fitted"]["by"] == "bench/eval_relevance.py"
    model = load_model()
    assert model.models["hybrid"].features == ("cosine", "margin", "agreement", "short", "short_cosine",
                                               "short_agreement")
    assert set(data["fitted"]["held_out"]["hybrid"]) >= {"ece_balanced", "ece_balanced_keywords",
                                                         "out_of_domain_flagged_all_keywords"}
    assert RelevanceModel.from_dict(model.to_dict()) == model


def _top(cosine: float, *, agreed: bool = False, margin: float = 0.0, terms: int = 8) -> Evidence:
    return Evidence(cosine=cosine, margin=margin, agreement=cosine if agreed else 0.0,
                    keyword_reciprocal_rank=1.0 if agreed else 0.0, terms=terms)


def test_a_query_of_a_few_keywords_is_short_whatever_its_stopwords():
    (keywords,) = evidence([7], dense=DENSE, keyword=KEYWORD, query="two step code")
    (question,) = evidence([7], dense=DENSE, keyword=KEYWORD, query="how do i reset my router")
    (sentence,) = evidence([7], dense=DENSE, keyword=KEYWORD, query="my phone is new and the two-step code fails")
    assert (keywords.terms, keywords.short, keywords.short_cosine, keywords.short_agreement) == (3, 1.0, 0.71, 0.71)
    assert question.terms == 2 and question.short == 1.0  # "reset", "router": the rest are stopwords
    assert sentence.short == 0.0 and sentence.short_cosine == 0.0 and sentence.short_agreement == 0.0
    # Built without a query (an old caller), the evidence reads as a long query's.
    assert Evidence(cosine=0.5, margin=0.0, agreement=0.0, keyword_reciprocal_rank=0.0).short == 0.0


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_the_same_cosine_means_more_for_a_few_keywords_than_for_a_sentence(mode):
    """A two-word query naming an article has a low cosine to it (the demo's "two step code": 0.5)."""
    model = load_model()
    for cosine in (0.45, 0.55, 0.65):
        short, long = model.score([_top(cosine, agreed=True, terms=2), _top(cosine, agreed=True)], mode=mode)
        assert short > long


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_relevance_rises_with_the_evidence_and_stays_in_zero_to_one(mode):
    model = load_model()
    cosines = [-1.0, -0.2, 0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    scores = model.score([_top(c) for c in cosines], mode=mode)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores) and scores[0] < scores[-1]
    # Far behind a much closer result is weaker evidence than being the closest.
    behind, best = model.score([_top(0.6, margin=-0.2), _top(0.6)], mode=mode)
    assert behind < best
    if mode == "hybrid":
        alone, agreed = model.score([_top(0.6), _top(0.6, agreed=True)], mode=mode)
        assert alone < agreed


def test_an_out_of_domain_cosine_falls_below_the_floor_and_a_close_match_clears_it():
    """The figures the issue measured: 0.12-0.28 cosine out of domain, 0.62-0.78 in domain."""
    model = load_model()
    for cosine in (0.12, 0.28):
        (score,) = model.score([_top(cosine, agreed=True)], mode="hybrid")
        assert score < DEFAULT_FLOOR
    for cosine in (0.62, 0.78):
        (score,) = model.score([_top(cosine)], mode="hybrid")
        assert score >= DEFAULT_FLOOR


def test_no_good_match_when_nothing_clears_the_floor():
    assert no_good_match([], floor=0.2)
    assert no_good_match([0.05, 0.19], floor=0.2)
    assert not no_good_match([0.05, 0.2], floor=0.2)


def test_a_logistic_model_is_the_sigmoid_of_its_weighted_sum_without_overflow():
    model = LogisticModel(features=("cosine", "margin"), weights=(10.0, 2.0), intercept=-5.0)
    item = Evidence(cosine=0.7, margin=-0.1, agreement=0.0, keyword_reciprocal_rank=0.0)
    assert model.probability(item) == pytest.approx(1 / (1 + math.exp(-(7.0 - 0.2 - 5.0))))
    steep = LogisticModel(features=("cosine",), weights=(1e6,), intercept=0.0)
    assert steep.probability(_top(1.0)) == 1.0 and steep.probability(_top(-1.0)) == 0.0


def test_bad_models_are_refused():
    with pytest.raises(ValueError, match="one weight per known feature"):
        LogisticModel(features=("cosine", "popularity"), weights=(1.0, 1.0), intercept=0.0)
    with pytest.raises(ValueError, match="one weight per known feature"):
        LogisticModel(features=("cosine",), weights=(1.0, 2.0), intercept=0.0)
    hybrid = LogisticModel(features=("cosine",), weights=(1.0,), intercept=0.0)
    with pytest.raises(ValueError, match="no relevance model for dense, keyword"):
        RelevanceModel(models={"hybrid": hybrid})


def test_reliability_bins_and_expected_calibration_error_by_hand():
    predicted = [0.05, 0.15, 0.15, 0.95, 1.0]
    relevant = [False, True, False, True, True]
    bins = reliability(predicted, relevant, bins=10)
    assert [b.count for b in bins] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]  # 1.0 falls in the last bin
    assert bins[1].mean_predicted == pytest.approx(0.15) and bins[1].fraction_relevant == 0.5
    assert bins[2].mean_predicted is None
    # |0.05 - 0| · 1/5 + |0.15 - 0.5| · 2/5 + |0.975 - 1| · 2/5
    assert expected_calibration_error(predicted, relevant) == pytest.approx(0.01 + 0.14 + 0.01)
    weighted = expected_calibration_error([0.2, 0.8], [False, True], weights=[3.0, 1.0])
    assert weighted == pytest.approx(0.75 * 0.2 + 0.25 * 0.2)
    assert expected_calibration_error([], []) == 0.0


def test_calibration_measures_refuse_bad_input():
    with pytest.raises(ValueError, match="same length"):
        reliability([0.1], [True, False])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability([1.5], [True])
    with pytest.raises(ValueError, match="bins"):
        reliability([0.5], [True], bins=0)
