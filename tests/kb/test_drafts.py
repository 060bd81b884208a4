"""Draft articles from problem clusters: the lead's problem, answers scored against the lead with their
reasons, attributed sources with their license, evidence notes, the no-solution state, a first version."""
from __future__ import annotations

import pytest

from community.models import Post
from kb.models import Article, ArticleSource, ClusterMember, EvidenceNote
from kb.services.clustering import clusters_rebuild
from kb.services.drafts import article_draft_from_cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest_cluster(small_corpus, embedder):
    clusters_rebuild(embedder=embedder)
    return ClusterMember.objects.get(thread=small_corpus["guest"][0]).cluster


def test_draft_answers_the_lead_question_and_says_why(guest_cluster, small_corpus):
    article = Article.objects.get(cluster=guest_cluster)
    lead = guest_cluster.lead
    reasons = article.versions.get().reasons

    assert guest_cluster.members.count() == 3
    assert article.status == Article.Status.DRAFT
    assert article.title == lead.title and lead in small_corpus["guest"]
    assert article.problem  # the lead question's first sentences
    assert "Settings > Wi-Fi > Guest network" in article.solution  # the lead's accepted answer
    assert reasons["lead"] == {"thread": lead.pk, "title": lead.title}
    assert [m["relation"] for m in reasons["members"]][0] == "lead"
    assert all(m["reason"] for m in reasons["members"])
    solution = reasons["answers"][0]
    assert solution["role"] == "solution" and solution["relation"] == "own" and solution["accepted"]
    assert "answers the lead question in its own thread" in solution["reason"]
    # Answers of the other threads were scored against the lead question, each with its probability.
    others = [a for a in reasons["answers"][1:] + reasons["not_placed"] if a["thread"] != lead.pk]
    assert others and all("probability" in a["reason"] for a in others)
    assert len(reasons["answers"]) <= 5  # the solution and a handful of others at most
    assert sorted(article.variants + [article.title]) == sorted(t.title for t in small_corpus["guest"])
    guest_cluster.refresh_from_db()
    assert guest_cluster.status == "drafted" and guest_cluster.label == article.title


def test_sources_carry_author_link_and_license(guest_cluster, small_corpus):
    article = Article.objects.get(cluster=guest_cluster)
    sources = ArticleSource.objects.filter(article=article)
    solution = sources.get(role=ArticleSource.Role.SOLUTION)

    assert solution.post.is_accepted and solution.author_name == "bob"
    assert solution.license == "CC BY-SA 4.0" and solution.url and solution.score == 12
    assert solution.content_hash
    assert sources.filter(role=ArticleSource.Role.QUESTION).count() == 3
    placed = {a["post"] for a in article.versions.get().reasons["answers"][1:]}
    assert set(sources.filter(role=ArticleSource.Role.OTHER).values_list("post_id", flat=True)) == placed


@pytest.fixture
def reset_cluster(db, alice, bob, embedder):
    """One question whose two answers disagree on how long to hold the button, and a rewording of it."""
    from community.models import Thread
    from community.services import source_community
    from kb.models import Cluster, ClusterMember

    source = source_community()
    lead = Thread.objects.create(source=source, title="How long do I hold the reset button on the H1?",
                                 author=alice, author_name="alice", license="CC BY-SA 4.0")
    Post.objects.create(thread=lead, is_question=True, author=alice, author_name="alice",
                        body="I want to factory reset my H1 router. How long must I hold the reset button?")
    Post.objects.create(thread=lead, author=bob, author_name="bob", score=9, is_accepted=True,
                        body="Hold the reset button for 10 seconds until the light ring blinks white, then let go.")
    Post.objects.create(thread=lead, author=alice, author_name="alice", score=3,
                        body="Hold the reset button for 30 seconds; 10 seconds only restarts the router.")
    Post.objects.create(thread=lead, author=alice, author_name="alice", score=0, body="Thanks, that worked!")
    cluster = Cluster.objects.create(lead=lead)
    ClusterMember.objects.create(cluster=cluster, thread=lead, relation="lead")
    return cluster


