"""Clustering runs over the thread store, with the real model and FAISS: clusters form across
sources, keep their identity, leave editor decisions alone, and take in new threads."""
from __future__ import annotations

import pytest

from community.models import Thread
from community.services import source_community
from kb.models import Article, Cluster, ClusterMember
from kb.question_vectors import post_text
from kb.services.clustering import clusters_demand_update, clusters_rebuild, clusters_update
from search.engine import embedding_key
from search.models import Embedding, SearchQueryLog

pytestmark = pytest.mark.django_db


def groups() -> dict[int, set[int]]:
    result: dict[int, set[int]] = {}
    for cid, tid in ClusterMember.objects.values_list("cluster_id", "thread_id"):
        result.setdefault(cid, set()).add(tid)
    return result


def test_planted_near_duplicates_cluster_together_across_sources(demo_corpus, embedder, near_duplicate_pairs):
    report = clusters_rebuild(embedder=embedder, draft=False)

    assert report.threads == Thread.objects.count() == 215 + 26
    assert report.embedded == report.threads
    by_external = dict(Thread.objects.filter(source=source_community()).values_list("external_id", "id"))
    cluster_of = dict(ClusterMember.objects.values_list("thread_id", "cluster_id"))
    pairs = near_duplicate_pairs
    together = sum(
        1 for a, b in pairs
        if cluster_of.get(by_external[a]) is not None and cluster_of.get(by_external[a]) == cluster_of.get(by_external[b])
    )
    # The planted near-duplicates are real rewordings (median cosine 0.53 on title + question), so at the
    # default threshold 0.65 about a quarter pair up; a random placement with these cluster sizes pairs ~1 %.
    sizes = [len(m) for m in groups().values()]
    n = len(cluster_of) + (report.threads - len(cluster_of))
    chance = sum(k * (k - 1) for k in sizes) / (n * (n - 1))
    assert together / len(pairs) >= 0.2 > 10 * chance, f"only {together} of {len(pairs)} planted pairs together"
    mixed = Cluster.objects.filter(sources__gte=2)
    assert mixed.exists(), "no cluster joins community questions with harvested ones"
    harvested = set(Thread.objects.filter(source=demo_corpus).values_list("id", flat=True))
    assert any(members & harvested and members - harvested for members in groups().values())
    cluster = mixed.first()
    assert cluster.label and cluster.centroid and cluster.size == cluster.members.count()
    assert cluster.demand >= cluster.size


def test_vectors_are_stored_once_and_reused(demo_corpus, embedder):
    clusters_rebuild(embedder=embedder, draft=False)
    stored = Embedding.objects.count()
    again = clusters_rebuild(embedder=embedder, draft=False)

    assert again.embedded == 0
    assert Embedding.objects.count() == stored == Thread.objects.count()
    question = Thread.objects.get(source=source_community(), external_id="mesh-001").question
    text = f"{question.thread.title}\n{' '.join(post_text(question).split())}"
    assert Embedding.objects.filter(key=embedding_key(text, embedder.name)).exists()


def test_rerun_keeps_cluster_identity(demo_corpus, embedder):
    clusters_rebuild(embedder=embedder, draft=False)
    before = groups()
    report = clusters_rebuild(embedder=embedder, draft=False)

    assert groups() == before
    assert report.created == 0 and report.removed == 0


def test_editor_decisions_survive_reclustering(demo_corpus, embedder):
    clusters_rebuild(embedder=embedder, draft=False)
    by_size = sorted(groups().items(), key=lambda kv: -len(kv[1]))
    frozen_id, frozen_members = by_size[0]
    Cluster.objects.filter(pk=frozen_id).update(frozen=True, status=Cluster.Status.DISMISSED,
                                                dismissed_reason="not a product question")
    pinned_cluster, pinned_members = by_size[1]
    pinned_thread = min(pinned_members)
    ClusterMember.objects.filter(thread_id=pinned_thread).update(pinned=True)

    # A much looser threshold would merge a lot of clusters; the frozen one and the pin hold.
    clusters_rebuild(embedder=embedder, threshold=0.45, draft=False)
    after = groups()

    assert after[frozen_id] == frozen_members
    assert Cluster.objects.get(pk=frozen_id).status == Cluster.Status.DISMISSED
    assert ClusterMember.objects.get(thread_id=pinned_thread).cluster_id == pinned_cluster
    for cid, members in after.items():
        if cid != frozen_id:
            assert not members & frozen_members


def test_new_thread_joins_an_existing_cluster_and_its_draft_is_refreshed(demo_corpus, embedder, alice):
    from community.services import question_create

    clusters_rebuild(embedder=embedder)
    cluster = Cluster.objects.filter(size__gte=3).order_by("-size").first()
    central = cluster.members.order_by("-similarity").first().thread
    article = Article.objects.get(cluster=cluster)
    new = question_create(author=alice, title=f"{central.title} (same here)", body=central.question.body,
                          tags=["mesh"])

    report = clusters_update(thread_ids=[new.pk], embedder=embedder)

    assert report.joined == 1 and report.created == 0
    assert ClusterMember.objects.get(thread=new).cluster_id == cluster.pk
    cluster.refresh_from_db()
    assert cluster.size == cluster.members.count()
    article.refresh_from_db()
    assert article.versions.count() >= 1
    assert article.sources.filter(thread=new).exists()


def test_new_thread_close_to_a_frozen_cluster_is_held_not_joined(demo_corpus, embedder, alice):
    from community.services import question_create

    clusters_rebuild(embedder=embedder, draft=False)
    cluster = Cluster.objects.filter(size__gte=3).order_by("-size").first()
    Cluster.objects.filter(pk=cluster.pk).update(frozen=True)
    central = cluster.members.order_by("-similarity").first().thread
    before = set(cluster.members.values_list("thread_id", flat=True))
    new = question_create(author=alice, title=central.title, body=central.question.body, tags=["mesh"])

    report = clusters_update(thread_ids=[new.pk], embedder=embedder, draft=False)

    assert report.held == 1 and report.joined == 0
    assert set(cluster.members.values_list("thread_id", flat=True)) == before
    assert not ClusterMember.objects.filter(thread=new, cluster=cluster).exists()


def test_unmet_searches_raise_demand(small_corpus, embedder):
    clusters_rebuild(embedder=embedder, draft=False)
    guest = ClusterMember.objects.get(thread=small_corpus["guest"][0]).cluster
    before = guest.demand
    for _ in range(2):
        SearchQueryLog.objects.create(query="how to turn on guest wifi for visitors hearthlink", results=0)
    # Found plenty, but nothing likely to answer it: unmet.
    SearchQueryLog.objects.create(query="guest wifi password for visitors", results=12, top_score=1.0,
                                  top_relevance=0.05)
    SearchQueryLog.objects.create(query="guest network setting", results=12, top_relevance=0.9)  # found its answer
    # Typed into a search box on the way to a search: not a search of its own.
    SearchQueryLog.objects.create(query="guest wifi for visi", results=3, top_relevance=0.01, channel="suggest")

    clusters_demand_update(embedder=embedder)

    guest.refresh_from_db()
    assert guest.unmet_searches == 3
    assert guest.demand > before
    beacon = ClusterMember.objects.get(thread=small_corpus["beacon"][0]).cluster
    assert beacon.unmet_searches == 0
