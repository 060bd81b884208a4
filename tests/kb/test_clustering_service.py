"""Problem clustering over the thread store, with the real model and FAISS: every member judged against
its cluster's lead, duplicate links followed, identity kept across runs, editor decisions left alone, new
threads joining the lead they match."""
from __future__ import annotations

import pytest

from community.models import Thread
from community.services import source_community
from kb.engine.problems import JoinRule
from kb.models import Article, Cluster, ClusterMember, Topic
from kb.question_vectors import post_text
from kb.services.clustering import clusters_rebuild, clusters_update
from kb.services.demand import clusters_demand_update
from search.engine import embedding_key
from search.models import Embedding, SearchQueryLog

pytestmark = pytest.mark.django_db


def groups() -> dict[int, set[int]]:
    result: dict[int, set[int]] = {}
    for cid, tid in ClusterMember.objects.values_list("cluster_id", "thread_id"):
        result.setdefault(cid, set()).add(tid)
    return result


def _cluster_of(external_id: str) -> int | None:
    return ClusterMember.objects.filter(thread__external_id=external_id).values_list("cluster_id", flat=True).first()


def test_every_member_is_judged_against_the_lead(demo_corpus, embedder):
    rule = JoinRule.fitted()
    report = clusters_rebuild(embedder=embedder, draft=False)

    assert report.threads == Thread.objects.count() == 215 + 26
    assert report.clusters == Cluster.objects.count() > 0
    for cluster in Cluster.objects.all():
        members = list(cluster.members.all())
        assert cluster.lead_id in {m.thread_id for m in members}
        assert cluster.label == cluster.lead.title and cluster.size == len(members)
        for m in members:
            assert m.reason
            if m.thread_id == cluster.lead_id:
                assert m.relation == "lead"
            elif m.relation == "similar":
                # Only a paraphrase joins: the reason says how alike it reads.
                assert m.similarity >= rule.min_similarity
                assert m.reason.startswith("same problem: ") and m.reason.endswith("a paraphrase")
            else:
                assert m.relation == "duplicate" and "duplicate" in m.reason
    # A topic cluster chained these; the problem clusters keep them apart (a roaming answer is not a fix for
    # nightly drops, and "updated one by one?" is not "do they work with the H2 Pro?").
    nightly = ClusterMember.objects.get(thread__title="Beacon satellite drops offline every night around 2 am")
    assert _cluster_of("mesh-006") != nightly.cluster_id
    assert _cluster_of("firmware-006") is None or _cluster_of("firmware-006") != _cluster_of("mesh-004")
    # Every live cluster sits in a topic, the coarser level above.
    assert not Cluster.objects.filter(topic__isnull=True).exists()
    assert Topic.objects.count() <= Cluster.objects.count()


def test_source_duplicate_links_put_questions_with_their_original(demo_corpus, embedder):
    """The Stack Exchange dump closed questions as duplicates; a link is same-problem evidence on its own."""
    clusters_rebuild(embedder=embedder, draft=False)
    harvested = Thread.objects.filter(source=demo_corpus).exclude(duplicate_of_external_id="")

    assert harvested.exists()
    linked = 0
    for thread in harvested:
        original = Thread.objects.get(source=demo_corpus, external_id=thread.duplicate_of_external_id)
        member = ClusterMember.objects.filter(thread=thread).first()
        if member is not None and member.relation == "duplicate":
            assert member.cluster_id == _cluster_of(original.external_id)
            linked += 1
    assert linked == harvested.count()


def test_vectors_are_stored_once_and_reused(demo_corpus, embedder):
    clusters_rebuild(embedder=embedder, draft=False)
    stored = Embedding.objects.count()
    again = clusters_rebuild(embedder=embedder, draft=False)

    assert again.embedded == 0
    assert Embedding.objects.count() == stored  # questions, and the best answers the join rule compares
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
    by_size = sorted(groups().items(), key=lambda kv: (-len(kv[1]), kv[0]))
    frozen_id, frozen_members = by_size[0]
    Cluster.objects.filter(pk=frozen_id).update(frozen=True, status=Cluster.Status.DISMISSED,
                                                dismissed_reason="not a product question")
    pinned_cluster, pinned_members = by_size[1]
    pinned_thread = min(pinned_members)
    ClusterMember.objects.filter(thread_id=pinned_thread).update(pinned=True)

    # A much looser rule would merge a lot of clusters; the frozen one and the pin hold.
    clusters_rebuild(embedder=embedder, draft=False, rule=JoinRule(min_similarity=0.45, min_answer_fit=-1.0))
    after = groups()

    assert after[frozen_id] == frozen_members
    assert Cluster.objects.get(pk=frozen_id).status == Cluster.Status.DISMISSED
    assert ClusterMember.objects.get(thread_id=pinned_thread).cluster_id == pinned_cluster
    for cid, members in after.items():
        if cid != frozen_id:
            assert not members & frozen_members


def test_new_thread_joins_the_lead_it_matches_and_the_redraft_still_answers_the_lead(demo_corpus, embedder, alice):
    from community.services import question_create

    clusters_rebuild(embedder=embedder)
    cluster = Cluster.objects.filter(size__gte=2).order_by("-size", "pk").first()
    lead = cluster.lead
    article = Article.objects.get(cluster=cluster)
    solution = article.solution
    new = question_create(author=alice, title=f"{lead.title} (same here)", body=lead.question.body, tags=["mesh"])

    report = clusters_update(thread_ids=[new.pk], embedder=embedder)

    assert report.joined == 1 and report.created == 0
    member = ClusterMember.objects.get(thread=new)
    assert member.cluster_id == cluster.pk and member.relation == "similar"
    assert "similar to the lead question" in member.reason
    cluster.refresh_from_db()
    assert cluster.size == cluster.members.count() and cluster.lead_id == lead.pk
    article.refresh_from_db()
    assert article.title == lead.title and article.solution == solution
    assert article.sources.filter(thread=new, role="question").exists()
    reasons = article.versions.order_by("-number").first().reasons
    assert reasons["lead"]["thread"] == lead.pk and new.pk in {m["thread"] for m in reasons["members"]}


def test_new_thread_closed_as_a_duplicate_joins_its_original(demo_corpus, embedder, alice):
    from community.services import question_create

    clusters_rebuild(embedder=embedder, draft=False)
    cluster = Cluster.objects.filter(size__gte=2).order_by("-size", "pk").first()
    new = question_create(author=alice, title="Weird problem with my setup", body="Nothing works since Tuesday.",
                          tags=["mesh"])
    Thread.objects.filter(pk=new.pk).update(duplicate_of=cluster.lead)

    report = clusters_update(thread_ids=[new.pk], embedder=embedder, draft=False)

    assert report.joined == 1
    member = ClusterMember.objects.get(thread=new)
    assert member.cluster_id == cluster.pk and member.relation == "duplicate"


def test_new_thread_close_to_a_frozen_cluster_is_held_not_joined(demo_corpus, embedder, alice):
    from community.services import question_create

    clusters_rebuild(embedder=embedder, draft=False)
    cluster = Cluster.objects.filter(size__gte=2).order_by("-size", "pk").first()
    Cluster.objects.filter(pk=cluster.pk).update(frozen=True)
    central = cluster.lead
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
