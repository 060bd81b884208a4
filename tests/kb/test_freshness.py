"""Freshness from evidence: a published article is marked "needs review", with the reason, when its
source threads move on or readers and agents complain, and it rises in the editors' queue."""
from __future__ import annotations

import pytest

from community.models import Post
from harvest.signals import harvest_finished
from kb.models import Article, ArticleFlag, ArticleSource, ClusterMember
from kb.services import article_feedback_record, article_flag_get_or_create
from kb.services.clustering import clusters_rebuild

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(small_corpus, embedder):
    clusters_rebuild(embedder=embedder)
    cluster = ClusterMember.objects.get(thread=small_corpus["guest"][0]).cluster
    Article.objects.filter(cluster=cluster).update(status=Article.Status.PUBLISHED)
    return Article.objects.get(cluster=cluster)


def solution_post(article) -> Post:
    return ArticleSource.objects.get(article=article, role=ArticleSource.Role.SOLUTION).post


def test_new_accepted_answer_in_a_source_thread(published, small_corpus, alice, django_capture_on_commit_callbacks):
    from community.services import answer_accept, answer_create

    thread = small_corpus["guest"][1]
    with django_capture_on_commit_callbacks(execute=True):
        post = answer_create(author=alice, thread=thread, body="Turns out a restart of the app showed the guest option.")
        answer_accept(user=alice, post=post)

    published.refresh_from_db()
    assert published.needs_review
    assert f"a new accepted answer in '{thread.title}'" in published.review_reason


def test_used_solution_edited_at_the_source(published, bob, django_capture_on_commit_callbacks):
    from community.services import post_edit

    with django_capture_on_commit_callbacks(execute=True):
        post_edit(editor=bob, post=solution_post(published), body="Settings > Guest Wi-Fi now, since firmware 4.0.")

    published.refresh_from_db()
    assert published.needs_review and "the solution was edited" in published.review_reason


def test_reharvested_answer_outscoring_the_solution(published, small_corpus, bob):
    thread = small_corpus["guest"][2]
    Post.objects.create(thread=thread, author=bob, author_name="bob", score=40,
                        body="Since firmware 4.0 the guest network lives under Settings > Guests.")
    harvest_finished.send(sender=None, run_id=1, thread_ids=[thread.pk])

    published.refresh_from_db()
    assert published.needs_review
    assert "scores 40, above the solution's 12" in published.review_reason


def test_unrelated_change_and_unpublished_drafts_are_left_alone(published, small_corpus, bob):
    beacon = small_corpus["beacon"][0]
    Post.objects.create(thread=beacon, author=bob, author_name="bob", score=99, body="Unplug it for 30 seconds.")
    harvest_finished.send(sender=None, run_id=1, thread_ids=[beacon.pk])

    published.refresh_from_db()
    assert not published.needs_review
    draft = Article.objects.get(cluster__members__thread=beacon)
    assert draft.status == Article.Status.DRAFT and not draft.needs_review


def test_negative_feedback_past_the_threshold(published, settings):
    settings.KB_REVIEW_NEGATIVE_FEEDBACK = 3
    for reader in ("r1", "r2"):
        article_feedback_record(article=published, helpful=False, session_key=reader)
    article_feedback_record(article=published, helpful=True, session_key="r3")
    published.refresh_from_db()
    assert not published.needs_review

    article_feedback_record(article=published, helpful=False, comment="Menu is not there any more", session_key="r4")
    published.refresh_from_db()
    assert published.needs_review and "3 readers said it did not help" in published.review_reason


def test_agent_flags_past_the_threshold(published, agent, settings):
    settings.KB_REVIEW_FLAGS = 2
    article_flag_get_or_create(article=published, kind=ArticleFlag.Kind.OUTDATED, agent=agent, note="Old screens")
    published.refresh_from_db()
    assert not published.needs_review

    article_flag_get_or_create(article=published, kind=ArticleFlag.Kind.WRONG, agent=agent,
                               note="The guest page moved in firmware 4.0")
    published.refresh_from_db()
    assert published.needs_review
    assert published.review_reason == "2 agent flags (outdated, wrong): The guest page moved in firmware 4.0"


def test_needs_review_rises_in_the_queue(published, agent):
    cluster = published.cluster
    before = cluster.demand
    others = [m.cluster for m in ClusterMember.objects.exclude(cluster=cluster)]
    assert all(o.demand <= before + 10 for o in others)

    article_flag_get_or_create(article=published, kind=ArticleFlag.Kind.WRONG, agent=agent, note="Wrong menu")

    cluster.refresh_from_db()
    assert cluster.demand > before
    assert cluster.demand > max(o.demand for o in others)
