"""Votes cast here before scores were kept apart move to ``local_score``: the source's score is
what the source said again, and the sum is unchanged."""
from __future__ import annotations

import pytest

from tests.migrations import migrate, migrate_latest

BEFORE = [("community", "0002_source")]


@pytest.mark.django_db(transaction=True)
def test_votes_move_out_of_the_imported_score():
    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Source, Thread, Post = (old.get_model("community", n) for n in ("Source", "Thread", "Post"))
        User, Vote = old.get_model("community", "User"), old.get_model("community", "Vote")
        beer = Source.objects.create(name="Beer SE", slug="beer-se", kind="stackexchange")
        # 22 on Stack Exchange, then one vote here: stored as 23 before the change.
        thread = Thread.objects.create(source=beer, external_id="4", title="Porter or stout?", score=23)
        question = Post.objects.create(thread=thread, is_question=True, external_id="4", body="?", score=23)
        answer = Post.objects.create(thread=thread, external_id="5", body="Both.", score=9)
        voter = User.objects.create(username="voter", email="voter@example.com")
        Vote.objects.create(user=voter, post=question, value=1)
        Vote.objects.create(user=voter, post=answer, value=-1)
    finally:
        migrate_latest()

    from community.models import Post as NewPost, Thread as NewThread

    q, a = NewPost.objects.get(pk=question.pk), NewPost.objects.get(pk=answer.pk)
    t = NewThread.objects.get(pk=thread.pk)
    assert (q.score, q.local_score, q.total_score) == (22, 1, 23)
    assert (a.score, a.local_score, a.total_score) == (10, -1, 9)
    assert (t.score, t.local_score, t.total_score) == (22, 1, 23)
