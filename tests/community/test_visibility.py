"""One rule for who reaches a thread or a post, and pages that offer only what the rules allow.

A post held for review (a new account's first answer) is seen by its author and moderators,
nobody else: not read, voted on, commented on or flagged, through pages or the API. The
question page shows Edit, Comment, Flag and the answer box exactly when the permission
functions say yes.
"""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from community import services
from community.models import Thread

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "lxml")


@pytest.fixture
def held_answer(settings, question, make_user):
    settings.COMMUNITY_HOLD_FIRST_POSTS = 1
    newbie = make_user("newbie")
    answer = services.answer_create(author=newbie, thread=question,
                                    body="Turn off band steering in the Hearthlink app, then restart the Beacon.")
    assert answer.status == Thread.Status.PENDING
    return answer


def test_a_held_answer_is_read_only_by_its_author_and_moderators(held_answer, api_for, client_for, alice, bob, editor):
    pk = held_answer.pk
    for user in (None, alice, bob):  # a visitor, the asker, another member
        api = api_for(user)
        assert api.get(f"/api/posts/{pk}/").status_code == 404
        assert api.get(f"/api/posts/{pk}/revisions/").status_code == 404
        assert client_for(user).get(f"/posts/{pk}/history/").status_code == 404
    for user in (held_answer.author, editor):
        api = api_for(user)
        assert api.get(f"/api/posts/{pk}/").json()["status"] == "pending"
        assert len(api.get(f"/api/posts/{pk}/revisions/").json()) == 1
        assert client_for(user).get(f"/posts/{pk}/history/").status_code == 200


def test_nobody_else_can_vote_comment_on_or_flag_a_held_answer(held_answer, api_for, client_for, alice, bob):
    pk = held_answer.pk
    for user in (alice, bob):
        api = api_for(user)
        assert api.post(f"/api/posts/{pk}/vote/", {"value": 1}, format="json").status_code == 404
        assert api.post(f"/api/posts/{pk}/comments/", {"body": "Worked for me too."}, format="json").status_code == 404
        assert api.post(f"/api/posts/{pk}/flags/", {"reason": "spam"}, format="json").status_code == 404
        page = client_for(user)
        assert page.post(f"/posts/{pk}/vote/", {"direction": "up"}).status_code == 404
        assert page.post(f"/posts/{pk}/comment/", {"body": "Worked for me too."}).status_code == 404
        assert page.post(f"/posts/{pk}/flag/", {"reason": "spam"}).status_code == 404
    held_answer.refresh_from_db()
    assert held_answer.score == 0
    assert not held_answer.comments.exists() and not held_answer.flags.exists()


def test_the_author_of_a_locked_question_is_offered_no_edit(client_for, question, alice, editor):
    services.thread_set_locked(moderator=editor, thread=question, locked=True)
    url = question.get_absolute_url()

    page = soup(client_for(alice).get(url))
    assert page.find("a", string="Edit") is None
    assert page.select_one(".comment-form") is None
    # The moderator may still edit and comment, and is offered both.
    page = soup(client_for(editor).get(url))
    assert page.find("a", string="Edit") is not None
    assert page.select_one(".comment-form") is not None


def test_moderators_get_the_answer_box_where_they_may_answer(client_for, question, bob, editor):
    services.thread_set_locked(moderator=editor, thread=question, locked=True)
    url = question.get_absolute_url()
    answer_form = f'form[action="/questions/{question.pk}/answer/"]'

    assert soup(client_for(bob).get(url)).select_one(answer_form) is None
    assert soup(client_for(None).get(url)).select_one(".answer-box") is None  # no "log in to answer" either
    assert soup(client_for(editor).get(url)).select_one(answer_form) is not None

    response = client_for(editor).post(f"/questions/{question.pk}/answer/",
                                       {"body": "Locked while we investigate; reset the Beacon in the meantime."})
    assert response.status_code == 302
    assert question.posts.filter(author=editor).exists()


def test_visitors_are_invited_to_sign_in_to_answer_an_open_question(client_for, question):
    box = soup(client_for(None).get(question.get_absolute_url())).select_one(".answer-box")
    assert box is not None and box.find("a", string="Log in") is not None


def test_my_help_lists_my_held_answer_marked_but_never_a_hidden_one(held_answer, client_for, alice, bob):
    newbie = held_answer.author
    mine = client_for(newbie).get("/help/me/").content.decode()
    assert held_answer.thread.title in mine and "waiting for a moderator" in mine
    services.answer_create(author=bob, thread=held_answer.thread, body="Hidden later by a moderator.")
    hidden = held_answer.thread.posts.get(author=bob)
    hidden.is_hidden = True
    hidden.save(update_fields=["is_hidden"])
    assert hidden.thread.title not in client_for(bob).get("/help/me/").content.decode()
