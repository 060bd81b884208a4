"""Every community write endpoint, pages and API, against every role: allowed or refused, and how.

The world: ``member`` (Alice) asked the question; Dave, who plays no role here, wrote the answer;
before a vote is retracted, the role up-votes the answer, so there is something to undo.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from community import services
from community.models import Comment, Flag, Post, PostRevision, Thread, User, Vote

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "other_member", "agent", "editor", "admin")

# Outcomes. Pages: OK = 2xx/3xx with the change made; LOGIN = sent to the login page; JOIN = sent to join the
# community (sign up, or log in, from there); BACK = sent back to the question with a message saying why;
# 403 = refused outright. API: the status code itself.
OK, LOGIN, JOIN, BACK = "ok", "login", "join", "back"


@dataclass
class World:
    users: dict[str, User | None]
    question: Thread
    question_post: Post
    answer: Post


@dataclass
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    effect: Callable[[World], Any]  # a value that changes when the write happened
    expect: dict[str, Any]
    data: Callable[[World, str], dict] = lambda w, role: {}
    api: bool = False
    prepare: Callable[[World, str], None] = lambda w, role: None
    ok_status: int = 302


def roles(default, **overrides) -> dict[str, Any]:
    return {role: overrides.get(role, default) for role in ROLES}


NEW_QUESTION = {"title": "Guest network will not hand out addresses", "body": "Phones join the guest network "
                "on the H2 Pro but never get an IP address.", "tags": "setup"}
ANSWER_BODY = {"body": "Turn the guest network off and on again in the Hearthlink app."}
COMMENT_BODY = {"body": "Which firmware version is on the Beacon?"}


def _page_edit(w: World, role: str) -> dict:
    return {"title": w.question.title, "body": w.question_post.body + " Edited.", "tags": "beacon mesh", "reason": ""}


def _signup(w: World, role: str) -> dict:
    return {"username": f"new-{role}", "email": f"new-{role}@example.com", "password": "mesh wifi at home 42"}


def _vote_on_answer(w: World, role: str) -> None:
    if w.users[role] is not None:
        services.vote_cast(user=w.users[role], post=w.answer, value=1)


def _threads(w): return Thread.objects.count()
def _answers(w): return Post.objects.filter(is_question=False).count()
def _question_votes(w): return Vote.objects.filter(post=w.question_post).count()
def _answer_votes(w): return Vote.objects.filter(post=w.answer).count()
def _accepted(w): return Post.objects.get(pk=w.answer.pk).is_accepted
def _comments(w): return Comment.objects.count()
def _revisions(w): return PostRevision.objects.filter(post=w.question_post).count()
def _flags(w): return Flag.objects.count()
def _hidden(w): return Post.objects.get(pk=w.answer.pk).is_hidden
def _users(w): return User.objects.count()


ENDPOINTS = [
    # --- Pages ------------------------------------------------------------------------------------
    Endpoint("page ask", "post", lambda w: "/questions/ask/", _threads, roles(OK, anonymous=JOIN),
             data=lambda w, r: NEW_QUESTION),
    Endpoint("page answer", "post", lambda w: f"/questions/{w.question.pk}/answer/", _answers,
             roles(OK, anonymous=LOGIN), data=lambda w, r: ANSWER_BODY),
    Endpoint("page vote", "post", lambda w: f"/posts/{w.question_post.pk}/vote/", _question_votes,
             roles(OK, anonymous=BACK, member=BACK), data=lambda w, r: {"direction": "up"}),
    Endpoint("page accept", "post", lambda w: f"/posts/{w.answer.pk}/accept/", _accepted,
             roles(BACK, anonymous=LOGIN, member=OK)),
    Endpoint("page comment", "post", lambda w: f"/posts/{w.question_post.pk}/comment/", _comments,
             roles(OK, anonymous=LOGIN), data=lambda w, r: COMMENT_BODY),
    Endpoint("page edit", "post", lambda w: f"/posts/{w.question_post.pk}/edit/", _revisions,
             roles(OK, anonymous=LOGIN, other_member=BACK, agent=BACK), data=_page_edit),
    Endpoint("page flag", "post", lambda w: f"/posts/{w.answer.pk}/flag/", _flags, roles(OK, anonymous=LOGIN),
             data=lambda w, r: {"reason": "spam"}),
    Endpoint("page moderate", "post", lambda w: f"/posts/{w.answer.pk}/moderate/", _hidden,
             roles(403, anonymous=LOGIN, editor=OK, admin=OK), data=lambda w, r: {"action": "hide"}),
    Endpoint("page signup", "post", lambda w: "/accounts/signup/", _users, roles(OK), data=_signup),
    # --- API ---------------------------------------------------------------------------------------
    Endpoint("api ask", "post", lambda w: "/api/questions/", _threads, roles(201, anonymous=403), api=True,
             data=lambda w, r: {**NEW_QUESTION, "tags": ["setup"]}),
    Endpoint("api answer", "post", lambda w: f"/api/questions/{w.question.pk}/answers/", _answers,
             roles(201, anonymous=403), api=True, data=lambda w, r: ANSWER_BODY),
    Endpoint("api edit", "patch", lambda w: f"/api/posts/{w.question_post.pk}/", _revisions,
             roles(403, member=200, editor=200, admin=200), api=True,
             data=lambda w, r: {"body": w.question_post.body + " Edited."}),
    Endpoint("api vote", "post", lambda w: f"/api/posts/{w.question_post.pk}/vote/", _question_votes,
             roles(201, anonymous=403, member=403), api=True, data=lambda w, r: {"value": 1}),
    Endpoint("api retract vote", "delete", lambda w: f"/api/posts/{w.answer.pk}/vote/", _answer_votes,
             roles(204, anonymous=403), api=True, prepare=_vote_on_answer),
    Endpoint("api accept", "post", lambda w: f"/api/posts/{w.answer.pk}/accept/", _accepted,
             roles(403, member=200), api=True),
    Endpoint("api comment", "post", lambda w: f"/api/posts/{w.question_post.pk}/comments/", _comments,
             roles(201, anonymous=403), api=True, data=lambda w, r: COMMENT_BODY),
    Endpoint("api flag", "post", lambda w: f"/api/posts/{w.answer.pk}/flags/", _flags,
             roles(201, anonymous=403), api=True, data=lambda w, r: {"reason": "spam"}),
    Endpoint("api moderate", "post", lambda w: f"/api/posts/{w.answer.pk}/moderate/", _hidden,
             roles(403, editor=200, admin=200), api=True, data=lambda w, r: {"action": "hide"}),
    Endpoint("api signup", "post", lambda w: "/api/auth/signup/", _users, roles(201), api=True, data=_signup),
]


@pytest.fixture
def world(make_user, tags) -> World:
    users = {
        "anonymous": None,
        "member": make_user("alice"),
        "other_member": make_user("bob"),
        "agent": make_user("agatha", "agent"),
        "editor": make_user("edith", "editor"),
        "admin": make_user("ada", "admin"),
    }
    question = services.question_create(
        author=users["member"], title="Beacon satellite keeps dropping off the mesh",
        body="Every evening the Beacon loses its link to the H1 router.", tags=["mesh", "beacon"],
    )
    answer = services.answer_create(author=make_user("dave"), thread=question,
                                    body="Move the Beacon within two rooms of the router.")
    return World(users=users, question=question, question_post=question.posts.get(is_question=True), answer=answer)


CASES = [pytest.param(endpoint, role, id=f"{endpoint.name}-{role}") for endpoint in ENDPOINTS for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_permission_matrix(world, client_for, api_for, endpoint: Endpoint, role: str):
    user = world.users[role]
    client = api_for(user) if endpoint.api else client_for(user)
    expected = endpoint.expect[role]
    endpoint.prepare(world, role)
    before = endpoint.effect(world)
    kwargs = {"format": "json"} if endpoint.api else {}
    response = getattr(client, endpoint.method)(endpoint.url(world), endpoint.data(world, role), **kwargs)
    changed = endpoint.effect(world) != before

    if endpoint.api:
        assert response.status_code == expected, response.content
        if response.status_code >= 400:
            assert response.json()["detail"]
        assert changed == (expected < 400)
        return

    location = response.get("Location", "")
    if expected == OK:
        assert response.status_code == endpoint.ok_status, response.content[:500]
        assert not location.startswith("/accounts/login/")
        assert changed, "the page said yes but nothing changed"
    elif expected == LOGIN:
        assert response.status_code == 302 and location.startswith("/accounts/login/?next=")
        assert not changed
    elif expected == JOIN:
        assert response.status_code == 302 and location.startswith("/community/join/")
        assert not changed
    elif expected == BACK:
        assert response.status_code == 302 and location.startswith(world.question.get_absolute_url())
        assert not changed
        # The reason is waiting as a message on the page they land on.
        landed = client.get(location)
        assert b'class="message error' in landed.content
    else:
        assert response.status_code == expected
        assert not changed
