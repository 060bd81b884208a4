"""POST /api/search: the same search with its parameters in a JSON body, for text too long for
a URL; bad bodies get the same readable 400s as bad query strings."""
from __future__ import annotations

import json

import pytest

from tests.search.corpus import corpus  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def post(client, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/search", data=data, content_type=extra.pop("content_type", "application/json"), **extra)


def test_post_finds_what_get_finds(client, corpus):
    params = {"q": "my game console needs an open port", "type": "article", "limit": 3}
    by_get = client.get("/api/search", params).json()
    by_post = post(client, params)
    assert by_post.status_code == 200
    assert by_post.json()["results"] == by_get["results"] and by_get["results"]
    assert by_post.json()["results"][0]["title"] == "Open a port for a game console (port forwarding)"
    assert by_post.json()["no_good_match"] is by_get["no_good_match"] is False


def test_post_says_no_good_match_for_a_transcript_about_something_else(client, corpus):
    transcript = ("Customer: I am planning a dinner party next week. " * 5
                  + "Customer: what hydration should my pizza dough have for a crispy crust?")
    body = post(client, {"q": transcript}).json()
    assert body["no_good_match"] is True and all(r["relevance"] < 0.2 for r in body["results"])


def test_post_reads_a_text_far_longer_than_a_url_and_keeps_both_ends(client, corpus):
    transcript = ("Customer: I want wifi for my visitors without giving them my password. "
                  + "Agent: one moment please while I look that up. " * 400
                  + "Customer: so how do guests get on the internet?")
    response = post(client, {"q": transcript, "limit": "5", "tag": None})
    assert response.status_code == 200
    body = response.json()
    assert len(body["query"]) <= 512 and body["query"].endswith("how do guests get on the internet?")
    assert body["results"][0]["title"] == corpus.documents["guest"].title


def test_trailing_slash_works_for_post_too(client, corpus):
    response = client.post("/api/search/", data=json.dumps({"q": "guest network"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["results"]


@pytest.mark.parametrize(("body", "status", "detail", "field"), [
    ('["wifi"]', 400, 'Send a JSON object, such as {"q": ', None),
    ('{"q": "wifi",', 400, "JSON parse error", None),
    ({"q": 42}, 400, "q must be text.", "q"),
    ({"q": "wifi", "tag": ["a", "b"]}, 400, "tag must be text.", "tag"),
    ({"q": "wifi", "limit": True}, 400, "limit must be text or a whole number.", "limit"),
    ({"q": "wifi", "limit": 0}, 400, "limit must be a whole number from 1 to 50.", "limit"),
    ({"q": "wifi", "limit": "²"}, 400, "limit must be a whole number from 1 to 50.", "limit"),
    ({"q": "wifi", "page": 2}, 400, "Unknown parameter page: use q, type, tag, source and limit.", "page"),
    ({"q": "wifi", "type": "video"}, 400, "Unknown type 'video'", "type"),
    ({"q": "   "}, 400, "The query is empty", "q"),
    ({}, 400, "The query is empty", "q"),
])
def test_a_bad_body_gets_a_readable_400(client, body, status, detail, field):
    response = post(client, body)
    assert response.status_code == status
    payload = response.json()
    assert payload["detail"].startswith(detail)
    assert payload.get("field") == field


def test_a_limit_in_the_query_string_is_refused_just_as_readably(client):
    response = client.get("/api/search", {"q": "wifi", "limit": "²"})
    assert response.status_code == 400 and response.json()["field"] == "limit"


def test_a_form_body_is_refused_with_415(client):
    response = client.post("/api/search", {"q": "wifi"})
    assert response.status_code == 415
    assert response.json()["detail"].startswith("Unsupported media type")


def test_an_oversized_body_is_refused_before_it_is_read(client):
    response = post(client, {"q": "wifi " * 60_000})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large" and "send at most 262,144" in response.json()["detail"]


def test_schema_documents_the_post_with_its_body(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/search"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][body]
    assert set(fields["properties"]) == {"q", "type", "tag", "source", "limit"} and fields["required"] == ["q"]
    assert "/api/search/" not in schema["paths"]
