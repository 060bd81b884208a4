"""POST /api/agent/suggest: a transcript in, ranked public and internal articles out, for agents only.

Uses the search area's small Hearthlink corpus, indexed with the real model and FAISS.
"""
from __future__ import annotations

import pytest

from tests.search.corpus import DRAFT_WORD, INTERNAL_WORD, corpus  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

SUGGEST = "/api/agent/suggest"

TRANSCRIPT = (
    "Customer: Hi, my Beacon mesh satellite died. The light is off and it failed the hardware diagnostic.\n"
    "Agent: Sorry to hear that. Let me check the options.\n"
    "Customer: Can I get a replacement Beacon under warranty?\n"
)


def test_agent_gets_the_internal_replacement_procedure_first(corpus, api_for, agent):
    response = api_for(agent).post(SUGGEST, {"text": TRANSCRIPT, "limit": 5}, format="json")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert results[0]["title"] == "Beacon replacement (RMA) procedure for agents"
    assert results[0]["visibility"] == "internal"
    assert INTERNAL_WORD in results[0]["passage"]
    assert {"title", "url", "snippet_html", "score", "passage", "article_id"} <= set(results[0])
    assert len(results) <= 5
    assert all(DRAFT_WORD not in r["passage"] for r in results)


def test_public_articles_are_suggested_too(corpus, api_for, agent):
    text = "Customer says the console needs ports opened for online gaming, NAT type strict."
    results = api_for(agent).post(SUGGEST, {"text": text}, format="json").json()["results"]
    assert results[0]["title"] == "Open a port for a game console (port forwarding)"
    assert results[0]["visibility"] == "public"
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_each_suggestion_says_how_likely_it_answers_and_an_unrelated_text_gets_no_confident_one(
        corpus, api_for, agent):
    body = api_for(agent).post(SUGGEST, {"text": TRANSCRIPT}, format="json").json()
    assert body["no_confident_suggestion"] is False and body["results"][0]["relevance"] >= 0.5
    assert all(0.0 <= r["relevance"] <= 1.0 for r in body["results"])
    text = "Customer: I would like a refund, my parcel arrived two weeks late."
    unrelated = api_for(agent).post(SUGGEST, {"text": text}, format="json").json()
    assert unrelated["no_confident_suggestion"] is True and all(r["relevance"] < 0.2 for r in unrelated["results"])


def test_long_transcript_is_fine(corpus, api_for, agent):
    text = (TRANSCRIPT * 40)[:8000]
    response = api_for(agent).post(SUGGEST, {"text": text, "limit": 3}, format="json")
    assert response.status_code == 200
    assert response.json()["results"]


@pytest.mark.parametrize("role, expected", [
    ("anonymous", 403), ("alice", 403), ("editor", 403), ("agent", 200), ("admin_user", 200),
])
def test_only_agents_and_admins_may_ask(request, corpus, api_for, role, expected):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    response = api_for(user).post(SUGGEST, {"text": "reset the router"}, format="json")
    assert response.status_code == expected
    assert response.json()


def test_bad_input_is_a_json_400(api_for, agent, search_index_dir):  # noqa: F811
    client = api_for(agent)
    for payload in ({}, {"text": "   "}, {"text": "?!"}, {"text": "wifi", "limit": 0}, {"text": "wifi", "limit": "x"}):
        response = client.post(SUGGEST, payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()
