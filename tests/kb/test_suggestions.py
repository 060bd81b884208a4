""""Maybe the same problem": questions the strict rule leaves apart, listed on a cluster for an editor to decide,
with the real model on the demo community and its Stack Exchange dump."""
from __future__ import annotations

import pytest

from community.models import Thread
from community.services import source_community
from core.errors import ServiceError
from kb import permissions, services
from kb.models import Article, Cluster, ClusterMember, NotSameProblem
from kb.services.clustering import clusters_rebuild, clusters_update
from kb.suggestion_selectors import cluster_suggestions

pytestmark = pytest.mark.django_db


def community(external_id: str) -> Thread:
    return Thread.objects.get(source=source_community(), external_id=external_id)


@pytest.fixture
def clustered(demo_corpus, process_embedder):
    clusters_rebuild(embedder=process_embedder, draft=False)


def suggested(cluster: Cluster) -> dict[int, object]:
    return {row.thread.pk: row for row in cluster_suggestions(cluster=cluster)}


def test_a_started_candidate_lists_the_question_the_strict_rule_left_apart(clustered, editor):
    lead, other = community("app-002"), community("setup-016")
    assert not ClusterMember.objects.filter(thread=other).exists()  # 0.86 alike: below the paraphrase level
    cluster = services.cluster_start(editor=editor, thread=lead)

    row = suggested(cluster)[other.pk]

    assert 0.75 <= row.similarity < 0.90
    assert row.reason.startswith(f"{row.similarity:.2f} similar to the lead; the lead's best answer matches it ")
    assert row.holder is None
    assert lead.pk not in suggested(cluster)


def test_adding_pins_the_question_and_redrafts_with_it(clustered, editor):
    lead, other = community("app-002"), community("setup-016")
    cluster = services.cluster_start(editor=editor, thread=lead)
    article = services.article_from_cluster(editor=editor, cluster=cluster)

    member = services.cluster_member_add(editor=editor, cluster=cluster, thread=other)

    assert (member.cluster_id, member.relation, member.pinned) == (cluster.pk, "added", True)
    assert member.reason == "added by edith" and 0.75 <= member.similarity < 0.9
    cluster.refresh_from_db()
    assert cluster.size == 2 and cluster.frozen
    assert other.pk not in suggested(cluster)
    # The untouched draft was drafted again, and the editor's addition is a member, not "left out".
    reasons = Article.objects.get(pk=article.pk).versions.order_by("-number").first().reasons
    assert other.pk in [m["thread"] for m in reasons["members"]]
    assert other.pk not in [row["thread"] for row in reasons.get("left_out", [])]
    # A full run leaves the editor's decision alone.
    clusters_rebuild(draft=False)
    assert ClusterMember.objects.get(thread=other).cluster_id == cluster.pk


def test_adding_from_another_candidate_recounts_both(clustered, editor):
    lead, other = community("app-009"), community("orders-014")
    third = Thread.objects.filter(cluster_membership__isnull=True).exclude(pk__in=[lead.pk, other.pk]).first()
    holder = Cluster.objects.create(label=third.title, lead=third, size=2, sources=1)
    ClusterMember.objects.create(cluster=holder, thread=third, relation="lead", similarity=1.0)
    ClusterMember.objects.create(cluster=holder, thread=other, relation="similar", similarity=0.9)
    cluster = services.cluster_start(editor=editor, thread=lead)
    assert suggested(cluster)[other.pk].holder == holder

    services.cluster_member_add(editor=editor, cluster=cluster, thread=other)

    cluster.refresh_from_db()
    holder.refresh_from_db()
    assert (cluster.size, holder.size) == (2, 1)
    assert holder.frozen and holder.lead_id == third.pk
    assert set(cluster.members.values_list("thread_id", flat=True)) == {lead.pk, other.pk}


def test_a_lead_of_another_cluster_is_never_taken(clustered, editor):
    lead = community("setup-016")
    cluster = services.cluster_start(editor=editor, thread=lead)
    other = community("app-002")
    services.cluster_start(editor=editor, thread=other)

    assert other.pk not in suggested(cluster)
    with pytest.raises(ServiceError, match="merge the two instead"):
        services.cluster_member_add(editor=editor, cluster=cluster, thread=other)


