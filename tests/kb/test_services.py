"""Editorial services and the queue: what an editor's actions do to articles, clusters and search."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import NotAllowed, ServiceError
from kb import permissions, selectors, services
from kb.models import Article, ArticleFlag, Cluster, ClusterMember
from search.models import Document
from tests.kb.editorial import make_article, make_cluster

S = Article.Status


def test_editor_drafts_an_article_from_a_cluster_once(small_corpus, process_embedder, editor):
    threads = small_corpus["guest"]
    cluster = Cluster.objects.create(label=threads[0].title, size=3, sources=1)
    for i, thread in enumerate(threads):
        ClusterMember.objects.create(cluster=cluster, thread=thread, similarity=0.9 - i / 10)

    article = services.article_from_cluster(editor=editor, cluster=cluster)

    assert "guest" in article.title.lower()
    assert "Guest network" in article.solution  # the accepted answer, not the lower-scored one
    assert article.versions.get().note == "drafted from 3 of 3 threads"
    assert article.sources.filter(role="solution", license="CC BY-SA 4.0").exists()
    assert article.assigned_to == editor
    assert services.article_from_cluster(editor=editor, cluster=cluster).pk == article.pk
    assert article.versions.count() == 1


def test_editor_starts_a_candidate_for_a_question_no_cluster_holds(small_corpus, process_embedder, editor):
    thread = small_corpus["beacon"][0]

    cluster = services.cluster_start(editor=editor, thread=thread)
    article = services.article_from_cluster(editor=editor, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.frozen and cluster.lead == thread and cluster.size == 1
    member = cluster.members.get()
    assert member.relation == "lead" and member.pinned and member.reason.startswith("started by an editor")
    assert article.title == thread.title and "closer to the router" in article.solution
    with pytest.raises(ServiceError, match="already in a candidate"):
        services.cluster_start(editor=editor, thread=thread)


def test_split_out_candidate_can_still_be_drafted_and_stays_frozen(small_corpus, process_embedder, editor):
    threads = small_corpus["guest"] + small_corpus["beacon"]
    cluster = Cluster.objects.create(label=threads[0].title, size=5)
    for i, thread in enumerate(threads):
        ClusterMember.objects.create(cluster=cluster, thread=thread, similarity=0.9 - i / 20)
    beacon = services.cluster_split(editor=editor, cluster=cluster, thread_ids=[t.pk for t in small_corpus["beacon"]])
    article = services.article_from_cluster(editor=editor, cluster=beacon)
    assert "beacon" in article.title.lower()
    beacon.refresh_from_db()
    assert beacon.frozen and beacon.status == Cluster.Status.DRAFTED


def test_edit_saves_a_version_with_tags_and_clean_variants(db, editor):
    article = make_article()
    services.article_edit(editor=editor, article=article, title="  Beacon drops off the mesh at night ",
                          problem="Amber ring.", solution="Move it closer.", other_solutions="",
                          variants=["beacon disconnects", "Beacon disconnects", "", "Beacon drops off the mesh at night"],
                          tags=["Beacon", "mesh"], note="shorter solution")
    article.refresh_from_db()
    assert article.title == "Beacon drops off the mesh at night"
    assert article.variants == ["beacon disconnects"]
    assert sorted(article.tags.values_list("name", flat=True)) == ["beacon", "mesh"]
    latest = article.versions.first()
    assert (latest.number, latest.author, latest.note) == (2, editor, "shorter solution")
    with pytest.raises(ServiceError, match="title"):
        services.article_edit(editor=editor, article=article, title=" ", problem="", solution="", other_solutions="",
                              variants=[], tags=[])


def test_restore_brings_back_old_text_as_a_new_version(db, editor):
    article = make_article()
    original = article.solution
    services.article_edit(editor=editor, article=article, title=article.title, problem=article.problem,
                          solution="Factory reset everything.", other_solutions="", variants=[], tags=[])
    services.article_restore_version(editor=editor, article=article, number=1)
    article.refresh_from_db()
    assert article.solution == original and article.version == 3
    assert article.versions.first().note == "restored v1"
    with pytest.raises(ServiceError, match="no version 9"):
        services.article_restore_version(editor=editor, article=article, number=9)


def test_merge_two_articles_moves_threads_sources_and_phrasings(db, editor):
    keep = make_article(cluster=make_cluster(["Beacon drops off the mesh", "Beacon loses the H1"], demand=3))
    other = make_article(title="Satellite goes amber every evening",
                         cluster=make_cluster(["Satellite amber at night", "Mesh satellite disconnects"]))
    other_cluster = other.cluster

    result = services.article_merge(editor=editor, target=keep, other=other)

    assert result.pk == keep.pk
    keep.refresh_from_db(); other.refresh_from_db(); other_cluster.refresh_from_db()
    assert keep.cluster.members.count() == 4 and keep.cluster.size == 4 and keep.cluster.frozen
    assert "Satellite goes amber every evening" in keep.variants
    assert keep.sources.filter(role="other", thread__title="Satellite amber at night").exists()
    assert other.status == S.ARCHIVED
    assert (other_cluster.status, other_cluster.merged_into_id, other_cluster.frozen) == ("merged", keep.cluster_id, True)
    assert keep.versions.first().note.startswith("merged “Satellite goes amber")
    with pytest.raises(ServiceError):
        services.article_merge(editor=editor, target=keep, other=other)


def test_merge_a_candidate_into_an_article_and_two_candidates(db, editor):
    article = make_article(cluster=make_cluster(["Guest Wi-Fi setup"]))
    candidate = make_cluster(["Guest network for visitors", "Visitors Wi-Fi"])
    services.article_merge(editor=editor, target=article, other=candidate)
    assert article.cluster.members.count() == 3
    assert "Guest network for visitors" in Article.objects.get(pk=article.pk).variants

    first, second = make_cluster(["Port forwarding for a game"]), make_cluster(["Open a port on the H2 Pro"])
    merged = services.article_merge(editor=editor, target=first, other=second)
    assert isinstance(merged, Cluster) and merged.size == 2
    with pytest.raises(ServiceError, match="two different"):
        services.article_merge(editor=editor, target=first, other=first)


def test_split_and_its_refusals(db, editor):
    cluster = make_cluster(["Guest Wi-Fi setup", "Guest network password", "Parental controls schedule"])
    parental = cluster.members.get(thread__title="Parental controls schedule").thread
    new = services.cluster_split(editor=editor, cluster=cluster, thread_ids=[parental.pk])
    cluster.refresh_from_db()
    assert (cluster.size, new.size, new.label) == (2, 1, "Parental controls schedule")
    assert cluster.frozen and new.frozen and new.members.get().pinned
    with pytest.raises(ServiceError, match="at least one"):
        services.cluster_split(editor=editor, cluster=cluster, thread_ids=list(cluster.members.values_list("thread_id", flat=True)))
    with pytest.raises(ServiceError, match="threads of this cluster"):
        services.cluster_split(editor=editor, cluster=cluster, thread_ids=[parental.pk])


def test_split_gives_the_new_candidate_a_lead_and_merge_keeps_the_targets(db, editor):
    cluster = make_cluster(["Guest Wi-Fi setup", "Guest network password", "Parental controls schedule",
                            "Parental controls bedtime"])
    guest = cluster.members.get(thread__title="Guest Wi-Fi setup").thread
    Cluster.objects.filter(pk=cluster.pk).update(lead=guest)
    cluster.refresh_from_db()
    parental = list(cluster.members.filter(thread__title__startswith="Parental").values_list("thread_id", flat=True))

    new = services.cluster_split(editor=editor, cluster=cluster, thread_ids=parental)

    cluster.refresh_from_db()
    assert cluster.lead == guest and new.lead_id in parental
    assert new.members.get(thread_id=new.lead_id).relation == "lead"
    moved = new.members.exclude(thread_id=new.lead_id).get()
    assert (moved.relation, moved.reason) == ("editor", "split out by an editor")
    services.cluster_split(editor=editor, cluster=cluster, thread_ids=[guest.pk])
    cluster.refresh_from_db()
    assert cluster.lead is None  # the next draft chooses a lead among the threads left

    target, other = make_cluster(["Port forwarding for a game"]), make_cluster(["Open a port on the H2 Pro"])
    lead = target.members.get().thread
    Cluster.objects.filter(pk=target.pk).update(lead=lead)
    target.refresh_from_db()
    services.article_merge(editor=editor, target=target, other=other)
    target.refresh_from_db()
    assert target.lead == lead
    merged = target.members.get(thread__title="Open a port on the H2 Pro")
    assert (merged.relation, merged.reason, merged.pinned) == ("editor", "merged in by an editor", True)


def test_dismiss_needs_a_reason_archives_the_draft_and_spares_published(db, editor):
    cluster = make_cluster(["Where is my order?", "Order not shipped"])
    draft = make_article(title="Order status", cluster=cluster)
    with pytest.raises(ServiceError, match="why"):
        services.cluster_dismiss(editor=editor, cluster=cluster, reason="  ")
    services.cluster_dismiss(editor=editor, cluster=cluster, reason="Orders are for the shop, not the KB")
    cluster.refresh_from_db(); draft.refresh_from_db()
    assert (cluster.status, cluster.frozen, draft.status) == ("dismissed", True, S.ARCHIVED)
    live = make_article(title="Live one", cluster=make_cluster(["Live"]), status=S.PUBLISHED)
    with pytest.raises(ServiceError, match="archive the article first"):
        services.cluster_dismiss(editor=editor, cluster=live.cluster, reason="no")


def test_review_schedule_and_mark_reviewed_resolves_flags(db, editor, agent):
    article = make_article(status=S.PUBLISHED)
    Article.objects.filter(pk=article.pk).update(needs_review=True, review_reason="2 agent flags")
    ArticleFlag.objects.create(article=article, kind="outdated", flagged_by=agent)
    with pytest.raises(ServiceError, match="past"):
        services.article_schedule_review(editor=editor, article=article, due=timezone.localdate() - timedelta(days=1))
    due = timezone.localdate() + timedelta(days=90)
    services.article_schedule_review(editor=editor, article=article, due=due)
    article.refresh_from_db()
    services.article_mark_reviewed(editor=editor, article=article)
    article.refresh_from_db()
    assert (article.needs_review, article.review_reason, article.review_due) == (False, "", due)
    assert article.last_reviewed_at and not ArticleFlag.objects.filter(resolved=False).exists()
    assert [v.note for v in article.versions.all()[:2]] == ["reviewed", f"review scheduled for {due.isoformat()}"]


def test_assign_keeps_article_and_cluster_together_and_only_editors(db, editor, admin_user, agent):
    article = make_article(cluster=make_cluster(["Firmware update stuck at 80%"]))
    permissions.check_can_assign(editor, admin_user)
    services.article_assign(editor=editor, cluster=article.cluster, assignee=admin_user)
    article.refresh_from_db()
    assert article.assigned_to == admin_user and article.cluster.assigned_to == admin_user
    with pytest.raises(ServiceError, match="not an editor"):
        permissions.check_can_assign(editor, agent)
    with pytest.raises(NotAllowed):
        permissions.check_can_assign(agent, editor)


def test_publishing_and_archiving_keep_search_in_step(db, editor):
    public = make_article(status=S.APPROVED)
    services.article_transition(user=editor, article=public, action="publish", visibility="public")
    doc = Document.objects.get(kind="article", object_id=public.pk)
    assert (doc.visibility, doc.is_active, doc.url) == ("public", True, f"/kb/{public.slug}/")
    assert "Beacon" in doc.text and f"{public.title} (again)" in doc.synonyms
    services.article_transition(user=editor, article=public, action="unpublish")
    assert not Document.objects.get(pk=doc.pk).is_active
    services.article_transition(user=editor, article=public, action="publish", visibility="internal")
    assert Document.objects.get(pk=doc.pk).visibility == "internal"
    services.article_transition(user=editor, article=public, action="archive")
    assert not Document.objects.get(pk=doc.pk).is_active


def test_queue_ranks_needs_review_first_then_demand_and_filters(db, editor, admin_user):
    low = make_cluster(["Guest Wi-Fi setup"], demand=1)
    high = make_cluster(["Beacon drops", "Beacon amber"], demand=9)
    flagged = make_article(title="Parental controls bedtime", cluster=make_cluster(["Bedtime schedule"], demand=0.5))
    Article.objects.filter(pk=flagged.pk).update(needs_review=True, review_reason="new accepted answer")
    loose = make_article(title="Written from scratch")
    dismissed = make_cluster(["Order status"], demand=50)
    services.cluster_dismiss(editor=editor, cluster=dismissed, reason="shop question")

    items = selectors.queue(user=editor)
    assert [i.title for i in items][:3] == ["Parental controls bedtime", "Beacon drops", "Guest Wi-Fi setup"]
    assert loose.title in [i.title for i in items] and "Order status" not in [i.title for i in items]
    assert [i.title for i in selectors.queue(user=editor, status="candidate")] == ["Beacon drops", "Guest Wi-Fi setup"]
    assert [i.title for i in selectors.queue(user=editor, status="dismissed")] == ["Order status"]
    assert [i.title for i in selectors.queue(user=editor, status="needs_review")] == ["Parental controls bedtime"]
    assert selectors.queue(user=editor, status="nonsense") == []
    services.article_assign(editor=editor, cluster=low, assignee=admin_user)
    assert [i.title for i in selectors.queue(user=editor, assignee=admin_user.username)] == ["Guest Wi-Fi setup"]
    assert "Guest Wi-Fi setup" not in [i.title for i in selectors.queue(user=editor, assignee="none")]
    assert selectors.queue(user=editor, source="nowhere") == []
    assert high.pk in [i.cluster.pk for i in selectors.queue(user=editor, source="community") if i.cluster]
