"""The agent console's API for other agent desktops: suggestions for a contact, insert/link/dismiss, flags, capture."""
from __future__ import annotations

import pytest

from kb.models import Article, ArticleFlag
from support import services
from support.models import SuggestionEvent
from tests.support.console_corpus import console_kb  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(alice):
    return services.contact_create(
        channel="chat", customer_email="alice@example.com", subject="Beacon is dead",
        body="My Beacon satellite has no light and failed the hardware diagnostic. Can I get a replacement?")


def test_suggestions_for_a_contact_include_internal_articles_minus_dismissed(api_for, agent, contact, console_kb):
    client = api_for(agent)
    response = client.get(f"/api/contacts/{contact.pk}/suggestions")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["query"].startswith("My Beacon satellite has no light")
    first = body["results"][0]
    assert (first["article_id"], first["visibility"], first["internal"]) == (console_kb["rma"].pk, "internal", True)
    assert {"title", "url", "snippet_html", "passage", "excerpt", "score", "relevance", "boost", "links"} <= set(first)
    assert body["no_confident_suggestion"] is False and all(r["relevance"] >= 0.2 for r in body["results"])
    assert console_kb["draft"].pk not in [r["article_id"] for r in body["results"]]
    assert SuggestionEvent.objects.filter(contact=contact, action="shown").count() == len(body["results"])

    dismissed = client.post(f"/api/contacts/{contact.pk}/suggestions/{console_kb['rma'].pk}/dismiss")
    assert dismissed.status_code == 201 and dismissed.json()["action"] == "dismissed"
    again = client.get(f"/api/contacts/{contact.pk}/suggestions").json()["results"]
    assert console_kb["rma"].pk not in [r["article_id"] for r in again]


def test_an_unrelated_contact_gets_no_confident_suggestion(api_for, agent, console_kb):
    other = services.contact_create(channel="email", customer_email="sam@example.org", subject="Refund",
                                    body="I want a refund for my order, it arrived two weeks late.")
    body = api_for(agent).get(f"/api/contacts/{other.pk}/suggestions").json()
    assert body["results"] == [] and body["no_confident_suggestion"] is True and body["weak_count"] > 0


def test_insert_and_link_record_events(api_for, agent, contact, console_kb):
    client = api_for(agent)
    rma = console_kb["rma"]
    inserted = client.post(f"/api/contacts/{contact.pk}/suggestions/{rma.pk}/insert")
    assert inserted.status_code == 201
    assert {k: inserted.json()[k] for k in ("contact", "article", "action", "agent")} == {
        "contact": contact.pk, "article": rma.pk, "action": "inserted", "agent": "agatha"}
    linked = client.post(f"/api/contacts/{contact.pk}/suggestions/{rma.pk}/link")
    assert linked.status_code == 201 and linked.json()["action"] == "linked"
    contact.refresh_from_db()
    assert contact.resolved_by == rma
    assert client.get(f"/api/contacts/{contact.pk}/").json()["resolved_by"] == rma.pk


@pytest.mark.parametrize("role, expected", [("anonymous", 403), ("alice", 403), ("editor", 403), ("admin_user", 201)])
def test_only_agents_and_admins_act_on_suggestions(request, api_for, contact, console_kb, role, expected):
    # Alice is the contact's own customer: she still may not see or act on the agents' suggestions.
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = api_for(user)
    guest = console_kb["guest"]
    for action in ("insert", "link", "dismiss"):
        response = client.post(f"/api/contacts/{contact.pk}/suggestions/{guest.pk}/{action}")
        assert response.status_code == expected, (action, response.json())
    listing = client.get(f"/api/contacts/{contact.pk}/suggestions")
    assert listing.status_code == (200 if expected == 201 else expected)
    capture = client.post(f"/api/contacts/{contact.pk}/capture", {}, format="json")
    assert capture.status_code == expected
    flag = client.post(f"/api/agent/articles/{guest.pk}/flags", {"kind": "wrong", "note": "x"}, format="json")
    assert flag.status_code == expected


