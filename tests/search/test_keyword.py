"""The keyword index on this database (SQLite FTS5 or PostgreSQL full-text): upkeep and ranking."""
from __future__ import annotations

import pytest
from django.db import connection

from search.backends.database import DatabaseKeywordBackend, indexed_ids, postgres_plain_fts
from search.candidates import as_candidates
from search.models import Document
from search.services.documents import document_upsert

pytestmark = pytest.mark.django_db

backend = DatabaseKeywordBackend()


def keyword_search(query: str, *, limit: int, document_ids=None) -> list[tuple[int, float]]:
    return backend.start(query, limit=limit, candidates=as_candidates(document_ids)).search()


def article(object_id: int, title: str, text: str, *, synonyms: str = "", visibility: str = "public") -> Document:
    doc = document_upsert(kind="article", object_id=object_id, title=title, text=text, url=f"/kb/{object_id}/",
                          tags="", source="kb", visibility=visibility, is_active=True, synonyms=synonyms)
    backend.update([doc.pk])
    return doc


@pytest.fixture
def articles():
    return {
        "title": article(1, "Guest network for visitors", "Turn it on in the app under Sharing."),
        "synonym": article(2, "Sharing Wi-Fi safely", "Use a separate SSID.", synonyms="guest network access"),
        "text": article(3, "Parental controls", "Pause the internet for a profile; the guest network is not "
                                                 "affected by pauses."),
        "other": article(4, "Port forwarding rules", "Forward UDP 3074 for consoles."),
    }


def ids(results):
    return [doc_id for doc_id, _ in results]


def test_title_outranks_synonyms_outranks_text(articles):
    results = keyword_search("guest network", limit=10)
    assert ids(results) == [articles["title"].pk, articles["synonym"].pk, articles["text"].pk]
    assert results[0][1] > results[1][1] > results[2][1]


def test_any_term_matches_and_stems(articles):
    assert ids(keyword_search("forwarding a port for my console", limit=10))[0] == articles["other"].pk
    assert articles["text"].pk in ids(keyword_search("pausing internet", limit=10))


def test_candidates_restrict_the_query_inside_the_database(articles):
    internal = article(5, "Guest network escalation", "Agents only.", visibility="internal")
    public = Document.objects.filter(visibility="public")
    assert internal.pk in ids(keyword_search("guest network", limit=10))
    assert internal.pk not in ids(keyword_search("guest network", limit=10, document_ids=public))
    only_ids = public.exclude(pk=articles["title"].pk).values_list("id", flat=True)
    assert ids(keyword_search("guest network", limit=1, document_ids=only_ids)) == [articles["synonym"].pk]


def test_inactive_documents_leave_the_keyword_index(articles):
    Document.objects.filter(pk=articles["title"].pk).update(is_active=False)
    backend.update([articles["title"].pk])
    assert articles["title"].pk not in ids(keyword_search("guest network", limit=10))
    assert articles["title"].pk not in indexed_ids()


@pytest.mark.parametrize("query", [
    'guest" OR "', "NEAR(guest network)", "guest*", "title:guest", "-guest ^network", "AND OR NOT",
    "guest network " * 400, "(((", "'; DROP TABLE search_document; --",
])
def test_query_syntax_in_user_input_is_inert(articles, query):
    results = keyword_search(query, limit=5)  # never raises
    assert all(isinstance(doc_id, int) for doc_id, _ in results)
    assert Document.objects.count() == 4


def test_queries_without_terms_return_nothing(articles):
    assert keyword_search("", limit=5) == []
    assert keyword_search("how do I the", limit=5) == []
    assert keyword_search("guest", limit=0) == []


def test_plain_postgres_baseline(articles):
    if connection.vendor != "postgresql":
        with pytest.raises(NotImplementedError):
            postgres_plain_fts("guest network", limit=5)
        return
    results = postgres_plain_fts("guest network", limit=5)
    # websearch_to_tsquery ANDs the words, and title and text weigh the same.
    assert set(ids(results)) == {articles["title"].pk, articles["text"].pk}
