"""Splitting threads out of a drafted candidate updates or flags its article, and says where they went."""
from __future__ import annotations

from kb import services
from kb.models import Article, ArticleSource, Cluster, ClusterMember
from kb.selectors import version_rows
from tests.kb.editorial import make_article, make_thread

ANSWERS = {
    "Beacon drops off the mesh every night": "Turn off automatic updates at 2 am, then re-pair the Beacon.",
    "Beacon loses the H1 at night": "Move the Beacon off the floor onto a shelf.",
    "Guest network password reset": "Open Settings > Guest and choose Reset password.",
}


def _cluster() -> Cluster:
    cluster = Cluster.objects.create(label="Beacon drops off the mesh every night", size=3, sources=1)
    for i, (title, answer) in enumerate(ANSWERS.items()):
        ClusterMember.objects.create(cluster=cluster, thread=make_thread(title, answer=answer), similarity=0.9 - i * 0.1)
    return cluster


def _guest(cluster: Cluster) -> int:
    return cluster.members.get(thread__title="Guest network password reset").thread_id


def test_split_redrafts_an_untouched_draft(db, editor, process_embedder, client_for):
    cluster = _cluster()
    article = services.article_from_cluster(editor=editor, cluster=cluster)
    Article.objects.filter(pk=article.pk).update(assigned_to=None)
    assert "2 am" in article.solution, "the draft answers from the lead thread"
    lead = cluster.members.get(thread__title="Beacon drops off the mesh every night").thread_id

    response = client_for(editor).post(f"/kb/clusters/{cluster.pk}/action/",
                                       {"action": "split", "thread_ids": [lead]}, follow=True)
    new = Cluster.objects.exclude(pk=cluster.pk).get()
    html = response.content.decode()
    assert f'<a href="/kb/clusters/{new.pk}/">candidate #{new.pk}: {new.label}</a>' in html
    assert "drafted again from the 2 threads that stay" in html
    # The merge list counts the new one-thread candidate in words an editor reads.
    assert ", 1 thread)" in html and "1 threads" not in html

    article.refresh_from_db()
    assert "2 am" not in article.solution + article.other_solutions
    assert not ArticleSource.objects.filter(article=article, thread_id=lead).exists()
    latest, diff = version_rows(article=article)[0]
    assert latest.note.startswith("drafted from") and "No differences" not in diff and "<del>" in diff


def test_split_flags_an_edited_article_that_uses_the_threads_that_left(db, editor, client_for):
    cluster = _cluster()
    guest_thread = _guest(cluster)
    article = make_article(cluster=cluster)
    ArticleSource.objects.filter(article=article).update(thread_id=guest_thread)
    services.article_edit(editor=editor, article=article, title=article.title, problem=article.problem,
                          solution="Edited by hand.", other_solutions="", variants=[], tags=[])
    version = article.version

    response = client_for(editor).post(f"/kb/clusters/{cluster.pk}/action/",
                                       {"action": "split", "thread_ids": [guest_thread]}, follow=True)
    new = Cluster.objects.exclude(pk=cluster.pk).get()
    assert "it is marked “needs review”" in response.content.decode()
    article.refresh_from_db()
    assert article.needs_review and f"moved to candidate #{new.pk}" in article.review_reason
    assert article.solution == "Edited by hand." and article.version == version, "no empty version"