def test_contradicting_answers_become_evidence_notes(reset_cluster, embedder):
    article = article_draft_from_cluster(cluster=reset_cluster, embedder=embedder)
    notes = EvidenceNote.objects.filter(cluster=reset_cluster, kind=EvidenceNote.Kind.CONTRADICTION)
    reasons = article.versions.get().reasons

    assert notes.count() == 1
    assert {notes[0].first_post.body[:25], notes[0].second_post.body[:25]} == {
        "Hold the reset button for", "Hold the reset button for"}
    assert "10" in notes[0].reason and "30" in notes[0].reason
    assert reasons["evidence"][0]["kind"] == "contradiction"
    # "Thanks, that worked!" is a reply, not an answer: never placed, and the reason says so.
    assert [a["reason"] for a in reasons["not_placed"]] == ["not an answer (thanks)"]


def test_a_weak_best_answer_gives_no_solution_and_cannot_be_published(db, alice, bob, editor, embedder):
    from community.models import Thread
    from community.services import source_community
    from core.errors import ServiceError
    from kb.engine.draft import NO_SOLUTION
    from kb.models import Cluster, ClusterMember
    from kb.services import article_transition

    source = source_community()
    lead = Thread.objects.create(source=source, title="Beacon Plus fan makes a clicking noise", author=alice,
                                 author_name="alice")
    Post.objects.create(thread=lead, is_question=True, author=alice, author_name="alice",
                        body="My Beacon Plus started clicking every few minutes. Is that the fan?")
    Post.objects.create(thread=lead, author=bob, author_name="bob", body="Same here, any update?")
    Post.objects.create(thread=lead, author=bob, author_name="bob", score=-2,
                        body="Just buy a different brand of mesh system, these are all junk anyway honestly.")
    cluster = Cluster.objects.create(lead=lead)
    ClusterMember.objects.create(cluster=cluster, thread=lead, relation="lead")

    article = article_draft_from_cluster(cluster=cluster, embedder=embedder)

    reasons = article.versions.get().reasons
    assert article.solution == "" and article.other_solutions == ""
    assert reasons["note"] == NO_SOLUTION
    assert sorted(a["reason"] for a in reasons["not_placed"]) == ["not an answer (me-too)",
                                                                  "voted below zero (score -2)"]
    with pytest.raises(ServiceError, match="Write a solution"):
        article_transition(user=editor, article=article, action="publish")


def test_first_version_is_by_no_one_and_redrafting_unchanged_adds_none(guest_cluster):
    article = Article.objects.get(cluster=guest_cluster)
    first = article.versions.get()

    assert first.number == 1 and first.author is None and first.note == "drafted from 3 of 3 threads"
    assert first.reasons["members"]
    again = article_draft_from_cluster(cluster=guest_cluster)
    assert again.pk == article.pk and again.versions.count() == 1


def test_an_edited_draft_is_left_to_the_editor(guest_cluster, editor):
    from kb.services.versions import version_save

    article = Article.objects.get(cluster=guest_cluster)
    article.solution = "Edited by the editor."
    article.save()
    version_save(article=article, author=editor, note="edit")
    Post.objects.filter(is_accepted=True, thread__cluster_membership__cluster=guest_cluster).update(score=0)

    article_draft_from_cluster(cluster=guest_cluster)

    article.refresh_from_db()
    assert article.solution == "Edited by the editor."


def test_frozen_cluster_is_not_redrafted(guest_cluster):
    guest_cluster.frozen = True
    with pytest.raises(ValueError):
        article_draft_from_cluster(cluster=guest_cluster)


def test_harvested_answers_keep_their_stack_exchange_attribution(demo_corpus, embedder):
    clusters_rebuild(embedder=embedder)
    harvested = ArticleSource.objects.filter(thread__source=demo_corpus).exclude(role=ArticleSource.Role.QUESTION)

    assert harvested.exists()
    for source in harvested:
        assert source.license.startswith("CC BY-SA")
        assert source.author_name and source.url.startswith("http")
