"""Community test fixtures: a second answerer, an answer, signed-in clients, a harvested thread."""
from __future__ import annotations

import pytest


@pytest.fixture
def dave(make_user):
    """A member who only writes answers, so every role in a matrix is a third party to them."""
    return make_user("dave")


@pytest.fixture
def answer(question, bob):
    """Bob's answer to Alice's question."""
    from community.services import answer_create

    return answer_create(
        author=bob, thread=question, body="Move the Beacon within two rooms of the H1 and update its firmware."
    )


@pytest.fixture
def question_post(question):
    """The opening post of ``question`` (the thing votes, edits and flags point at)."""
    return question.posts.get(is_question=True)


@pytest.fixture
def harvested_thread(db):
    """A read-only thread harvested from an outside forum, with an HTML body."""
    from community.models import Post, Source, Thread

    source = Source.objects.create(name="Hearthlink Owners Forum", slug="owners-forum", kind=Source.Kind.HTML)
    thread = Thread.objects.create(
        source=source, external_id="t-100", title="Port forwarding on the H2 Pro for a game console",
        author_name="forum_user", url="https://forum.example.invalid/t/100",
    )
    Post.objects.create(
        thread=thread, external_id="p-100", is_question=True, author_name="forum_user",
        body="<p>Which ports does the console need on the <b>H2 Pro</b>?</p>", body_format=Post.Format.HTML,
    )
    return thread