def test_unknown_or_invisible_ids_are_404(api_for, agent, contact, console_kb):
    client = api_for(agent)
    assert client.get("/api/contacts/999999/suggestions").status_code == 404
    assert client.post(f"/api/contacts/999999/suggestions/{console_kb['guest'].pk}/link").status_code == 404
    assert client.post(f"/api/contacts/{contact.pk}/suggestions/999999/insert").status_code == 404
    assert client.post(f"/api/contacts/{contact.pk}/suggestions/{console_kb['draft'].pk}/insert").status_code == 404
    assert client.post("/api/contacts/999999/capture", {}, format="json").status_code == 404
    response = client.post("/api/agent/articles/999999/flags", {"kind": "wrong", "note": "x"}, format="json")
    assert response.status_code == 404 and response.json()["detail"]
    assert SuggestionEvent.objects.filter(action__in=["inserted", "linked"]).count() == 0


def test_flag_marks_the_article_for_review(api_for, agent, contact, console_kb):
    rma = console_kb["rma"]
    response = api_for(agent).post(f"/api/agent/articles/{rma.pk}/flags", {
        "kind": "outdated", "note": "The warranty portal moved; use the new RMA form.", "contact": contact.pk,
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["contact"], body["article_needs_review"]) == ("outdated", contact.pk, True)
    rma.refresh_from_db()
    assert rma.needs_review and "The warranty portal moved" in rma.review_reason
    assert SuggestionEvent.objects.filter(contact=contact, article=rma, action="flagged").count() == 1


def test_flag_bad_input_is_a_readable_400(api_for, agent, console_kb):
    client = api_for(agent)
    url = f"/api/agent/articles/{console_kb['guest'].pk}/flags"
    for payload in ({}, {"kind": "ugly", "note": "x"}, {"kind": "wrong"}, {"kind": "wrong", "note": "   "},
                    {"kind": "wrong", "note": "x" * 1001}, {"kind": "wrong", "note": "x", "contact": 999999},
                    {"kind": "wrong", "note": "x", "contact": "first"}):
        response = client.post(url, payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()
    assert not ArticleFlag.objects.exists()


def test_capture_prefills_from_the_conversation_or_takes_what_is_given(api_for, agent, contact):
    client = api_for(agent)
    services.message_append(contact=contact, sender="agent", author=agent,
                            body="I have opened a replacement order; the return label is in your inbox.")
    prefilled = client.post(f"/api/contacts/{contact.pk}/capture", {}, format="json")
    assert prefilled.status_code == 201, prefilled.json()
    body = prefilled.json()
    assert body["title"] == "Beacon is dead" and body["status"] == "draft"
    assert body["problem"].startswith("My Beacon satellite has no light")
    assert body["solution"] == "I have opened a replacement order; the return label is in your inbox."
    assert body["editor_url"] == f"/kb/articles/{body['id']}/edit/"

    given = client.post(f"/api/contacts/{contact.pk}/capture", {
        "title": "Replace a dead Beacon", "solution": "Open an RMA.", "tags": ["beacon"]}, format="json").json()
    assert (given["title"], given["solution"], given["tags"]) == ("Replace a dead Beacon", "Open an RMA.", ["beacon"])
    assert Article.objects.get(pk=given["id"]).assigned_to is None

    for payload in ({"title": ""}, {"title": "x" * 301}, {"title": "Fine", "problem": "", "solution": ""},
                    {"tags": "beacon"}):
        response = client.post(f"/api/contacts/{contact.pk}/capture", payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()
    assert Article.objects.count() == 2


def test_the_new_endpoints_are_in_the_openapi_schema(api_for, agent):
    schema = api_for(agent).get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/contacts/{contact_id}/suggestions", "/api/contacts/{contact_id}/suggestions/{article_id}/insert",
                 "/api/contacts/{contact_id}/suggestions/{article_id}/link",
                 "/api/contacts/{contact_id}/suggestions/{article_id}/dismiss",
                 "/api/contacts/{contact_id}/capture", "/api/agent/articles/{article_id}/flags"):
        assert path in schema["paths"], path
