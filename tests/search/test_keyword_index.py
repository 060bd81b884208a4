"""The in-memory BM25 keyword index: scores, changes, persistence, and how search uses it."""
from __future__ import annotations

import dataclasses
import io
import json
import math

import numpy as np
import pytest

from search.engine import KeywordDocument, KeywordIndex
from search.engine.keyword_index import _postings
from search.engine.query import query_terms
from search.engine.stemming import analyze, query_stems

DOCS = [
    KeywordDocument(1, "article", "Guest network for visitors", "", "Turn it on in the app under Sharing."),
    KeywordDocument(2, "article", "Sharing Wi-Fi safely", "guest network access", "Use a separate SSID."),
    KeywordDocument(3, "question", "Parental controls", "", "Pause the internet; the guest network is not affected."),
    KeywordDocument(4, "thread", "Port forwarding rules", "", "Forward UDP 3074 for consoles and configure routers."),
    KeywordDocument(5, "question", "Router keeps rebooting", "", "The router reboots every night at 3am."),
]


def brute_force_bm25(docs, query: str) -> list[tuple[int, float]]:
    """BM25 as SQLite FTS5 computes it, written out plainly over every document."""
    stems = query_stems(query_terms(query))
    postings = {doc.id: _postings(doc) for doc in docs}
    n = len(docs)
    avgdl = sum(length for _, length in postings.values()) / n
    scores = {}
    for doc_id, (counts, length) in postings.items():
        score = 0.0
        for term in stems:
            if term in counts:
                df = sum(1 for c, _ in postings.values() if term in c)
                idf = max(1e-6, math.log((n - df + 0.5) / (df + 0.5)))
                score += idf * counts[term] * 2.2 / (counts[term] + 1.2 * (0.25 + 0.75 * length / avgdl))
        if score > 0:
            scores[doc_id] = score
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


@pytest.mark.parametrize("query", ["guest network", "router reboot", "configuring a router", "wi-fi sharing"])
def test_scores_are_bm25_with_field_weights(query):
    got = KeywordIndex.build(DOCS).search(query, 10)
    expected = brute_force_bm25(DOCS, query)
    assert [doc for doc, _ in got] == [doc for doc, _ in expected]
    assert [score for _, score in got] == pytest.approx([score for _, score in expected])


def test_title_outranks_synonyms_outranks_text():
    assert [doc for doc, _ in KeywordIndex.build(DOCS).search("guest network", 10)] == [1, 2, 3]


def test_words_are_read_as_fts5_reads_them():
    # Porter stems ("configuring" meets "configure"), runs of letters split ("Wi-Fi" is wi + fi).
    assert analyze("Configuring the Wi-Fi routers") == (["configur", "wi", "fi", "router"], 5)  # the length counts "the"
    assert query_stems(["configure", "wi-fi"]) == ["configur", "wi", "fi"]
    assert KeywordIndex.build(DOCS).search("configuring routers", 10)[0][0] == 4


def test_kinds_filter_and_unknown_words():
    index = KeywordIndex.build(DOCS)
    assert [doc for doc, _ in index.search("guest network", 10, kinds=["question"])] == [3]
    assert index.search("zebra", 10) == []
    assert index.search("guest network", 10, kinds=["nothing-of-that-kind"]) == []


def test_apply_replaces_and_removes_without_touching_the_old_index():
    index = KeywordIndex.build(DOCS)
    changed = KeywordDocument(5, "question", "Router keeps rebooting", "", "Fixed by a firmware update.")
    newer = index.apply(add=[changed], remove=[1, 999])
    assert [doc for doc, _ in newer.search("guest network", 10)] == [2, 3]
    assert newer.search("firmware", 10)[0][0] == 5 and not newer.search("night", 10)
    assert [doc for doc, _ in index.search("guest network", 10)] == [1, 2, 3]  # readers keep the old one
    # Incremental changes score exactly as a fresh build of the same documents.
    fresh = KeywordIndex.build([DOCS[1], DOCS[2], DOCS[3], changed])
    for query in ("guest network", "router firmware", "port 3074"):
        got, expected = newer.search(query, 10), fresh.search(query, 10)
        assert [doc for doc, _ in got] == [doc for doc, _ in expected]
        assert [score for _, score in got] == pytest.approx([score for _, score in expected])


def test_ties_break_by_lower_id_and_paging_is_consistent():
    twins = [KeywordDocument(i, "article", "Same title", "", "same words") for i in (7, 3, 5)]
    index = KeywordIndex.build(twins)
    assert [doc for doc, _ in index.search("same title", 10)] == [3, 5, 7]
    scores = index.scores(["same"])
    assert index.ranked(scores, 1) + index.ranked(scores, 2, skip=1) == index.ranked(scores, 3)


