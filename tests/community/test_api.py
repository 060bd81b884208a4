"""The community REST API through the client: JSON errors, auth, pagination, the schema."""
from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from community.models import Post, Thread, User

pytestmark = pytest.mark.django_db

NEW_QUESTION = {
    "title": "How do I give the guest network its own password?",
    "body": "Visitors should not get our main Wi-Fi password on the H2 Pro.",
    "tags": ["setup"],
}


def assert_json_error(response, status: int) -> dict:
    """An error a client can read: the status, a JSON body, and a human ``detail`` or field messages."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body and isinstance(body, dict)
    return body


# --- Errors are JSON, never a 500 -----------------------------------------------------------------


def test_malformed_json_is_a_400(api_for, alice, tags):
    response = api_for(alice).post("/api/questions/", data="{not json", content_type="application/json")
    body = assert_json_error(response, 400)
    assert "JSON parse error" in body["detail"]


def test_missing_fields_name_the_field(api_for, alice, tags):
    response = api_for(alice).post("/api/questions/", {"title": "No body here at all"}, format="json")
    body = assert_json_error(response, 400)
    assert body["body"] == ["This field is required."]


def test_service_rules_come_back_with_field_and_code(api_for, alice, tags):
    response = api_for(alice).post("/api/questions/", {**NEW_QUESTION, "tags": ["toaster"]}, format="json")
    body = assert_json_error(response, 400)
    assert (body["field"], body["code"]) == ("tags", "unknown_tag")
    assert "Unknown tag: toaster" in body["detail"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/questions/999999/"),
        ("post", "/api/questions/999999/answers/"),
        ("get", "/api/posts/999999/"),
        ("patch", "/api/posts/999999/"),
        ("post", "/api/posts/999999/vote/"),
        ("post", "/api/posts/999999/accept/"),
        ("post", "/api/posts/999999/comments/"),
        ("post", "/api/posts/999999/flags/"),
        ("get", "/api/users/nobody-here/"),
    ],
)
def test_unknown_ids_are_a_json_404(api_for, bob, method, url):
    response = getattr(api_for(bob), method)(url, {"body": "A perfectly long enough body text."}, format="json")
    assert assert_json_error(response, 404)["detail"] == "Not found."


def test_voting_twice_is_a_400_that_says_so(api_for, bob, question_post):
    client = api_for(bob)
    first = client.post(f"/api/posts/{question_post.pk}/vote/", {"value": 1}, format="json")
    assert first.status_code == 201 and first.json() == {"post": question_post.pk, "value": 1, "score": 1}
    body = assert_json_error(client.post(f"/api/posts/{question_post.pk}/vote/", {"value": 1}, format="json"), 400)
    assert body == {"detail": "You have already voted on this post.", "code": "already_voted"}
    changed = client.post(f"/api/posts/{question_post.pk}/vote/", {"value": -1}, format="json")
    assert changed.status_code == 201 and changed.json()["score"] == -1
    assert client.delete(f"/api/posts/{question_post.pk}/vote/").status_code == 204
    assert Post.objects.get(pk=question_post.pk).score == 0


def test_a_vote_must_be_up_or_down(api_for, bob, question_post):
    response = api_for(bob).post(f"/api/posts/{question_post.pk}/vote/", {"value": 7}, format="json")
    body = assert_json_error(response, 400)
    assert "value" in body


def test_voting_on_your_own_post_is_a_403(api_for, alice, question_post):
    response = api_for(alice).post(f"/api/posts/{question_post.pk}/vote/", {"value": 1}, format="json")
    body = assert_json_error(response, 403)
    assert body["code"] == "own_post"


def test_accepting_on_someone_elses_question_is_a_403(api_for, answer, bob, dave):
    for user in (bob, dave):
        body = assert_json_error(api_for(user).post(f"/api/posts/{answer.pk}/accept/"), 403)
        assert body == {"detail": "Only the person who asked can accept an answer.", "code": "not_asker"}
    assert not Post.objects.get(pk=answer.pk).is_accepted


def test_the_asker_accepts_through_the_api(api_for, alice, answer):
    response = api_for(alice).post(f"/api/posts/{answer.pk}/accept/")
    assert response.status_code == 200 and response.json()["is_accepted"] is True


def test_editing_without_rights_is_a_403_and_changes_nothing(api_for, bob, question_post):
    hijack = {"body": "Hijacked body text, long enough."}
    response = api_for(bob).patch(f"/api/posts/{question_post.pk}/", hijack, format="json")
    assert assert_json_error(response, 403)["detail"] == "Only the author or a moderator can edit this post."
    assert Post.objects.get(pk=question_post.pk).body == question_post.body


def test_editing_keeps_revisions_visible_through_the_api(api_for, alice, question_post):
    client = api_for(alice)
    new_body = question_post.body + " Firmware is 2.4.1."
    response = client.patch(f"/api/posts/{question_post.pk}/", {"body": new_body, "reason": "version"}, format="json")
    assert response.status_code == 200 and response.json()["body"] == new_body
    revisions = client.get(f"/api/posts/{question_post.pk}/revisions/").json()
    assert [(r["number"], r["body"]) for r in revisions] == [(2, new_body), (1, question_post.body)]
    unchanged = client.patch(f"/api/posts/{question_post.pk}/", {"body": new_body}, format="json")
    assert assert_json_error(unchanged, 400)["detail"] == "Nothing changed."


def test_members_cannot_moderate_or_read_the_queue(api_for, bob, answer):
    assert assert_json_error(api_for(bob).get("/api/moderation/"), 403)["detail"] == "Only moderators can do that."
    assert_json_error(api_for(bob).post(f"/api/posts/{answer.pk}/moderate/", {"action": "hide"}, format="json"), 403)


def test_moderators_hide_and_close_through_the_api(api_for, editor, alice, question, answer, bob):
    client = api_for(editor)
    assert client.post(f"/api/posts/{answer.pk}/moderate/", {"action": "hide"}, format="json").status_code == 200
    twice = client.post(f"/api/posts/{answer.pk}/moderate/", {"action": "hide"}, format="json")
    assert assert_json_error(twice, 400)["code"] == "already_hidden"
    later = api_for(bob).post("/api/questions/", {**NEW_QUESTION, "title": "Beacon drops from the mesh at night"},
                              format="json").json()
    later_post = Post.objects.get(thread_id=later["id"], is_question=True)
    missing = client.post(f"/api/posts/{later_post.pk}/moderate/", {"action": "close_duplicate"}, format="json")
    assert assert_json_error(missing, 400)["field"] == "original"
    closed = client.post(f"/api/posts/{later_post.pk}/moderate/",
                         {"action": "close_duplicate", "original": question.pk}, format="json")
    assert closed.status_code == 200
    detail = api_for(bob).get(f"/api/questions/{later['id']}/").json()["thread"]
    assert detail["is_closed"] and detail["duplicate_of"] == question.pk
    blocked = api_for(alice).post(f"/api/questions/{later['id']}/answers/", {"body": "Try a factory reset of it."},
                                  format="json")
    assert assert_json_error(blocked, 403)["code"] == "closed"


def test_anonymous_writes_are_refused_with_json(question_post):
    response = APIClient().post(f"/api/posts/{question_post.pk}/vote/", {"value": 1}, format="json")
    assert assert_json_error(response, 403)["detail"] == "Authentication credentials were not provided."


def test_flagging_a_duplicate_of_an_unknown_question_is_refused(api_for, bob, question_post):
    response = api_for(bob).post(f"/api/posts/{question_post.pk}/flags/", {"reason": "duplicate"}, format="json")
    assert assert_json_error(response, 400)["field"] == "duplicate_of"
    response = api_for(bob).post(f"/api/posts/{question_post.pk}/flags/",
                                 {"reason": "duplicate", "duplicate_of": 999999}, format="json")
    # The original is looked up like any question: an unknown one is not found.
    assert assert_json_error(response, 404)["detail"] == "Not found."


# --- Authentication -----------------------------------------------------------------------------------


def test_signup_returns_a_token_that_authenticates(tags):
    client = APIClient()
    response = client.post("/api/auth/signup/", {"username": "carol", "email": "carol@example.com",
                                                 "password": "mesh wifi at home 42"}, format="json")
    assert response.status_code == 201
    token = response.json()["token"]
    assert len(token) == 40
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = client.post("/api/questions/", NEW_QUESTION, format="json")
    assert created.status_code == 201
    assert Thread.objects.get(pk=created.json()["id"]).author.username == "carol"


def test_a_wrong_token_is_refused(question_post):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.post(f"/api/posts/{question_post.pk}/vote/", {"value": 1}, format="json")
    # 403, not 401: session auth comes first, and it sends no WWW-Authenticate challenge.
    assert assert_json_error(response, 403)["detail"] == "Invalid token."


def test_signup_errors_are_json(alice):
    client = APIClient()
    weak = client.post("/api/auth/signup/", {"username": "carol", "email": "carol@example.com", "password": "12345678"},
                       format="json")
    assert assert_json_error(weak, 400)["field"] == "password"
    taken = client.post("/api/auth/signup/", {"username": "carol", "email": "Alice@Example.com",
                                              "password": "mesh wifi at home 42"}, format="json")
    assert assert_json_error(taken, 400) == {"detail": "An account with that email already exists.", "code": "taken",
                                            "field": "email"}
    assert not User.objects.filter(username="carol").exists()


def test_token_endpoint_trades_credentials_for_a_token(make_user):
    make_user("carol", password="mesh wifi at home 42")
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "carol", "password": "mesh wifi at home 42"}, format="json")
    assert response.status_code == 200 and len(response.json()["token"]) == 40
    bad = client.post("/api/auth/token/", {"username": "carol", "password": "nope"}, format="json")
    assert_json_error(bad, 400)


def test_session_auth_works_for_signed_in_browsers(client, alice, tags):
    client.force_login(alice)
    response = client.post("/api/questions/", data=json.dumps(NEW_QUESTION), content_type="application/json")
    assert response.status_code == 201


def test_session_writes_need_the_csrf_token(alice, tags):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/questions/", data=json.dumps(NEW_QUESTION), content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


# --- Reads, pagination, throttling, schema ---------------------------------------------------------


def test_question_list_is_paginated(alice, tags):
    from community import services

    for n in range(23):
        services.question_create(author=alice, title=f"Firmware question number {n:02d}", body=NEW_QUESTION["body"],
                                 tags=["firmware"])
    first = APIClient().get("/api/questions/").json()
    assert first["count"] == 23 and len(first["results"]) == 20 and first["previous"] is None
    assert first["results"][0]["title"] == "Firmware question number 22"
    second = APIClient().get(first["next"]).json()
    assert [t["title"] for t in second["results"]] == [f"Firmware question number {n:02d}" for n in (2, 1, 0)]
    assert_json_error(APIClient().get("/api/questions/?page=9"), 404)


def test_question_detail_shows_posts_and_rendered_html(question, answer):
    data = APIClient().get(f"/api/questions/{question.pk}/").json()
    assert data["thread"]["title"] == question.title and data["thread"]["tags"] == ["beacon", "mesh"]
    assert [p["is_question"] for p in data["posts"]] == [True, False]
    assert data["posts"][1]["body_html"].startswith("<p>Move the Beacon")


def test_profile_and_tags(api_for, question, answer, alice):
    api_for(alice).post(f"/api/posts/{answer.pk}/accept/")
    profile = APIClient().get("/api/users/bob/").json()
    assert profile["reputation"] == 15 and profile["answers"][0]["is_accepted"]
    tags = {t["name"]: t["thread_count"] for t in APIClient().get("/api/tags/").json()}
    assert tags["mesh"] == 1 and tags["setup"] == 0


def test_posting_too_fast_is_a_429_with_a_message(settings, api_for, alice, tags):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "post": "1/minute"},
    }
    client = api_for(alice)
    assert client.post("/api/questions/", NEW_QUESTION, format="json").status_code == 201
    second = client.post("/api/questions/", {**NEW_QUESTION, "title": "Second question far too soon"}, format="json")
    assert "throttled" in assert_json_error(second, 429)["detail"]
    assert client.get("/api/questions/").status_code == 200


def test_schema_lists_the_community_paths_and_docs_render(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/questions/", "/api/questions/{thread_id}/", "/api/questions/{thread_id}/answers/",
                 "/api/posts/{post_id}/vote/", "/api/posts/{post_id}/accept/", "/api/posts/{post_id}/flags/",
                 "/api/moderation/", "/api/auth/signup/", "/api/users/{username}/"):
        assert path in schema["paths"], path
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
