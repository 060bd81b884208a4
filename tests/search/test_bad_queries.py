"""Bad input gets a clear 400 or an empty result, never a 500: API, page and suggestions."""
from __future__ import annotations

import pytest

from tests.search.corpus import corpus  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("q", ["", "   ", "\t\n", "?!…"])
def test_empty_query_is_a_clear_400(client, q):
    response = client.get("/api/search", {"q": q})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "q" and "empty" in body["detail"].lower()


def test_missing_q_is_a_400(client):
    assert client.get("/api/search").status_code == 400


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "router", "type": "video"}, "type"),
        ({"q": "router", "colour": "red"}, "colour"),
        ({"q": "router", "limit": "0"}, "limit"),
        ({"q": "router", "limit": "500"}, "limit"),
        ({"q": "router", "limit": "ten"}, "limit"),
        ({"q": "router", "tag": "two words"}, "tag"),
        ({"q": "router", "source": "x" * 200}, "source"),
    ],
)
def test_unknown_or_bad_filters_are_a_clear_400(client, params, field):
    response = client.get("/api/search", params)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field and body["detail"]


def test_ten_kilobyte_query_is_truncated_and_answered(client, corpus):
    q = "my beacon ring light turns amber every evening " * 220  # ~10 KB
    assert len(q) > 10_000
    response = client.get("/api/search", {"q": q})
    assert response.status_code == 200
    body = response.json()
    assert len(body["query"]) <= 512
    assert body["results"][0]["title"] == "Beacon satellite keeps dropping off the mesh"


def test_control_characters_are_refused_and_invisible_ones_stripped(client, corpus):
    refused = client.get("/api/search", {"q": "guest\x00net\x1b[31m for\x07 visitors"})
    assert refused.status_code == 400 and "control character" in refused.json()["detail"]
    response = client.get("/api/search", {"q": "guest net\u200bwork for visitors"})
    assert response.status_code == 200
    body = response.json()
    assert all(ch.isprintable() for ch in body["query"])
    assert body["results"]


def test_fts_syntax_in_the_query_is_inert(client, corpus):
    for q in ['"unbalanced', "router AND OR NOT", "title:* NEAR(a b)", "-port ^forward", "';DROP TABLE x;--"]:
        assert client.get("/api/search", {"q": q}).status_code == 200


def test_page_and_suggestions_survive_bad_input(client, corpus):
    assert client.get("/search/", {"q": "   "}).status_code == 200
    assert client.get("/search/", {"q": "\x00\x01"}).status_code == 400
    page = client.get("/search/", {"q": "router", "type": "video"})
    assert page.status_code == 400 and "Unknown type" in page.content.decode()
    assert client.get("/search/", {"q": "router " * 3000}).status_code == 200
    assert client.get("/search/suggest", {"q": "\x00"}).status_code == 400
    assert client.get("/search/suggest", {"q": "x" * 20_000}).status_code == 200