def test_not_the_same_problem_is_remembered_across_clustering_runs(clustered, editor):
    lead = Thread.objects.get(title="Beacon satellite drops offline every night around 2 am")
    cluster = Cluster.objects.get(lead=lead)
    assert not cluster.frozen
    refused, control = Thread.objects.filter(source=source_community(), cluster_membership__isnull=True)[:2]

    services.cluster_not_same(editor=editor, cluster=cluster, thread=refused)
    # Later the forum closes both as duplicates of the lead: the control joins, the refused one does not.
    Thread.objects.filter(pk__in=[refused.pk, control.pk]).update(duplicate_of=lead)
    clusters_rebuild(draft=False)

    members = set(ClusterMember.objects.filter(cluster=cluster).values_list("thread_id", flat=True))
    assert control.pk in members and refused.pk not in members
    assert refused.pk not in suggested(Cluster.objects.get(pk=cluster.pk))
    # An incremental run does not place it there either.
    clusters_update(draft=False)
    assert not ClusterMember.objects.filter(cluster=cluster, thread=refused).exists()


def test_not_the_same_problem_takes_it_off_the_list(clustered, editor):
    cluster = services.cluster_start(editor=editor, thread=community("gaming-001"))
    other = community("speed-008")
    assert other.pk in suggested(cluster)

    services.cluster_not_same(editor=editor, cluster=cluster, thread=other)

    assert other.pk not in suggested(cluster)
    with pytest.raises(ServiceError, match="split it out"):
        services.cluster_not_same(editor=editor, cluster=cluster, thread=community("gaming-001"))


def test_only_editors_decide(clustered, editor, alice, client_for, api_for):
    cluster = services.cluster_start(editor=editor, thread=community("app-002"))
    other = community("setup-016")
    for action in ("add", "not_same"):
        response = client_for(alice).post(f"/kb/clusters/{cluster.pk}/action/",
                                          {"action": action, "thread_id": other.pk})
        assert response.status_code == 403
    assert api_for(alice).post(f"/api/kb/clusters/{cluster.pk}/members/", {"thread_id": other.pk}).status_code == 403
    assert api_for(alice).post(f"/api/kb/clusters/{cluster.pk}/not-same/", {"thread_id": other.pk}).status_code == 403
    assert api_for(alice).get(f"/api/kb/clusters/{cluster.pk}/suggestions/").status_code == 403
    assert not ClusterMember.objects.filter(thread=other).exists()
    assert not NotSameProblem.objects.filter(thread=other).exists()
    assert not permissions.can_decide_suggestions(alice, cluster)
    assert permissions.can_decide_suggestions(editor, cluster)
    services.cluster_dismiss(editor=editor, cluster=cluster, reason="not a KB topic")
    assert not permissions.can_decide_suggestions(editor, Cluster.objects.get(pk=cluster.pk))


def test_the_api_lists_and_adds(clustered, editor, api_for):
    cluster = services.cluster_start(editor=editor, thread=community("app-002"))
    other = community("setup-016")
    api = api_for(editor)

    rows = api.get(f"/api/kb/clusters/{cluster.pk}/suggestions/").json()
    assert other.pk in [row["thread_id"] for row in rows]
    response = api.post(f"/api/kb/clusters/{cluster.pk}/members/", {"thread_id": other.pk}, format="json")

    assert response.status_code == 201 and response.json()["size"] == 2
    member = ClusterMember.objects.get(thread=other)
    assert (member.cluster_id, member.relation, member.pinned) == (cluster.pk, "added", True)


def test_the_api_says_not_the_same_problem(clustered, editor, api_for):
    cluster = services.cluster_start(editor=editor, thread=community("gaming-001"))
    other = community("speed-008")

    response = api_for(editor).post(f"/api/kb/clusters/{cluster.pk}/not-same/", {"thread_id": other.pk}, format="json")

    assert response.status_code == 204
    assert NotSameProblem.objects.filter(cluster=cluster, thread=other).exists()
    assert other.pk not in suggested(cluster)


def test_the_cluster_page_forms_add_and_refuse(clustered, editor, client_for):
    cluster = services.cluster_start(editor=editor, thread=community("app-002"))
    added, refused = community("setup-016"), community("speed-008")
    client, url = client_for(editor), f"/kb/clusters/{cluster.pk}/action/"

    assert client.post(url, {"action": "add", "thread_id": added.pk}).status_code == 302
    assert client.post(url, {"action": "not_same", "thread_id": refused.pk}).status_code == 302
    again = client.post(url, {"action": "add", "thread_id": added.pk}, follow=True)

    assert ClusterMember.objects.get(thread=added).cluster_id == cluster.pk
    assert NotSameProblem.objects.filter(cluster=cluster, thread=refused).exists()
    assert "already in this candidate" in again.content.decode()
    assert ClusterMember.objects.filter(cluster=cluster).count() == 2