def test_round_trip_and_corrupt_bytes():
    index = KeywordIndex.build(DOCS)
    loaded = KeywordIndex.from_bytes(index.to_bytes())
    assert loaded.search("guest network", 10) == index.search("guest network", 10)
    assert len(loaded) == 5 and 4 in loaded and 6 not in loaded
    with pytest.raises(ValueError):
        KeywordIndex.from_bytes(b"not an index")
    assert KeywordIndex.build([]).search("guest", 5) == []


def test_passages_map_to_their_documents_through_changes():
    with_passages = [dataclasses.replace(doc, passages=(doc.id * 10, doc.id * 10 + 1)) for doc in DOCS]
    index = KeywordIndex.build(with_passages)
    assert index.passage_documents([10, 51, 40, 999, 11]).tolist() == [1, 5, 4, -1, 1]
    # Document 5 re-split into one new passage, document 1 deleted.
    resplit = dataclasses.replace(with_passages[4], passages=(77,))
    newer = index.apply(add=[resplit], remove=[1])
    assert newer.passage_documents([10, 11, 50, 51, 77, 20]).tolist() == [-1, -1, -1, -1, 5, 2]
    assert index.passage_documents([50, 77]).tolist() == [5, -1]  # readers keep the old one
    loaded = KeywordIndex.from_bytes(newer.to_bytes())
    assert loaded.passage_documents([77, 20, 31]).tolist() == [5, 2, 3]
    assert KeywordIndex.build([]).passage_documents([1]).tolist() == [-1]


def test_a_keyword_index_of_an_older_format_is_refused():
    index = KeywordIndex.build(DOCS)
    buffer = io.BytesIO()
    with np.load(io.BytesIO(index.to_bytes())) as arrays:
        old = {name: arrays[name] for name in arrays.files if not name.startswith("passage")}
    old["header"] = np.frombuffer(json.dumps({"format": 1, "kinds": index.kinds}).encode(), dtype=np.uint8)
    np.savez(buffer, **old)
    with pytest.raises(ValueError, match="format 1"):
        KeywordIndex.from_bytes(buffer.getvalue())


def test_each_document_keeps_the_fields_search_filters_by():
    tagged = [dataclasses.replace(doc, visibility="internal" if doc.id == 2 else "public", source="kb",
                                  tags="wifi  guest" if doc.id == 1 else "") for doc in DOCS]
    index = KeywordIndex.build(tagged)
    assert index.document_filters([2, 1, 99]) == [
        ("article", "internal", "kb", ""), ("article", "public", "kb", "wifi guest"), None]
    newer = index.apply(add=[dataclasses.replace(tagged[1], visibility="public", tags="sharing")], remove=[1])
    assert newer.document_filters([1, 2, 5]) == [None, ("article", "public", "kb", "sharing"),
                                                 ("question", "public", "kb", "")]
    assert index.document_filters([2])[0][1] == "internal"  # readers keep the old one
    assert KeywordIndex.from_bytes(newer.to_bytes()).document_filters([2, 5]) == newer.document_filters([2, 5])
    assert KeywordIndex.build([]).document_filters([1]) == [None]


def test_a_common_word_scores_the_same_on_every_query_and_after_a_change(monkeypatch):
    """Common words' per-document factors are kept between queries; the scores never go stale."""
    from search.engine import keyword_index

    monkeypatch.setattr(keyword_index, "IMPACT_CACHE_MIN_POSTINGS", 4)
    docs = [
        KeywordDocument(10 + i, "thread", f"Router question {i}", "", "router " * (1 + i % 3) + f"model rt{i}")
        for i in range(12)
    ]
    index = KeywordIndex.build(docs)
    first = index.search("router model rt3", 12)
    assert first == index.search("router model rt3", 12)  # the second time from the kept factors
    assert [doc for doc, _ in first] == [doc for doc, _ in brute_force_bm25(docs, "router model rt3")]
    # A long new document changes the average length, so every document's factor: the new index
    # must not reuse the old one's.
    longer = KeywordDocument(99, "thread", "Router", "", "router " * 40 + "and a long story " * 30)
    changed = index.apply(add=[longer])
    expected = brute_force_bm25([*docs, longer], "router model rt3")
    got = changed.search("router model rt3", 13)
    assert [doc for doc, _ in got] == [doc for doc, _ in expected]
    assert [score for _, score in got] == pytest.approx([score for _, score in expected])
    assert index.search("router model rt3", 12) == first
