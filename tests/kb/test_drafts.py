"""Draft articles from clusters: title, problem, best solution, other solutions, variants,
attributed sources with their license, evidence notes, and a first version."""
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


def test_draft_has_title_problem_solution_others_and_variants(guest_cluster, small_corpus):
    article = Article.objects.get(cluster=guest_cluster)
    titles = {t.title for t in small_corpus["guest"]}

    assert guest_cluster.members.count() == 3
    assert article.status == Article.Status.DRAFT
    assert article.title in titles
    assert article.problem  # the central question's first sentences
    assert "Settings > Wi-Fi > Guest network" in article.solution  # the accepted, highest-scored answer
    assert "More > Network > Guest network" in article.other_solutions
    assert "QR code" in article.other_solutions
    assert "— bob, Gleaner community" in article.other_solutions or "— bob," in article.other_solutions
    assert sorted(article.variants + [article.title]) == sorted(titles)
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
    assert sources.filter(role=ArticleSource.Role.OTHER).count() == 2


def test_contradicting_answers_become_evidence_notes(guest_cluster):
    notes = EvidenceNote.objects.filter(cluster=guest_cluster, kind=EvidenceNote.Kind.CONTRADICTION)
    reasons = " | ".join(n.reason for n in notes)

    assert "guest bandwidth" in reasons  # 20 vs 50
    assert "guest network" in reasons  # two different menu paths
    assert all(n.first_post.thread_id != n.second_post.thread_id for n in notes)


def test_first_version_is_by_no_one_and_redrafting_unchanged_adds_none(guest_cluster):
    article = Article.objects.get(cluster=guest_cluster)
    first = article.versions.get()

    assert first.number == 1 and first.author is None and first.note == "drafted from 3 threads"
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
