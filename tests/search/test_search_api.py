"""GET /api/search through the test client: results, filters, schema."""
from __future__ import annotations

import pytest

from tests.search.corpus import corpus  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_search_returns_typed_results_with_snippets(client, corpus):
    response = client.get("/api/search", {"q": "my game console needs an open port"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"]) > 0 and body["degraded"] is False
    top = body["results"][0]
    assert top["title"] == "Open a port for a game console (port forwarding)"
    assert top["type"] == "article" and top["url"] == "/kb/articles/2/"
    assert set(top) >= {"id", "object_id", "type", "title", "url", "snippet", "score", "tags", "source"}
    assert "<mark>" in top["snippet"] and top["tags"] == ["h2", "advanced"]


def test_trailing_slash_works_too(client, corpus):
    assert client.get("/api/search/", {"q": "guest network"}).status_code == 200


def test_type_filter_returns_only_that_type(client, corpus):
    for kind in ("article", "question", "thread"):
        results = client.get("/api/search", {"q": "wifi router problem", "type": kind}).json()["results"]
        assert results and {r["type"] for r in results} == {kind}


def test_harvested_thread_is_found_by_meaning(client, corpus):
    results = client.get("/api/search", {"q": "plug cannot join wireless, only does 2.4", "type": "thread"}).json()
    assert results["results"][0]["title"] == "Smart plugs will not connect to the 2.4 GHz band"
    assert results["results"][0]["source"] == "homenet-forum"


def test_tag_and_source_filters(client, corpus):
    tagged = client.get("/api/search", {"q": "router", "tag": "beacon"}).json()["results"]
    assert tagged and all("beacon" in r["tags"] for r in tagged)
    from_forum = client.get("/api/search", {"q": "router", "source": "homenet-forum"}).json()["results"]
    assert [r["source"] for r in from_forum] == ["homenet-forum"]
    assert client.get("/api/search", {"q": "router", "tag": "no-such-tag"}).json()["results"] == []


def test_limit_is_honoured(client, corpus):
    assert len(client.get("/api/search", {"q": "router", "limit": 2}).json()["results"]) == 2


def test_accepted_answer_text_is_searchable(client, corpus):
    results = client.get("/api/search", {"q": "move the satellite closer to the router", "type": "question"}).json()
    assert results["results"][0]["title"] == "Beacon satellite keeps dropping off the mesh"


def test_schema_documents_the_search_operation(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/search"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) >= {"q", "type", "tag", "source", "limit"}
    assert params["q"]["required"] is True
    assert params["type"]["schema"]["enum"] == ["article", "question", "thread"]
    assert params["limit"]["schema"]["type"] == "integer"
    assert "/api/search/" not in schema["paths"]


def test_schema_documents_no_good_match_and_relevance(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    answer, result = schema["SearchResponse"], schema["SearchResult"]
    assert "no_good_match" in answer["required"] and answer["properties"]["no_good_match"]["type"] == "boolean"
    assert "relevance" in result["required"]
    relevance = result["properties"]["relevance"]
    assert relevance["minimum"] == 0 and relevance["maximum"] == 1 and "probability" in relevance["description"]


OUT_OF_DOMAIN = ["what is the capital of australia", "best pizza dough hydration", "zzqxv flurble"]


@pytest.mark.parametrize("q", OUT_OF_DOMAIN)
def test_an_out_of_domain_query_says_no_good_match_and_still_shows_how_weak_its_results_are(client, corpus, q):
    body = client.get("/api/search", {"q": q}).json()
    assert body["no_good_match"] is True
    # The nearest documents are still returned, each saying it is unlikely to help.
    assert body["results"] and all(r["relevance"] < 0.2 for r in body["results"])


def test_an_in_domain_query_is_a_good_match_with_its_answer_most_relevant(client, corpus):
    body = client.get("/api/search", {"q": "how do I reset my H1 router to factory settings"}).json()
    assert body["no_good_match"] is False
    top = body["results"][0]
    assert top["title"] == "Reset your Hearthlink H1 router to factory settings"
    assert top["relevance"] >= 0.5 and top["relevance"] == max(r["relevance"] for r in body["results"])
    # The ranking score of the best result is high whatever the query; relevance is not.
    nonsense = client.get("/api/search", {"q": "zzqxv flurble"}).json()["results"][0]
    assert nonsense["score"] >= 0.7 > top["relevance"] - nonsense["relevance"] > 0.3


def test_the_floor_is_a_setting(client, corpus, settings):
    q = {"q": "how do I reset my H1 router to factory settings"}
    settings.SEARCH_RELEVANCE_FLOOR = 1.0
    assert client.get("/api/search", q).json()["no_good_match"] is True
    settings.SEARCH_RELEVANCE_FLOOR = 0.0
    assert client.get("/api/search", {"q": "zzqxv flurble"}).json()["no_good_match"] is False


def test_results_have_exactly_the_documented_fields_and_types(client, corpus):
    body = client.get("/api/search", {"q": "guest network for visitors"}).json()
    assert set(body) == {"query", "count", "degraded", "no_good_match", "results"}
    assert isinstance(body["no_good_match"], bool)
    for result in body["results"]:
        assert set(result) == {"id", "object_id", "type", "title", "url", "snippet", "score", "relevance", "tags",
                               "source"}
        assert isinstance(result["id"], int) and isinstance(result["object_id"], int)
        assert isinstance(result["score"], float) and isinstance(result["tags"], list)
        assert isinstance(result["relevance"], float) and 0.0 <= result["relevance"] <= 1.0
        assert result["type"] in {"article", "question", "thread"}


def test_a_browser_gets_json_not_an_html_page(client, corpus):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/api/search", {"q": "guest network"}, HTTP_ACCEPT=browser_accept)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.json()["count"] > 0


def test_similar_questions_api_lists_visible_threads_like_a_title(client, corpus):
    response = client.get("/api/questions/similar/", {"title": "my satellite node loses connection at night"})
    assert response.status_code == 200
    titles = [thread["title"] for thread in response.json()]
    assert "Beacon satellite keeps dropping off the mesh" in titles
    assert client.get("/api/questions/similar/", {"title": ""}).json() == []
