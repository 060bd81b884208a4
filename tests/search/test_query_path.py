"""The query path at the database edges: candidates read by key, the keyword index search uses, the query log."""
from __future__ import annotations

import pytest
from django.db import connection

from search.backends import memory as memory_backend, reset_backends
from search.backends.faiss import passage_documents
from search.backends.memory import keyword_documents
from search.backends.versions import get_live_index, index_store
from search.candidates import Candidates
from search.models import Document, Passage, SearchQueryLog
from search.ranking import keyword_ranking
from tests.search.corpus import corpus  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

FILTERS = [
    dict(visibilities=("public",)),
    dict(visibilities=("public", "internal"), kinds=("article",)),
    dict(visibilities=("public", "internal", "draft"), kinds=("question", "thread")),
    dict(visibilities=("public",), tag="h1"),
    dict(visibilities=("public",), tag="wifi", kinds=("article",)),
    dict(visibilities=("public", "internal"), source="homenet-forum"),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_candidates_by_key_match_the_same_filter_in_sql(corpus, filters):
    candidates = Candidates(**filters)
    every = list(Document.objects.values_list("pk", flat=True))
    assert candidates.filter_ids(every) == set(candidates.queryset().values_list("pk", flat=True))
    # The dense side checks the same rule on the passages' documents, in one query.
    passages = list(Passage.objects.values_list("pk", flat=True))
    assert set(passage_documents(passages, candidates=candidates).values()) <= candidates.filter_ids(every)


def test_search_keyword_answers_from_the_live_index_and_the_database_agrees(corpus):
    assert get_live_index().keyword() is not None
    public = Candidates(visibilities=("public",))
    query = "guest network wifi for visitors"
    memory = keyword_ranking(query, depth=5, candidates=public)
    assert memory[0][0] == corpus.documents["guest"].pk
    if connection.vendor == "sqlite":
        # The fallback is FTS5 with the same tokenizer and BM25: the same ranking.
        reset_backends()
        for path in index_store().directory.glob("index-*.keyword"):
            path.unlink()
        database = keyword_ranking(query, depth=5, candidates=public)
        assert [doc for doc, _ in database] == [doc for doc, _ in memory]
        assert [score for _, score in database] == pytest.approx([score for _, score in memory])


def test_a_filter_few_keyword_hits_pass_still_fills_the_page(corpus, monkeypatch):
    # One page of one hit, then the candidate ids are read whole (the path for rare filters).
    monkeypatch.setattr(memory_backend, "FIRST_PAGE", 1)
    monkeypatch.setattr(memory_backend, "MAX_PAGES", 1)
    only_h2 = Candidates(visibilities=("public",), tag="h2")
    hits = keyword_ranking("router port console firmware", depth=5, candidates=only_h2)
    assert [doc for doc, _ in hits] == [corpus.documents["ports"].pk]


def test_an_api_search_is_logged_once_the_response_is_done(client, corpus, agent):
    client.force_login(agent)
    response = client.get("/api/search", {"q": "guest network"})
    assert response.status_code == 200
    row = SearchQueryLog.objects.get()
    assert (row.query, row.user, row.channel, row.results) == ("guest network", agent, "api", response.json()["count"])
    assert row.top_score == response.json()["results"][0]["score"]
    assert row.top_relevance == max(r["relevance"] for r in response.json()["results"]) > 0.2


def _serve_keyword_index_without(corpus, lose_passages_of: set[int] | None):
    """Save a new version whose keyword index maps no passage of ``lose_passages_of`` (None: none at all)."""
    from dataclasses import replace

    from search.engine import KeywordIndex

    store = index_store()
    index, meta = store.load_current()
    docs = [replace(doc, passages=()) if lose_passages_of is None or doc.id in lose_passages_of else doc
            for doc in keyword_documents()]
    store.save(index, meta={"model": meta["model"]}, keyword=KeywordIndex.build(docs))
    reset_backends()


def test_dense_ranking_maps_passages_in_memory_and_the_database_fills_in_what_it_lacks(corpus):
    from search.ranking import dense_ranking

    memory = get_live_index().keyword()
    stored = dict(Passage.objects.filter(document__is_active=True).values_list("pk", "document_id"))
    assert memory.passage_documents(list(stored)).tolist() == list(stored.values())

    public = Candidates(visibilities=("public",))
    queries = ["my guests cannot get online", "console ports for online games", "router restarts at night"]
    expected = {q: dense_ranking(q, depth=5, candidates=public) for q in queries}
    # A version whose map lacks passages (saved by older code, or a document added since): same ranking.
    _serve_keyword_index_without(corpus, None)
    assert not len(get_live_index().keyword().passage_ids)
    for query in queries:
        assert dense_ranking(query, depth=5, candidates=Candidates(visibilities=("public",))) \
            == expected[query]


def test_the_index_copy_of_the_filter_fields_never_outranks_the_database(corpus, client):
    """Search may take "allowed" from the index version's copy of a document's fields, so a change
    the indexing pass has not read yet must still hold: in both directions, for every filter."""
    def titles(**params):
        response = client.get("/api/search", {"limit": 10, **params})
        assert response.status_code == 200
        return [result["title"] for result in response.json()["results"]]

    guest = corpus.documents["guest"]
    internal = corpus.documents["internal"]
    assert guest.title in titles(q="wifi for visitors")
    assert guest.title in titles(q="wifi for visitors", tag="wifi")
    # Made internal and re-tagged in the database only (no indexing pass since).
    Document.objects.filter(pk=guest.pk).update(visibility="internal", tags="network")
    assert guest.title not in titles(q="wifi for visitors")
    Document.objects.filter(pk=guest.pk).update(visibility="public")
    assert guest.title in titles(q="wifi for visitors")
    assert guest.title not in titles(q="wifi for visitors", tag="wifi")
    assert guest.title in titles(q="wifi for visitors", tag="network")
    # Made public in the database only: the index still says internal, the database decides.
    assert internal.title not in titles(q="beacon replacement procedure")
    Document.objects.filter(pk=internal.pk).update(visibility="public")
    assert internal.title in titles(q="beacon replacement procedure")


def test_an_indexing_pass_brings_the_index_copy_of_the_filter_fields_up_to_date(corpus, embedder):
    from search.services.indexing import index_documents

    store = index_store()
    before = store.current_version()
    guest = corpus.documents["guest"]
    index_documents([guest.pk], embedder=embedder)  # nothing changed: no new version
    assert store.current_version() == before
    # A visibility and tag change keeps the text: nothing is re-embedded, the keyword index is updated.
    Document.objects.filter(pk=guest.pk).update(visibility="internal", tags="network  guests")
    report = index_documents([guest.pk], embedder=embedder)
    assert report.embedded == 0 and store.current_version() == before + 1
    held = store.load_keyword(store.current_version()).document_filters([guest.pk])
    assert held == [("article", "internal", "kb", "network guests")]


def test_ranking_reads_nothing_from_the_database_when_the_index_knows_every_proposal(corpus):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from search.ranking import rank

    everything = ("public", "internal", "draft")  # an editor: the index's copy allows every document
    with CaptureQueriesContext(db) as queries:
        hits = rank("my guests cannot get online", limit=5, candidates=Candidates(visibilities=everything))
    assert hits.hits and hits.mode == "hybrid"
    # (The test's transaction adds a savepoint around the keyword stage; a request has none.)
    assert [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))] == []
    # Without the map and the fields (a version saved by older code) the same ranking asks the database.
    _serve_keyword_index_without(corpus, None)
    with CaptureQueriesContext(db) as queries:
        again = rank("my guests cannot get online", limit=5, candidates=Candidates(visibilities=everything))
    assert [hit.document_id for hit in again.hits] == [hit.document_id for hit in hits.hits]
    assert any(Passage._meta.db_table in q["sql"] for q in queries.captured_queries)
